using MarketingDsl.Web.Security;
using MarketingDsl.Web.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace MarketingDsl.Web.Tests;

/// <summary>
/// The simulation and audience-diff pages in a real browser (Debian's chromium through
/// Playwright): run a simulation, see the segment bar chart with its labels, reopen nothing but
/// what was drawn from the stored result, compare with a saved version. Leaves
/// simulation.{en,zh-CN}.png and audience.{en,zh-CN}.png in tests/MarketingDsl.Web.Tests/artifacts/.
/// </summary>
public sealed class BrowserSimulationTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Run_a_simulation_see_the_charts_and_compare_with_a_saved_version()
    {

        var workspace = TestPaths.CopyRetail();
        var db = Path.Combine(Path.GetDirectoryName(workspace)!, "editor.db");
        int version;
        using (var store = new EditorStore(db))
        {
            Assert.Null(new Accounts(store, TimeProvider.System).AddOrUpdate("marketer", "password-marketer", Roles.Editor, out _));
            // A saved version of segments.mdsl without `high_value`, so the working copy differs from it.
            var segments = File.ReadAllText(Path.Combine(workspace, "segments.mdsl"));
            var older = segments.Replace("segment vip_repeat \"高价值复购\" = high_value and orders_365d >= 2",
                "segment vip_repeat \"高价值复购\" = orders_365d >= 2", StringComparison.Ordinal);
            Assert.NotEqual(segments, older);
            version = store.AddVersion("segments.mdsl", older, "marketer", DateTime.UtcNow).Id;
        }
        await using var app = EditorApp.Build(["--urls", "http://127.0.0.1:0", "--Editor:Workspace", workspace, "--Editor:Db", db,
            "--Editor:DataRoot", SimulationData.Root, "--Logging:LogLevel:Default", "Warning"]);
        await app.StartAsync();
        var baseUrl = app.Urls.Single();

        await using var browser = await BrowserSession.OpenAsync(1400, 1000);
        var page = browser.Page;

        await browser.SignInAtAsync(baseUrl + "/Simulation", "marketer", "password-marketer");

        // Run: the progress shows, then the stored result is drawn.
        await page.SelectOptionAsync("#sim-folder", SimulationData.Folder);
        await page.FillAsync("#sim-asof", "2025-06-15T00:00:00Z");
        await page.ClickAsync("#sim-run");
        await page.WaitForSelectorAsync("body[data-simulation=done]");
        Assert.Equal(1, await page.Locator("#sim-runs tbody tr").CountAsync());
        Assert.Contains("?run=", page.Url, StringComparison.Ordinal);

        // The segment chart: an SVG bar per segment, captioned with the declared labels.
        var bars = page.Locator("#sim-segments svg rect.sim-bar");
        Assert.True(await bars.CountAsync() >= 5);
        var chartText = await page.InnerTextAsync("#sim-segments");
        Assert.Contains("高价值复购 · vip_repeat", chartText);
        Assert.Contains("待唤醒 · wake_up", chartText);
        var barWidths = await bars.EvaluateAllAsync<double[]>("rects => rects.map(r => r.getBBox().width)");
        Assert.Contains(barWidths, w => w > 10);
        Assert.Contains("八大核心客群", await page.InnerTextAsync("#sim-segmentations"));
        Assert.True(await page.Locator("#sim-tags figure svg rect.sim-bar").CountAsync() > 20);
        Assert.True(await page.Locator("#sim-sample tbody tr").CountAsync() > 0);
        Assert.Contains("event_rows", await page.EvaluateAsync<string>("() => [...document.querySelectorAll('#sim-quality tr')].map(r => " +
            "r.dataset.name).join(',')"));
        Assert.True(await page.IsHiddenAsync("#sim-progress"));
        // The page scrolls inside <main>: a tall window shows the charts in one picture. The language switch keeps ?run=.
        await page.SetViewportSizeAsync(1400, 2600);
        await Screenshots.BothLanguagesAsync(page, "simulation", () => page.WaitForSelectorAsync("body[data-simulation=done]"), "标签分布");
        await page.SetViewportSizeAsync(1400, 1000);

        // Reopen the stored result from a fresh load of the page.
        await page.GotoAsync(page.Url);
        await page.WaitForSelectorAsync("body[data-simulation=done]");
        Assert.Contains("高价值复购 · vip_repeat", await page.InnerTextAsync("#sim-segments"));

        // The audience diff against the saved version: vip_repeat loses the users who are not of high value.
        await page.ClickAsync("nav a[href='/Audience']");
        await page.WaitForSelectorAsync("body[data-ready=true]");
        await CompareWithVersion(page, version);
        var row = page.Locator("#diff-segments tr[data-name=vip_repeat]");
        var cells = await row.Locator("td").AllInnerTextsAsync();
        output.WriteLine("vip_repeat: " + string.Join(" | ", cells));
        Assert.Equal("0", cells[3]);
        Assert.StartsWith("−", cells[4], StringComparison.Ordinal);
        await Screenshots.ShootAsync(page, "audience", Screenshots.English);
        // The diff is the page's, not the address's: in 简体中文 it is run again.
        await Screenshots.SwitchLanguageAsync(page, Screenshots.Chinese);
        await page.WaitForSelectorAsync("body[data-ready=true]");
        await CompareWithVersion(page, version);
        Assert.Equal("0", (await row.Locator("td").AllInnerTextsAsync())[3]);
        await Screenshots.ShootAsync(page, "audience", Screenshots.Chinese, "人群对比");

        Assert.Empty(browser.ConsoleErrors);
        Assert.DoesNotContain(browser.FailedRequests, r => !r.EndsWith("/favicon.ico", StringComparison.Ordinal));
        await app.StopAsync();
    }

    /// <summary>
    /// What-if on the working copy: an unsaved edit in the editor (vip_repeat needs 3 orders, not
    /// 2) is what the audience diff compares with the last saved files by default, listing only
    /// what changed, and what a simulation runs; back in the editor, the edit is still there.
    /// </summary>
    [Theory]
    [InlineData("en")]
    [InlineData("zh-CN")]
    public async Task The_audience_diff_and_the_simulation_run_the_unsaved_working_copy(string lang)
    {
        var workspace = TestPaths.CopyRetail();
        var (app, baseUrl) = await KestrelEditor.StartAsync(workspace, [("marketer", Roles.Editor)], "--Editor:DataRoot", SimulationData.Root);
        await using var _ = app;
        await using var browser = await BrowserSession.OpenAsync(1400, 1000);
        var page = browser.Page;
        page.Dialog += (_, d) => Assert.Fail("asked: " + d.Message);
        await page.GotoAsync($"{baseUrl}/?file=segments.mdsl&lang={lang}");
        await browser.SignInAsync("marketer", "password-marketer");
        await page.WaitForFunctionAsync("() => document.getElementById('editor').dataset.file === 'segments.mdsl'");
        await page.EvaluateAsync("""
            () => {
              const model = monaco.editor.getEditors()[0].getModel();
              model.setValue(model.getValue().replace('high_value and orders_365d >= 2', 'high_value and orders_365d >= 3'));
            }
            """);
        await page.WaitForSelectorAsync("#dirty:not([hidden])");

        // The diff: last saved → working copy by default; only vip_repeat (and what depends on it) is listed.
        await page.ClickAsync("nav a[href='/Audience']");
        await page.WaitForSelectorAsync("body[data-ready=true]");
        Assert.True(await page.IsCheckedAsync("#diff-mode-saved"));
        Assert.Contains("segments.mdsl", await page.InnerTextAsync("#diff-working"));
        await page.SelectOptionAsync("#diff-folder", SimulationData.Folder);
        await page.ClickAsync("#diff-run");
        await page.WaitForSelectorAsync("body[data-diff=done]");
        var names = await page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('#diff-segments tbody tr')].map(r => r.dataset.name)");
        Assert.Contains("vip_repeat", names);
        Assert.DoesNotContain("wake_up", names);
        var cells = await page.Locator("#diff-segments tr[data-name=vip_repeat] td").AllInnerTextsAsync();
        Assert.Equal("0", cells[3]);
        Assert.StartsWith("−", cells[4], StringComparison.Ordinal);
        Assert.Equal(0, await page.Locator("#diff-tags tbody tr").CountAsync());
        Assert.NotEqual("", await page.InnerTextAsync("#diff-hidden"));
        await Screenshots.ShootAsync(page, "audience-working-copy", lang);
        await page.CheckAsync("#diff-show-unchanged");
        Assert.Contains("wake_up", await page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('#diff-segments tbody " +
            "tr')].map(r => r.dataset.name)"));

        // An id in the diff opens that user's page: a user the working copy takes out of vip_repeat is not in it there.
        var removed = page.Locator("#diff-segments tr[data-name=vip_repeat] td.ids").Nth(1).Locator("a.user-link").First;
        var removedId = await removed.InnerTextAsync();
        await removed.ClickAsync();
        await page.WaitForSelectorAsync($"body[data-shown='{removedId}']");
        Assert.EndsWith("/User", new Uri(page.Url).AbsolutePath, StringComparison.Ordinal);
        Assert.Equal(removedId, await page.InnerTextAsync("#user-title-id"));
        Assert.Equal("false", await page.GetAttributeAsync("#user-segments tr[data-name='vip_repeat']", "data-member"));
        await Screenshots.ShootAsync(page, "user-from-diff", lang, fullPage: true);

        // The simulation runs the same working copy, and says so.
        await page.ClickAsync("nav a[href='/Simulation']");
        await page.WaitForSelectorAsync("body[data-ready=true]");
        Assert.Contains("segments.mdsl", await page.InnerTextAsync("#sim-working"));
        await page.SelectOptionAsync("#sim-folder", SimulationData.Folder);
        await page.ClickAsync("#sim-run");
        await page.WaitForSelectorAsync("body[data-simulation=done]");
        Assert.Equal(["segments.mdsl"], await page.EvaluateAsync<string[]>("async () => (await (await " +
            "fetch('/api/simulations')).json()).runs[0].buffers"));

        // Back in the editor: the unsaved edit is still there, still unsaved.
        await page.ClickAsync("nav a[href='/']");
        await page.WaitForSelectorAsync("body[data-ready=true]");
        await page.ClickAsync("a[data-path='segments.mdsl']");
        await page.WaitForFunctionAsync("() => document.getElementById('editor').dataset.file === 'segments.mdsl'");
        Assert.Contains("orders_365d >= 3", await page.EvaluateAsync<string>("() => monaco.editor.getEditors()[0].getModel().getValue()"));
        Assert.True(await page.IsVisibleAsync("#dirty"));
        Assert.DoesNotContain("orders_365d >= 3", File.ReadAllText(Path.Combine(workspace, "segments.mdsl")));
        Assert.Empty(browser.ConsoleErrors);
    }

    /// <summary>Runs the audience diff of the working copy against a saved version.</summary>
    private static async Task CompareWithVersion(IPage page, int version)
    {
        await page.CheckAsync("#diff-mode-version");
        await page.SelectOptionAsync("#diff-version", version.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.ClickAsync("#diff-run");
        await page.WaitForSelectorAsync("body[data-diff=done]");
    }
}
