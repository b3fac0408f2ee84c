using System.Globalization;
using MarketingDsl.Web.Security;
using Microsoft.Playwright;

namespace MarketingDsl.Web.Tests;

/// <summary>
/// A custom function that throws for some users, run on the Simulation page in a real browser (Debian's
/// chromium): the run completes, those users' values are null, and the page lists the catalogue warning
/// MD7009 (how many users, the first one and why) in the UI language, English and 简体中文. Leaves
/// simulation-function-failure.en.png and simulation-function-failure.zh-CN.png in tests/MarketingDsl.Web.Tests/artifacts/.
/// </summary>
public sealed class BrowserFunctionFailureTests
{
    private const string Function = """
        // The store code of a city: none is known for Shanghai yet, so the call fails there.
        public static long CityCode(string city) =>
            city == "上海" ? throw new InvalidOperationException("no store code for Shanghai") : city.Length;
        """;

    [Fact]
    public async Task A_functions_failures_are_a_warning_in_the_ui_language_after_a_simulation()
    {
        var workspace = TestPaths.CopyRetail();
        File.WriteAllText(Path.Combine(workspace, "functions", "city_code.csx"), Function);
        File.WriteAllText(Path.Combine(workspace, "tags", "city_code.mdsl"), "/// The store code of the user's city.\n" +
            "tag city_code \"城市代码\" = CityCode(city)\n");
        // Every user of Shanghai fails: the generated profiles say how many there are.
        var shanghai = File.ReadLines(Path.Combine(SimulationData.RetailFolder, "profiles.jsonl"))
            .Count(l => l.Contains("\"city\":\"上海\"", StringComparison.Ordinal));
        Assert.True(shanghai > 0);
        var users = shanghai.ToString("N0", CultureInfo.InvariantCulture);

        var (app, baseUrl) = await KestrelEditor.StartAsync(workspace, [("marketer", Roles.Editor)], "--Editor:DataRoot", SimulationData.Root);
        await using var _ = app;
        await using var browser = await BrowserSession.OpenAsync(1400, 1000);
        var page = browser.Page;
        await browser.SignInAtAsync(baseUrl + "/Simulation?lang=en", "marketer", "password-marketer");

        await page.SelectOptionAsync("#sim-folder", SimulationData.Folder);
        await page.ClickAsync("#sim-run");
        await page.WaitForSelectorAsync("body[data-simulation=done]", new PageWaitForSelectorOptions { Timeout = 120_000 });
        var english = Assert.Single(await Warnings(page), w => w.StartsWith("MD7009", StringComparison.Ordinal));
        Assert.StartsWith($"MD7009: CityCode() failed for {users} user(s), whose value is null; first: user u", english);
        Assert.Contains("no store code for Shanghai", english);
        await page.Locator("#sim-warnings").ScrollIntoViewIfNeededAsync();
        await Screenshots.ShootAsync(page, "simulation-function-failure", Screenshots.English);

        // The stored run reopened in 简体中文: the same warning from the catalogue's Chinese text.
        var run = new Uri(page.Url).Query;
        Assert.Contains("run=", run);
        await page.GotoAsync($"{baseUrl}/Simulation{run}&lang=zh-CN");
        await page.WaitForSelectorAsync("body[data-simulation=done]");
        Assert.Equal("zh-CN", await page.EvaluateAsync<string>("() => document.documentElement.lang"));
        var chinese = Assert.Single(await Warnings(page), w => w.StartsWith("MD7009", StringComparison.Ordinal));
        Assert.StartsWith($"MD7009: CityCode() 对 {users} 个用户执行失败，其值为空；第一个：用户 u", chinese);
        Assert.DoesNotContain("failed for", chinese);
        await page.Locator("#sim-warnings").ScrollIntoViewIfNeededAsync();
        await Screenshots.ShootAsync(page, "simulation-function-failure", Screenshots.Chinese);

        Assert.Empty(browser.ConsoleErrors);
        Assert.DoesNotContain(browser.FailedRequests, r => !r.EndsWith("/favicon.ico", StringComparison.Ordinal));
    }

    private static Task<IReadOnlyList<string>> Warnings(IPage page) => page.Locator("#sim-warnings li").AllInnerTextsAsync();
}
