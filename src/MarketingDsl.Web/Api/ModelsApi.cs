using System.Text.Json;
using MarketingDsl.Functions.Loading;
using MarketingDsl.Models.Scoring;
using MarketingDsl.Web.ModelTraining;
using MarketingDsl.Web.Simulations;
using MarketingDsl.Web.Storage;

namespace MarketingDsl.Web.Api;

public sealed record TrainRequest(string? Folder, string? AsOf);

/// <summary>
/// The Models page's API: each declared model of the saved workspace with its state in the
/// registry and its report, and training runs (started in the background, polled for progress).
/// Viewing needs the viewer role; training needs editor or above and the anti-forgery header.
/// </summary>
public static class ModelsApi
{
    public static void MapModelsApi(this WebApplication app)
    {
        var api = app.MapGroup("/api").RequireAuthorization(Policies.Read);

        api.MapGet("/models", (WorkspaceFolder workspace, ModelRegistryAccess registry, ModelJobs jobs, HttpContext ctx) =>
        {
            var compilation = FunctionCompilation.Create(workspace.Load());
            IReadOnlyList<MarketingDsl.Models.Training.TrainedModel> entries;
            try { entries = registry.Entries(); }
            catch (IOException ex) { return Results.Json(new { error = ex.Message }, statusCode: StatusCodes.Status500InternalServerError); }
            var byName = entries.ToDictionary(e => e.Name, StringComparer.Ordinal);
            var models = compilation.Model.Models.Select(m =>
            {
                var entry = byName.GetValueOrDefault(m.Name);
                var state = RegistryScorer.StateOf(m, entry, out var reason);
                return new
                {
                    name = m.Name,
                    label = m.Label,
                    kind = m.IsRecommender ? "recommender" : m.IsClusters ? "clusters" : m.IsRegression ? "regression" : "classifier",
                    features = m.FeatureNames,
                    state = StateName(state),
                    reason = state == ModelState.Stale ? reason : null,
                    trainedBy = entry?.TrainedBy,
                    trainedAtUtc = entry?.TrainedAtUtc,
                    asOfUtc = entry?.AsOfUtc,
                    algorithm = entry?.Algorithm,
                    dataFingerprint = entry?.DataFingerprint,
                    // The report as `mdsl train --report` writes it (snake_case; NaN as a string).
                    report = entry is { ReportJson.Length: > 0 } ? JsonDocument.Parse(entry.ReportJson).RootElement : (JsonElement?)null,
                };
            });
            return Results.Ok(new
            {
                canRun = ScriptCanRun(ctx),
                errors = compilation.Diagnostics.Count(d => d.IsError),
                models,
                runs = jobs.Recent().Select(r => r.Snapshot()),
            });
        });

        api.MapGet("/models/train/{id:int}", (int id, ModelJobs jobs) =>
            jobs.Find(id) is { } run ? Results.Ok(run.Snapshot()) : Results.NotFound(new { error = $"There is no training run #{id}." }));

        var writes = api.MapGroup("").AddEndpointFilter(EditorApi.RequireAntiforgery).RequireAuthorization(Policies.Edit);

        writes.MapPost("/models/train", (TrainRequest request, WorkspaceFolder workspace, DataFolders folders, ModelJobs jobs, HttpContext ctx) =>
        {
            try
            {
                var folderPath = folders.Resolve(request.Folder);
                var asOf = AsOfInstant.Parse(request.AsOf);
                var compilation = WorkspaceSources.Compile(workspace.Load(), "The workspace");
                if (compilation.Model.Models.IsEmpty)
                    return Results.BadRequest(new { error = "The workspace declares no model or clusters to train." });
                var run = jobs.Start(compilation, request.Folder!, folderPath, asOf, request.AsOf, ctx.User.Identity?.Name ?? "?");
                return Results.Accepted($"/api/models/train/{run.Id}", run.Snapshot());
            }
            catch (Exception ex) when (ex is UnsafePathException or FormatException or MarketingDsl.Engine.Data.DataImportException)
            {
                return Results.BadRequest(new { error = ex.Message });
            }
            catch (CompileFailedException ex)
            {
                return Results.UnprocessableEntity(new { error = ex.Message, diagnostics = ex.Diagnostics });
            }
        });
    }

    private static string StateName(ModelState state) => state switch
    {
        ModelState.Fresh => "trained",
        ModelState.Stale => "stale",
        _ => "untrained",
    };

    private static bool ScriptCanRun(HttpContext ctx) => Pages.ScriptConfig.CanRun(ctx.User);
}
