using Microsoft.Playwright;

namespace MarketingDsl.Web.Tests;

/// <summary>
/// Publishing in a real browser (Debian's chromium through Playwright), editor and runtime in one
/// process as under `mdsl serve`: unsaved changes are refused, the preview names the removed journey
/// and the user it ends, the confirmation publishes, the Publications page lists it. Screenshot:
/// artifacts/publish.{en,zh-CN}.png.
/// </summary>
public sealed class BrowserPublishTests
{
    [Fact]
    public async Task A_publisher_previews_confirms_and_sees_the_publication()
    {
        await using var host = await LiveEditorHost.StartAsync(kestrel: true);
        using (var ingest = host.Anonymous())
        {
            const string Profiles = """[{"user_id":"u1"}]""";
            const string Events = """[{"type":"cart_add","user_id":"u1","ts":"2025-03-01T10:00:00Z","price":200}]""";
            var json = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            (await ingest.PostAsync("/api/profiles", new StringContent(Profiles, json))).EnsureSuccessStatusCode();
            (await ingest.PostAsync("/api/events", new StringContent(Events, json))).EnsureSuccessStatusCode();
        }
        Assert.True(host.Runtime.Store.State("cart", "u1")!.Active);

        await using var browser = await BrowserSession.OpenAsync(1280, 800);
        var page = browser.Page;

        await browser.SignInAtAsync(host.Url + "/", "publisher1", "password-publisher1");
        await page.ClickAsync("a[data-path='main.mdsl']");
        await page.WaitForFunctionAsync("() => document.getElementById('editor').dataset.file === 'main.mdsl'");

        // Remove `cart` in the buffer: unsaved, so publishing is refused.
        await page.EvaluateAsync("""
            () => { const m = monaco.editor.getEditors()[0].getModel(); m.setValue(m.getValue().slice(0, m.getValue().indexOf('journey cart'))); }
            """);
        await page.ClickAsync("#publish");
        await page.WaitForSelectorAsync("#publish-body .error");
        Assert.Contains("main.mdsl", await page.TextContentAsync("#publish-body .error"));
        Assert.StartsWith("Save your changes first", await page.TextContentAsync("#publish-body .error"));

        // Saved: the preview names the removed journey and the user it would end; nothing is published yet.
        await page.ClickAsync("#save");
        await page.WaitForFunctionAsync("() => document.getElementById('status').textContent.includes('#')");
        await page.ClickAsync("#publish");
        await page.WaitForSelectorAsync("#publish-confirm");
        var preview = await page.TextContentAsync("#publish-body");
        Assert.Contains("Removed: cart", preview);
        Assert.Contains("1 in-flight states end", preview);
        Assert.Equal(["cart", "journey_removed", "1"], await page.Locator(".publish-ends tr:nth-child(2) td").AllTextContentsAsync());
        Assert.True(host.Runtime.Store.State("cart", "u1")!.Active);
        // The preview is a dialog of the page: after each language switch it is opened again.
        await Screenshots.BothLanguagesAsync(page, "publish", async () =>
        {
            await page.WaitForFunctionAsync("() => document.body.dataset.ready === 'true' && " +
                "document.getElementById('editor').dataset.file === 'main.mdsl'");
            await page.ClickAsync("#publish");
            await page.WaitForSelectorAsync("#publish-confirm");
        }, "个进行中的状态将结束");
        Assert.Contains("1 in-flight states end", await page.TextContentAsync("#publish-body"));

        await page.ClickAsync("#publish-confirm");
        await page.WaitForSelectorAsync("#publish-body .published");
        Assert.Contains("Published as publication #1", await page.TextContentAsync("#publish-body .published"));
        Assert.False(host.Runtime.Store.State("cart", "u1")!.Active);
        Assert.DoesNotContain(host.Runtime.Model.Journeys, j => j.Name == "cart");

        await page.ClickAsync("#publish-body .published a");
        await page.WaitForSelectorAsync("#publications");
        Assert.Contains("1 × cart (journey_removed)", await page.TextContentAsync("#publications tbody"));
        Assert.Empty(browser.ConsoleErrors);
    }
}
