using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using MarketingDsl.Engine.Data;
using MarketingDsl.Journeys;
using MarketingDsl.Testing;

namespace MarketingDsl.Cli.Tests;

/// <summary>
/// examples/retail's recommender as a user meets it: `mdsl train` on a generated history, then a real
/// `mdsl serve` where a cart add posted to /api/events becomes, an hour later, the `related_items`
/// send whose outbox line carries `picks.related(last(cart_add.sku), 3)` — the items batch replay
/// (`mdsl simulate --from --to`) sends for the same events.
/// </summary>
public sealed class ServeRecommenderTests : IDisposable
{
    private const string AdminToken = "a-test-admin-token-of-enough-length";
    private readonly ServeSandbox _serve = new("mdsl-serve-reco");
    private string Root => _serve.Root;

    public void Dispose() => _serve.Dispose();

    [Fact]
    public async Task A_posted_cart_add_sends_the_related_items_that_batch_replay_sends()
    {
        var workspace = Path.Combine(Root, "retail");
        foreach (var file in Directory.EnumerateFiles(RepoRoot.Combine("examples", "retail"), "*.*", SearchOption.AllDirectories)
                     .Where(f => f.EndsWith(".mdsl", StringComparison.Ordinal) || f.EndsWith(".csx", StringComparison.Ordinal)))
        {
            var target = Path.Combine(workspace, Path.GetRelativePath(RepoRoot.Combine("examples", "retail"), file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        var history = Path.Combine(Root, "history");
        RetailDataGenerator.Generate(history, users: 1500, days: 200, seed: 19, coPurchase: 0.6);
        var (exit, output, error) = await Cli("train", workspace, "--data", history);
        Assert.True(exit == 0, output + error);
        Assert.Matches(@"picks hit_rate@10 0\.\d{3}", output);

        // A sku the recommender relates to at least three others: the first planted partner pair it learned.
        var picks = Trained(workspace);
        var item = Enumerable.Range(0, 40).SelectMany(n => new[] { "formula", "fresh", "beverages" }.Select(c => $"sku_{c}_{n:D3}"))
            .First(sku => picks.RelatedTo(sku, 3).Length == 3);
        // A user the journey's 10% holdout leaves treated, so the send is delivered.
        var user = Enumerable.Range(1, 100).Select(i => $"live{i}").First(id => !StableBucket.Below(StableBucket.Raw(id, "related_items", ""), 10));
        var profile = $$"""{"user_id":"{{user}}","gender":"f","city":"上海","member_level":1,"registered_at":"2025-01-01T00:00:00Z"}""";
        var cartAdd = $$"""{"type":"cart_add","user_id":"{{user}}","ts":"2026-01-05T10:00:00Z","sku":"{{item}}","category":"x","price":10}""";

        // Batch: the same profile and event replayed over the day.
        var tiny = Path.Combine(Root, "tiny");
        Directory.CreateDirectory(tiny);
        File.WriteAllText(Path.Combine(tiny, "profiles.jsonl"), profile + "\n");
        File.WriteAllText(Path.Combine(tiny, "events.jsonl"), cartAdd + "\n");
        var replayOut = Path.Combine(Root, "replay");
        (exit, output, error) = await Cli("simulate", workspace, "--data", tiny, "--out", replayOut, "--quiet",
            "--from", "2026-01-05T00:00:00Z", "--to", "2026-01-06T00:00:00Z");
        Assert.True(exit == 0, output + error);
        Assert.DoesNotContain("MD600", error);
        string[] replayed;
        using (var journeys = JsonDocument.Parse(File.ReadAllText(Path.Combine(replayOut, "journeys.json"))))
        {
            var send = journeys.RootElement.GetProperty("journeys").GetProperty("related_items").GetProperty("steps").EnumerateObject()
                .Single(s => s.Value.TryGetProperty("top_items", out _)).Value;
            Assert.Equal(1, send.GetProperty("delivered").GetInt64());
            replayed = [.. send.GetProperty("top_items").EnumerateArray().Select(i => i.GetProperty("item").GetString()!)];
        }
        Assert.Equal(3, replayed.Length);

        // Live: the same profile and event posted to a real `mdsl serve`; the wait's timer fires by the wall clock.
        var outbox = Path.Combine(Root, "outbox");
        var (_, url) = await _serve.StartAsync(
            [workspace, "--urls", "http://127.0.0.1:0", "--db", Path.Combine(Root, "live.db"), "--outbox-dir", outbox],
            new Dictionary<string, string?> { ["MDSL_ADMIN_TOKEN"] = AdminToken }, startTimeout: TimeSpan.FromMinutes(2));
        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        var posted = await http.PostAsync("/api/profiles", new StringContent($"[{profile}]", Encoding.UTF8, "application/json"));
        Assert.True(posted.IsSuccessStatusCode, await posted.Content.ReadAsStringAsync());
        posted = await http.PostAsync("/api/events", new StringContent($"[{cartAdd}]", Encoding.UTF8, "application/json"));
        var answer = await posted.Content.ReadAsStringAsync();
        Assert.True(posted.IsSuccessStatusCode, answer);
        Assert.Contains("accepted", answer);

        var outboxFile = Path.Combine(outbox, "app_push.jsonl");
        string[]? sent = null;
        for (var wait = Stopwatch.StartNew(); sent is null && wait.Elapsed < TimeSpan.FromSeconds(60); await Task.Delay(200))
        {
            if (!File.Exists(outboxFile)) continue;
            foreach (var line in File.ReadAllLines(outboxFile).Where(l => l.Contains("\"related_items\"", StringComparison.Ordinal)))
            {
                using var json = JsonDocument.Parse(line);
                Assert.Equal(user, json.RootElement.GetProperty("user_id").GetString());
                sent = [.. json.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetString()!)];
            }
        }
        Assert.True(sent is not null, "no related_items send reached the outbox within a minute");
        Assert.Equal(replayed.Order(StringComparer.Ordinal), sent.Order(StringComparer.Ordinal));
        Assert.Equal(picks.RelatedTo(item, 3).Cast<string>(), sent);
        Assert.False(_serve.Started!.HasExited);
    }

    private static async Task<(int Exit, string Out, string Err)> Cli(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await CommandLine.RunAsync(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>The registry's trained `picks`, as `mdsl serve` and `simulate` read it.</summary>
    private static Engine.Scoring.TrainedRecommender Trained(string workspace)
    {
        var compilation = Functions.Loading.FunctionCompilation.Create(Core.Workspace.Load(workspace));
        using var registry = Models.Registry.ModelRegistry.OpenExisting(workspace)!;
        var scorer = new Models.Scoring.RegistryScorer(compilation.Model, registry.All());
        return scorer.Find(compilation.Model.Models.Single(m => m.Name == "picks"))!;
    }
}
