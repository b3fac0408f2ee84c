using MarketingDsl.Web.Security;
using Microsoft.Playwright;

namespace MarketingDsl.Web.Tests;

/// <summary>
/// The workspace-wide Problems panel with a data set chosen, in a real browser (Debian's chromium):
/// another file's data-aware warning (MD5050, a value that never occurs in its field) is listed under
/// that file and counted in the file list while a different file is open, in English and 简体中文.
/// Leaves problems-data-en.png and problems-data-zh.png in tests/MarketingDsl.Web.Tests/artifacts/.
/// </summary>
public sealed class BrowserWorkspaceDataWarningsTests
{
    private const string Other = "promo.mdsl";
    private const string OtherSection = $"#workspace-problems section[data-path='{Other}']";

    [Fact]
    public async Task Another_files_data_warnings_are_in_the_problems_panel_and_the_file_counts()
    {
        var workspace = TestPaths.CopyRetail();
        File.WriteAllText(Path.Combine(workspace, Other), "/// Tablet users, for the tablet app launch.\n" +
            "segment tablet_fans \"平板用户\" = exists(login, where: platform == \"tablet\", within: 30d)\n");
        var (app, baseUrl) = await KestrelEditor.StartAsync(workspace, [("marketer", Roles.Editor)], "--Editor:DataRoot", SimulationData.Root);
        await using var _ = app;
        await using var browser = await BrowserSession.OpenAsync(1400, 900);
        var page = browser.Page;
        await page.GotoAsync(baseUrl + "/?file=segments.mdsl");
        await browser.SignInAsync("marketer", "password-marketer");
        await page.WaitForSelectorAsync("body[data-ready=true]");
        await page.WaitForFunctionAsync("() => document.getElementById('editor').dataset.file === 'segments.mdsl'");

        // Without a data set the other file checks clean (MD5050 needs data).
        await page.WaitForSelectorAsync("#workspace-problems h4");
        Assert.Equal(0, await page.Locator(OtherSection).CountAsync());

        await page.SelectOptionAsync("#data-set", SimulationData.Folder);
        await page.WaitForFunctionAsync($"() => document.querySelector(\"{OtherSection}\")?.textContent.includes('MD5050')",
            null, new PageWaitForFunctionOptions { Timeout = 60_000 });
        var listed = await page.InnerTextAsync(OtherSection);
        Assert.Contains("\"tablet\" never occurs in login.platform", listed);
        Assert.Contains("2:", listed); // its line in promo.mdsl
        Assert.Equal("⚠1", await page.InnerTextAsync($"a[data-path='{Other}'] .counts .warnings"));
        Assert.Equal("segments.mdsl", await page.EvaluateAsync<string>("() => document.getElementById('editor').dataset.file"));
        Directory.CreateDirectory(ArtifactsDir);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ArtifactsDir, "problems-data-en.png") });

        // Clicking the warning opens the other file at it.
        await page.ClickAsync($"{OtherSection} li.warning");
        await page.WaitForFunctionAsync($"() => document.getElementById('editor').dataset.file === '{Other}'");

        // 简体中文: the data set is remembered in this browser, the message is in Chinese.
        await page.GotoAsync(baseUrl + "/?lang=zh-CN&file=segments.mdsl");
        await page.WaitForSelectorAsync("body[data-ready=true]");
        await page.WaitForFunctionAsync($"() => document.querySelector(\"{OtherSection}\")?.textContent.includes('从未出现值 \"tablet\"')",
            null, new PageWaitForFunctionOptions { Timeout = 60_000 });
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ArtifactsDir, "problems-data-zh.png") });

        // No data set any more: the warning goes.
        await page.SelectOptionAsync("#data-set", "");
        await page.WaitForFunctionAsync($"() => document.querySelector(\"{OtherSection}\") === null");
        Assert.Empty(browser.ConsoleErrors);
        Assert.Empty(browser.FailedRequests);
    }

    private static string ArtifactsDir => Path.Combine(TestPaths.Root, "tests", "MarketingDsl.Web.Tests", "artifacts");
}
