using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using MarketingDsl.Core;
using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Runtime;
using MarketingDsl.Web.Publishing;
using MarketingDsl.Web.Storage;

namespace MarketingDsl.Web.Api;

/// <summary>The publication the publisher confirms: the hash of the saved workspace the preview showed.</summary>
public sealed record PublishRequest(string? Hash);

/// <summary>
/// Publishing from the editor (publisher and admin): `GET /api/publish` (whether this process
/// hosts a live runtime, and the publications), `POST /api/publish/preview` (compile the saved
/// workspace; its errors with locations, or what the reload would do and the workspace's hash),
/// `POST /api/publish` with that hash (reload the runtime and record the publication; a workspace
/// saved since the preview is refused, so what is installed is what was previewed). The POSTs need
/// the anti-forgery header like every editor write.
/// </summary>
public static class PublishApi
{
    /// <summary>Ended states listed one by one in an answer (all are counted in `ends`).</summary>
    public const int MaxListedEnds = 200;

    public static void MapPublishApi(this WebApplication app)
    {
        var api = app.MapGroup("/api/publish").RequireAuthorization(Policies.Read).WithMetadata(EditorApiEndpoint.Instance);

        api.MapGet("", (Publisher publisher, EditorStore store, HttpContext ctx) => Results.Ok(new
        {
            runtime = publisher.Runtime is not null,
            canPublish = CanPublish(ctx.User),
            message = publisher.Runtime is null ? Publisher.NoRuntimeMessage : null,
            publications = store.PublicationHistory(),
        }));

        var writes = api.MapGroup("").AddEndpointFilter(EditorApi.RequireAntiforgery).RequireAuthorization(Policies.Publish);
        writes.MapPost("/preview", (Publisher publisher) =>
        {
            if (publisher.Runtime is not { } runtime) return NoRuntime();
            if (Compile(publisher, out var saved) is { } refused) return refused;
            var preview = runtime.Preview(saved!.Compilation.Model);
            return Results.Ok(new
            {
                hash = saved.Hash,
                files = saved.Files,
                journeys = preview.Journeys,
                continued = preview.Continued,
                added = preview.Added,
                removed = preview.Removed,
                stepsChanged = preview.StepsChanged,
                endedCount = preview.Ended.Count,
                ends = Publisher.Summarise(preview.Ended),
                ended = Ends(preview.Ended),
            });
        });
        writes.MapPost("", (PublishRequest request, Publisher publisher, HttpContext ctx, ILoggerFactory logs) =>
        {
            if (publisher.Runtime is not { } runtime) return NoRuntime();
            if (string.IsNullOrWhiteSpace(request.Hash))
                return Results.BadRequest(new { error = "Send the hash of the preview you confirm: {\"hash\": \"…\"} from POST /api/publish/preview." });
            if (Compile(publisher, out _) is { } refused) return refused;
            (Publication Publication, ReloadReport Report)? published;
            try { published = publisher.Publish(runtime, request.Hash, ctx.User.Identity?.Name ?? "?"); }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // The reload is one transaction: when it fails, the runtime keeps the version it ran.
                logs.CreateLogger(typeof(PublishApi)).LogError(ex, "Publishing failed");
                return Results.Json(new { error = $"Publishing failed ({ex.GetType().Name}: {ex.Message}); the live runtime keeps its version and nothing was recorded." }, statusCode: StatusCodes.Status500InternalServerError);
            }
            if (published is not { } done)
                return Results.Json(new { error = "The saved workspace changed since the preview; preview again before publishing." }, statusCode: StatusCodes.Status409Conflict);
            return Results.Ok(new
            {
                publication = done.Publication,
                journeys = done.Report.Journeys,
                continued = done.Report.Continued,
                endedCount = done.Report.Ended.Count,
                ends = done.Publication.Ends,
                ended = Ends(done.Report.Ended),
            });
        });
    }

    private static bool CanPublish(ClaimsPrincipal user) => user.IsInRole(Roles.Publisher) || user.IsInRole(Roles.Admin);

    private static IResult NoRuntime() => Results.Json(new { error = Publisher.NoRuntimeMessage }, statusCode: StatusCodes.Status409Conflict);

    /// <summary>Compiles the saved workspace; a refusal (422) when it cannot be read or has errors, with each error's file, line and column.</summary>
    private static IResult? Compile(Publisher publisher, out SavedWorkspace? saved)
    {
        saved = null;
        try { saved = publisher.CompileSaved(); }
        catch (Exception ex) when (ex is WorkspaceException or IOException or UnauthorizedAccessException)
        {
            return Results.Json(new { error = "The workspace cannot be read: " + ex.Message }, statusCode: StatusCodes.Status422UnprocessableEntity);
        }
        if (!saved.Compilation.HasErrors) return null;
        var errors = saved.Compilation.Diagnostics.Where(d => d.IsError).ToList();
        return Results.Json(new
        {
            error = $"The saved workspace has {errors.Count} error(s); nothing was published and the live runtime keeps its version.",
            diagnostics = JsonDocument.Parse(DiagnosticWriter.ToJson(errors)).RootElement,
            text = DiagnosticWriter.ToText(errors, [.. saved.Compilation.Workspace.AllFiles]),
        }, statusCode: StatusCodes.Status422UnprocessableEntity);
    }

    private static IEnumerable<object> Ends(IReadOnlyList<JourneyEnd> ends) =>
        ends.Take(MaxListedEnds).Select(e => new
        {
            journey = e.Journey, userId = e.User, reason = e.Reason, detail = e.Detail,
            at = e.At == 0 ? null : new DateTime(e.At, DateTimeKind.Utc).ToString("O", CultureInfo.InvariantCulture),
        });
}
