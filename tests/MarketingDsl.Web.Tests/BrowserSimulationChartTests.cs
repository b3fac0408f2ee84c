using MarketingDsl.Models.Registry;
using MarketingDsl.Models.Training;
using MarketingDsl.Web.Security;
using Microsoft.Playwright;

namespace MarketingDsl.Web.Tests;

/// <summary>
/// Readable charts on the simulation page, in both UI languages: skewed numbers in 1-2-5 or
/// quantile ranges (said under the chart), tags in sections by file or by family, a filter, and
/// the models a tag reads with their report (AUC, training instant, link to the Models page)
/// instead of an empty chart. Screenshots: artifacts/simulation-charts.{en,zh-CN}.png.
/// </summary>
public sealed class BrowserSimulationChartTests
{
    [Theory]
    [InlineData("en")]
    [InlineData("zh-CN")]
    public async Task Charts_are_grouped_filtered_binned_for_skew_and_show_the_models_report(string lang)
    {
        var workspace = TestPaths.CopyRetail();
        // churn_risk was trained on an earlier declaration: stale, with the report of that training.
        using (var registry = new ModelRegistry(ModelRegistry.PathFor(workspace)))
        {
            var asOf = new DateTime(2025, 5, 1, 0, 0, 0, DateTimeKind.Utc);
            var report = new ModelReport("churn_risk", "classifier", "fast_tree", asOf, null, 500, 100, 50, 450,
                new ClassifierQuality(0.712, 0.8, 0.5, 0.4, 0.3, []), null, null, null, [], []);
            registry.Save(new TrainedModel
            {
                Name = "churn_risk", Kind = "classifier", Algorithm = "fast_tree", DeclarationHash = "an earlier declaration", FeatureHash = "",
                AsOfUtc = report.AsOfUtc, TrainedAtUtc = new DateTime(2025, 5, 2, 8, 30, 0, DateTimeKind.Utc), TrainedBy = "analyst",
                ReportJson = report.ToJson(),
            });
        }
        var (app, baseUrl) = await KestrelEditor.StartAsync(workspace, [("marketer", Roles.Editor)], "--Editor:DataRoot", SimulationData.Root);
        await using var _ = app;
        await using var browser = await BrowserSession.OpenAsync(1400, 1000);
        var page = browser.Page;
        await browser.SignInAtAsync($"{baseUrl}/Simulation?lang={lang}", "marketer", "password-marketer");
        await page.SelectOptionAsync("#sim-folder", SimulationData.Folder);
        await page.ClickAsync("#sim-run");
        await page.WaitForSelectorAsync("body[data-simulation=done]");

        // The model tags: the report of the stale model with its AUC and training instant, linked to the Models page.
        var stale = page.Locator("figure[data-tag=churn_prob] li[data-model=churn_risk]");
        Assert.Equal("stale", await stale.GetAttributeAsync("data-state"));
        var staleText = await stale.InnerTextAsync();
        Assert.Contains("AUC 0.712", staleText);
        Assert.Contains("2025-05-02 08:30:00", staleText);
        Assert.Equal("/Models#model-churn_risk", await stale.Locator("a").GetAttributeAsync("href"));
        Assert.Equal("untrained", await page.Locator("figure[data-tag=ltv_60d_value] li[data-model=ltv_60d]").GetAttributeAsync("data-state"));
        Assert.Contains(lang == "en" ? "not trained" : "未训练", await page.InnerTextAsync("figure[data-tag=ltv_60d_value]"));

        // Money is skewed: its ranges grow 1-2-5 and the chart says so.
        Assert.Equal("log", await page.Locator("figure[data-tag=lifetime_spend]").GetAttributeAsync("data-scale"));
        Assert.Contains(lang == "en" ? "1-2-5" : "1-2-5 递增", await page.InnerTextAsync("figure[data-tag=lifetime_spend] .tag-scale"));

        // Sections by file (the default), then by family: the orders_* tags together.
        Assert.True(await page.Locator("details.tag-group[data-group='tags/value.mdsl'] figure[data-tag=annual_spend]").CountAsync() == 1);
        await page.SelectOptionAsync("#sim-group", "family");
        var orders = await page.Locator("details.tag-group[data-group=orders] figure").EvaluateAllAsync<string[]>("fs => fs.map(f => f.dataset.tag)");
        Assert.Equal(["orders_30d", "orders_365d", "orders_90d"], orders.Order(StringComparer.Ordinal));

        // The filter keeps the tags, segments and groups whose name, label or file contains the text.
        await page.FillAsync("#sim-filter", "spend");
        var shown = await page.Locator("#sim-tags figure").EvaluateAllAsync<string[]>("fs => fs.map(f => f.dataset.tag)");
        Assert.Contains("annual_spend", shown);
        Assert.Contains("spend_level", shown);
        Assert.DoesNotContain("orders_30d", shown);
        Assert.Contains("/", await page.InnerTextAsync("#sim-filter-count"));
        await page.SetViewportSizeAsync(1400, 1800);
        await Screenshots.ShootAsync(page, "simulation-charts", lang);
        await page.FillAsync("#sim-filter", "");
        await page.SelectOptionAsync("#sim-group", "file");
        Assert.True(await page.Locator("#sim-tags figure").CountAsync() > 40);

        Assert.Empty(browser.ConsoleErrors);
        await app.StopAsync();
    }
}
