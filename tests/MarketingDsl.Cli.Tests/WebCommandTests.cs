using MarketingDsl.Web.Storage;

namespace MarketingDsl.Cli.Tests;

public class WebCommandTests
{
    private static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await CommandLine.RunAsync(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task User_add_creates_then_updates_an_account_with_a_hashed_password()
    {
        var db = Path.Combine(Path.GetTempPath(), "mdsl-cli-tests", Guid.NewGuid().ToString("N"), "editor.db");
        var (code, output, _) = RunUser("a-long-password", "add", "alice", "--role", "admin", "--password-stdin", "--db", db);
        Assert.Equal(0, code);
        Assert.Contains("added user 'alice' (admin)", output);
        (code, output, _) = RunUser("another-password", "add", "alice", "--role", "viewer", "--password-stdin", "--db", db);
        Assert.Equal(0, code);
        Assert.Contains("updated user 'alice' (viewer)", output);
        using var store = new EditorStore(db);
        var user = store.FindUser("alice")!;
        Assert.Equal("viewer", user.Role);
        Assert.DoesNotContain("another-password", user.PasswordHash);
        Assert.NotNull(new MarketingDsl.Web.Security.Accounts(store, TimeProvider.System).SignIn("alice", "another-password"));
    }

    /// <summary>`mdsl user add` with the password read from standard input (the test's reader), as the CLI runs it.</summary>
    private static (int Code, string Out, string Err) RunUser(string stdinLine, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code;
        try { code = WebCommands.RunUser(Options.Parse(args), new StringReader(stdinLine + "\n"), stdout, stderr); }
        catch (UsageException ex) { stderr.WriteLine("mdsl: " + ex.Message); code = 2; }
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task User_add_refuses_a_password_on_the_command_line_where_ps_shows_it()
    {
        var db = Path.Combine(Path.GetTempPath(), "mdsl-cli-tests", Guid.NewGuid().ToString("N"), "editor.db");
        var (code, output, error) = await Run("user", "add", "bob", "--role", "admin", "--password", "a-long-password", "--db", db);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Contains("--password is refused", error);
        Assert.Contains("--password-stdin", error);
        Assert.Contains("MDSL_USER_PASSWORD", error);
        Assert.False(File.Exists(db));
    }

    [Theory]
    [InlineData("owner", "a-long-password", "Unknown role")]
    [InlineData("editor", "short", "")]
    public void User_add_refuses_a_bad_role_or_a_short_password_read_from_stdin(string role, string password, string message)
    {
        var db = Path.Combine(Path.GetTempPath(), "mdsl-cli-tests", Guid.NewGuid().ToString("N"), "editor.db");
        var (code, _, error) = RunUser(password, "add", "bob", "--role", role, "--password-stdin", "--db", db);
        Assert.Equal(2, code);
        Assert.StartsWith("mdsl:", error);
        Assert.Contains(message, error);
    }

    /// <summary>The environment variable, in a real `mdsl user add` process (stdin closed): nothing on the command line.</summary>
    [Fact]
    public async Task User_add_reads_the_password_from_the_environment_in_a_real_process()
    {
        var db = Path.Combine(Path.GetTempPath(), "mdsl-cli-tests", Guid.NewGuid().ToString("N"), "editor.db");
        var info = new System.Diagnostics.ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "mdsl.dll"), "user", "add", "carol", "--role", "publisher", "--db", db })
            info.ArgumentList.Add(a);
        info.Environment[WebCommands.PasswordVariable] = "a-password-from-the-environment";
        using var process = System.Diagnostics.Process.Start(info)!;
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, output + await process.StandardError.ReadToEndAsync());
        using var store = new EditorStore(db);
        Assert.NotNull(new MarketingDsl.Web.Security.Accounts(store, TimeProvider.System).SignIn("carol", "a-password-from-the-environment"));
    }

    [Theory]
    [InlineData("user", "add", "bob", "--role", "owner", "--password", "a-long-password")]
    [InlineData("user", "remove", "bob")]
    [InlineData("web")]
    [InlineData("web", "/no/such/folder")]
    [InlineData("serve")]
    [InlineData("serve", "/no/such/folder")]
    [InlineData("serve", ".", "--grace", "soon")]
    [InlineData("serve", ".", "--webhook", "ftp://example.org/hook")]
    [InlineData("serve", ".", "--webhook", "sms=not a url")]
    [InlineData("serve", ".", "--webhook", "sms=http://a.example/1,sms=http://a.example/2")]
    [InlineData("serve", ".", "--webhook-attempts", "0")]
    [InlineData("serve", ".", "--webhook-timeout", "never")]
    [InlineData("serve", ".", "--cache-users", "0")]
    [InlineData("serve", ".", "--cache-mb", "0")]
    [InlineData("serve", ".", "--cache-mb", "lots")]
    public async Task Usage_mistakes_exit_2(params string[] args)
    {
        var db = Path.Combine(Path.GetTempPath(), "mdsl-cli-tests", Guid.NewGuid().ToString("N"), "editor.db");
        var full = args[0] == "user" && args[1] == "add" ? [.. args, "--db", db] : args;
        var (code, _, error) = await Run(full);
        Assert.Equal(2, code);
        Assert.StartsWith("mdsl:", error);
    }

    /// <summary>An address Kestrel cannot read was an unhandled FormatException (exit 134, a stack trace).</summary>
    [Theory]
    [InlineData("web")]
    [InlineData("serve")]
    public async Task An_address_that_is_not_one_is_a_usage_error_naming_urls(string command)
    {
        var dir = Path.Combine(Path.GetTempPath(), "mdsl-cli-tests", Guid.NewGuid().ToString("N"));
        var workspace = Path.Combine(dir, "ws");
        foreach (var file in Directory.GetFiles(MarketingDsl.Testing.RepoRoot.Combine("examples", "retail"), "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(workspace, Path.GetRelativePath(MarketingDsl.Testing.RepoRoot.Combine("examples", "retail"), file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        string[] args = command == "web"
            ? ["web", workspace, "--urls", "notaurl", "--db", Path.Combine(dir, "editor.db")]
            : ["serve", workspace, "--urls", "notaurl", "--db", Path.Combine(dir, "live.db"), "--editor-db", Path.Combine(dir, "editor.db")];
        var (code, _, error) = await Run(args);
        Assert.Equal(2, code);
        Assert.Contains("mdsl: --urls 'notaurl' is not a list of addresses", error);
        Directory.Delete(dir, recursive: true);
    }

    /// <summary>`--grace` and `--webhook-timeout` read durations by the language's grammar: past them, serve fails only
    /// on the missing folder.</summary>
    [Fact]
    public async Task Serve_duration_options_take_the_languages_durations()
    {
        var (code, _, error) = await Run("serve", "/no/such/folder", "--grace", "2w", "--webhook-timeout", "1m 30s");
        Assert.Equal(2, code);
        Assert.DoesNotContain("--grace", error);
        Assert.DoesNotContain("--webhook-timeout", error);
        Assert.Contains("does not exist", error);
    }
}

public class ServeCommandTests
{
    [Fact]
    public async Task Serve_hosts_the_editor_and_the_live_runtime_in_one_process()
    {
        var workspace = Path.Combine(Path.GetTempPath(), "mdsl-cli-tests", Guid.NewGuid().ToString("N"), "retail");
        var source = Path.Combine(FindRoot(), "examples", "retail");
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories).Where(f =>
            f.EndsWith(".mdsl", StringComparison.Ordinal) || f.EndsWith(".csx", StringComparison.Ordinal)))
        {
            var to = Path.Combine(workspace, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        using var stop = new CancellationTokenSource();
        var serving = Task.Run(() => ServeCommand.RunAsync(Options.Parse([workspace, "--urls", "http://127.0.0.1:0"]), stdout, stderr, stop.Token));
        try
        {
            string url;
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (true)
            {
                var match = System.Text.RegularExpressions.Regex.Match(stdout.ToString(), @"editor   (http://127\.0\.0\.1:\d+)/");
                if (match.Success && stdout.ToString().Contains("live API", StringComparison.Ordinal)) { url = match.Groups[1].Value; break; }
                Assert.False(serving.IsCompleted, $"mdsl serve stopped: {stderr}");
                Assert.True(waited.Elapsed < TimeSpan.FromSeconds(60), $"mdsl serve did not start: {stdout}{stderr}");
                await Task.Delay(50);
            }
            using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(url) };

            // The editor: its sign-in page, and its API behind sign-in.
            var login = await http.GetAsync("/Account/Login");
            Assert.Equal(System.Net.HttpStatusCode.OK, login.StatusCode);
            Assert.Contains("id=\"sign-in\"", await login.Content.ReadAsStringAsync());
            var home = await http.GetAsync("/");
            Assert.Equal(System.Net.HttpStatusCode.Redirect, home.StatusCode);
            Assert.StartsWith("/Account/Login", home.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await http.GetAsync("/api/files")).StatusCode);
            Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync("/lib/monaco/vs/loader.js")).StatusCode);

            // The live runtime: health and ingest, without sign-in.
            var health = await http.GetAsync("/api/health");
            Assert.Equal(System.Net.HttpStatusCode.OK, health.StatusCode);
            Assert.Contains("\"status\":\"ok\"", await health.Content.ReadAsStringAsync());
            var profiles = await http.PostAsync("/api/profiles", new StringContent($"[{Profile("u1")}]", System.Text.Encoding.UTF8,
                "application/json"));
            Assert.Equal(System.Net.HttpStatusCode.OK, profiles.StatusCode);
            var accepted = await profiles.Content.ReadAsStringAsync();
            Assert.True(accepted.Contains("\"status\":\"accepted\"", StringComparison.Ordinal), accepted);
            // A user's tags are member data: without the admin token or a publisher signed in, refused.
            Assert.Equal(System.Net.HttpStatusCode.Forbidden, (await http.GetAsync("/api/users/u1/tags")).StatusCode);

            // The editor's body limit (1 MiB) is not the ingest API's.
            var big = "[" + new string(' ', 1100 * 1024) + Profile("u2") + "]";
            Assert.True(big.Length > 1024 * 1024);
            var bulk = await http.PostAsync("/api/profiles", new StringContent(big, System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(System.Net.HttpStatusCode.OK, bulk.StatusCode);
            Assert.Contains("\"status\":\"accepted\"", await bulk.Content.ReadAsStringAsync());
        }
        finally
        {
            await stop.CancelAsync();
        }
        Assert.Equal(0, await serving);
        Assert.True(File.Exists(Path.Combine(workspace, ".mdsl", "live.db")));
        Assert.True(File.Exists(Path.Combine(workspace, ".mdsl", "editor.db")));
    }

    [Fact]
    public async Task Serve_refuses_a_workspace_with_errors_and_points_to_the_editor_alone()
    {
        var workspace = Path.Combine(Path.GetTempPath(), "mdsl-cli-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(workspace);
        File.WriteAllText(Path.Combine(workspace, "tags.mdsl"), "tag a = nope\n");
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        Assert.Equal(2, await CommandLine.RunAsync(["serve", workspace, "--urls", "http://127.0.0.1:0"], stdout, stderr));
        Assert.Contains("the workspace has errors", stderr.ToString());
        Assert.Contains("mdsl web", stderr.ToString());
    }

    private static string Profile(string id) =>
        $$"""{"user_id": "{{id}}", "gender": "f", "city": "Shanghai", "member_level": 1, "registered_at": "2025-01-01T00:00:00Z"}""";

    private static string FindRoot() => MarketingDsl.Testing.RepoRoot.FullPath;
}
