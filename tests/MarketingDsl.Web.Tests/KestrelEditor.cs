using MarketingDsl.Web.Security;
using MarketingDsl.Web.Storage;
using Microsoft.AspNetCore.Builder;

namespace MarketingDsl.Web.Tests;

/// <summary>
/// The editor on a real loopback Kestrel port (for browser tests), over a workspace folder, with one
/// account per given name and role (password "password-" + name) in a store beside the workspace.
/// </summary>
internal static class KestrelEditor
{
    public static async Task<(WebApplication App, string Url)> StartAsync(string workspace, IEnumerable<(string Name, string Role)> accounts,
        params string[] settings)
    {
        var db = Path.Combine(Path.GetDirectoryName(workspace)!, "editor.db");
        using (var store = new EditorStore(db))
        {
            var registry = new Accounts(store, TimeProvider.System);
            foreach (var (name, role) in accounts) Assert.Null(registry.AddOrUpdate(name, "password-" + name, role, out _));
        }
        var app = EditorApp.Build(["--urls", "http://127.0.0.1:0", "--Editor:Workspace", workspace, "--Editor:Db", db,
            "--Logging:LogLevel:Default", "Warning", .. settings]);
        await app.StartAsync();
        return (app, app.Urls.Single());
    }
}
