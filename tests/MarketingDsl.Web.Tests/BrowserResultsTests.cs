using System.Globalization;
using System.Text;
using MarketingDsl.Engine.Data;
using MarketingDsl.Journeys.Replay;
using Microsoft.Playwright;

namespace MarketingDsl.Web.Tests;

/// <summary>
/// The Results page in Debian's chromium: live results of a running runtime (refreshed while
/// events arrive), in English and 简体中文 with screenshots, and the same view from a replay's
/// journeys.json; CSV export.
/// </summary>
public sealed class BrowserResultsTests
{
    private const string Schema = """
        schema {
          profile { user_id: string key }
          event cart_add { price: decimal? }
          event order { order_id: string unique, amount: decimal }
        }
        """;

    private const string Main = """
        channel push { cost: 0.02 }
        channel sms { cost: 0.05 }
        journey cart "购物车挽回" {
          trigger: cart_add where price > 100
          goal: order within 2d value amount
          holdout: 30%
          steps {
            send push "reminder"
            split "copy" {
              50%: send sms "a"
              50%: send push "b"
            }
          }
        }
        """;

    [Fact]
    public async Task Results_page_shows_live_results_in_both_languages_and_a_replay_file()
    {
        await using var host = await LiveEditorHost.StartAsync(kestrel: true, schema: Schema, main: Main);
        var events = History(300);
        var users = events.Select(e => e.User).Distinct().Order(StringComparer.Ordinal).ToArray();
        host.Runtime.IngestProfiles(Json("[" + string.Join(",", users.Select(u => $$"""{"user_id":"{{u}}"}""")) + "]"));
        host.Runtime.IngestEvents(Json("[" + string.Join(",", events.Select(EventJson)) + "]"));

        await using var browser = await BrowserSession.OpenAsync(1280, 1400);
        var page = browser.Page;
        await page.GotoAsync(host.Url + "/Results");
        await browser.SignInAsync("viewer1", "password-viewer1");
        foreach (var (language, funnel) in new[] { (Screenshots.English, "Converted"), (Screenshots.Chinese, "已转化") })
        {
            await page.GotoAsync(host.Url + "/Results?lang=" + language);
            await page.WaitForSelectorAsync("body[data-results-ready=true]");
            await page.WaitForSelectorAsync("#results-uplift svg circle");
            Assert.Contains(funnel, await page.InnerTextAsync("#results-funnel"));
            Assert.Contains("copy", await page.InnerTextAsync("#results-branches"));
            Assert.Equal(5, await page.Locator("#results-attribution-table tbody tr").CountAsync());
            await Screenshots.ShootAsync(page, "results", language, funnel, fullPage: true);
        }

        // Live: new events show up at the next poll, without reloading the page.
        var before = await EnteredShown(page);
        host.Runtime.IngestEvents(Json($$"""[{"type":"cart_add","user_id":"{{users[0]}}","ts":"2025-06-20T10:00:00Z","price":500}]"""));
        await page.WaitForFunctionAsync($"() => {EnteredKpi} === {before + 1}", null, new PageWaitForFunctionOptions { Timeout = 20_000 });

        // CSV export of what is shown.
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#results-csv"));
        var csv = await File.ReadAllTextAsync((await download.PathAsync())!);
        Assert.StartsWith("journey,slice,key,entered,sent", csv);
        Assert.Contains("cart,channel,sms,", csv);

        // A replay's journeys.json: the same view.
        var model = RuntimeModel(host);
        var data = InMemoryData.Build(model.Schema, users.Select(u => new object?[] { u }),
            events.Select(e => (model.Schema.FindEvent(e.Type)!, e.Type == "cart_add" ? new object?[] { e.User, e.Ts, e.Value }
                : [e.User, e.Ts, e.Id, e.Value])));
        var replay = JourneyReplay.Run(model, data, new DateTime(2025, 6, 1, 0, 0, 0, DateTimeKind.Utc), new DateTime(2025, 6, 15, 0, 0, 0,
            DateTimeKind.Utc));
        var file = Path.Combine(host.Root, "journeys.json");
        File.WriteAllText(file, replay.ToJson());
        // The page is in 简体中文 here; a file opened from disk does not survive a reload, so English opens it again.
        foreach (var language in new[] { Screenshots.Chinese, Screenshots.English })
        {
            if (language == Screenshots.English)
            {
                await page.GotoAsync(host.Url + "/Results?lang=" + language);
                await page.WaitForSelectorAsync("body[data-results-ready=true]");
            }
            await page.SetInputFilesAsync("#results-file", file);
            await page.WaitForFunctionAsync("() => document.getElementById('results-source').textContent.includes('journeys.json')");
            Assert.Equal(replay.Results["cart"].Total.Entered, await EnteredShown(page));
            await page.WaitForSelectorAsync("#results-uplift svg circle");
            await Screenshots.ShootAsync(page, "results-replay", language, "已转化", fullPage: true);
        }
    }

    /// <summary>The "entered" figure the page shows (its first key figure), as a number.</summary>
    private const string EnteredKpi = "parseInt(document.querySelector('#results-kpis .kpi .kpi-value').textContent.replace(/\\D/g, ''), 10)";

    private static Task<int> EnteredShown(IPage page) => page.EvaluateAsync<int>("() => " + EnteredKpi);

    private static MarketingDsl.Core.Semantics.SemanticModel RuntimeModel(LiveEditorHost host) => host.Runtime.Model;

    /// <summary>Carts and orders of <paramref name="n"/> users over two weeks (seeded): about one in three converts.</summary>
    private static List<(string Type, string User, DateTime Ts, decimal Value, string Id)> History(int n)
    {
        var random = new Random(3);
        var list = new List<(string, string, DateTime, decimal, string)>();
        var start = new DateTime(2025, 6, 1, 0, 0, 0, DateTimeKind.Utc);
        for (var i = 0; i < n; i++)
        {
            var user = "u" + i.ToString("000", CultureInfo.InvariantCulture);
            var at = start.AddMinutes(random.Next(13 * 24 * 60));
            list.Add(("cart_add", user, at, 150 + random.Next(300), ""));
            if (random.NextDouble() < 0.35) list.Add(("order", user, at.AddHours(1 + random.Next(30)), 50 + random.Next(500), "o"
                + i.ToString(CultureInfo.InvariantCulture)));
        }
        return [.. list.OrderBy(e => e.Item3)];
    }

    private static string EventJson((string Type, string User, DateTime Ts, decimal Value, string Id) e) =>
        e.Type == "cart_add"
            ? $$"""{"type":"cart_add","user_id":"{{e.User}}","ts":"{{e.Ts:yyyy-MM-dd'T'HH:mm:ss'Z'}}","price":{{e.Value}}}"""
            : $$"""{"type":"order","user_id":"{{e.User}}","ts":"{{e.Ts:yyyy-MM-dd'T'HH:mm:ss'Z'}}","order_id":"{{e.Id}}","amount":{{e.Value}}}""";

    private static System.Text.Json.JsonElement Json(string text) => System.Text.Json.JsonDocument.Parse(text).RootElement.Clone();
}
