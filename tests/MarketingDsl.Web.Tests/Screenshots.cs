using Microsoft.Playwright;

namespace MarketingDsl.Web.Tests;

/// <summary>
/// The screenshots the browser tests leave in tests/MarketingDsl.Web.Tests/artifacts/, every one in both UI
/// languages and named one way: NAME.en.png and NAME.zh-CN.png. A Chinese shot is taken only after a Chinese
/// string is seen on the page, so it is proven Chinese.
/// </summary>
internal static class Screenshots
{
    public const string English = "en";
    public const string Chinese = "zh-CN";

    /// <summary>The two UI languages, English first.</summary>
    public static readonly string[] Languages = [English, Chinese];

    public static string Dir => Path.Combine(TestPaths.Root, "tests", "MarketingDsl.Web.Tests", "artifacts");

    /// <summary>The file of one screenshot: NAME.LANG.png.</summary>
    public static string PathOf(string name, string lang) => Path.Combine(Dir, $"{name}.{lang}.png");

    /// <summary>
    /// Shoots the page as NAME.LANG.png; in Chinese, first waits for <paramref name="chinese"/> (a string of the
    /// shown state) to be visible, or, without one, for the page to be in Chinese with its Chinese navigation.
    /// </summary>
    public static async Task ShootAsync(IPage page, string name, string lang, string? chinese = null, bool fullPage = false)
    {
        Directory.CreateDirectory(Dir);
        if (lang == Chinese) await ExpectChineseAsync(page, chinese);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = PathOf(name, lang), FullPage = fullPage });
    }

    /// <summary>Shoots one element of the page as NAME.LANG.png, in Chinese once the page is proven Chinese.</summary>
    public static async Task ShootAsync(ILocator element, string name, string lang, string? chinese = null)
    {
        Directory.CreateDirectory(Dir);
        if (lang == Chinese) await ExpectChineseAsync(element.Page, chinese);
        await element.ScreenshotAsync(new LocatorScreenshotOptions { Path = PathOf(name, lang) });
    }

    /// <summary>Waits until <paramref name="chinese"/> (or the Chinese navigation) is visible on a page in 简体中文.</summary>
    public static async Task ExpectChineseAsync(IPage page, string? chinese = null)
    {
        await page.WaitForFunctionAsync("() => document.documentElement.lang === 'zh-CN'");
        var text = page.GetByText(chinese ?? "编辑器").Filter(new LocatorFilterOptions { Visible = true }).First;
        await text.WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Visible });
    }

    /// <summary>
    /// Follows the page's language link (which keeps the page's query, the open file and the unsaved buffers) to
    /// <paramref name="lang"/> and waits for the new page to be ready.
    /// </summary>
    public static async Task SwitchLanguageAsync(IPage page, string lang)
    {
        await page.ClickAsync("#lang-switch");
        await page.WaitForFunctionAsync($"() => document.documentElement.lang === '{lang}' && document.readyState === 'complete'");
    }

    /// <summary>
    /// Shoots the shown state in English, switches to 简体中文, lets <paramref name="settle"/> bring the state back
    /// (what a reload does not keep), shoots it in Chinese, and switches back to English (settling again) so the test
    /// goes on where it was.
    /// </summary>
    public static async Task BothLanguagesAsync(IPage page, string name, Func<Task> settle, string? chinese = null, bool fullPage = false)
    {
        await ShootAsync(page, name, English, fullPage: fullPage);
        await SwitchLanguageAsync(page, Chinese);
        await settle();
        await ShootAsync(page, name, Chinese, chinese, fullPage);
        await SwitchLanguageAsync(page, English);
        await settle();
    }
}
