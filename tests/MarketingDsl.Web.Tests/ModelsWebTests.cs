using System.Diagnostics;
using System.Net;
using System.Text.Json;
using MarketingDsl.Engine.Data;
using MarketingDsl.Web.Security;
using MarketingDsl.Web.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Playwright;

namespace MarketingDsl.Web.Tests;

/// <summary>
/// The Models page and its API over examples/retail and a generated history with the generator's
/// planted signals (a few thousand users, so training stays quick): a viewer cannot train, an
/// editor's run trains the models into the workspace's registry with its name as author, the
/// reports come back, and the simulation page then scores model tags from the registry instead
/// of showing them as empty. The browser test trains from the page and leaves models.{en,zh-CN}.png,
/// models-recommender.{en,zh-CN}.png and journey-send-items.{en,zh-CN}.png in tests/MarketingDsl.Web.Tests/artifacts/.
/// </summary>
public sealed class ModelsWebTests
{
    private const string Folder = "history";

    private static readonly Lazy<string> LazyRoot = new(() =>
    {
        var root = Path.Combine(TestFolders.New(), "data");
        RetailDataGenerator.Generate(Path.Combine(root, Folder), users: 3000, days: 240, seed: 5, endUtc: SimulationData.End);
        return root;
    });

    private static async Task<(WebApplication App, string BaseUrl, string Workspace)> StartAsync()
    {
        var workspace = TestPaths.CopyRetail();
        var db = Path.Combine(Path.GetDirectoryName(workspace)!, "editor.db");
        using (var store = new EditorStore(db))
        {
            var accounts = new Accounts(store, TimeProvider.System);
            Assert.Null(accounts.AddOrUpdate("editor1", "password-editor1", Roles.Editor, out _));
            Assert.Null(accounts.AddOrUpdate("viewer1", "password-viewer1", Roles.Viewer, out _));
        }
        var app = EditorApp.Build(["--urls", "http://127.0.0.1:0", "--Editor:Workspace", workspace, "--Editor:Db", db,
            "--Editor:DataRoot", LazyRoot.Value, "--Logging:LogLevel:Default", "Warning"]);
        await app.StartAsync();
        return (app, app.Urls.Single(), workspace);
    }

    private static async Task<HttpClient> SignedIn(string baseUrl, string user) =>
        await EditorFactory.SignIn(new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() })
        { BaseAddress = new Uri(baseUrl) }, user);

    private static StringContent Json(object body) => new(JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json");

    private static async Task<JsonElement> Answer(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    private static async Task<JsonElement> Poll(HttpClient client, string url, Func<JsonElement, bool> finished)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(180))
        {
            var answer = await Answer(await client.GetAsync(url), HttpStatusCode.OK);
            if (finished(answer)) return answer;
            await Task.Delay(50);
        }
        throw new TimeoutException(url);
    }

    private static async Task<JsonElement> Simulate(HttpClient client)
    {
        var started = await Answer(await client.PostAsync("/api/simulations", Json(new { folder = Folder })), HttpStatusCode.Accepted);
        var answer = await Poll(client, $"/api/simulations/{started.GetProperty("id").GetInt32()}",
            a => a.GetProperty("run").GetProperty("status").GetString() is not ("queued" or "running"));
        var run = answer.GetProperty("run");
        Assert.Equal("done", run.GetProperty("status").GetString());
        return run;
    }

    private static JsonElement Tag(JsonElement run, string name) => run.GetProperty("tags").EnumerateArray().Single(t =>
        t.GetProperty("name").GetString() == name);

    [Fact]
    public async Task A_viewer_cannot_train_an_editor_trains_into_the_registry_and_simulations_then_score_model_tags()
    {
        var (app, baseUrl, workspace) = await StartAsync();
        await using var running = app;
        using var viewer = await SignedIn(baseUrl, "viewer1");
        using var editor = await SignedIn(baseUrl, "editor1");

        // Before training: every model is "never trained", and the simulation says so on the tags that read one.
        var before = await Answer(await viewer.GetAsync("/api/models"), HttpStatusCode.OK);
        Assert.False(before.GetProperty("canRun").GetBoolean());
        var names = before.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("name").GetString()!).ToArray();
        Assert.Equal(["churn_risk", "repurchase_30d", "ltv_60d", "value_clusters", "picks"], names);
        Assert.All(before.GetProperty("models").EnumerateArray(), m => Assert.Equal("untrained", m.GetProperty("state").GetString()));
        var untrainedRun = await Simulate(editor);
        Assert.Equal("churn_risk", Tag(untrainedRun, "churn_prob").GetProperty("notScoredModel").GetString());
        Assert.Equal("untrained", Tag(untrainedRun, "churn_prob").GetProperty("notScoredState").GetString());

        // A viewer is refused; a bad folder is a clear 400.
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsync("/api/models/train", Json(new { folder = Folder }))).StatusCode);
        var bad = await Answer(await editor.PostAsync("/api/models/train", Json(new { folder = "../etc" })), HttpStatusCode.BadRequest);
        Assert.False(string.IsNullOrEmpty(bad.GetProperty("error").GetString()));

        // An editor trains: progress counts models, the run ends with every model trained.
        var started = await Answer(await editor.PostAsync("/api/models/train", Json(new { folder = Folder })), HttpStatusCode.Accepted);
        Assert.Equal(5, started.GetProperty("total").GetInt32());
        var seen = new HashSet<string>();
        var run = await Poll(editor, $"/api/models/train/{started.GetProperty("id").GetInt32()}", r =>
        {
            if (r.GetProperty("current").GetString() is { Length: > 0 } current) seen.Add(current);
            return r.GetProperty("status").GetString() is not ("queued" or "running");
        });
        Assert.True(run.GetProperty("status").GetString() == "done", run.ToString());
        Assert.Equal(5, run.GetProperty("done").GetInt32());
        Assert.Equal(["churn_risk", "ltv_60d", "picks", "repurchase_30d", "value_clusters"], run.GetProperty("trained").EnumerateArray().Select(t =>
            t.GetString()!).Order(StringComparer.Ordinal));
        Assert.All(seen, s => Assert.Contains(s, names));
        Assert.True(File.Exists(Path.Combine(workspace, ".mdsl", "models.db")));

        // The reports, readable by a viewer: the churn model's AUC and calibration, the author and the as-of.
        var after = await Answer(await viewer.GetAsync("/api/models"), HttpStatusCode.OK);
        var churn = after.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "churn_risk");
        Assert.Equal("trained", churn.GetProperty("state").GetString());
        Assert.Equal("editor1", churn.GetProperty("trainedBy").GetString());
        Assert.Equal(run.GetProperty("asOfUtc").GetDateTime(), churn.GetProperty("asOfUtc").GetDateTime());
        var classifier = churn.GetProperty("report").GetProperty("classifier");
        Assert.InRange(classifier.GetProperty("auc").GetDouble(), 0.6, 1.0);
        Assert.Equal(10, classifier.GetProperty("calibration").GetArrayLength());
        Assert.NotEqual(0, churn.GetProperty("report").GetProperty("importance").GetArrayLength());
        var ltv = after.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "ltv_60d");
        Assert.True(ltv.GetProperty("report").GetProperty("regression").TryGetProperty("r_squared", out _));

        // A hover on a model member says its AUC and when it was trained.
        var hover = await Answer(await editor.PostAsync("/api/hover",
            Json(new { path = "tags/extra.mdsl", text = "tag a = churn_risk.probability", line = 1, column = 12 })),
            HttpStatusCode.OK);
        var markdown = hover.GetProperty("hover").GetProperty("markdown").GetString()!;
        Assert.Contains($"AUC {classifier.GetProperty("auc").GetDouble().ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)}",
            markdown);
        Assert.Contains("by editor1", markdown);

        // The simulation now scores the model tags from the registry.
        var scoredRun = await Simulate(editor);
        var churnProb = Tag(scoredRun, "churn_prob");
        Assert.Equal(JsonValueKind.Null, churnProb.TryGetProperty("notScoredModel", out var model) ? model.ValueKind : JsonValueKind.Null);
        Assert.True(churnProb.GetProperty("empty").GetInt64() < scoredRun.GetProperty("users").GetInt64(), churnProb.ToString());

        // The registry is the one `mdsl simulate` and `mdsl serve` read: every model fresh for the saved workspace, trained by editor1.
        var saved = MarketingDsl.Functions.Loading.FunctionCompilation.Create(MarketingDsl.Core.Workspace.Load(workspace));
        using (var registry = MarketingDsl.Models.Registry.ModelRegistry.OpenExisting(workspace))
        {
            var scorer = new MarketingDsl.Models.Scoring.RegistryScorer(saved.Model, registry!.All());
            Assert.All(saved.Model.Models, m => Assert.Equal(MarketingDsl.Models.Scoring.ModelState.Fresh, scorer.States[m.Name]));
            Assert.All(registry.All(), e => Assert.Equal("editor1", e.TrainedBy));
        }

        // A changed declaration makes its model stale on the page, with the reason; the others stay trained.
        var models = Path.Combine(workspace, "models.mdsl");
        File.WriteAllText(models, File.ReadAllText(models).Replace("  seed: 42\n", "  seed: 43\n", StringComparison.Ordinal));
        var edited = await Answer(await viewer.GetAsync("/api/models"), HttpStatusCode.OK);
        var stale = edited.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "churn_risk");
        Assert.Equal("stale", stale.GetProperty("state").GetString());
        Assert.Equal("declaration", stale.GetProperty("reason").GetString());
        Assert.Equal("editor1", stale.GetProperty("trainedBy").GetString());
        Assert.Equal("trained", edited.GetProperty("models").EnumerateArray().Single(m =>
            m.GetProperty("name").GetString() == "ltv_60d").GetProperty("state").GetString());
    }

    [Fact]
    public async Task Train_from_the_models_page_and_see_the_auc_and_the_charts_in_both_languages()
    {
        var (app, baseUrl, _) = await StartAsync();
        await using var __ = app;
        await using var browser = await BrowserSession.OpenAsync(1400, 1200);
        var page = browser.Page;
        await browser.SignInAtAsync(baseUrl + "/Models", "editor1", "password-editor1");
        Assert.Equal("untrained", await page.GetAttributeAsync("section[data-model=churn_risk]", "data-state"));

        await page.SelectOptionAsync("#models-folder", Folder);
        await page.ClickAsync("#models-train");
        await page.WaitForSelectorAsync("section[data-model=churn_risk][data-state=trained]", new PageWaitForSelectorOptions { Timeout = 120_000 });
        var auc = await page.InnerTextAsync("section[data-model=churn_risk] [data-metric=auc] dd");
        Assert.InRange(double.Parse(auc, System.Globalization.CultureInfo.InvariantCulture), 0.6, 1.0);
        Assert.Equal(10, await page.Locator("section[data-model=churn_risk] svg.chart-calibration circle.chart-dot").CountAsync());
        Assert.True(await page.Locator("section[data-model=churn_risk] svg.chart-importance rect.sim-bar").CountAsync() >= 3);
        Assert.Contains("editor1", await page.InnerTextAsync("section[data-model=churn_risk] .model-meta"));
        Assert.Equal(4, await page.Locator("section[data-model=value_clusters] table tbody tr").CountAsync());
        Assert.Contains("5", await page.InnerTextAsync("#models-outcome"));

        // The recommender's report: itself and both baselines on the same split, one row each with its hit rate.
        var methods = page.Locator("section[data-model=picks] .model-recommendations tbody tr");
        Assert.Equal(3, await methods.CountAsync());
        Assert.Equal(["picks", "popularity", "category_bestsellers"], await page.Locator(
            "section[data-model=picks] .model-recommendations tbody tr td:first-child").AllInnerTextsAsync());
        Assert.All(await page.Locator("section[data-model=picks] .model-recommendations tbody tr td:nth-child(2)").AllInnerTextsAsync(),
            hitRate => Assert.Matches(@"^[01]\.\d{3}$", hitRate));
        Assert.Contains("hit rate@10", await page.InnerTextAsync("section[data-model=picks] .model-recommendations thead"));
        await Screenshots.ShootAsync(page, "models", Screenshots.English, fullPage: true);
        await Screenshots.ShootAsync(page.Locator("section[data-model=picks]"), "models-recommender", Screenshots.English);
        await page.GotoAsync(baseUrl + "/Models?lang=zh-CN");
        await page.WaitForSelectorAsync("body[data-ready=true]");
        Assert.Contains("已训练", await page.InnerTextAsync("section[data-model=churn_risk] .model-state"));
        Assert.Contains("按十分位校准", await page.InnerTextAsync("section[data-model=churn_risk]"));
        await Screenshots.ShootAsync(page, "models", Screenshots.Chinese, "按十分位校准", fullPage: true);
        Assert.Equal(3, await page.Locator("section[data-model=picks] .model-recommendations tbody tr").CountAsync());
        Assert.Contains("推荐效果与基线对比", await page.InnerTextAsync("section[data-model=picks]"));
        await Screenshots.ShootAsync(page.Locator("section[data-model=picks]"), "models-recommender", Screenshots.Chinese, "推荐效果与基线对比");

        // The send that carries the recommender's items, as the editor's journey view shows it, in both languages.
        foreach (var lang in Screenshots.Languages)
        {
            await page.GotoAsync(baseUrl + $"/?lang={lang}&panel=journeys");
            var send = page.Locator(".journey[data-journey='related_items'] .step.send .node");
            await send.Locator(".items").WaitForAsync();
            Assert.Equal("items: picks.related(last(cart_add.sku), 3)", await send.Locator(".items").InnerTextAsync());
            Assert.Contains("related_items", await send.Locator(".template").InnerTextAsync());
            await Screenshots.ShootAsync(page.Locator(".journey[data-journey='related_items']"), "journey-send-items", lang);
        }
    }
}
