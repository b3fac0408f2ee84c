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
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;
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
/// default `WORKSPACE/../data`), `Editor:DataCacheSize` (loaded data sets kept in memory, default 2),
/// `Editor:PublishConfirmEnds` (a publication that would end more users in flight asks twice; default 100).
/// A host with settings of its own (the CLI's `mdsl web` and `mdsl serve` options) applies them over the configuration.
/// The scripts and Monaco are embedded (<see cref="WebRoot"/>).
/// </summary>
public static class EditorApp
{
    public const string AntiforgeryHeader = "X-CSRF-TOKEN";

    public static WebApplication Build(string[] args)
    {
        var builder = CreateBuilder(args);
        builder.Services.AddEditor();
        var app = builder.Build();
        app.UseEditor();
        return app;
    }

    /// <summary>A host builder that finds the editor's pages (in this assembly).</summary>
    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = Runtime.RuntimeApp.HostArgs(args),
            // Razor pages and the API live in this assembly even when `mdsl web` or `mdsl serve` is the entry point.
            ApplicationName = typeof(EditorApp).Assembly.GetName().Name,
        });
        Runtime.RuntimeApp.QuietRequestLog(builder.Logging);
        return builder;
    }

    /// <summary>
    /// The editor's services: settings from the `Editor` configuration section, then <paramref name="settings"/> (a host's own, such as
    /// the options of `mdsl serve`: they win over appsettings and the environment), stores, sign-in, anti-forgery, pages.
    /// </summary>
    public static IServiceCollection AddEditor(this IServiceCollection services, Action<EditorSettings>? settings = null)
    {
        // Settings are read when first needed, not here: tests and hosts may add configuration after this point.
        var options = services.AddOptions<EditorSettings>().BindConfiguration("Editor");
        if (settings is not null) options.Configure(settings);
        // Request bodies are limited per request (EditorApi.LimitBody), not for the whole server:
        // a host that also serves the live runtime's ingest API keeps that API's own limit.
        services.AddOptions<KestrelServerOptions>().Configure(k =>
        {
            k.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            k.AddServerHeader = false;
        });
        services.AddOptions<FormOptions>().Configure<IOptions<EditorSettings>>((f, s) => f.MultipartBodyLengthLimit = s.Value.MaxRequestBytes);
        services.AddSingleton(sp => new WorkspaceFolder(Settings(sp).Workspace));
        services.AddSingleton<Compiling.WorkspaceCompiler>();
        services.AddSingleton(sp => new EditorStore(Settings(sp).DbPath(sp.GetRequiredService<WorkspaceFolder>())));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<Accounts>();
        services.AddSingleton<SignInThrottle>();
        SignInThrottle.AddPolicy(services);
        services.AddSingleton(sp => new ApiLimits(Settings(sp).MaxRequestBytes));
        services.AddSingleton(sp => new DataFolders(Settings(sp).DataRootPath(sp.GetRequiredService<WorkspaceFolder>())));
        services.AddSingleton(sp => new DataSetCache(Settings(sp).DataCacheSize));
        services.AddSingleton<SimulationJobs>();
        services.AddSingleton<ReplayJobs>();
        services.AddSingleton<DataAware.EditorDataSets>();
        services.AddSingleton<DataAware.UserPages>();
        services.AddSingleton<ModelTraining.ModelRegistryAccess>();
        services.AddSingleton<ModelTraining.ModelJobs>();
        // The live runtime is resolved when asked for: `mdsl serve` adds it after the editor, `mdsl web` has none.
        services.AddSingleton<Publishing.Publisher>();
        services.AddSingleton<Runtime.IReloadJournal, Publishing.PublicationJournal>();
        services.AddSingleton(sp => new GitRevisions(sp.GetRequiredService<WorkspaceFolder>().Root));
        // Keys that sign the cookies and anti-forgery tokens live next to the store, so a restart keeps sessions.
        services.AddDataProtection();
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp => new ConfigureOptions<KeyManagementOptions>(o =>
        {
            var dbPath = sp.GetRequiredService<EditorStore>().Path;
            o.XmlRepository = new FileSystemXmlRepository(new DirectoryInfo(Path.Combine(Path.GetDirectoryName(dbPath)!, "keys")),
                sp.GetRequiredService<ILoggerFactory>());
        }));
        services.AddHttpContextAccessor();
        // Chinese labels and UI text are written as characters, not as &#x…; escapes.
        services.Configure<WebEncoderOptions>(o => o.TextEncoderSettings = new TextEncoderSettings(UnicodeRanges.All));
        services.AddScoped(sp => UiText.For(sp.GetRequiredService<IHttpContextAccessor>().HttpContext!));
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));

        services.AddAntiforgery(o =>
        {
            o.HeaderName = AntiforgeryHeader;
            o.Cookie.Name = "mdsl-af";
            o.Cookie.SameSite = SameSiteMode.Strict;
        });
        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(o =>
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
        services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Read, p => p.RequireRole(Roles.All))
            .AddPolicy(Policies.Edit, p => p.RequireRole(Roles.Editor, Roles.Publisher, Roles.Admin))
            .AddPolicy(Policies.Publish, p => p.RequireRole(Roles.Publisher, Roles.Admin))
            .AddPolicy(Policies.Administer, p => p.RequireRole(Roles.Admin));
        services.AddRazorPages(o =>
        {
            o.Conventions.AuthorizeFolder("/", Policies.Read);
            o.Conventions.AllowAnonymousToPage("/Account/Login");
            o.Conventions.AllowAnonymousToPage("/Account/AccessDenied");
        });

        return services;
    }

    /// <summary>The editor's middleware, pages and /api endpoints; other endpoints (the live runtime's) may be mapped after it.</summary>
    public static void UseEditor(this WebApplication app)
    {
        _ = app.Services.GetRequiredService<WorkspaceFolder>(); // a missing workspace fails at start, not at the first request
        app.Services.GetRequiredService<EditorStore>().MarkUnfinishedSimulationsInterrupted(DateTime.UtcNow);
        app.Use(SecurityHeaders);
        app.Use(ServerTiming);
        app.UseStaticFiles(new StaticFileOptions { FileProvider = WebRoot, OnPrepareResponse = CacheOwnScripts });
        app.UseRouting();
        app.UseRateLimiter();
        app.Use(EditorApi.LimitBody);
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapRazorPages();
        app.MapEditorApi();
        app.MapSimulationApi();
        app.MapModelsApi();
        app.MapPublishApi();
        app.MapCanvasApi();
        app.MapDataAwareApi();
        app.MapUserApi();
        app.Lifetime.ApplicationStarted.Register(() => _ = Task.Run(() => WarmUp(app.Services)));
    }

    /// <summary>
    /// Compiles the workspace once in the background at start-up, so the first keystroke's
    /// markers do not pay for loading and JIT-compiling the parser, binder and language service,
    /// and every file's syntax tree is already cached.
    /// </summary>
    private static void WarmUp(IServiceProvider services)
    {
        try
        {
            var compiler = services.GetRequiredService<Compiling.WorkspaceCompiler>();
            var compilation = compiler.Compile();
            if (compilation.Workspace.Files.Count == 0) return;
            var path = compilation.Workspace.Files[0].Path;
            var service = new MarketingDsl.LanguageService.LanguageService(compilation);
            _ = System.Text.Json.JsonSerializer.Serialize(service.Diagnostics(path));
            // The typical edit: one buffer changed, the rest reused.
            _ = new MarketingDsl.LanguageService.LanguageService(compiler.Compile(new Compiling.EditorBuffer(path,
                compilation.Workspace.Files[0].Text + "\n"))).Diagnostics(path);
        }
        catch (Exception ex)
        {
            services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(EditorApp)).LogWarning(ex,
                "Warming up the compiler failed; the first request compiles cold.");
        }
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
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, role)],
            CookieAuthenticationDefaults.AuthenticationScheme));

    /// <summary>
    /// `Server-Timing: app;dur=MS` on API answers: the time inside the server (sign-in, anti-forgery,
    /// reading the body, compiling), so the page can tell it from the network and browser part.
    /// </summary>
    private static Task ServerTiming(HttpContext context, RequestDelegate next)
    {
        if (!context.Request.Path.StartsWithSegments("/api")) return next(context);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        context.Response.OnStarting(() =>
        {
            var ms = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            context.Response.Headers["Server-Timing"] = "app;dur=" + ms.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture);
            return Task.CompletedTask;
        });
        return next(context);
    }

    private static Task SecurityHeaders(HttpContext context, RequestDelegate next)
    {
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "same-origin";
        // No inline script: the pages pass data to scripts as JSON blocks. Monaco injects styles and may start workers from blobs.
        headers.ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            + "font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";
        return next(context);
    }

    /// <summary>
    /// The pages' own scripts and styles are revalidated on every load (ETag, so an unchanged file is a 304): a page's ES modules
    /// import each other, and a browser that kept some from an older build would link them against newer ones.
    /// </summary>
    private static void CacheOwnScripts(StaticFileResponseContext context)
    {
        var path = context.Context.Request.Path;
        if (path.StartsWithSegments("/js") || path.StartsWithSegments("/css")) context.Context.Response.Headers.CacheControl = "no-cache";
    }

    /// <summary>css, js and lib/monaco, embedded in this assembly (wwwroot at build time), so the editor runs from any folder.</summary>
    public static IFileProvider WebRoot { get; } = new ManifestEmbeddedFileProvider(typeof(EditorApp).Assembly, "wwwroot");
}

/// <summary>The `Editor` configuration section.</summary>
public sealed class EditorSettings
{
    public string Workspace { get; set; } = "";
    public string? Db { get; set; }
    public long MaxRequestBytes { get; set; } = 1024 * 1024;

    public string? DataRoot { get; set; }
    public int DataCacheSize { get; set; } = 2;

    /// <summary>A publication (or rollback) that would end more users in flight than this asks for a second confirmation.</summary>
    public int PublishConfirmEnds { get; set; } = 100;

    public string DataRootPath(WorkspaceFolder folder) => string.IsNullOrWhiteSpace(DataRoot) ? Path.Combine(folder.Root, "..", "data") : DataRoot;

    public string DbPath(WorkspaceFolder folder) => string.IsNullOrWhiteSpace(Db) ? EditorStore.DefaultPath(folder.Root) : Db;
}
