using System.Diagnostics;

namespace MarketingDsl.Cli.Tests;

/// <summary>
/// A server install is a `dotnet publish` (or build) output run from its own folder: the editor's
/// pages, scripts and Monaco must come from it (embedded in the assembly), not from the source tree.
/// </summary>
public sealed class PublishedOutputTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "mdsl-publish-tests", Guid.NewGuid().ToString("N"));
    private Process? _serve;

    [Theory]
    [InlineData("publish")]
    [InlineData("build")]
    public async Task The_cli_serves_the_editor_from_its_own_folder_anywhere(string output)
    {
        var app = Path.Combine(_root, "app");
        if (output == "publish") await Publish(app);
        else CopyBuild(AppContext.BaseDirectory, app);
        Assert.False(Directory.Exists(Path.Combine(app, "wwwroot")), "the static files are embedded, not copied");

        var workspace = Path.Combine(_root, "ws");
        Directory.CreateDirectory(workspace);
        File.WriteAllText(Path.Combine(workspace, "main.mdsl"), "schema {\n  profile {\n    user_id: string key\n  }\n  event order { " +
            "amount: decimal }\n}\ntag buyer = exists(order)\n");
        (_serve, var url) = await ServeProcess.StartAsync(
            [workspace, "--urls", "http://127.0.0.1:0", "--db", Path.Combine(_root, "live.db"), "--editor-db",
                Path.Combine(_root, "editor.db"), "--outbox-dir", Path.Combine(_root, "outbox")],
            cli: Path.Combine(app, "mdsl.dll"), workingDirectory: _root);

        using var http = new HttpClient { BaseAddress = url };
        foreach (var (path, type) in new[]
                 {
                     ("/js/editor/main.js", "text/javascript"), ("/js/pages.js", "text/javascript"), ("/js/history.js", "text/javascript"),
                     ("/css/site.css", "text/css"), ("/lib/monaco/vs/loader.js", "text/javascript"),
                         ("/lib/monaco/vs/editor/editor.main.js", "text/javascript"),
                     ("/lib/marketingdsl.monarch.json", "application/json"), ("/Account/Login", "text/html"),
                 })
        {
            var response = await http.GetAsync(path);
            Assert.True(response.IsSuccessStatusCode, $"{path}: HTTP {(int)response.StatusCode}");
            Assert.Equal(type, response.Content.Headers.ContentType?.MediaType);
            Assert.True((await response.Content.ReadAsByteArrayAsync()).Length > 0, path + " is empty");
        }
    }

    private static async Task Publish(string app)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}",
            StringComparison.Ordinal) ? "Release" : "Debug";
        var project = Path.Combine(MarketingDsl.Testing.RepoRoot.FullPath, "src", "MarketingDsl.Cli", "MarketingDsl.Cli.csproj");
        var publish = Process.Start(new ProcessStartInfo("dotnet", ["publish", project, "-c", configuration, "--no-build", "--nologo",
            "-v", "quiet", "-o", app])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        })!;
        var log = publish.StandardOutput.ReadToEndAsync();
        var errors = publish.StandardError.ReadToEndAsync();
        await publish.WaitForExitAsync();
        Assert.True(publish.ExitCode == 0, "dotnet publish failed: " + await log + await errors);
    }

    /// <summary>The build output (here: the tests' own folder, which holds the CLI and its dependencies) copied elsewhere.</summary>
    private static void CopyBuild(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    public void Dispose()
    {
        if (_serve is { HasExited: false }) { _serve.Kill(); _serve.WaitForExit(); }
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
