using System.Text.Json;
using System.Text.Json.Nodes;
using MarketingDsl.Engine.Data;
using MarketingDsl.Functions.Loading;
using MarketingDsl.Journeys.Replay;
using MarketingDsl.Web.Security;
using MarketingDsl.Web.Simulations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace MarketingDsl.Web.Tests;

/// <summary>
/// The journey replay of the Simulation page in a real browser: the working copy's journeys
/// replayed on the data folder over (from, to] by the engine's JourneyReplay (what `mdsl simulate
/// --from --to` runs: the answer equals its journeys.json), each journey drawn in the Results
/// page's view, a window that is no window refused with its reason, and a queued replay cancelled.
/// Screenshots: artifacts/simulation-replay.{en,zh-CN}.png.
/// </summary>
public sealed class BrowserReplayTests
{
    private static readonly DateTime From = new(2025, 6, 1, 0, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime To = new(2025, 6, 29, 0, 0, 0, DateTimeKind.Utc);

    [Theory]
    [InlineData("en")]
    [InlineData("zh-CN")]
    public async Task Replay_the_journeys_see_each_in_the_results_view_and_cancel_a_queued_one(string lang)
    {
        var workspace = TestPaths.CopyRetail();
        var (app, baseUrl) = await KestrelEditor.StartAsync(workspace, [("marketer", Roles.Editor)], "--Editor:DataRoot", SimulationData.Root);
        await using var _ = app;
        await using var browser = await BrowserSession.OpenAsync(1400, 1000);
        var page = browser.Page;
        await browser.SignInAtAsync($"{baseUrl}/Simulation?lang={lang}", "marketer", "password-marketer");
        await page.SelectOptionAsync("#sim-folder", SimulationData.Folder);

        // A window that ends before it starts: refused with the reason, nothing runs.
        await page.FillAsync("#replay-from", "2025-06-29T00:00:00Z");
        await page.FillAsync("#replay-to", "2025-06-01T00:00:00Z");
        await page.ClickAsync("#replay-run");
        await page.WaitForSelectorAsync("#replay-error:not([hidden])");
        Assert.Contains("'to' must be later than 'from'", await page.InnerTextAsync("#replay-error"));

        await page.FillAsync("#replay-from", "2025-06-01T00:00:00Z");
        await page.FillAsync("#replay-to", "2025-06-29T00:00:00Z");
        await page.ClickAsync("#replay-run");
        await page.WaitForSelectorAsync("body[data-replay=done]");
        Assert.True(await page.IsHiddenAsync("#replay-error"));

        // The answer is the journeys.json of the engine's replay on the same data and window.
        var compilation = FunctionCompilation.Create(MarketingDsl.Core.Workspace.Load(workspace));
        var expected = JourneyReplay.Run(compilation.Model, DataImporter.Load(compilation.Model.Schema, SimulationData.RetailFolder), From, To);
        var run = await page.GetAttributeAsync("#replay", "data-run");
        var shown = await page.EvaluateAsync<string>("id => fetch('/api/replays/' + id).then(r => r.text())", run);
        var journeys = JsonNode.Parse(shown)!["journeys"];
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected.ToJson()), journeys), "the replay differs from JourneyReplay.Run's journeys.json");

        // Each journey in the Results page's view: the funnel of the chosen journey.
        Assert.Equal(journeys!["journeys"]!.AsObject().Count, await page.Locator("#replay-journey option").CountAsync());
        var busiest = expected.Results.MaxBy(r => r.Value.Total.Entered).Key;
        await page.SelectOptionAsync("#replay-journey", busiest);
        await page.WaitForSelectorAsync($"#replay-result[data-journey='{busiest}']");
        Assert.Equal(6, await page.Locator("#results-kpis .kpi").CountAsync());
        Assert.Contains(expected.Results[busiest].Total.Entered.ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
            await page.InnerTextAsync("#results-kpis"));
        Assert.Equal(1, await page.Locator("#results-funnel svg").CountAsync());
        Assert.Contains(lang == "en" ? "Converted" : "已转化", await page.InnerTextAsync("#results-funnel"));
        await page.Locator("#replay").ScrollIntoViewIfNeededAsync();
        await Screenshots.ShootAsync(page, "simulation-replay", lang, fullPage: true);

        // A replay queued behind other engine work, cancelled before it starts: it says so.
        var jobs = app.Services.GetRequiredService<SimulationJobs>();
        using var release = new ManualResetEventSlim();
        var busy = jobs.Exclusive(() => release.Wait(TimeSpan.FromMinutes(2)));
        await page.ClickAsync("#replay-run");
        await page.WaitForSelectorAsync("#replay-cancel:not([hidden])");
        await page.ClickAsync("#replay-cancel");
        await page.WaitForFunctionAsync(
            "() => fetch('/api/replays/' + document.getElementById('replay').dataset.run).then(r => r.json())" +
            ".then(r => r.status === 'queued')");
        release.Set();
        await busy;
        await page.WaitForSelectorAsync("body[data-replay=cancelled]");
        Assert.Contains(lang == "en" ? "cancelled" : "已取消", await page.InnerTextAsync("#replay-error"));
        Assert.Empty(browser.ConsoleErrors);
        await app.StopAsync();
    }
}
