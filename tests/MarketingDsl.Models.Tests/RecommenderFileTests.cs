using MarketingDsl.Core;
using MarketingDsl.Models.Recommendations;

namespace MarketingDsl.Models.Tests;

/// <summary>
/// A recommender in the registry written by an earlier version still loads: the fixture is the
/// `picks` recommender of examples/retail as `mdsl train` of commit 914172d saved it (before one type
/// held the trained arrays), trained on `mdsl generate-data --users 150 --days 120 --seed 5 --co-purchase 0.6`.
/// </summary>
public sealed class RecommenderFileTests
{
    private static byte[] Saved914172d() =>
        File.ReadAllBytes(RetailHistory.RepositoryRoot("tests", "MarketingDsl.Models.Tests", "Fixtures", "picks-914172d.recommender"));

    [Fact]
    public void A_recommender_saved_by_an_earlier_version_loads_and_writes_back_byte_for_byte()
    {
        var bytes = Saved914172d();
        var read = RecommenderFile.Read(bytes);
        Assert.Equal(bytes, RecommenderFile.Write(read));
        Assert.True(read.ItemCount > 100 && read.Neighbours.Length > 100, $"{read.ItemCount} items, {read.Neighbours.Length} links");

        var compilation = Compilation.Create(
            ("schema.mdsl", File.ReadAllText(RetailHistory.RepositoryRoot("examples", "retail", "schema.mdsl"))),
            ("recommend.mdsl", File.ReadAllText(RetailHistory.RepositoryRoot("examples", "retail", "recommend.mdsl"))));
        Assert.False(compilation.HasErrors, string.Join("\n", compilation.Diagnostics));
        var picks = RecommenderFile.Read(bytes, compilation.Model.Models.Single().Recommender!);
        var top = read.Items[read.Popular[0]];
        // The planted partners (RetailDataGenerator.CoPurchasePartner) of and for the most bought sku lead its neighbours.
        Assert.Equal("sku_fan_009", top);
        Assert.Equal(["sku_air_conditioner_009", "sku_tv_009", "sku_fresh_028"], picks.RelatedTo(top, 3).Cast<string>());
    }
}
