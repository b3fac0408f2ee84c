using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using MarketingDsl.Web.Storage;

namespace MarketingDsl.Cli.Tests;

/// <summary>
/// `mdsl serve` as a separate process against the attacks of a web page in a local browser and of
/// other users of the machine: admin calls always need the token (never a command-line argument),
/// bodies must be declared JSON, Host and Origin must name this server, and every API reload is
/// recorded where the editor's Publications page shows it.
/// </summary>
public sealed partial class ServeSecurityTests : IDisposable
{
    private const string Token = "a-long-admin-token-for-tests";
    private readonly ServeSandbox _serve = new("mdsl-security-tests");
    private string Root => _serve.Root;

    public ServeSecurityTests()
    {
        Directory.CreateDirectory(Path.Combine(Root, "ws"));
        File.WriteAllText(Path.Combine(Root, "ws", "schema.mdsl"), "schema {\n  profile { user_id: string key }\n  event login { }\n}\n");
        File.WriteAllText(Path.Combine(Root, "ws", "main.mdsl"), "channel push { cost: 0 }\njourney welcome { trigger: login  steps { " +
            "send push \"hello\" } }\n");
    }

    public void Dispose() => _serve.Dispose();

    [Fact]
    public async Task A_token_on_the_command_line_is_refused_with_the_alternatives()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await CommandLine.RunAsync(["serve", Path.Combine(Root, "ws"), "--admin-token", Token], stdout, stderr);
        Assert.Equal(2, exit);
        Assert.Contains("--admin-token is refused", stderr.ToString());
        Assert.Contains("MDSL_ADMIN_TOKEN", stderr.ToString());
        Assert.Contains("--admin-token-file", stderr.ToString());
    }

    [Fact]
    public async Task Without_a_token_admin_calls_are_refused_even_from_loopback()
    {
        var url = await StartServe(token: null);
        using var http = new HttpClient { BaseAddress = url };
        var reload = await http.PostAsync("/api/workspace/reload", Json("{}"));
        Assert.Equal(HttpStatusCode.Forbidden, reload.StatusCode);
        Assert.Contains("MDSL_ADMIN_TOKEN", await reload.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Admin_calls_need_the_token_json_bodies_and_this_servers_host_and_origin_and_reloads_are_recorded()
    {
        var tokenFile = Path.Combine(Root, "token.txt");
        File.WriteAllText(tokenFile, Token + "\n");
        var url = await StartServe(token: null, "--admin-token-file", tokenFile);
        using var http = new HttpClient { BaseAddress = url };

        Assert.Equal(HttpStatusCode.Unauthorized, (await http.PostAsync("/api/workspace/reload", Json("{}"))).StatusCode);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        // A cross-site form cannot declare JSON: text/plain, form posts and a body without a type are refused.
        Assert.Equal(HttpStatusCode.UnsupportedMediaType,
            (await http.PostAsync("/api/workspace/reload", new StringContent("{}", Encoding.UTF8, "text/plain"))).StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType,
            (await http.PostAsync("/api/workspace/reload", new FormUrlEncodedContent([new("a", "b")]))).StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await http.PostAsync("/api/workspace/reload", null)).StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await http.PostAsync("/api/events", new StringContent("[]", Encoding.UTF8,
            "text/plain"))).StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await http.PostAsync("/api/profiles", new StringContent("[]", Encoding.UTF8,
            "text/plain"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("/api/profiles", Json("""[{"user_id":"u1"}]"""))).StatusCode);

        // DNS rebinding: a name this server was not given; a page of another origin.
        using (var rebound = new HttpRequestMessage(HttpMethod.Post, "/api/workspace/reload") { Content = Json("{}") })
        {
            rebound.Headers.Host = "attacker.example:" + url.Port;
            Assert.Equal(HttpStatusCode.MisdirectedRequest, (await http.SendAsync(rebound)).StatusCode);
        }
        using (var rebound = new HttpRequestMessage(HttpMethod.Get, "/api/users/u1/tags"))
        {
            rebound.Headers.Host = "attacker.example";
            Assert.Equal(HttpStatusCode.MisdirectedRequest, (await http.SendAsync(rebound)).StatusCode);
        }
        using (var crossSite = new HttpRequestMessage(HttpMethod.Post, "/api/events") { Content = Json("[]") })
        {
            crossSite.Headers.Add("Origin", "http://attacker.example");
            Assert.Equal(HttpStatusCode.Forbidden, (await http.SendAsync(crossSite)).StatusCode);
        }
        using (var sameSite = new HttpRequestMessage(HttpMethod.Post, "/api/events") { Content = Json("[]") })
        {
            sameSite.Headers.Add("Origin", $"http://127.0.0.1:{url.Port}");
            Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(sameSite)).StatusCode);
        }
        using (var localhost = new HttpRequestMessage(HttpMethod.Get, "/api/health"))
        {
            localhost.Headers.Host = "localhost:" + url.Port;
            Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(localhost)).StatusCode);
        }

        // A refused reload and a good one, both recorded.
        var main = Path.Combine(Root, "ws", "main.mdsl");
        File.WriteAllText(main, "channel push { cost: 0 }\njourney welcome { trigger: login  steps { send pushh \"hello\" } }\n");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await http.PostAsync("/api/workspace/reload", Json("{}"))).StatusCode);
        File.WriteAllText(main, "channel push { cost: 0 }\njourney welcome { trigger: login  steps { send push \"hi\" } }\n");
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("/api/workspace/reload", Json("{}"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("/api/workspace/reload?dry_run=true", Json("{}"))).StatusCode);

        _serve.StopAll();
        using var store = new EditorStore(Path.Combine(Root, "editor.db"));
        var history = store.PublicationHistory();
        Assert.Equal(2, history.Count);
        Assert.All(history, p => Assert.Equal("api token", p.Author));
        Assert.Equal("published", history[0].Result);
        Assert.Equal(64, history[0].Hash.Length);
        Assert.Equal(1, history[0].Journeys);
        Assert.StartsWith("refused: 1 error(s)", history[1].Result);
        Assert.NotEqual(history[0].Hash, history[1].Hash);
    }

    private static readonly string[] MemberDataReads = ["/api/users/u1/tags", "/api/outbox", "/api/journey-ends", "/api/identity-merges"];

    [Fact]
    public async Task Member_data_needs_the_token_or_a_signed_in_publisher_and_health_stays_open()
    {
        using (var store = new EditorStore(Path.Combine(Root, "editor.db")))
        {
            var accounts = new MarketingDsl.Web.Security.Accounts(store, TimeProvider.System);
            Assert.Null(accounts.AddOrUpdate("pub", "password-of-pub", "publisher", out _));
            Assert.Null(accounts.AddOrUpdate("view", "password-of-view", "viewer", out _));
        }
        var url = await StartServe(Token);
        using var anonymous = new HttpClient { BaseAddress = url };
        Assert.Equal(HttpStatusCode.OK, (await anonymous.PostAsync("/api/profiles", Json("""[{"user_id":"u1"}]"""))).StatusCode);
        var login = Json("""[{"type":"login","user_id":"u1","ts":"2025-03-01T10:00:00Z"}]""");
        Assert.Equal(HttpStatusCode.OK, (await anonymous.PostAsync("/api/events", login)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/api/health")).StatusCode);
        foreach (var path in MemberDataReads)
        {
            var refused = await anonymous.GetAsync(path);
            Assert.True(refused.StatusCode == HttpStatusCode.Unauthorized, $"{path}: {refused.StatusCode}");
            Assert.DoesNotContain("u1", await refused.Content.ReadAsStringAsync());
        }
        using var wrong = new HttpClient { BaseAddress = url };
        wrong.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "not-the-admin-token-at-all");
        foreach (var path in MemberDataReads) Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync(path)).StatusCode);
        using var admin = new HttpClient { BaseAddress = url };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        foreach (var path in MemberDataReads) Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync(path)).StatusCode);
        Assert.Contains("\"user_id\":\"u1\"", await admin.GetStringAsync("/api/outbox"));

        // The editor's cookie: a viewer is refused, a publisher reads without the token.
        using var viewer = await EditorSignIn.Client(url, "view", "password-of-view");
        foreach (var path in MemberDataReads) Assert.Equal(HttpStatusCode.Unauthorized, (await viewer.GetAsync(path)).StatusCode);
        using var publisher = await EditorSignIn.Client(url, "pub", "password-of-pub");
        foreach (var path in MemberDataReads) Assert.Equal(HttpStatusCode.OK, (await publisher.GetAsync(path)).StatusCode);
    }

    [Fact]
    public async Task Without_a_token_member_data_is_refused_to_anonymous_callers_even_from_loopback()
    {
        var url = await StartServe(token: null);
        using var http = new HttpClient { BaseAddress = url };
        foreach (var path in MemberDataReads)
        {
            var refused = await http.GetAsync(path);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Contains("member data needs the admin token", await refused.Content.ReadAsStringAsync());
        }
    }

    /// <summary>A workspace link that leads outside: `serve` refuses to start, naming the link, and shows nothing of the file.</summary>
    [Fact]
    public async Task Serve_refuses_a_workspace_link_leading_outside_at_start_naming_the_link_without_the_files_content()
    {
        var secret = WriteSecret();
        File.CreateSymbolicLink(Path.Combine(Root, "ws", "stolen.mdsl"), secret);
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "mdsl.dll"), "serve", Path.Combine(Root, "ws"), "--urls",
            "http://127.0.0.1:0", "--db", Path.Combine(Root, "live.db"), "--editor-db", Path.Combine(Root, "editor.db") })
            info.ArgumentList.Add(a);
        info.Environment["MDSL_ADMIN_TOKEN"] = Token;
        using var process = Process.Start(info)!;
        _serve.Track(process);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60))) await process.WaitForExitAsync(timeout.Token);
        var said = await stderr + await stdout;
        Assert.True(process.ExitCode == 2, $"exit {process.ExitCode}: {said}");
        Assert.Contains("'stolen.mdsl' is a symbolic link that leads outside the workspace", said);
        Assert.DoesNotContain(SecretText, said);
        Assert.DoesNotContain("http://127.0.0.1", said);
    }

    /// <summary>A link added to a running server's workspace: an authenticated reload (and its dry run) is refused with an error
    /// naming the link, never the file's content, and the running version stays.</summary>
    [Fact]
    public async Task A_reload_refuses_a_workspace_link_leading_outside_naming_the_link_without_the_files_content()
    {
        var url = await StartServe(Token);
        using var http = new HttpClient { BaseAddress = url };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        File.CreateSymbolicLink(Path.Combine(Root, "ws", "stolen.mdsl"), WriteSecret());
        foreach (var path in new[] { "/api/workspace/reload?dry_run=true", "/api/workspace/reload" })
        {
            var refused = await http.PostAsync(path, Json("{}"));
            var body = await refused.Content.ReadAsStringAsync();
            Assert.True(refused.StatusCode == HttpStatusCode.UnprocessableEntity, $"{path}: {(int)refused.StatusCode} {body}");
            Assert.Contains("'stolen.mdsl' is a symbolic link that leads outside the workspace", body);
            Assert.DoesNotContain(SecretText, body);
        }
        // The running version is unchanged and still answers.
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/health")).StatusCode);
        var login = Json("""[{"type":"login","user_id":"u1","ts":"2025-03-01T10:00:00Z"}]""");
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("/api/events", login)).StatusCode);
    }

    private const string SecretText = "the secret text of another folder";

    /// <summary>A DSL file outside the workspace (a declaration, so a reader that followed the link would parse and show it).</summary>
    private string WriteSecret()
    {
        var outside = Path.Combine(Root, "outside");
        Directory.CreateDirectory(outside);
        var path = Path.Combine(outside, "private.mdsl");
        File.WriteAllText(path, $"tag leaked = \"{SecretText}\"\n");
        return path;
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private async Task<Uri> StartServe(string? token, params string[] extra)
    {
        var (_, url) = await _serve.StartAsync(
            new[] { Path.Combine(Root, "ws"), "--urls", "http://127.0.0.1:0", "--db", Path.Combine(Root, "live.db"),
                "--editor-db", Path.Combine(Root, "editor.db"), "--outbox-dir", Path.Combine(Root, "outbox") }.Concat(extra),
            new Dictionary<string, string?> { ["MDSL_ADMIN_TOKEN"] = token });
        return url;
    }
}
