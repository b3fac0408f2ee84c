using System.Diagnostics;
using System.Security.Claims;
using MarketingDsl.LanguageService;
using MarketingDsl.Web.Storage;
using Microsoft.AspNetCore.Antiforgery;
using LS = MarketingDsl.LanguageService.LanguageService;

namespace MarketingDsl.Web.Api;

/// <summary>The largest request body the API reads.</summary>
public sealed record ApiLimits(long MaxRequestBytes);

/// <summary>A request about an editor buffer: the file's path, its current (unsaved) text and a cursor.</summary>
public sealed record BufferRequest(string? Path, string? Text, int Line = 1, int Column = 1, string? NewName = null, int? StartLine = null, int? EndLine = null);

public sealed record SaveRequest(string? Path, string? Text);

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
        var api = app.MapGroup("/api").RequireAuthorization(Policies.Read);

        api.MapGet("/session", (HttpContext ctx, IAntiforgery antiforgery) =>
        {
            var tokens = antiforgery.GetAndStoreTokens(ctx);
            var role = ctx.User.FindFirstValue(ClaimTypes.Role) ?? "";
            return Results.Ok(new { user = ctx.User.Identity?.Name, role, canEdit = CanEdit(ctx.User), antiforgeryToken = tokens.RequestToken, header = EditorApp.AntiforgeryHeader });
        });
        api.MapGet("/files", (WorkspaceFolder folder, HttpContext ctx) => Results.Ok(new { files = folder.ListFiles(), canEdit = CanEdit(ctx.User) }));
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

        var writes = api.MapGroup("").AddEndpointFilter(RequireAntiforgery);
        writes.MapPost("/files/save", (SaveRequest request, WorkspaceFolder folder, EditorStore store, TimeProvider time, HttpContext ctx) => Guard(() =>
        {
            var path = request.Path;
            folder.Resolve(path);
            var text = request.Text ?? "";
            if (text.Length > WorkspaceFolder.MaxFileChars) return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
            var service = LS.ForBuffer(folder.Load(), path!, text);
            var formatted = service.Format(path!).Text;
            var saved = formatted ?? text;
            folder.Write(path!, saved);
            var version = store.AddVersion(path!, saved, ctx.User.Identity?.Name ?? "?", time.GetUtcNow().UtcDateTime);
            var markers = formatted is null ? service.Diagnostics(path!) : LS.ForBuffer(folder.Load(), path!, saved).Diagnostics(path!);
            return Results.Ok(new { path, text = saved, formatted = formatted is not null, version = version.Id, markers });
        })).RequireAuthorization(Policies.Edit);

        writes.MapPost("/diagnostics", (BufferRequest r, WorkspaceFolder folder) => WithService(r, folder, (s, path, compileMs) =>
        {
            var watch = Stopwatch.StartNew();
            var markers = s.Diagnostics(path);
            return Results.Ok(new { markers, serverMs = Math.Round(watch.Elapsed.TotalMilliseconds + compileMs, 2) });
        }));
        writes.MapPost("/completion", (BufferRequest r, WorkspaceFolder folder) => WithService(r, folder, (s, path, _) => Results.Ok(s.Complete(path, r.Line, r.Column))));
        writes.MapPost("/hover", (BufferRequest r, WorkspaceFolder folder) => WithService(r, folder, (s, path, _) => Results.Ok(new { hover = s.Hover(path, r.Line, r.Column) })));
        writes.MapPost("/signature", (BufferRequest r, WorkspaceFolder folder) => WithService(r, folder, (s, path, _) => Results.Ok(new { signature = s.Signature(path, r.Line, r.Column) })));
        writes.MapPost("/definition", (BufferRequest r, WorkspaceFolder folder) => WithService(r, folder, (s, path, _) => Results.Ok(new { locations = s.Definition(path, r.Line, r.Column) })));
        writes.MapPost("/references", (BufferRequest r, WorkspaceFolder folder) => WithService(r, folder, (s, path, _) => Results.Ok(new { locations = s.References(path, r.Line, r.Column) })));
        writes.MapPost("/rename", (BufferRequest r, WorkspaceFolder folder) => WithService(r, folder, (s, path, _) => Results.Ok(s.Rename(path, r.Line, r.Column, r.NewName ?? ""))));
        writes.MapPost("/format", (BufferRequest r, WorkspaceFolder folder) => WithService(r, folder, (s, path, _) => Results.Ok(s.Format(path))));
        writes.MapPost("/fixes", (BufferRequest r, WorkspaceFolder folder) => WithService(r, folder, (s, path, _) => Results.Ok(new { fixes = s.QuickFixes(path, r.StartLine, r.EndLine) })));
    }

    private static bool CanEdit(ClaimsPrincipal user) => user.IsInRole(Roles.Editor) || user.IsInRole(Roles.Publisher) || user.IsInRole(Roles.Admin);

    private static IResult WithService(BufferRequest request, WorkspaceFolder folder, Func<LS, string, double, IResult> answer) => Guard(() =>
    {
        folder.Resolve(request.Path);
        var text = request.Text ?? "";
        if (text.Length > WorkspaceFolder.MaxFileChars) return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        var watch = Stopwatch.StartNew();
        var service = LS.ForBuffer(folder.Load(), request.Path!, text);
        return answer(service, request.Path!, watch.Elapsed.TotalMilliseconds);
    });

    private static IResult Guard(Func<IResult> action)
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
            return Results.Json(new { error = "The anti-forgery token is missing or invalid; reload the page." }, statusCode: StatusCodes.Status400BadRequest);
        return await next(context);
    }

    /// <summary>Middleware: refuses API bodies over the limit before anything reads them.</summary>
    public static Task LimitBody(HttpContext context, Func<Task> next)
    {
        if (context.Request.Path.StartsWithSegments("/api"))
        {
            var limit = context.RequestServices.GetRequiredService<ApiLimits>().MaxRequestBytes;
            if (context.Request.ContentLength > limit)
            {
                context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
                return context.Response.WriteAsJsonAsync(new { error = $"The request is larger than {limit / 1024} KiB." });
            }
            // A body without Content-Length: Kestrel stops reading at the limit.
            if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
                feature.MaxRequestBodySize = limit;
        }
        return next();
    }
}
