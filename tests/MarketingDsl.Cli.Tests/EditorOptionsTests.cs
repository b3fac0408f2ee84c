using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using MarketingDsl.Web;
using MarketingDsl.Web.Security;
using MarketingDsl.Web.Storage;

namespace MarketingDsl.Cli.Tests;

/// <summary>
/// `mdsl web` and `mdsl serve` hand their editor options to the editor's settings object: the store (`--db`,
/// `--editor-db`) is the one the accounts are in, and `--data-root` is the folder the data pickers list; settings of
/// the editor the command line does not give still come from the environment (`Editor__Name`, README).
/// </summary>
public sealed partial class EditorOptionsTests : IDisposable
{
    private readonly ServeSandbox _sandbox = new("mdsl-editor-options");

    public void Dispose() => _sandbox.Dispose();

    [Theory]
    [InlineData("web", "--db")]
    [InlineData("serve", "--editor-db")]
    public async Task The_store_and_data_root_options_reach_the_editor(string command, string storeOption)
    {
        var (workspace, db, dataRoot) = Prepare();
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        using var stop = new CancellationTokenSource();
        var options = Options.Parse([workspace, "--urls", "http://127.0.0.1:0", storeOption, db, "--data-root", dataRoot]);
        var running = command == "web"
            ? Task.Run(() => WebCommands.RunWebAsync(options, stdout, stderr, stop.Token))
            : Task.Run(() => ServeCommand.RunAsync(options, stdout, stderr, stop.Token));
        try
        {
            var url = await AddressOf(stdout, stderr, running);
            // The account exists only in the store the option names (the default store beside the workspace is empty).
            using var http = await EditorSignIn.Client(url, "alice", "password-alice");
            var folders = JsonDocument.Parse(await http.GetStringAsync("/api/data-folders")).RootElement;
            Assert.Equal(Path.GetFullPath(dataRoot), folders.GetProperty("root").GetString());
            Assert.Equal(["mine"], folders.GetProperty("folders").EnumerateArray().Select(f => f.GetString()));
            Assert.Contains("schema.mdsl", await http.GetStringAsync("/api/files"));
        }
        finally
        {
            await stop.CancelAsync();
        }
        Assert.Equal(0, await running);
    }

    [Fact]
    public async Task Editor_settings_the_command_line_does_not_give_come_from_the_environment()
    {
        var (workspace, db, dataRoot) = Prepare();
        var elsewhere = Path.Combine(_sandbox.Root, "elsewhere");
        Directory.CreateDirectory(elsewhere);
        // The workspace argument wins over the environment's; the data root, not on the command line, is the environment's.
        var (_, url) = await _sandbox.StartAsync([workspace, "--urls", "http://127.0.0.1:0", "--db", Path.Combine(_sandbox.Root, "live.db"),
            "--editor-db", db], new Dictionary<string, string?> { ["Editor__DataRoot"] = dataRoot, ["Editor__Workspace"] = elsewhere });
        using var http = await EditorSignIn.Client(url, "alice", "password-alice");
        var folders = JsonDocument.Parse(await http.GetStringAsync("/api/data-folders")).RootElement;
        Assert.Equal(dataRoot, folders.GetProperty("root").GetString());
        Assert.Contains("schema.mdsl", await http.GetStringAsync("/api/files"));
    }

    /// <summary>A workspace that checks clean, a store with the account alice (an admin) and a data root with one data set.</summary>
    private (string Workspace, string Db, string DataRoot) Prepare()
    {
        var workspace = Path.Combine(_sandbox.Root, "ws");
        MarketingDsl.Testing.RepoRoot.CopyRetailExample(workspace, journeys: false);
        var db = Path.Combine(_sandbox.Root, "accounts", "editor.db");
        using (var store = new EditorStore(db))
            Assert.Null(new Accounts(store, TimeProvider.System).AddOrUpdate("alice", "password-alice", Roles.Admin, out _));
        var dataRoot = Path.Combine(_sandbox.Root, "datasets");
        Directory.CreateDirectory(Path.Combine(dataRoot, "mine"));
        File.WriteAllText(Path.Combine(dataRoot, "mine", "profiles.csv"), "user_id\nu1\n");
        return (workspace, db, dataRoot);
    }

    private static async Task<Uri> AddressOf(StringWriter stdout, StringWriter stderr, Task<int> running)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var match = Address().Match(stdout.ToString());
            if (match.Success) return new Uri(match.Value);
            Assert.False(running.IsCompleted, $"the editor stopped: {stdout}{stderr}");
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(60), $"the editor did not start: {stdout}{stderr}");
            await Task.Delay(50);
        }
    }

    [GeneratedRegex(@"http://127\.0\.0\.1:\d+")]
    private static partial Regex Address();
}
