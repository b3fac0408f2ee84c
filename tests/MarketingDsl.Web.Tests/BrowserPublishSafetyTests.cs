using System.Net;
using System.Text.Json;
using MarketingDsl.Runtime;
using Microsoft.Playwright;

namespace MarketingDsl.Web.Tests;

/// <summary>
/// Publish safety, editor and runtime in one process as under `mdsl serve`, with the threshold of
/// ends that asks twice set to 1 (`Editor:PublishConfirmEnds`): per journey the publisher chooses
/// to continue users in flight at the equivalent step or to end them, sees how many would end, must
/// confirm a second time when more than the threshold would, and rolls back to an earlier
/// publication from the Publications page in one click (recorded like every publication, the
/// files written back). The server refuses unconfirmed ends above the threshold whatever the page
/// does. Screenshots: artifacts/publish-confirm.{en,zh-CN}.png, publish-rollback.{en,zh-CN}.png.
/// </summary>
public sealed class BrowserPublishSafetyTests
{
    /// <summary>`cart` with an acknowledgement before its wait: the wait moves from step 0 to step 1.</summary>
    private static readonly string WithAck = LiveEditorHost.Main.Replace(
        "steps {\n    wait 1h until order", "steps {\n    send push \"ack\"\n    wait 1h until order", StringComparison.Ordinal);

    private static StringContent Json(string body) => new(body, System.Text.Encoding.UTF8, "application/json");

    private static async Task TwoUsersWaitInCart(LiveEditorHost host)
    {
        using var ingest = host.Anonymous();
        (await ingest.PostAsync("/api/profiles", Json("""[{"user_id":"u1"},{"user_id":"u2"}]"""))).EnsureSuccessStatusCode();
        (await ingest.PostAsync("/api/events", Json("""
            [{"type":"cart_add","user_id":"u1","ts":"2025-03-01T10:00:00Z","price":200},
             {"type":"cart_add","user_id":"u2","ts":"2025-03-01T10:05:00Z","price":300}]
            """))).EnsureSuccessStatusCode();
        Assert.True(host.Runtime.Store.State("cart", "u2")!.Active);
    }

    [Theory]
    [InlineData("en")]
    [InlineData("zh-CN")]
    public async Task Choose_end_confirm_twice_then_roll_back_in_one_click(string lang)
    {
        await using var host = await LiveEditorHost.StartAsync(kestrel: true, settings: s => s.PublishConfirmEnds = 1);
        await TwoUsersWaitInCart(host);
        await using var browser = await BrowserSession.OpenAsync(1280, 900);
        var page = browser.Page;
        await browser.SignInAtAsync($"{host.Url}/?lang={lang}", "publisher1", "password-publisher1");

        // Publication #1: the running version as it is (nobody ends).
        await page.ClickAsync("#publish");
        await page.WaitForSelectorAsync("#publish-confirm");
        Assert.Equal("0", await page.GetAttributeAsync("#publish-counts", "data-ended"));
        await page.ClickAsync("#publish-confirm");
        await page.WaitForSelectorAsync("#publish-body .published");

        // v2 saved on disk: cart's wait moved. Continuing, its two users wait at the equivalent step; nobody ends.
        File.WriteAllText(Path.Combine(host.Workspace, "main.mdsl"), WithAck);
        await page.ClickAsync("#publish");
        await page.WaitForSelectorAsync("#publish-inflight tr[data-journey=cart]");
        Assert.Equal(["cart", "2", "0"], (await page.Locator("#publish-inflight tr[data-journey=cart] td").AllTextContentsAsync()).Take(3));
        Assert.Equal("0", await page.GetAttributeAsync("#publish-counts", "data-ended"));

        // The publisher ends cart's users instead: 2 would end, more than 1, so the page asks again, naming the number.
        await page.SelectOptionAsync("select.publish-choice[data-journey=cart]", "end");
        await page.WaitForFunctionAsync("() => document.getElementById('publish-counts')?.dataset.ended === '2'");
        await page.ClickAsync("#publish-confirm");
        await page.WaitForSelectorAsync("#publish-confirm-again");
        Assert.Contains("2", await page.TextContentAsync(".publish-again .error"));
        Assert.True(host.Runtime.Store.State("cart", "u1")!.Active);   // nothing happened yet
        await Screenshots.ShootAsync(page, "publish-confirm", lang);
        await page.ClickAsync("#publish-confirm-again");
        await page.WaitForSelectorAsync("#publish-body .published");
        Assert.False(host.Runtime.Store.State("cart", "u1")!.Active);
        Assert.Equal(2, host.Runtime.Store.JourneyEnds().Count(e => e.Reason == LiveRuntime.EndedOnPublish));
        Assert.Contains(host.Runtime.Model.Journeys.Single(j => j.Name == "cart").Steps, s => s is Core.Semantics.BoundSend { Template: "ack" });

        // The Publications page: roll back to #1 in one click (a preview, then its confirmation).
        await page.GotoAsync($"{host.Url}/Publications");
        await page.WaitForSelectorAsync("body[data-ready=true]");
        Assert.Contains(lang == "en" ? "users in flight ended by choice: cart" : "按选择结束进行中用户的旅程： cart",
            await page.TextContentAsync("#publications tr[data-id='2']"));
        Assert.Equal(0, await page.Locator("#publications tr[data-id='2'] button.rollback").CountAsync());   // #2 runs now
        await page.ClickAsync("#publications tr[data-id='1'] button.rollback");
        await page.WaitForSelectorAsync("#rollback-panel #publish-confirm");
        await Screenshots.ShootAsync(page, "publish-rollback", lang);
        await page.ClickAsync("#rollback-panel #publish-confirm");
        await page.WaitForSelectorAsync("#publications tr[data-id='3']");
        Assert.Contains("#1", await page.TextContentAsync("#publications tr[data-id='3'] .rolled-back"));
        var cartSteps = host.Runtime.Model.Journeys.Single(j => j.Name == "cart").Steps;
        Assert.DoesNotContain(cartSteps, s => s is Core.Semantics.BoundSend { Template: "ack" });
        // The workspace is the rolled-back files again (so a restart installs the same), the change kept in History.
        Assert.Equal(LiveEditorHost.Main, File.ReadAllText(Path.Combine(host.Workspace, "main.mdsl")));
        Assert.Equal(LiveEditorHost.Main, host.Store.History("main.mdsl")[0].Text);
        var rollback = host.Store.PublicationHistory()[0];
        Assert.Equal((1, "publisher1"), (rollback.RolledBackTo, rollback.Author));
        Assert.Empty(browser.ConsoleErrors);
    }

    [Fact]
    public async Task The_server_refuses_unconfirmed_ends_above_the_threshold_and_unknown_journeys()
    {
        await using var host = await LiveEditorHost.StartAsync(settings: s => s.PublishConfirmEnds = 1);
        await TwoUsersWaitInCart(host);
        var publisher = await host.SignedIn("publisher1");
        var preview = await Answer(await publisher.PostAsync("/api/publish/preview", Json("""{"end":["cart"]}""")), HttpStatusCode.OK);
        Assert.Equal(2, preview.GetProperty("endedCount").GetInt32());
        var cart = preview.GetProperty("choices").EnumerateArray().Single(j => j.GetProperty("journey").GetString() == "cart");
        Assert.Equal((2, 0, true),
            (cart.GetProperty("users").GetInt32(), cart.GetProperty("endIfContinue").GetInt32(), cart.GetProperty("end").GetBoolean()));
        var hash = preview.GetProperty("hash").GetString();

        var refused = await Answer(await publisher.PostAsync("/api/publish", Json($$"""{"hash":"{{hash}}","end":["cart"]}""")),
            HttpStatusCode.Conflict);
        Assert.True(refused.GetProperty("needsConfirmation").GetBoolean());
        Assert.Equal(2, refused.GetProperty("endedCount").GetInt32());
        // Confirming fewer ends than there are is no confirmation.
        await Answer(await publisher.PostAsync("/api/publish", Json($$"""{"hash":"{{hash}}","end":["cart"],"confirmEnds":1}""")),
            HttpStatusCode.Conflict);
        await Answer(await publisher.PostAsync("/api/publish", Json($$"""{"hash":"{{hash}}","end":["nope"]}""")), HttpStatusCode.BadRequest);
        await Answer(await publisher.PostAsync("/api/publish/preview", Json("""{"rollbackTo":99}""")), HttpStatusCode.BadRequest);
        Assert.Empty(host.Store.PublicationHistory());
        Assert.True(host.Runtime.Store.State("cart", "u1")!.Active);

        var published = await Answer(await publisher.PostAsync("/api/publish", Json($$"""{"hash":"{{hash}}","end":["cart"],"confirmEnds":2}""")),
            HttpStatusCode.OK);
        Assert.Equal(2, published.GetProperty("endedCount").GetInt32());
        Assert.Equal(["cart"], host.Store.PublicationHistory()[0].EndedJourneys);
    }

    private static async Task<JsonElement> Answer(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
