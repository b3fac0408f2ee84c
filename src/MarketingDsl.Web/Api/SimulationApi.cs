using MarketingDsl.Core;
using MarketingDsl.Engine.Data;
using MarketingDsl.Web.Simulations;
using MarketingDsl.Web.Storage;

namespace MarketingDsl.Web.Api;

public sealed record SimulateRequest(string? Folder, string? AsOf, List<BufferText>? Buffers);

/// <summary>Replay the working copy's journeys on a data folder over (From, To], as `mdsl simulate --from --to`.</summary>
public sealed record ReplayRequest(string? Folder, string? From, string? To, List<BufferText>? Buffers);

/// <summary>Compare the working copy (with optional buffers) against a saved version, or two Git revisions (GitTo empty = the working
/// copy).</summary>
public sealed record AudienceDiffRequest(string? Folder, string? AsOf, int? VersionId, string? GitFrom, string? GitTo, List<BufferText>? Buffers);

/// <summary>
/// The simulation page's API: data folders, runs of the working copy (started in the background,
/// polled for progress, kept in LiteDB) and the audience diff. Viewing needs the viewer role;
/// running or diffing needs editor or above and the anti-forgery header.
/// </summary>
public static class SimulationApi
{
    public static void MapSimulationApi(this WebApplication app)
    {
        var api = app.MapGroup("/api").RequireAuthorization(Policies.Read);

        api.MapGet("/data-folders", (DataFolders folders, HttpContext ctx) =>
            Results.Ok(new { root = folders.Root, rootExists = folders.RootExists, folders = folders.List(), canRun = CanRun(ctx) }));

        api.MapGet("/simulations", (EditorStore store, HttpContext ctx) => Results.Ok(new
        {
            canRun = CanRun(ctx),
            runs = store.RecentSimulations().Select(r => new { r.Id, r.Folder, r.AsOfUtc, r.Status, r.Author, r.StartedUtc, r.FinishedUtc, r.Users,
                r.Buffers, r.Error }),
        }));

        api.MapGet("/simulations/{id:int}", (int id, EditorStore store, SimulationJobs jobs) =>
        {
            var record = store.FindSimulation(id);
            if (record is null) return Results.NotFound(new { error = $"There is no simulation #{id}." });
            var progress = jobs.Progress(id)?.Snapshot();
            return Results.Ok(new
            {
                run = record,
                progress = progress is { } p ? new { phase = p.Phase, fraction = p.Fraction, detail = p.Detail } : null,
            });
        });

        api.MapGet("/replays", (ReplayJobs replays) => Results.Ok(new { runs = replays.Recent().Select(r => r.Snapshot(withResult: false)) }));

        api.MapGet("/replays/{id:int}", (int id, ReplayJobs replays) => replays.Find(id) is { } run
            ? Results.Ok(run.Snapshot(withResult: true))
            : Results.NotFound(new { error = $"There is no journey replay #{id} (replays are kept in memory until the editor restarts)." }));

        api.MapGet("/audience/sources", (EditorStore store, GitRevisions git) =>
        {
            var isRepository = git.IsRepository();
            return Results.Ok(new
            {
                versions = store.History(null).Select(v => new { v.Id, v.Path, v.Author, v.SavedUtc }),
                git = new { isRepository, commits = isRepository ? git.Recent() : [] },
            });
        });

        var writes = api.MapGroup("").AddEndpointFilter(EditorApi.RequireAntiforgery).RequireAuthorization(Policies.Edit);

        writes.MapPost("/simulations", (SimulateRequest request, WorkspaceFolder workspace, DataFolders folders, SimulationJobs jobs,
            HttpContext ctx) => Guard(() =>
        {
            var folderPath = folders.Resolve(request.Folder);
            var asOf = AsOfInstant.Parse(request.AsOf);
            var source = WorkspaceSources.WorkingCopy(workspace, request.Buffers, out var buffers);
            var compilation = WorkspaceSources.Compile(source, "The working copy");
            var id = jobs.Start(compilation, request.Folder!, folderPath, asOf, request.AsOf, ctx.User.Identity?.Name ?? "?", buffers);
            return Results.Accepted($"/api/simulations/{id}", new { id, status = RunStatus.Queued });
        }));

        writes.MapPost("/replays", (ReplayRequest request, WorkspaceFolder workspace, DataFolders folders, ReplayJobs replays, HttpContext ctx) =>
            Guard(() =>
            {
                var folderPath = folders.Resolve(request.Folder);
                var from = Instant(request.From, "from");
                var to = Instant(request.To, "to");
                if (to <= from) return Results.BadRequest(new { error = "The replay window is from < ts ≤ to: 'to' must be later than 'from'." });
                var source = WorkspaceSources.WorkingCopy(workspace, request.Buffers, out var buffers);
                var compilation = WorkspaceSources.Compile(source, "The working copy");
                var run = replays.Start(compilation, request.Folder!, folderPath, from, to, ctx.User.Identity?.Name ?? "?", buffers);
                return Results.Accepted($"/api/replays/{run.Id}", new { id = run.Id, status = run.Status });
            }));

        writes.MapPost("/replays/{id:int}/cancel", (int id, ReplayJobs replays) =>
        {
            if (replays.Find(id) is not { } run) return Results.NotFound(new { error = $"There is no journey replay #{id}." });
            run.Cancel.Cancel();
            return Results.Ok(new { id, cancelling = true });
        });

        writes.MapPost("/audience/diff", async (AudienceDiffRequest request, WorkspaceFolder workspace, DataFolders folders, EditorStore store,
            GitRevisions git, SimulationJobs jobs) =>
        {
            Compilation before, after;
            string beforeName, afterName, folderPath;
            DateTime? asOf;
            try
            {
                folderPath = folders.Resolve(request.Folder);
                asOf = AsOfInstant.Parse(request.AsOf);
                if (request.VersionId is not null && !string.IsNullOrWhiteSpace(request.GitFrom))
                    return Results.BadRequest(new { error = "Compare with a saved version (versionId) or a Git revision (gitFrom), not both." });
                if (request.VersionId is null && string.IsNullOrWhiteSpace(request.GitFrom))
                {
                    // The default: what the unsaved buffers change against the saved files.
                    before = WorkspaceSources.Compile(workspace.Load(), "The saved workspace");
                    beforeName = "last saved";
                    after = WorkspaceSources.Compile(WorkspaceSources.WorkingCopy(workspace, request.Buffers, out _), "The working copy");
                    afterName = "working copy";
                }
                else if (request.VersionId is { } id)
                {
                    var version = store.FindVersion(id);
                    if (version is null) return Results.NotFound(new { error = $"There is no saved version #{id}." });
                    var working = WorkspaceSources.WorkingCopy(workspace, request.Buffers, out _);
                    // The saved files with the version in place of its file; unsaved buffers belong to the working copy only.
                    before = WorkspaceSources.Compile(WorkspaceSources.WithFile(workspace.Load(), version.Path, version.Text),
                        $"The workspace with version #{id} of {version.Path}");
                    beforeName = $"version #{id} of {version.Path}";
                    after = WorkspaceSources.Compile(working, "The working copy");
                    afterName = "working copy";
                }
                else
                {
                    var from = GitRevisions.CheckRevision(request.GitFrom);
                    var to = string.IsNullOrWhiteSpace(request.GitTo) ? null : GitRevisions.CheckRevision(request.GitTo);
                    before = WorkspaceSources.Compile(git.Load(from), $"Git revision '{from}'");
                    beforeName = $"git {from}";
                    after = to is null ? WorkspaceSources.Compile(WorkspaceSources.WorkingCopy(workspace, request.Buffers, out _),
                        "The working copy") : WorkspaceSources.Compile(git.Load(to), $"Git revision '{to}'");
                    afterName = to is null ? "working copy" : $"git {to}";
                }
            }
            catch (Exception ex) when (Error(ex) is { } error)
            {
                return error;
            }
            try
            {
                return await jobs.Exclusive(() =>
                {
                    var resultBefore = jobs.Evaluate(before, folderPath, asOf, null, out _, out _, out _);
                    // Both sides as of the same instant, also when it defaulted to the latest event.
                    var resultAfter = jobs.Evaluate(after, folderPath, resultBefore.AsOfUtc, null, out _, out _, out _);
                    return Results.Ok(AudienceDiff.Compare(resultBefore, resultAfter, beforeName, afterName, request.Folder!));
                });
            }
            catch (DataImportException ex)
            {
                return Results.BadRequest(new { error = ex.Message });
            }
        });
    }

    /// <summary>A replay bound: required, ISO-8601 as `--from`/`--to` take it.</summary>
    private static DateTime Instant(string? text, string name) =>
        string.IsNullOrWhiteSpace(text) ? throw new FormatException($"'{name}' is required: an ISO-8601 instant such as 2025-06-01T00:00:00Z.")
        : Parsed(text, name);

    private static DateTime Parsed(string text, string name)
    {
        try { return AsOfInstant.Parse(text)!.Value; }
        catch (FormatException) { throw new FormatException($"'{name}' must be an ISO-8601 instant, such as 2025-06-01T00:00:00Z, not '{text}'."); }
    }

    private static bool CanRun(HttpContext ctx) => ctx.User.IsInRole(Roles.Editor) || ctx.User.IsInRole(Roles.Publisher)
        || ctx.User.IsInRole(Roles.Admin);

    private static IResult Guard(Func<IResult> action)
    {
        try
        {
            return action();
        }
        catch (Exception ex) when (Error(ex) is { } error)
        {
            return error;
        }
    }

    /// <summary>The answer to a bad request: what was wrong, and where for compile errors.</summary>
    private static IResult? Error(Exception ex) => ex switch
    {
        UnsafePathException or FormatException or GitException or DataImportException => Results.BadRequest(new { error = ex.Message }),
        CompileFailedException compile => Results.UnprocessableEntity(new { error = compile.Message, diagnostics = compile.Diagnostics }),
        _ => null,
    };
}
