using System.Net.Http.Headers;
using Microsoft.Playwright;

namespace MarketingDsl.Web.Tests;

/// <summary>
/// What a marketer sees of the security rules, in a real browser in both UI languages: the lockout
/// message after repeated failed sign-ins, and an API reload (refused and published) listed on the
/// Publications page with its author and result. Screenshots: artifacts/login-locked.*.png,
/// artifacts/publications-api.*.png.
/// </summary>
public sealed class BrowserSecurityTests
{
    [Theory]
    [InlineData("en")]
    [InlineData("zh-CN")]
    public async Task The_lockout_message_and_api_reloads_on_the_publications_page(string lang)
    {
        await using var host = await LiveEditorHost.StartAsync(kestrel: true, adminToken: "a-long-admin-token-for-tests");
        using (var api = host.Anonymous())
        {
            api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "a-long-admin-token-for-tests");
            var main = Path.Combine(host.Workspace, "main.mdsl");
            var text = File.ReadAllText(main);
            File.WriteAllText(main, text + "\ntag broken = count(nope, within: 7d)\n");
            Assert.Equal(422, (int)(await api.PostAsync("/api/workspace/reload", Json())).StatusCode);
            File.WriteAllText(main, text);
            Assert.Equal(200, (int)(await api.PostAsync("/api/workspace/reload", Json())).StatusCode);
        }

        await using var browser = await BrowserSession.OpenAsync(1280, 800);
        var page = browser.Page;
        await page.GotoAsync($"{host.Url}/Account/Login?lang={lang}");
        for (var i = 0; i < Security.SignInThrottle.FreeFailures; i++)
        {
            await browser.SignInAsync("viewer1", "wrong-password-" + i);
            await page.WaitForSelectorAsync("#login-error");
        }
        await browser.SignInAsync("viewer1", "password-viewer1");
        await page.WaitForSelectorAsync("#login-locked");
        Assert.Contains(lang == "en" ? "locked for" : "已锁定", await page.TextContentAsync("#login-locked"));
        await Screenshots.ShootAsync(page, "login-locked", lang, "已锁定");

        await browser.SignInAsync("publisher1", "password-publisher1");
        await page.GotoAsync($"{host.Url}/Publications?lang={lang}");
        await page.WaitForSelectorAsync("#publications");
        var rows = await page.Locator("#publications tbody tr").AllTextContentsAsync();
        Assert.Equal(2, rows.Count);
        Assert.Contains("api token", rows[0]);
        Assert.Contains(lang == "en" ? "published" : "已发布", rows[0]);
        Assert.Contains("refused: 1 error(s)", rows[1]);
        await Screenshots.ShootAsync(page, "publications-api", lang, "已发布");
        Assert.Empty(browser.ConsoleErrors);
    }

    private static StringContent Json() => new("{}", System.Text.Encoding.UTF8, "application/json");
}
