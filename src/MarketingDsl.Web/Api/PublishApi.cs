using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using MarketingDsl.Core;
using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Runtime;
using MarketingDsl.Web.Publishing;
using MarketingDsl.Web.Storage;

namespace MarketingDsl.Web.Api;

/// <summary>
/// The publication the publisher confirms: the hash of the workspace the preview showed, the
/// journeys whose users in flight end (the others continue at the equivalent step), the number of
/// ends confirmed a second time (needed above the threshold), and for a rollback the earlier publication.
/// </summary>
public sealed record PublishRequest(string? Hash, List<string>? End, int? ConfirmEnds, int? RollbackTo);

/// <summary>What to preview: the saved workspace (or publication <see cref="RollbackTo"/>) with these journeys' users in flight ended.</summary>
public sealed record PublishPreviewRequest(List<string>? End, int? RollbackTo);

/// <summary>
/// Publishing from the editor (publisher and admin): `GET /api/publish` (whether this process
/// hosts a live runtime, the publications, which can be rolled back to, and the threshold of ends
/// that asks twice), `POST /api/publish/preview` (compile the saved workspace, or an earlier
/// publication's files; its errors with locations, or what the reload would do per journey — users
/// in flight, ends when they continue at the equivalent step or with `end` — and the workspace's
/// hash), `POST /api/publish` with that hash (reload the runtime and record the publication; a
/// workspace saved since the preview is refused, so what is installed is what was previewed; more
/// ends than the threshold without `confirmEnds` answer 409 with `needsConfirmation`). The POSTs
/// need the anti-forgery header like every editor write.
/// </summary>
public static class PublishApi
{
    /// <summary>Ended states listed one by one in an answer (all are counted in `ends`).</summary>
    public const int MaxListedEnds = 200;

    public static void MapPublishApi(this WebApplication app)
    {
        var api = app.MapGroup("/api/publish").RequireAuthorization(Policies.Read).WithMetadata(EditorApiEndpoint.Instance);

        api.MapGet("", (Publisher publisher, EditorStore store, HttpContext ctx) =>
        {
            var kept = store.KeptWorkspaceHashes();
            var publications = store.PublicationHistory();
            return Results.Ok(new
            {
                runtime = publisher.Runtime is not null,
                canPublish = CanPublish(ctx.User),
                message = publisher.Runtime is null ? Publisher.NoRuntimeMessage : null,
                confirmEndsAbove = publisher.ConfirmEndsAbove,
                publications,
                // The publications whose files are kept, which a rollback can install again.
                canRollBack = publications.Where(p => p.Installed && kept.Contains(p.Hash)).Select(p => p.Id),
            });
        });

        var writes = api.MapGroup("").AddEndpointFilter(EditorApi.RequireAntiforgery).RequireAuthorization(Policies.Publish);
        writes.MapPost("/preview", (PublishPreviewRequest? request, Publisher publisher) =>
        {
            if (publisher.Runtime is not { } runtime) return NoRuntime();
            if (Compile(publisher, request?.RollbackTo, out var compiled) is { } refused) return refused;
            var saved = compiled!;
            var end = request?.End ?? [];
            if (UnknownJourney(runtime, saved, end) is { } unknown) return unknown;
            var preview = runtime.Preview(saved.Compilation.Model, end);
            var continuing = end.Count == 0 ? preview : runtime.Preview(saved.Compilation.Model);
            var journeyNames = preview.InFlight.Keys.Concat(saved.Compilation.Model.Journeys.Where(j => j.Trigger is not null).Select(j => j.Name))
                .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
            return Results.Ok(new PublishPreviewAnswer(ReloadPreviewAnswer.From(preview, MaxListedEnds))
            {
                Hash = saved.Hash,
                Files = saved.Files,
                RollbackTo = request?.RollbackTo,
                EndedCount = preview.Ended.Count,
                ConfirmEndsAbove = publisher.ConfirmEndsAbove,
                Choices = [.. journeyNames.Select(name => new JourneyChoice(name, preview.InFlight.GetValueOrDefault(name),
                    continuing.Ended.Count(e => e.Journey == name),
                    !saved.Compilation.Model.Journeys.Any(j => j.Name == name && j.Trigger is not null), end.Contains(name)))],
                Ends = Publisher.Summarise(preview.Ended),
            });
        });
        writes.MapPost("", (PublishRequest request, Publisher publisher, HttpContext ctx, ILoggerFactory logs) =>
        {
            if (publisher.Runtime is not { } runtime) return NoRuntime();
            if (string.IsNullOrWhiteSpace(request.Hash))
            {
                const string NoHash = "Send the hash of the preview you confirm: {\"hash\": \"…\"} from POST /api/publish/preview.";
                return Results.BadRequest(new { error = NoHash });
            }
            if (Compile(publisher, request.RollbackTo, out var saved) is { } refused) return refused;
            if (UnknownJourney(runtime, saved!, request.End ?? []) is { } unknown) return unknown;
            PublishOutcome outcome;
            var choice = new PublishChoice(request.Hash, request.End ?? [], request.ConfirmEnds, request.RollbackTo);
            try { outcome = publisher.Publish(runtime, choice, ctx.User.Identity?.Name ?? "?"); }
            catch (RollbackException ex) { return Results.BadRequest(new { error = ex.Message }); }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // The reload is one transaction: when it fails, the runtime keeps the version it ran.
                logs.CreateLogger(typeof(PublishApi)).LogError(ex, "Publishing failed");
                var error = $"Publishing failed ({ex.GetType().Name}: {ex.Message}); the live runtime keeps its version and nothing was recorded.";
                return Results.Json(new { error }, statusCode: StatusCodes.Status500InternalServerError);
            }
            return outcome switch
            {
                PublishOutcome.Changed => Results.Json(new { error = request.RollbackTo is null
                    ? "The saved workspace changed since the preview; preview again before publishing."
                    : "The preview was of other files; preview the rollback again." }, statusCode: StatusCodes.Status409Conflict),
                PublishOutcome.NeedsConfirmation c => Results.Json(new
                {
                    error = $"This would end {c.Ends} users in flight, more than {c.Threshold}: confirm that number (confirmEnds) to publish.",
                    needsConfirmation = true, endedCount = c.Ends, confirmEndsAbove = c.Threshold,
                }, statusCode: StatusCodes.Status409Conflict),
                PublishOutcome.Done done => Results.Ok(new PublishedAnswer(ReloadAnswer.From(done.Report, MaxListedEnds))
                {
                    Publication = done.Publication, EndedCount = done.Report.Ended.Count, Ends = done.Publication.Ends,
                }),
                _ => throw new InvalidOperationException("unknown publish outcome"),
            };
        });
    }

    /// <summary>A journey in `end` that neither the running nor the new version has: refused, so a typo never goes unnoticed.</summary>
    private static IResult? UnknownJourney(LiveRuntime runtime, SavedWorkspace saved, List<string> end)
    {
        var known = runtime.Model.Journeys.Concat(saved.Compilation.Model.Journeys).Select(j => j.Name).ToHashSet(StringComparer.Ordinal);
        return end.FirstOrDefault(name => !known.Contains(name)) is { } unknown
            ? Results.BadRequest(new { error = $"end: there is no journey '{unknown}' in the running or the new version." })
            : null;
    }

    private static bool CanPublish(ClaimsPrincipal user) => user.IsInRole(Roles.Publisher) || user.IsInRole(Roles.Admin);

    private static IResult NoRuntime() => Results.Json(new { error = Publisher.NoRuntimeMessage }, statusCode: StatusCodes.Status409Conflict);

    /// <summary>
    /// Compiles the saved workspace (or the files of publication <paramref name="rollbackTo"/>); a refusal (422) when it cannot be
    /// read or has errors, with each error's file, line and column; 400 when there is nothing to roll back to.
    /// </summary>
    private static IResult? Compile(Publisher publisher, int? rollbackTo, out SavedWorkspace? saved)
    {
        saved = null;
        try { saved = publisher.Compile(rollbackTo); }
        catch (RollbackException ex) { return Results.BadRequest(new { error = ex.Message }); }
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

}

/// <summary>The publish preview: the runtime's dry run (<see cref="ReloadPreviewAnswer"/>, in the editor's camelCase) with
/// what the publisher confirms.</summary>
internal sealed record PublishPreviewAnswer : ReloadPreviewAnswer
{
    public PublishPreviewAnswer(ReloadPreviewAnswer preview) : base(preview) { }

    public string Hash { get; init; } = "";
    public int Files { get; init; }
    public int? RollbackTo { get; init; }
    /// <summary>All the ends (<see cref="ReloadAnswer.Ended"/> lists the first <see cref="PublishApi.MaxListedEnds"/>).</summary>
    public int EndedCount { get; init; }
    public int ConfirmEndsAbove { get; init; }
    /// <summary>Per journey: users in flight, and the ends if they continue at the equivalent step (the choice `end` ends them all).</summary>
    public IReadOnlyList<JourneyChoice> Choices { get; init; } = [];
    public IReadOnlyList<PublicationEnds> Ends { get; init; } = [];
}

internal sealed record JourneyChoice(string Journey, int Users, int EndIfContinue, bool Removed, bool End);

/// <summary>A publication done: the reload's answer with the publication recorded.</summary>
internal sealed record PublishedAnswer : ReloadAnswer
{
    public PublishedAnswer(ReloadAnswer report) : base(report) { }

    public Publication? Publication { get; init; }
    public int EndedCount { get; init; }
    public IReadOnlyList<PublicationEnds> Ends { get; init; } = [];
}
