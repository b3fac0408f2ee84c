using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using MarketingDsl.Web.Security;
using MarketingDsl.Web.Storage;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace MarketingDsl.Web.Tests;

/// <summary>The editor over a fresh copy of examples/retail with one user per role (password "password-" + name).</summary>
public sealed partial class EditorFactory : WebApplicationFactory<Program>
{
    public EditorFactory()
    {
        Workspace = TestPaths.CopyRetail();
        Db = Path.Combine(TestFolders.New(), "editor.db");
        using var store = new EditorStore(Db);
        var accounts = new Accounts(store, TimeProvider.System);
        foreach (var role in Roles.All)
            Assert.Null(accounts.AddOrUpdate(role + "1", "password-" + role + "1", role, out _));
    }

    public string Workspace { get; }
    public string Db { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Editor:Workspace", Workspace);
        builder.UseSetting("Editor:Db", Db);
        builder.UseSetting("Editor:DataRoot", SimulationData.Root);
        builder.UseSetting("Editor:MaxRequestBytes", (256 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    public EditorStore Store => Services.GetRequiredService<EditorStore>();

    public HttpClient Anonymous() => CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    /// <summary>A client signed in through the login form, with the API's anti-forgery header set.</summary>
    public Task<HttpClient> SignedIn(string user, bool withAntiforgery = true) => SignIn(Anonymous(), user, withAntiforgery);

    /// <summary>
    /// Signs <paramref name="client"/> in as <paramref name="user"/> (password "password-USER") through
    /// the login form and, unless told otherwise, sets the API's anti-forgery header from /api/session.
    /// </summary>
    public static async Task<HttpClient> SignIn(HttpClient client, string user, bool withAntiforgery = true)
    {
        var login = await client.GetStringAsync("/Account/Login");
        var token = FormToken().Match(login).Groups[1].Value;
        var response = await client.PostAsync("/Account/Login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["name"] = user, ["password"] = "password-" + user, ["__RequestVerificationToken"] = token,
        }));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        if (withAntiforgery)
        {
            var session = await client.GetFromJsonAsync<JsonElement>("/api/session");
            client.DefaultRequestHeaders.Add("X-CSRF-TOKEN", session.GetProperty("antiforgeryToken").GetString());
        }
        return client;
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    public static partial Regex FormToken();
}

internal static class TestPaths
{
    public static string Root => MarketingDsl.Testing.RepoRoot.FullPath;

    public static string CopyRetail()
    {
        var target = Path.Combine(TestFolders.New(), "retail");
        var source = Path.Combine(Root, "examples", "retail");
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
        return target;
    }
}
