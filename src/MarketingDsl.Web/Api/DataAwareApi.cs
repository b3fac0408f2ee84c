using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.LanguageService.DataAware;
using MarketingDsl.Web.Compiling;
using MarketingDsl.Web.DataAware;
using MarketingDsl.Web.Storage;

namespace MarketingDsl.Web.Api;

/// <summary>The audience sizes of the working copy (the page's unsaved buffers in place) on a data folder of the data root.</summary>
public sealed record AudienceSizesRequest(string? Folder, IReadOnlyList<EditorBuffer>? Buffers);

/// <summary>
/// The data-aware editor (README "Data-aware editing"): audience sizes beside segments, groups and
/// boolean tags as one types, on a loaded data set. Value completion and the MD5050 warnings ride on
/// `/api/completion` and `/api/diagnostics` (their `dataFolder`), through <see cref="ValuesFor"/>.
/// Reading sizes needs the viewer role (they are counts, no member data) and the anti-forgery header.
/// </summary>
public static class DataAwareApi
{
    // One evaluation at a time: two tabs typing at once take turns on the cores instead of halving each other.
    private static readonly SemaphoreSlim s_sizesGate = new(1, 1);

    public static void MapDataAwareApi(this WebApplication app)
    {
        var api = app.MapGroup("/api/editor-data").RequireAuthorization(Policies.Read).WithMetadata(EditorApiEndpoint.Instance)
            .AddEndpointFilter(EditorApi.RequireAntiforgery);

        api.MapPost("/sizes", async (AudienceSizesRequest request, WorkspaceCompiler compiler, EditorDataSets sets,
            ModelTraining.ModelRegistryAccess models) =>
        {
            var buffers = request.Buffers ?? [];
            if (buffers.Count > EditorApi.MaxBuffers)
                return Results.BadRequest(new { error = $"At most {EditorApi.MaxBuffers} unsaved files can be sent at once." });
            if (buffers.Any(b => b is null)) return Results.BadRequest(new { error = "A buffer is null; send {\"path\", \"text\"} objects." });
            if (buffers.Any(b => (b.Text?.Length ?? 0) > WorkspaceFolder.MaxFileChars))
                return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
            Core.Compilation compilation;
            EditorDataState state;
            try
            {
                compilation = compiler.Compile(buffers, out _);
                state = sets.Get(request.Folder, compilation.Model.Schema);
            }
            catch (UnsafePathException ex)
            {
                return Results.BadRequest(new { error = ex.Message });
            }
            if (state.Data is not { } data) return Results.Ok(new { status = state.Status, error = state.Error });
            var source = new
            {
                name = data.Name, asOf = data.AsOfUtc, users = data.Data.UserCount, evaluated = data.Sample.UserCount, sampled = data.Sampled,
            };
            var errors = compilation.Diagnostics.Count(d => d.IsError);
            // A workspace with errors has no plan; the page keeps the last sizes it showed, marked as out of date.
            if (errors > 0) return Results.Ok(new { status = "errors", errors, source });
            await s_sizesGate.WaitAsync();
            try
            {
                var watch = System.Diagnostics.Stopwatch.StartNew();
                var scorer = Scorer(compilation, models);
                var (sizes, evaluated) = await Task.Run(() =>
                    (AudienceSizes.Evaluate(compilation, data, scorer, scorer?.States, out var evaluated), evaluated));
                return Results.Ok(new
                {
                    status = EditorDataState.Ready, source, sizes, evaluateMs = Math.Round(watch.Elapsed.TotalMilliseconds, 1),
                    computed = evaluated.Computed, reused = evaluated.Reused,
                });
            }
            finally
            {
                s_sizesGate.Release();
            }
        });
    }

    private static readonly Lock s_scorerLock = new();
    private static (string Key, Models.Scoring.RegistryScorer Scorer)? s_scorer;

    /// <summary>
    /// The registry's scorer for a refresh: built again (models loaded from their zips) only when the
    /// registry file or a model's state (fresh, stale, not trained) changed, not at every pause in typing.
    /// </summary>
    private static Models.Scoring.RegistryScorer? Scorer(Core.Compilation compilation, ModelTraining.ModelRegistryAccess models)
    {
        if (compilation.Model.Models.IsEmpty) return null;
        var file = new FileInfo(models.Path);
        IReadOnlyList<Models.Training.TrainedModel> entries;
        try { entries = models.Entries(); }
        catch (IOException) { return models.ScorerFor(compilation); } // says why, and scores nothing
        var key = $"{file.Exists}:{(file.Exists ? file.LastWriteTimeUtc.Ticks : 0)}:{(file.Exists ? file.Length : 0)}:" +
            string.Join(";", compilation.Model.Models.Select(m =>
            m.Name + "=" + Models.Scoring.RegistryScorer.StateOf(m, entries.FirstOrDefault(e => e.Name == m.Name), out _)));
        lock (s_scorerLock)
        {
            if (s_scorer is { } cached && cached.Key == key) return cached.Scorer;
        }
        var scorer = new Models.Scoring.RegistryScorer(compilation.Model, entries);
        lock (s_scorerLock) s_scorer = (key, scorer);
        return scorer;
    }

    /// <summary>
    /// The values of the data folder the page chose, when it is loaded (a load is started otherwise,
    /// and this answers null until it is done); null without a folder or for one the root does not hold.
    /// </summary>
    public static DataValueIndex? ValuesFor(EditorDataSets sets, string? folder, SchemaModel schema) => DataFor(sets, folder, schema)?.Values;

    /// <summary>The data set of the folder the page chose, when it is loaded (as <see cref="ValuesFor"/>).</summary>
    public static EditorData? DataFor(EditorDataSets sets, string? folder, SchemaModel schema)
    {
        if (string.IsNullOrWhiteSpace(folder)) return null;
        try
        {
            return sets.Get(folder, schema).Data;
        }
        catch (Exception ex) when (ex is UnsafePathException or DataImportException or IOException)
        {
            return null;
        }
    }
}
