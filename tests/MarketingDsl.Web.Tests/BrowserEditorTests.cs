using System.Diagnostics;
using MarketingDsl.Web.Security;
using MarketingDsl.Web.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace MarketingDsl.Web.Tests;

/// <summary>
/// The editor in a real browser (Debian's chromium driven by Playwright; Playwright's own browser
/// download is never used): sign in, open a file, type an error and see its marker, accept a
/// completion, fix the error, save. Prints the keystroke → marker round trip and leaves
/// screenshots in tests/MarketingDsl.Web.Tests/artifacts/.
/// </summary>
public sealed class BrowserEditorTests(ITestOutputHelper output)
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task Sign_in_edit_see_markers_complete_fix_and_save()
    {
        if (!File.Exists(Chromium))
            Assert.Fail($"Chromium is not installed at {Chromium}; the browser test needs it: run `apt-get update && apt-get install -y chromium` (.ci/run does).");

        var workspace = TestPaths.CopyRetail();
        var db = Path.Combine(Path.GetDirectoryName(workspace)!, "editor.db");
        using (var store = new EditorStore(db))
            Assert.Null(new Accounts(store, TimeProvider.System).AddOrUpdate("marketer", "password-marketer", Roles.Editor, out _));
        await using var app = EditorApp.Build(["--urls", "http://127.0.0.1:0", "--Editor:Workspace", workspace, "--Editor:Db", db, "--Logging:LogLevel:Default", "Warning"]);
        await app.StartAsync();
        var baseUrl = app.Urls.Single();

        using var playwright = await Playwright.CreateAsync();
        var profile = Directory.CreateTempSubdirectory("mdsl-chromium-");
        await using var context = await playwright.Chromium.LaunchPersistentContextAsync(profile.FullName, new BrowserTypeLaunchPersistentContextOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-component-update", "--disable-sync", "--no-first-run"],
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
        });
        var page = context.Pages.Count > 0 ? context.Pages[0] : await context.NewPageAsync();
        var consoleErrors = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error" && !m.Text.StartsWith("Failed to load resource", StringComparison.Ordinal)) consoleErrors.Add(m.Text); };
        var failedRequests = new List<string>();
        page.Response += (_, r) => { if (r.Status >= 400) failedRequests.Add($"{r.Status} {r.Url}"); };
        page.SetDefaultTimeout(30_000);

        // Sign in.
        await page.GotoAsync(baseUrl + "/");
        Assert.Contains("/Account/Login", page.Url, StringComparison.Ordinal);
        await page.FillAsync("#name", "marketer");
        await page.FillAsync("#password", "password-marketer");
        await page.ClickAsync("#sign-in");
        await page.WaitForSelectorAsync("body[data-ready=true]");

        // Open a file.
        await page.ClickAsync("a[data-path='tags/behaviour.mdsl']");
        await page.WaitForFunctionAsync("() => window.mdsl.path === 'tags/behaviour.mdsl' && window.mdsl.timing.markersVersion > 0");
        await page.WaitForSelectorAsync(".monaco-editor .view-lines");

        // Type an error at the end and wait for its marker; the last keystroke starts the clock.
        await page.ClickAsync(".monaco-editor .view-lines");
        await page.Keyboard.PressAsync("Control+End");
        await page.Keyboard.TypeAsync("\ntag typo = orders_30dd >= ");
        var watch = Stopwatch.StartNew();
        await page.Keyboard.TypeAsync("2");
        await page.WaitForFunctionAsync("() => monaco.editor.getModelMarkers({ owner: 'mdsl' }).some(m => m.code === 'MD2001')");
        await page.WaitForSelectorAsync(".monaco-editor .squiggly-error");
        var outside = watch.Elapsed.TotalMilliseconds;
        var inBrowser = await page.EvaluateAsync<double>("() => window.mdsl.timing.roundTripMs");
        var server = await page.EvaluateAsync<double>("() => window.mdsl.timing.serverMs");
        var message = $"keystroke → marker: {inBrowser:F0} ms in the browser (75 ms of it is the debounce; server {server:F1} ms), {outside:F0} ms seen by the test";
        output.WriteLine(message);
        Console.WriteLine(message);
        Assert.Contains("MD2001", await page.InnerTextAsync("#problem-list"));
        Directory.CreateDirectory(ArtifactsDir);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ArtifactsDir, "editor-error.png") });

        // Accept a completion: typing a prefix opens the suggestions; Enter takes the first.
        await page.Keyboard.PressAsync("End");
        await page.Keyboard.TypeAsync("\ntag busy = count(ord");
        await page.WaitForSelectorAsync(".monaco-editor .suggest-widget.visible .monaco-list-row");
        await page.WaitForFunctionAsync("() => document.querySelector('.monaco-editor .suggest-widget.visible .monaco-list-row.focused')?.textContent.includes('order')");
        await page.Keyboard.PressAsync("Enter");
        await page.Keyboard.TypeAsync(", within: 7d)");
        Assert.Contains("tag busy = count(order, within: 7d)", await ModelText(page));

        // Fix the error: select the misspelt name (from its marker) and type the right one.
        await page.EvaluateAsync("""
            () => {
              const m = monaco.editor.getModelMarkers({ owner: 'mdsl' }).find(x => x.code === 'MD2001');
              window.mdsl.editor.setSelection(new monaco.Range(m.startLineNumber, m.startColumn, m.endLineNumber, m.endColumn));
            }
            """);
        await page.Keyboard.TypeAsync("orders_30d");
        await page.WaitForFunctionAsync("() => window.mdsl.timing.markersVersion === window.mdsl.editor.getModel().getVersionId() && !monaco.editor.getModelMarkers({ owner: 'mdsl' }).some(m => m.severity === monaco.MarkerSeverity.Error)");

        // Save: the file on disk is the formatted text.
        await page.ClickAsync("#save");
        await page.WaitForFunctionAsync("() => document.getElementById('status').textContent.includes('#')");
        var onDisk = File.ReadAllText(Path.Combine(workspace, "tags", "behaviour.mdsl"));
        Assert.Contains("tag typo = orders_30d >= 2\n", onDisk);
        Assert.Contains("tag busy = count(order, within: 7d)\n", onDisk);
        Assert.True(await page.IsHiddenAsync("#dirty"));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ArtifactsDir, "editor.png") });
        Assert.Empty(consoleErrors);
        Assert.DoesNotContain(failedRequests, r => !r.EndsWith("/favicon.ico", StringComparison.Ordinal));

        await app.StopAsync();
    }

    private static Task<string> ModelText(IPage page) => page.EvaluateAsync<string>("() => window.mdsl.editor.getModel().getValue()");

    private static string ArtifactsDir => Path.Combine(TestPaths.Root, "tests", "MarketingDsl.Web.Tests", "artifacts");
}
