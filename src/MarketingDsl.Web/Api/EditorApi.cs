using System.Diagnostics;
using System.Security.Claims;
using MarketingDsl.LanguageService;
using MarketingDsl.Web.Compiling;
using MarketingDsl.Web.Journeys;
using MarketingDsl.Web.Localization;
using MarketingDsl.Web.Testing;
using MarketingDsl.Web.Storage;
using Microsoft.AspNetCore.Antiforgery;
using LS = MarketingDsl.LanguageService.LanguageService;

namespace MarketingDsl.Web.Api;

/// <summary>The largest request body the API reads.</summary>
public sealed record ApiLimits(long MaxRequestBytes);

/// <summary>A request about an editor buffer: the file's path, its current (unsaved) text and a cursor; <see cref="DataFolder"/> the data set chosen
/// for data-aware editing.</summary>
public sealed record BufferRequest(string? Path, string? Text, int Line = 1, int Column = 1, string? NewName = null, int? StartLine = null,
    int? EndLine = null,
    string? DataFolder = null);

public sealed record SaveRequest(string? Path, string? Text);

/// <summary>A request about the whole working copy: the workspace on disk with the page's unsaved buffers in place;
/// <see cref="DataFolder"/> the data set chosen for data-aware editing (the Problems panel then lists every file's MD5050).</summary>
public sealed record WorkspaceRequest(IReadOnlyList<EditorBuffer>? Buffers, string? DataFolder = null);

/// <summary>
/// The JSON API the editor page calls. Every language answer comes from <see cref="LS"/>
/// over a compilation of the workspace on disk with the buffer in place of its file, so the
/// editor shows what `mdsl check` reports. Reads need the viewer role; saving needs editor.
/// Every POST needs the anti-forgery token in the X-CSRF-TOKEN header.
/// </summary>
public static class EditorApi
{
    public static void MapEditorApi(this WebApplication app)
    {
        var api = app.MapGroup("/api").RequireAuthorization(Policies.Read).WithMetadata(EditorApiEndpoint.Instance);

        api.MapGet("/session", (HttpContext ctx, IAntiforgery antiforgery) =>
        {
            var tokens = antiforgery.GetAndStoreTokens(ctx);
            var role = ctx.User.FindFirstValue(ClaimTypes.Role) ?? "";
            return Results.Ok(new { user = ctx.User.Identity?.Name, role, canEdit = CanEdit(ctx.User), antiforgeryToken = tokens.RequestToken,
                header = EditorApp.AntiforgeryHeader });
        });
        api.MapGet("/files", (WorkspaceFolder folder, HttpContext ctx) =>
            Results.Ok(new { files = folder.ListFiles(), canEdit = CanEdit(ctx.User) }));
        api.MapGet("/files/read", (string? path, WorkspaceFolder folder) => Guard(() =>
        {
            if (!folder.Exists(path!)) return Results.NotFound(new { error = $"There is no file '{path}'." });
            return Results.Ok(new { path, text = folder.Read(path!) });
        }));
        api.MapGet("/history", (string? path, EditorStore store, WorkspaceFolder folder) => Guard(() =>
        {
            if (path is not null) folder.Resolve(path);
            return Results.Ok(store.History(path).Select(v => new { v.Id, v.Path, v.Author, v.SavedUtc }));
        }));

        // The new-file dialog asks before creating a buffer: the same rules as saving.
        api.MapGet("/files/check-path", (string? path, WorkspaceFolder folder) => Guard(() =>
        {
            folder.Resolve(path);
            return folder.Exists(path!) ? Results.Conflict(new { error = $"The file '{path}' already exists." }) : Results.Ok(new { path });
        }));

        var writes = api.MapGroup("").AddEndpointFilter(RequireAntiforgery);
        // Every file's diagnostics in the working copy: the Problems panel and the counts in the file list; with a data set
        // chosen and loaded, every file's data-aware warnings too (MD5050), as the open file's markers have them.
        writes.MapPost("/problems", (WorkspaceRequest r, WorkspaceCompiler compiler, DataAware.EditorDataSets data, HttpContext ctx) =>
            WithWorkspace(r, compiler, c =>
            {
                var language = UiText.LanguageOf(ctx);
                var service = new LS(c);
                var files = service.AllDiagnostics(language);
                if (DataAwareApi.DataFor(data, r.DataFolder, c.Model.Schema) is { } loaded)
                    files = FileMarkers.Merge(files, loaded.WarningsOf(service, language));
                return Results.Ok(new { files });
            }));
        // Before a save: the files not being saved that it would give new errors (asked before the save completes).
        writes.MapPost("/files/save-impact", (WorkspaceRequest r, WorkspaceCompiler compiler, HttpContext ctx) => WithWorkspace(r, compiler, after =>
        {
            var language = UiText.LanguageOf(ctx);
            var saving = (r.Buffers ?? []).Select(b => b.Path).ToHashSet(StringComparer.Ordinal);
            var before = new LS(compiler.Compile()).AllDiagnostics(language)
                .ToDictionary(f => f.Path, f => Errors(f.Markers).Count, StringComparer.Ordinal);
            var broken = new LS(after).AllDiagnostics(language)
                .Where(f => !saving.Contains(f.Path) && Errors(f.Markers).Count > before.GetValueOrDefault(f.Path))
                .Select(f => new { path = f.Path, markers = Errors(f.Markers) });
            return Results.Ok(new { broken });
        })).RequireAuthorization(Policies.Edit);
        writes.MapPost("/files/save", (SaveRequest request, WorkspaceFolder folder, WorkspaceCompiler compiler, EditorStore store, TimeProvider time,
            HttpContext ctx) => Guard(() =>
        {
            var path = request.Path;
            folder.Resolve(path);
            var text = request.Text ?? "";
            if (text.Length > WorkspaceFolder.MaxFileChars) return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
            var service = new LS(compiler.Compile(new EditorBuffer(path, text)));
            var formatted = service.Format(path!).Text;
            var saved = formatted ?? text;
            folder.Write(path!, saved);
            compiler.Written(path!);
            var version = store.AddVersion(path!, saved, ctx.User.Identity?.Name ?? "?", time.GetUtcNow().UtcDateTime);
            var language = UiText.LanguageOf(ctx);
            var markers = formatted is null ? service.Diagnostics(path!, language) : new LS(compiler.Compile()).Diagnostics(path!, language);
            return Results.Ok(new { path, text = saved, formatted = formatted is not null, version = version.Id, markers });
        })).RequireAuthorization(Policies.Edit);

        writes.MapPost("/diagnostics", (BufferRequest r, WorkspaceCompiler compiler, DataAware.EditorDataSets data, HttpContext ctx) =>
            WithService(r, compiler, (s, path, timing) =>
        {
            var watch = Stopwatch.StartNew();
            var markers = s.Diagnostics(path, UiText.LanguageOf(ctx));
            // With a data set chosen and loaded: literals that never occur in their field (MD5050).
            if (DataAwareApi.ValuesFor(data, r.DataFolder, s.Compilation.Model.Schema) is { } values)
                markers = markers.AddRange(s.DataDiagnostics(path, values, UiText.LanguageOf(ctx)));
            var markersMs = Math.Round(watch.Elapsed.TotalMilliseconds, 2);
            return Results.Ok(new { markers, serverMs = Math.Round(timing.LoadMs + timing.CompileMs + markersMs, 2),
                timing = new { timing.LoadMs, timing.CompileMs, markersMs, timing.Files, timing.Reparsed } });
        }));
        writes.MapPost("/tests", (WorkspaceRequest r, WorkspaceCompiler compiler, ILoggerFactory logs) => WithWorkspace(r, compiler, c =>
        {
            try
            {
                return Results.Ok(WorkspaceTestRun.Run(c));
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // A bug in the engine must not look like a broken page: say so, keep the editor running.
                logs.CreateLogger(typeof(EditorApi)).LogError(ex, "Running the tests failed");
                var error = $"Running the tests failed inside the engine ({ex.GetType().Name}: {ex.Message}); this is a bug, please report it.";
                return Results.Json(new { error }, statusCode: StatusCodes.Status500InternalServerError);
            }
        }));
        writes.MapPost("/journeys", (WorkspaceRequest r, WorkspaceCompiler compiler) => WithWorkspace(r, compiler, c => Results.Ok(new
        {
            journeys = JourneyFlow.Build(c),
            errors = c.Diagnostics.Count(d => d.IsError),
        })));
        writes.MapPost("/completion", (BufferRequest r, WorkspaceCompiler compiler, DataAware.EditorDataSets data) =>
            WithService(r, compiler, (s, path, _) =>
            Results.Ok(s.Complete(path, r.Line, r.Column, DataAwareApi.ValuesFor(data, r.DataFolder, s.Compilation.Model.Schema)))));
        // Hovers on a model show what the registry says of it (AUC or R², training date).
        writes.MapPost("/hover", (BufferRequest r, WorkspaceCompiler compiler, ModelTraining.ModelRegistryAccess models) => WithService(r, compiler,
            (s, path, _) => Results.Ok(new { hover = s.Hover(path, r.Line, r.Column, models.Summaries(s.Compilation.Model)) })));
        writes.MapPost("/signature", (BufferRequest r, WorkspaceCompiler compiler) =>
            WithService(r, compiler, (s, path, _) => Results.Ok(new { signature = s.Signature(path, r.Line, r.Column) })));
        writes.MapPost("/definition", (BufferRequest r, WorkspaceCompiler compiler) =>
            WithService(r, compiler, (s, path, _) => Results.Ok(new { locations = s.Definition(path, r.Line, r.Column) })));
        writes.MapPost("/references", (BufferRequest r, WorkspaceCompiler compiler) =>
            WithService(r, compiler, (s, path, _) => Results.Ok(new { locations = s.References(path, r.Line, r.Column) })));
        writes.MapPost("/rename", (BufferRequest r, WorkspaceCompiler compiler) =>
            WithService(r, compiler, (s, path, _) => Results.Ok(s.Rename(path, r.Line, r.Column, r.NewName ?? ""))));
        writes.MapPost("/format", (BufferRequest r, WorkspaceCompiler compiler) =>
            WithService(r, compiler, (s, path, _) => Results.Ok(s.Format(path))));
        writes.MapPost("/fixes", (BufferRequest r, WorkspaceCompiler compiler) =>
            WithService(r, compiler, (s, path, _) => Results.Ok(new { fixes = s.QuickFixes(path, r.StartLine, r.EndLine) })));
    }

    private static List<EditorMarker> Errors(IEnumerable<EditorMarker> markers) => [.. markers.Where(m => m.Severity == "error")];

    private static bool CanEdit(ClaimsPrincipal user) => user.IsInRole(Roles.Editor) || user.IsInRole(Roles.Publisher) || user.IsInRole(Roles.Admin);

    private static IResult WithService(BufferRequest request, WorkspaceCompiler compiler, Func<LS, string, CompileTiming, IResult> answer) =>
        Guard(() =>
    {
        compiler.Folder.Resolve(request.Path);
        var text = request.Text ?? "";
        if (text.Length > WorkspaceFolder.MaxFileChars) return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        var service = new LS(compiler.Compile([new EditorBuffer(request.Path, text)], out var timing));
        return answer(service, request.Path!, timing);
    });

    /// <summary>Buffers the page may send with one request (its open files).</summary>
    public const int MaxBuffers = 200;

    private static IResult WithWorkspace(WorkspaceRequest request, WorkspaceCompiler compiler, Func<Core.Compilation, IResult> answer) => Guard(() =>
    {
        var buffers = request.Buffers ?? [];
        if (buffers.Count > MaxBuffers) return Results.BadRequest(new { error = $"At most {MaxBuffers} unsaved files can be sent at once." });
        if (buffers.Any(b => b is null)) return Results.BadRequest(new { error = "A buffer is null; send {\"path\", \"text\"} objects." });
        if (buffers.Any(b => (b.Text?.Length ?? 0) > WorkspaceFolder.MaxFileChars)) return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        if (buffers.GroupBy(b => b.Path).FirstOrDefault(g => g.Count() > 1) is { } twice)
            return Results.BadRequest(new { error = $"The file '{twice.Key}' is sent twice." });
        return answer(compiler.Compile(buffers, out _));
    });

    /// <summary>Runs an endpoint's action, answering a path outside the workspace 400 and a missing file 404.</summary>
    internal static IResult Guard(Func<IResult> action)
    {
        try
        {
            return action();
        }
        catch (UnsafePathException ex)
        {
            return Results.BadRequest(new { error = ex.Message });
        }
        catch (FileNotFoundException ex)
        {
            return Results.NotFound(new { error = ex.Message });
        }
    }

    internal static async ValueTask<object?> RequireAntiforgery(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var antiforgery = context.HttpContext.RequestServices.GetRequiredService<IAntiforgery>();
        if (!await antiforgery.IsRequestValidAsync(context.HttpContext))
            return Results.Json(new { error = "The anti-forgery token is missing or invalid; reload the page." },
                statusCode: StatusCodes.Status400BadRequest);
        return await next(context);
    }

    /// <summary>
    /// Middleware (after routing): refuses bodies over the limit before anything reads them, for
    /// the editor's pages and API. Another API in the same host (the live runtime's ingest under
    /// `mdsl serve`) keeps its own limit.
    /// </summary>
    public static Task LimitBody(HttpContext context, RequestDelegate next)
    {
        var endpoint = context.GetEndpoint();
        var isApi = context.Request.Path.StartsWithSegments("/api");
        if (isApi && endpoint is not null && endpoint.Metadata.GetMetadata<EditorApiEndpoint>() is null) return next(context);
        var limit = context.RequestServices.GetRequiredService<ApiLimits>().MaxRequestBytes;
        if (context.Request.ContentLength > limit)
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            return isApi ? context.Response.WriteAsJsonAsync(new { error = $"The request is larger than {limit / 1024} KiB." }) : Task.CompletedTask;
        }
        // A body without Content-Length: Kestrel stops reading at the limit.
        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
            feature.MaxRequestBodySize = limit;
        return next(context);
    }
}

/// <summary>Marks the endpoints of the editor's API (the body limit of <see cref="EditorApi.LimitBody"/> applies to them).</summary>
public sealed class EditorApiEndpoint
{
    public static readonly EditorApiEndpoint Instance = new();
    private EditorApiEndpoint() { }
}
