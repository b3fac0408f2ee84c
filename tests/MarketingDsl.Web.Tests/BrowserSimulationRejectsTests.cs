using MarketingDsl.Web.Security;

namespace MarketingDsl.Web.Tests;

/// <summary>
/// The rejected rows a simulation shows, in a real browser: each with its file, line and code, its reason in the UI's
/// language (the row rules' own Chinese, RowRejects). Leaves simulation-rejects.{en,zh-CN}.png in
/// tests/MarketingDsl.Web.Tests/artifacts/.
/// </summary>
public sealed class BrowserSimulationRejectsTests
{
    [Fact]
    public async Task Rejected_rows_show_their_code_and_reason_in_the_ui_language()
    {
        var workspace = TestPaths.CopyRetail();
        var dataRoot = Path.Combine(TestFolders.New(), "data");
        var folder = Path.Combine(dataRoot, "damaged");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "profiles.jsonl"), """
            {"user_id":"u1","gender":"F","city":"上海","member_level":2,"registered_at":"2024-01-01T00:00:00Z"}
            {"user_id":"u2","gender":"M","city":"北京","member_level":"gold","registered_at":"2024-01-01T00:00:00Z"}

            """);
        File.WriteAllText(Path.Combine(folder, "events.jsonl"), """
            {"type":"order","user_id":"u1","ts":"2025-06-01T10:00:00Z","order_id":"o1","channel":"app","amount":99.5,"category":"fresh"}
            {"type":"order","user_id":"u1","order_id":"o2","channel":"app","amount":10,"category":"fresh"}
            {"type":"order","user_id":"u1","ts":"2025-06-02T10:00:00Z","order_id":"o3","channel":"app","amount":"12","category":"fresh"}

            """);
        var (app, baseUrl) = await KestrelEditor.StartAsync(workspace, [("marketer", Roles.Editor)], "--Editor:DataRoot", dataRoot);
        await using var _ = app;
        await using var browser = await BrowserSession.OpenAsync(1400, 1000);
        var page = browser.Page;
        await browser.SignInAtAsync(baseUrl + "/Simulation", "marketer", "password-marketer");
        await page.SelectOptionAsync("#sim-folder", "damaged");
        await page.ClickAsync("#sim-run");
        await page.WaitForSelectorAsync("body[data-simulation=done]");

        Assert.Equal([
            "profiles.jsonl:2: MD9530: field 'member_level': expected int, got a string",
            "events.jsonl:2: MD9520: missing ts",
            "events.jsonl:3: MD9530: field 'amount': expected decimal, got a string",
        ], await page.Locator("#sim-rejects li").AllInnerTextsAsync());
        await page.Locator("#sim-quality").ScrollIntoViewIfNeededAsync();
        await Screenshots.ShootAsync(page, "simulation-rejects", Screenshots.English);

        // In 简体中文 the same rows say it in Chinese; file, line and code stay.
        await Screenshots.SwitchLanguageAsync(page, Screenshots.Chinese);
        await page.WaitForSelectorAsync("body[data-simulation=done]");
        Assert.Equal([
            "profiles.jsonl:2: MD9530: 字段 'member_level'：应为 int，实际为字符串",
            "events.jsonl:2: MD9520: 缺少 ts",
            "events.jsonl:3: MD9530: 字段 'amount'：应为 decimal，实际为字符串",
        ], await page.Locator("#sim-rejects li").AllInnerTextsAsync());
        await page.Locator("#sim-quality").ScrollIntoViewIfNeededAsync();
        await Screenshots.ShootAsync(page, "simulation-rejects", Screenshots.Chinese, "缺少 ts");

        Assert.Empty(browser.ConsoleErrors);
        await app.StopAsync();
    }
}
