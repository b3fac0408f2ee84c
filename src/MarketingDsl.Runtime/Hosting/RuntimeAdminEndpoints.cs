using System.Globalization;
using System.Text.Json;
using MarketingDsl.Core;
using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Functions.Loading;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace MarketingDsl.Runtime;

/// <summary>
/// The outbox and workspace endpoints of `mdsl serve`:
/// GET /api/outbox?status=pending|delivered|failed&amp;limit=N (counts and actions with attempts and last error);
/// POST /api/outbox/{key}/retry (requeue a parked action); GET /api/journey-ends?limit=N (journey
/// states ended by a new workspace version, latest last); POST /api/workspace/reload (compile the
/// workspace folder again and install it; an invalid workspace answers 422 with its diagnostics and
/// the running version stays; `?dry_run=true` answers what it would do and changes nothing; `?end=A,B` ends the users in
/// flight of journeys A and B instead of continuing them, <see cref="InFlightPolicy"/>). The GETs show member data:
/// the admin token or a signed-in user in a member-data role (<see cref="RuntimeSecurity.MemberDataDenied"/>). The two POSTs are admin calls:
/// `Authorization: Bearer TOKEN` always (<see cref="RuntimeSecurity.AdminDenied"/>); every reload that is not a dry run is
/// recorded in the <see cref="IReloadJournal"/> when the host has one (the editor's Publications page).
/// </summary>
public static class RuntimeAdminEndpoints
{
    public static IEndpointRouteBuilder MapLiveAdmin(this IEndpointRouteBuilder app, LiveOptions options)
    {
        app.MapGet("/api/outbox", (string? status, int? limit, HttpContext http, LiveRuntime runtime) =>
        {
            if (RuntimeSecurity.MemberDataDenied(http, options) is { } denied) return denied;
            if (status is not (null or LiveStore.Pending or LiveStore.DeliveredStatus or LiveStore.Failed))
                return Results.Json(new { error = $"status must be pending, delivered or failed, not '{status}'" }, statusCode: 400);
            var max = Math.Clamp(limit ?? 100, 1, 10_000);
            var (counts, items) = runtime.Outbox(status, max);
            return Results.Json(new { counts, items = items.Select(Describe) });
        });
        app.MapPost("/api/outbox/{key}/retry", (string key, HttpContext http, LiveRuntime runtime) =>
        {
            if (RuntimeSecurity.AdminDenied(http, options) is { } denied) return denied;
            var now = options.Clock.GetUtcNow().UtcTicks;
            if (!runtime.RequeueOutbox(key, now))
                return Results.Json(new { error = $"no parked (failed) action with key '{key}'" }, statusCode: 404);
            runtime.Deliver();
            return Results.Json(new { requeued = key });
        });
        app.MapGet("/api/journey-ends", (int? limit, HttpContext http, LiveRuntime runtime) =>
        {
            if (RuntimeSecurity.MemberDataDenied(http, options) is { } denied) return denied;
            var ends = runtime.JourneyEnds();
            return Results.Json(new { count = ends.Count, ends = JourneyEndAnswer.List(ends.TakeLast(Math.Clamp(limit ?? 100, 1, 10_000))) },
                ReloadAnswer.SnakeCase);
        });
        // dry_run is read here, not bound as a bool: a value binding cannot read answers 400 with an empty body.
        app.MapPost("/api/workspace/reload", (string? dry_run, string? end, HttpContext http, LiveRuntime runtime) =>
        {
            if (RuntimeSecurity.AdminDenied(http, options) is { } denied) return denied;
            var dryRun = false;
            if (dry_run is not null && !bool.TryParse(dry_run, out dryRun))
                return Results.Json(new { error = $"dry_run must be true or false, not '{dry_run}'" }, statusCode: 400);
            var endInFlight = (end ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (options.Workspace is not { } folder)
                return Results.Json(new { error = "this runtime was started without a workspace folder" }, statusCode: 409);
            Compilation compilation;
            var journal = dryRun ? null : http.RequestServices.GetService(typeof(IReloadJournal)) as IReloadJournal;
            var now = options.Clock.GetUtcNow().UtcDateTime;
            try { compilation = FunctionCompilation.Create(Workspace.Load(folder)); }
            catch (Exception ex) when (ex is WorkspaceException or IOException or UnauthorizedAccessException)
            {
                journal?.Record(new ReloadRecord(RuntimeSecurity.TokenAuthor, now, new Workspace([]), "refused: the workspace cannot be read",
                    null, null));
                return Results.Json(new { error = "the workspace cannot be read: " + ex.Message }, statusCode: 422);
            }
            if (compilation.HasErrors)
            {
                var errors = compilation.Diagnostics.Where(d => d.IsError).ToList();
                journal?.Record(new ReloadRecord(RuntimeSecurity.TokenAuthor, now, compilation.Workspace,
                    $"refused: {errors.Count} error(s) in the workspace", null, null));
                return Results.Json(new
                {
                    // Codes, files, positions and messages only: never the files' lines (an answer is no way to read files).
                    error = "the workspace has errors; the running version is unchanged",
                    diagnostics = JsonDocument.Parse(DiagnosticWriter.ToJson(errors)).RootElement,
                }, statusCode: 422);
            }
            var known = runtime.Model.Journeys.Concat(compilation.Model.Journeys).Select(j => j.Name).ToHashSet(StringComparer.Ordinal);
            if (endInFlight.FirstOrDefault(name => !known.Contains(name)) is { } unknown)
                return Results.Json(new { error = $"end: there is no journey '{unknown}' in the running or the new version" }, statusCode: 400);
            if (dryRun)
            {
                var preview = ReloadPreviewAnswer.From(runtime.Preview(compilation.Model, endInFlight)) with { DryRun = true };
                return Results.Json(preview, ReloadAnswer.SnakeCase);
            }
            var changes = journal is null ? null : runtime.Preview(compilation.Model, endInFlight);
            var report = runtime.Reload(compilation.Model, endInFlight);
            journal?.Record(new ReloadRecord(RuntimeSecurity.TokenAuthor, now, compilation.Workspace, "published", report, changes, endInFlight));
            return Results.Json(ReloadAnswer.From(report) with { Reloaded = true }, ReloadAnswer.SnakeCase);
        });
        return app;
    }

    /// <summary>The outbox part of /api/health.</summary>
    public static object OutboxHealth(LiveRuntime runtime) => runtime.OutboxCounts();

    private static object Describe(OutboxEntry e)
    {
        using var line = JsonDocument.Parse(e.Line);
        return new
        {
            key = e.Key, channel = e.Channel, status = e.Status, attempts = e.Attempts,
            next_attempt_at = e.Status == LiveStore.Pending && e.NextAttemptAt > 0 ? Iso(e.NextAttemptAt) : null,
            last_error = e.LastError, action = line.RootElement.Clone(),
        };
    }

    private static string Iso(long ticks) => new DateTime(ticks, DateTimeKind.Utc).ToString("O", CultureInfo.InvariantCulture);
}
