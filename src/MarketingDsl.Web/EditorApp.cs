using System.Security.Claims;
using System.Text.Json.Serialization;
using MarketingDsl.Web.Api;
using MarketingDsl.Web.Localization;
using MarketingDsl.Web.Security;
using MarketingDsl.Web.Simulations;
using MarketingDsl.Web.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.WebEncoders;
using System.Text.Encodings.Web;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http.Features;

namespace MarketingDsl.Web;

/// <summary>
/// Builds the web editor. Configuration: `Editor:Workspace` (the folder of `.mdsl` files, required),
/// `Editor:Db` (the LiteDB file; default `WORKSPACE/.mdsl/editor.db`), `Editor:MaxRequestBytes`
/// (default 1 MiB), `Editor:DataRoot` (the folder whose subfolders the simulation page may read;
/// default `WORKSPACE/../data`), `Editor:DataCacheSize` (loaded data sets kept in memory, default 2), the environment variable MDSL_WEB_ROOT (the folder holding
/// the scripts and Monaco; found next to the binaries or in the source tree otherwise).
/// </summary>
public static class EditorApp
{
    public const string AntiforgeryHeader = "X-CSRF-TOKEN";

    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            // Razor pages and the API live in this assembly even when `mdsl web` is the entry point.
            ApplicationName = typeof(EditorApp).Assembly.GetName().Name,
            WebRootPath = ResolveWebRoot(),
        });
        // Settings are read when first needed, not here: tests and hosts may add configuration after this point.
        builder.Services.AddOptions<EditorSettings>().BindConfiguration("Editor");
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<EditorSettings>>((k, s) =>
        {
            k.Limits.MaxRequestBodySize = s.Value.MaxRequestBytes;
            k.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            k.AddServerHeader = false;
        });
        builder.Services.AddOptions<FormOptions>().Configure<IOptions<EditorSettings>>((f, s) => f.MultipartBodyLengthLimit = s.Value.MaxRequestBytes);
        builder.Services.AddSingleton(sp => new WorkspaceFolder(Settings(sp).Workspace));
        builder.Services.AddSingleton(sp => new EditorStore(Settings(sp).DbPath(sp.GetRequiredService<WorkspaceFolder>())));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<Accounts>();
        builder.Services.AddSingleton(sp => new ApiLimits(Settings(sp).MaxRequestBytes));
        builder.Services.AddSingleton(sp => new DataFolders(Settings(sp).DataRootPath(sp.GetRequiredService<WorkspaceFolder>())));
        builder.Services.AddSingleton(sp => new DataSetCache(Settings(sp).DataCacheSize));
        builder.Services.AddSingleton<SimulationJobs>();
        builder.Services.AddSingleton(sp => new GitRevisions(sp.GetRequiredService<WorkspaceFolder>().Root));
        // Keys that sign the cookies and anti-forgery tokens live next to the store, so a restart keeps sessions.
        builder.Services.AddDataProtection();
        builder.Services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp => new ConfigureOptions<KeyManagementOptions>(o =>
        {
            var dbPath = sp.GetRequiredService<EditorStore>().Path;
            o.XmlRepository = new FileSystemXmlRepository(new DirectoryInfo(Path.Combine(Path.GetDirectoryName(dbPath)!, "keys")), sp.GetRequiredService<ILoggerFactory>());
        }));
        builder.Services.AddHttpContextAccessor();
        // Chinese labels and UI text are written as characters, not as &#x…; escapes.
        builder.Services.Configure<WebEncoderOptions>(o => o.TextEncoderSettings = new TextEncoderSettings(UnicodeRanges.All));
        builder.Services.AddScoped(sp => UiText.For(sp.GetRequiredService<IHttpContextAccessor>().HttpContext!));
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));

        builder.Services.AddAntiforgery(o =>
        {
            o.HeaderName = AntiforgeryHeader;
            o.Cookie.Name = "mdsl-af";
            o.Cookie.SameSite = SameSiteMode.Strict;
        });
        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(o =>
        {
            o.Cookie.Name = "mdsl-auth";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.ExpireTimeSpan = TimeSpan.FromHours(8);
            o.SlidingExpiration = true;
            o.LoginPath = "/Account/Login";
            o.AccessDeniedPath = "/Account/AccessDenied";
            o.Events.OnRedirectToLogin = ctx => ApiOr(ctx, StatusCodes.Status401Unauthorized);
            o.Events.OnRedirectToAccessDenied = ctx => ApiOr(ctx, StatusCodes.Status403Forbidden);
            o.Events.OnValidatePrincipal = RefreshRole;
        });
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Read, p => p.RequireRole(Roles.All))
            .AddPolicy(Policies.Edit, p => p.RequireRole(Roles.Editor, Roles.Publisher, Roles.Admin))
            .AddPolicy(Policies.Publish, p => p.RequireRole(Roles.Publisher, Roles.Admin))
            .AddPolicy(Policies.Administer, p => p.RequireRole(Roles.Admin));
        builder.Services.AddRazorPages(o =>
        {
            o.Conventions.AuthorizeFolder("/", Policies.Read);
            o.Conventions.AllowAnonymousToPage("/Account/Login");
            o.Conventions.AllowAnonymousToPage("/Account/AccessDenied");
        });

        var app = builder.Build();
        _ = app.Services.GetRequiredService<WorkspaceFolder>(); // a missing workspace fails at start, not at the first request
        app.Services.GetRequiredService<EditorStore>().MarkUnfinishedSimulationsInterrupted(DateTime.UtcNow);
        app.Use(SecurityHeaders);
        app.Use(EditorApi.LimitBody);
        app.UseStaticFiles();
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapRazorPages();
        app.MapEditorApi();
        app.MapSimulationApi();
        return app;
    }

    private static EditorSettings Settings(IServiceProvider sp) => sp.GetRequiredService<IOptions<EditorSettings>>().Value;

    private static Task ApiOr(RedirectContext<CookieAuthenticationOptions> ctx, int status)
    {
        if (ctx.Request.Path.StartsWithSegments("/api")) ctx.Response.StatusCode = status;
        else ctx.Response.Redirect(ctx.RedirectUri);
        return Task.CompletedTask;
    }

    /// <summary>A deleted user is signed out and a changed role takes effect at the next request.</summary>
    private static Task RefreshRole(CookieValidatePrincipalContext ctx)
    {
        var store = ctx.HttpContext.RequestServices.GetRequiredService<EditorStore>();
        var name = ctx.Principal?.Identity?.Name;
        var user = name is null ? null : store.FindUser(name);
        if (user is null)
        {
            ctx.RejectPrincipal();
            return ctx.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        }
        if (!ctx.Principal!.IsInRole(user.Role))
        {
            ctx.ReplacePrincipal(CreatePrincipal(user.Name, user.Role));
            ctx.ShouldRenew = true;
        }
        return Task.CompletedTask;
    }

    public static ClaimsPrincipal CreatePrincipal(string name, string role) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, role)], CookieAuthenticationDefaults.AuthenticationScheme));

    private static Task SecurityHeaders(HttpContext context, Func<Task> next)
    {
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "same-origin";
        // No inline script: the pages pass data to scripts as JSON blocks. Monaco injects styles and may start workers from blobs.
        headers.ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";
        return next();
    }

    /// <summary>The folder with css, js and lib/monaco: configured, next to the binaries, or `src/MarketingDsl.Web/wwwroot` above them.</summary>
    public static string ResolveWebRoot()
    {
        if (Environment.GetEnvironmentVariable("MDSL_WEB_ROOT") is { Length: > 0 } configured) return Path.GetFullPath(configured);
        var local = Path.Combine(AppContext.BaseDirectory, "wwwroot");
        if (File.Exists(Path.Combine(local, "js", "editor.js"))) return local;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "src", "MarketingDsl.Web", "wwwroot");
            if (Directory.Exists(candidate)) return candidate;
        }
        return local;
    }
}

/// <summary>The `Editor` configuration section.</summary>
public sealed class EditorSettings
{
    public string Workspace { get; set; } = "";
    public string? Db { get; set; }
    public long MaxRequestBytes { get; set; } = 1024 * 1024;

    public string? DataRoot { get; set; }
    public int DataCacheSize { get; set; } = 2;

    public string DataRootPath(WorkspaceFolder folder) => string.IsNullOrWhiteSpace(DataRoot) ? Path.Combine(folder.Root, "..", "data") : DataRoot;

    public string DbPath(WorkspaceFolder folder) => string.IsNullOrWhiteSpace(Db) ? EditorStore.DefaultPath(folder.Root) : Db;
}
