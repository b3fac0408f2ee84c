using MarketingDsl.Core;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Engine.Lowering;
using MarketingDsl.Models.Scoring;
using MarketingDsl.Models.Training;

namespace MarketingDsl.Models.Tests;

/// <summary>k-means++ on four planted, well-separated groups.</summary>
[Collection("Training")]
public sealed class ClusterTests
{
    private static readonly DateTime AsOf = new(2025, 6, 1, 0, 0, 0, DateTimeKind.Utc);

    private static (Compilation Compilation, DataSet Data, int[] Groups) Planted(string scale)
    {
        var compilation = Compilation.Create(("main.mdsl", $$"""
            schema { profile { user_id: string key  spend: decimal  visits: int  vip: bool } }
            clusters groups { features: spend, visits  k: 4  seed: 3 {{scale}} }
            tag group = groups.cluster
            tag distance = groups.distance
            """));
        Assert.False(compilation.HasErrors, string.Join("\n", compilation.Diagnostics));
        var random = new Random(11);
        // Centres far apart on both features (spend in yuan, visits in days), noise well inside.
        (double Spend, double Visits)[] centres = [(100, 2), (100, 40), (5000, 2), (5000, 40)];
        var groups = new List<int>();
        var rows = new List<object?[]>();
        for (var i = 0; i < 800; i++)
        {
            var g = i % 4;
            groups.Add(g);
            var spend = centres[g].Spend + random.NextDouble() * 200 - 100;
            var visits = (long)Math.Round(centres[g].Visits + random.NextDouble() * 6 - 3);
            rows.Add([$"u{i:D4}", Math.Round((decimal)spend, 2), visits, i % 2 == 0]);
        }
        rows.Add(["u_missing", null, 3L, false]); // a null feature: no cluster
        return (compilation, InMemoryData.Build(compilation.Model.Schema, rows, []), [.. groups]);
    }

    [Theory]
    [InlineData("scale: standard")]
    [InlineData("")]
    public void Clusters_recover_four_planted_groups(string scale)
    {
        var (compilation, data, groups) = Planted(scale);
        var result = ModelTrainer.Train(compilation, data, AsOf);
        Assert.Empty(result.Diagnostics);
        var report = Assert.Single(result.Reports);
        Assert.Equal(4, report.Clusters!.Sizes.Count);
        Assert.True(report.Clusters.Silhouette > 0.5, $"silhouette {report.Clusters.Silhouette:0.000}");

        var scorer = new RegistryScorer(compilation.Model, result.Models);
        var scored = CompiledEngine.Evaluate(PlanCompiler.Compile(compilation.Model), data, AsOf, null, scorer);
        var column = scored.Columns.Single(c => c.Symbol.Name == "group");
        var distance = scored.Columns.Single(c => c.Symbol.Name == "distance");
        var user = Enumerable.Range(0, data.UserCount).ToDictionary(u => data.UserIds[u]);
        var assigned = Enumerable.Range(0, groups.Length).Select(i => (int)(long)column.Get(user[$"u{i:D4}"])!).ToArray();
        Assert.All(assigned, a => Assert.InRange(a, 1, 4));
        var ari = Quality.AdjustedRandIndex(groups, assigned);
        // Without scaling, spend (thousands) dwarfs visits (tens): k-means still finds the two spend
        // groups but splits them arbitrarily by visits only when it is scaled.
        if (scale.Length > 0) Assert.True(ari >= 0.9, $"ARI {ari:0.000}");
        Assert.Null(column.Get(user["u_missing"]));
        Assert.Null(distance.Get(user["u_missing"]));
        Assert.True((decimal)distance.Get(user["u0000"])! >= 0);

        // Numbering is by centroid order: the same data gives the same numbers.
        var again = ModelTrainer.Train(compilation, data, AsOf);
        Assert.Equal(result.Models[0].ClusterNumbers, again.Models[0].ClusterNumbers);
        Assert.Equal(report.Clusters.Centroids.Select(c => c[0]).Order(), report.Clusters.Centroids.Select(c => c[0]));
    }

    [Fact]
    public void Adjusted_rand_index_is_one_for_a_relabelling_and_near_zero_for_chance()
    {
        Assert.Equal(1, Quality.AdjustedRandIndex([0, 0, 1, 1, 2, 2], [5, 5, 3, 3, 9, 9]), 6);
        var random = new Random(1);
        var a = Enumerable.Range(0, 2000).Select(_ => random.Next(4)).ToArray();
        var b = Enumerable.Range(0, 2000).Select(_ => random.Next(4)).ToArray();
        Assert.InRange(Quality.AdjustedRandIndex(a, b), -0.05, 0.05);
    }
}
