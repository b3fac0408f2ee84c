using MarketingDsl.Core;
using MarketingDsl.Engine.Data;
using MarketingDsl.Models.Recommendations;
using Xunit.Abstractions;

namespace MarketingDsl.Models.Tests;

/// <summary>
/// Item-to-item collaborative filtering on generated data with planted co-purchase structure
/// (RetailDataGenerator, coPurchase): the planted partners are recovered by Related, and on a time
/// split the recommender beats global popularity by at least 1.5× in hit rate@10.
/// </summary>
public sealed partial class RecommenderTests(ITestOutputHelper output, RecommenderTests.History history) : IClassFixture<RecommenderTests.History>
{
    public sealed class History : IDisposable
    {
        public History()
        {
            Directory = Path.Combine(Path.GetTempPath(), "mdsl-reco-" + Guid.NewGuid().ToString("N"));
            RetailDataGenerator.Generate(Directory, users: 2500, days: 240, seed: 19, endUtc: RetailHistory.End, coPurchase: 0.6);
            var schemaText = File.ReadAllText(RetailHistory.RepositoryRoot("examples", "retail", "schema.mdsl"));
            var schema = Compilation.Create(("schema.mdsl", schemaText)).Model.Schema;
            Data = DataImporter.Load(schema, Directory);
        }

        public string Directory { get; }
        public DataSet Data { get; }
        public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
    }

    private static readonly RecommenderSettings Settings = new(
        [new RecommenderSignal("view", 1), new RecommenderSignal("cart_add", 3), new RecommenderSignal("order", 5)],
        ItemField: "sku", PurchaseEvent: "order", CategoryField: "category", WindowTicks: TimeSpan.FromDays(180).Ticks, K: 10);

    private readonly History _history = history;

    [Fact]
    public void Related_recovers_the_planted_partners()
    {
        var end = _history.Data.MaxTimestampTicks!.Value;
        var training = Interactions.Build(_history.Data, Settings, end - Settings.WindowTicks, end);
        var model = ItemToItemModel.Train(training, Settings, parallelism: 2);
        var bought = model.Neighbourhoods.Popular.Where(i => training.Buyers[i] >= 20).Select(i => training.Items[i]).ToList();
        Assert.True(bought.Count > 100, $"only {bought.Count} skus with 20 buyers");
        var recovered = bought.Count(sku => model.Related(sku, 3).Contains(RetailDataGenerator.CoPurchasePartner(sku)));
        output.WriteLine($"partner among the 3 most related of {recovered} / {bought.Count} skus");
        foreach (var sku in bought.Take(3))
            output.WriteLine($"{sku} → {RetailDataGenerator.CoPurchasePartner(sku)}: {string.Join(", ", model.Related(sku, 8))}");
        Assert.True(recovered >= 0.9 * bought.Count, $"partner among the 3 most related of only {recovered} / {bought.Count} skus");
        Assert.Empty(model.Related("no_such_sku", 3));
    }

    [Fact]
    public void Hit_rate_beats_popularity_by_half_again_on_a_time_split()
    {
        var end = _history.Data.MaxTimestampTicks!.Value;
        var report = RecommenderEvaluation.Run(_history.Data, Settings, end, TimeSpan.FromDays(30).Ticks, "picks", parallelism: 2);
        foreach (var line in report) output.WriteLine(line.Line);
        var (picks, popularity, categories) = (report[0], report[1], report[2]);
        Assert.Equal(["picks", "popularity", "category_bestsellers"], report.Select(r => r.Name));
        Assert.True(picks.Users > 300, $"{picks.Users} test users");
        Assert.True(picks.HitRate >= 1.5 * popularity.HitRate, $"picks {picks.HitRate:0.000} vs popularity {popularity.HitRate:0.000}");
        Assert.True(picks.Ndcg > popularity.Ndcg && picks.Recall > popularity.Recall);
        Assert.True(categories.HitRate > 0 && picks.Coverage > popularity.Coverage);
        Assert.All(report, r => Assert.InRange(r.Precision, 0, r.HitRate));
    }

    [Fact]
    public void Recommendations_are_deterministic_and_leave_out_bought_items()
    {
        var end = _history.Data.MaxTimestampTicks!.Value;
        var training = Interactions.Build(_history.Data, Settings, end - Settings.WindowTicks, end);
        var one = ItemToItemModel.Train(training, Settings, parallelism: 1);
        var two = ItemToItemModel.Train(training, Settings, parallelism: 2);
        Assert.Equal(one.Neighbourhoods.Neighbours, two.Neighbourhoods.Neighbours);
        var checkedUsers = 0;
        for (var u = 0; u < training.UserCount; u += 7)
        {
            var list = one.Recommend(u);
            Assert.Equal(list, two.Recommend(u));
            Assert.Equal(Math.Min(Settings.K, one.Neighbourhoods.Popular.Length), list.Count);
            var bought = training.BoughtBy(u).ToArray().Select(i => training.Items[i]).ToHashSet();
            Assert.DoesNotContain(list, bought.Contains);
            checkedUsers++;
        }
        Assert.True(checkedUsers > 300);
        // A cold user (no history) gets the most popular items.
        var cold = one.Recommend([], [], [], 5, new MarketingDsl.Engine.Scoring.RankBuffers());
        Assert.Equal(one.Neighbourhoods.Popular.Take(5), cold);
        var withRepeat = ItemToItemModel.Train(training, Settings with { Repeat = true });
        Assert.Contains(Enumerable.Range(0, training.UserCount).Where(u => training.BoughtBy(u).Length > 0).Take(200),
            u => withRepeat.Recommend(u).Any(item => training.BoughtBy(u).Contains(training.IndexOfItem(item))));
    }
}
