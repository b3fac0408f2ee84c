using MarketingDsl.Runtime;
using MarketingDsl.Web.Security;
using MarketingDsl.Web.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MarketingDsl.Web.Tests;

/// <summary>
/// The editor and the live runtime in one process, composed as `mdsl serve` does (ServeCommand),
/// on an in-memory test server, over a small workspace with one user per role (password
/// "password-" + name). The runtime's wall clock is pinned in 2000, so only events move time.
/// </summary>
public sealed class LiveEditorHost : IAsyncDisposable
{
    public const string Schema = """
        schema {
          profile { user_id: string key }
          event cart_add { price: decimal? }
          event login { platform: string? }
          event order { order_id: string unique }
        }
        """;

    /// <summary>`welcome` (a login sends "hello") and `cart` (a big cart waits 1h, then reminds).</summary>
    public const string Main = """
        channel push { cost: 0.001 }

        journey welcome { trigger: login  steps { send push "hello" } }
        journey cart {
          trigger: cart_add where price > 100
          steps {
            wait 1h until order
            send push "reminder"
          }
        }
        """;

    private readonly WebApplication _app;

    private LiveEditorHost(string root, WebApplication app)
    {
        Root = root;
        _app = app;
    }

    public string Root { get; }
    public string Workspace => Path.Combine(Root, "ws");
    public LiveRuntime Runtime => _app.Services.GetRequiredService<LiveRuntime>();
    public EditorStore Store => _app.Services.GetRequiredService<EditorStore>();

    /// <param name="kestrel">Listen on a loopback port (for a browser) instead of the in-memory test server.</param>
    /// <param name="adminToken">The runtime's admin token (null: admin calls disabled).</param>
    /// <param name="schema">The schema file (default <see cref="Schema"/>); <paramref name="main"/>: the main file (default <see
    /// cref="Main"/>).</param>
    /// <param name="settings">More settings of the editor, applied after the workspace and store.</param>
    public static async Task<LiveEditorHost> StartAsync(bool kestrel = false, string? adminToken = null, string? schema = null, string? main = null,
        Action<EditorSettings>? settings = null)
    {
        var root = TestFolders.New();
        var workspace = Path.Combine(root, "ws");
        Directory.CreateDirectory(workspace);
        File.WriteAllText(Path.Combine(workspace, "schema.mdsl"), schema ?? Schema);
        File.WriteAllText(Path.Combine(workspace, "main.mdsl"), main ?? Main);
        var editorDb = Path.Combine(root, "editor.db");
        using (var store = new EditorStore(editorDb))
        {
            var accounts = new Accounts(store, TimeProvider.System);
            foreach (var role in Roles.All) Assert.Null(accounts.AddOrUpdate(role + "1", "password-" + role + "1", role, out _));
        }
        var live = new LiveOptions
        {
            DbPath = Path.Combine(root, "live.db"),
            OutboxDir = Path.Combine(root, "outbox"),
            Workspace = workspace,
            Clock = new PinnedClock(new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero)),
            MaxFutureSkew = TimeSpan.MaxValue,
            AdminToken = adminToken,   // the pinned wall clock is long before the tests' events
        };
        // As ServeCommand composes them: the editor's builder, services and middleware, then the runtime's.
        var builder = EditorApp.CreateBuilder([]);
        if (kestrel) builder.WebHost.UseUrls("http://127.0.0.1:0");
        else builder.WebHost.UseTestServer();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddEditor(s =>
        {
            s.Workspace = workspace;
            s.Db = editorDb;
            settings?.Invoke(s);
        });
        builder.Services.AddLiveRuntime(RuntimeApp.CompileWorkspace(workspace), live);
        var app = builder.Build();
        app.UseEditor();
        app.MapLiveRuntime();
        await app.StartAsync();
        return new LiveEditorHost(root, app);
    }

    /// <summary>The address of the Kestrel listener (<c>kestrel: true</c>).</summary>
    public string Url => _app.Urls.Single();

    public HttpClient Anonymous() => _app.Services.GetService<Microsoft.AspNetCore.Hosting.Server.IServer>() is TestServer server
        ? new(new CookieContainerHandler { InnerHandler = server.CreateHandler() }) { BaseAddress = new Uri("http://localhost") }
        : new(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(Url) };

    /// <summary>A client signed in through the login form, with the API's anti-forgery header unless told otherwise.</summary>
    public Task<HttpClient> SignedIn(string user, bool withAntiforgery = true) => EditorFactory.SignIn(Anonymous(), user, withAntiforgery);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        TestFolders.Delete(Root);
    }

    private sealed class PinnedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
