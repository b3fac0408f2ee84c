using MarketingDsl.Core.Semantics;

namespace MarketingDsl.Core.Tests;

/// <summary>The rules of `model` and `clusters` (MD4060–MD4068) and the kinds of model they bind.</summary>
public sealed class ModelDeclarationTests
{
    private const string Schema = """
        schema {
          profile { user_id: string key  level: int  city: string }
          event order { amount: decimal }
          event login { platform: string }
        }
        tag orders_90d = count(order, within: 90d)
        tag spend_90d = sum(order.amount, within: 90d)
        """;

    private static Compilation Compile(string declarations) => Compilation.Create(("main.mdsl", Schema + "\n" + declarations));

    private static string[] Codes(string declarations) => [.. Compile(declarations).Diagnostics.Where(d => d.IsError).Select(d => d.Code)];

    [Fact]
    public void A_numeric_label_is_a_regression_with_value_and_percentile()
    {
        var compilation = Compile("""
            model ltv { predict: sum(order.amount, within: next 60d)  features: orders_90d, spend_90d }
            tag ltv_value = ltv.value
            tag ltv_pct = ltv.percentile
            """);
        Assert.False(compilation.HasErrors, string.Join("\n", compilation.Diagnostics));
        var model = Assert.Single(compilation.Model.Models);
        Assert.True(model.IsRegression);
        // A tag that reads a model is evaluated after the phase of the model's features.
        Assert.True(compilation.Model.Tags.Single(t => t.Name == "ltv_value").Phase > compilation.Model.Tags.Single(t =>
            t.Name == "orders_90d").Phase);
    }

    [Theory]
    [InlineData("model m { predict: city  features: orders_90d  horizon: 30d }\ntag x = m.probability", "MD4060")]
    [InlineData("model m { predict: sum(order.amount, within: next 30d)  features: orders_90d  algorithm: logistic }\ntag x = m.value", "MD4062")]
    [InlineData("clusters c { features: orders_90d  k: 1 }\ntag x = c.cluster", "MD4063")]
    [InlineData("clusters c { features: orders_90d  k: 3  seed: 1.5 }\ntag x = c.cluster", "MD4064")]
    [InlineData("clusters c { predict: exists(order, within: next 30d)  features: orders_90d  k: 3 }\ntag x = c.cluster", "MD4065")]
    [InlineData("clusters c { features: orders_90d  k: 3  scale: minmax }\ntag x = c.cluster", "MD4066")]
    [InlineData("model m { predict: exists(order, within: next 30d)  features: orders_90d  min_labels: 0 }\ntag x = m.probability", "MD4067")]
    [InlineData("model m { predict: exists(order, within: next 30d)  features: orders_90d, x }\ntag x = m.probability", "MD4068")]
    [InlineData("model m { predict: exists(order, within: next 30d)  features: orders_90d }\ntag x = m.value", "MD4069")]
    [InlineData("model m { predict: sum(order.amount, within: next 30d)  features: orders_90d }\ntag x = m.probability", "MD4069")]
    [InlineData("clusters c { features: orders_90d  k: 3 }\ntag x = c.probability", "MD2012")]
    public void Model_rules_have_their_own_codes(string declarations, string code) => Assert.Contains(code, Codes(declarations));

    [Fact]
    public void Clusters_take_standard_scaling_and_a_classifier_its_minimum_labels()
    {
        var compilation = Compile("""
            clusters c { features: orders_90d, spend_90d  k: 3  scale: standard }
            model m { predict: exists(order, within: next 30d)  features: orders_90d  min_labels: 20 }
            tag x = c.cluster
            tag d = c.distance
            tag p = m.percentile
            tag q = m.predicted
            """);
        Assert.False(compilation.HasErrors, string.Join("\n", compilation.Diagnostics));
        Assert.True(compilation.Model.Models.Single(m => m.Name == "c").Standardize);
        Assert.Equal(20, compilation.Model.Models.Single(m => m.Name == "m").MinimumLabels);
    }

    [Fact]
    public void Factories_give_english_and_chinese()
    {
        var diagnostic = Compile("clusters c { features: orders_90d  k: 3  scale: minmax }\ntag x = c.cluster").Diagnostics.Single(d =>
            d.Code == "MD4066");
        Assert.Contains("standard", diagnostic.Message);
        Assert.Contains("按训练人群计算 z 分数", diagnostic.ChineseMessage);
    }
}
