namespace MarketingDsl.Web.Tests;

/// <summary>
/// Every page's script is an ES module importing the shared ones (pages.js, charts.js, results-view.js, publishing.js):
/// in Debian's chromium each page, editor and runtime in one process as under `mdsl serve`, loads and settles with no
/// uncaught exception and no console error, so a missing export or a module that fails to link shows here at once.
/// </summary>
public sealed class BrowserPageModulesTests
{
    [Fact]
    public async Task Every_page_runs_its_modules_and_settles_without_errors()
    {
        await using var host = await LiveEditorHost.StartAsync(kestrel: true);
        await using var browser = await BrowserSession.OpenAsync(1280, 800);
        var page = browser.Page;
        await page.GotoAsync(host.Url + "/");
        await browser.SignInAsync("admin1", "password-admin1");
        // Each page and the mark its script sets once it has drawn what it loaded.
        var pages = new (string Path, string Settled)[]
        {
            ("/", "body[data-ready=true]"),
            ("/Simulation", "body[data-ready=true]"),
            ("/Models", "body[data-ready=true]"),
            ("/Audience", "body[data-ready=true]"),
            ("/User", "body[data-ready=true]"),
            ("/Publications", "body[data-ready=true]"),
            ("/Results", "body[data-results-ready=true]"),
            ("/Canvas", "body[data-ready=true]"),
        };
        foreach (var language in Screenshots.Languages)
        {
            foreach (var (path, settled) in pages)
            {
                await page.GotoAsync(host.Url + path + "?lang=" + language);
                // A module that fails to link never settles the page: its error ends the wait.
                var settling = page.WaitForSelectorAsync(settled);
                while (!settling.IsCompleted && browser.PageErrors.Count == 0) await Task.WhenAny(settling, Task.Delay(100));
                Assert.True(browser.PageErrors.Count == 0, $"{path} ({language}): {string.Join(" | ", browser.PageErrors)}");
                await settling;
                Assert.Equal(language, await page.EvaluateAsync<string>("() => document.documentElement.lang"));
                Assert.True(browser.ConsoleErrors.Count == 0, $"{path} ({language}): {string.Join(" | ", browser.ConsoleErrors)}");
            }
        }
    }
}
