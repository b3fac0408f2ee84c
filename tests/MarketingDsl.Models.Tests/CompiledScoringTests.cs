using MarketingDsl.Core;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Engine.Lowering;
using MarketingDsl.Engine.Scoring;
using MarketingDsl.Models.Scoring;
using MarketingDsl.Models.Training;
using Microsoft.ML;
using Xunit.Abstractions;

namespace MarketingDsl.Models.Tests;

/// <summary>
/// The oracle of the compiled scorers: for every user of the history, plus rows with null features
/// (one null, several, all), the compiled model's output equals ML.NET's own prediction from the
/// registry's zip.
/// </summary>
[Collection("Training")]
public sealed class CompiledScoringTests(RetailHistory history, ITestOutputHelper output)
{
    private const string Features = "last_login_days, logins_30d, logins_90d, recency_days, orders_90d, member_level";

    [Theory]
    [InlineData("fasttree", "not exists(login, within: next 60d)")]
    [InlineData("lightgbm", "not exists(login, within: next 60d)")]
    [InlineData("logistic", "not exists(login, within: next 60d)")]
    [InlineData("fasttree", "sum(order.amount, within: next 60d)")]
    [InlineData("lightgbm", "sum(order.amount, within: next 60d)")]
    public void Compiled_model_equals_MLNET_for_every_user(string algorithm, string predict)
    {
        var compilation = history.Compile($$"""
            model m { predict: {{predict}}  features: {{Features}}  horizon: 60d  seed: 7  algorithm: {{algorithm}} }
            """);
        Assert.False(compilation.HasErrors, string.Join("\n", compilation.Diagnostics));
        var model = compilation.Model.Models.Single();
        var result = ModelTrainer.Train(compilation, history.Data, history.AsOf);
        if (algorithm == "lightgbm" && result.Models.Count == 0)
        {
            // LightGbm's native library does not load on every machine: then training says so, and there is nothing to score.
            Assert.Contains(result.Diagnostics, d => d.Message.Contains("lightgbm", StringComparison.Ordinal));
            output.WriteLine("lightgbm cannot load here: " + string.Join("; ", result.Diagnostics.Select(d => d.Message)));
            return;
        }
        var entry = Assert.Single(result.Models);
        var scorer = new RegistryScorer(compilation.Model, result.Models);
        Assert.True(scorer.IsCompiled("m"), "the model fell back to ML.NET's pipeline");

        var columns = WithNullRows(FeaturesOf(compilation), out var users);
        Assert.Contains(columns, c => c.Take(history.Data.UserCount).Any(float.IsNaN)); // the history has users with null features
        var ml = new MLContext(0);
        var transformer = Learners.Load(ml, entry.Zip);
        var rows = Enumerable.Range(0, users).Select(u => columns.Select(c => c[u]).ToArray()).ToArray();
        var expected = Learners.Predict(ml, transformer, rows, classifier: !model.IsRegression);
        var actual = CompiledModel.Compile(transformer, columns.Length)!.Predict(columns, users);
        var exact = 0;
        var worst = 0.0;
        for (var u = 0; u < users; u++)
        {
            if (expected[u] == actual[u]) { exact++; continue; }
            var relative = Math.Abs(expected[u] - actual[u]) / Math.Max(Math.Abs(expected[u]), 1e-12);
            worst = Math.Max(worst, relative);
            // Trees are bit-identical; a linear score's last bit follows ML.NET's CPU-dependent summation
            // order, which moves a probability by at most a float's rounding of the score: 1e-6 relative,
            // or 1e-9 absolute for the tiny probabilities (|score| > 8) where one ulp of the score is larger.
            Assert.True(algorithm == "logistic" && (relative <= 1e-6 || Math.Abs(expected[u] - actual[u]) <= 1e-9),
                $"user {u}: ML.NET {expected[u]:R}, compiled {actual[u]:R}");
        }
        output.WriteLine($"{algorithm} {(model.IsRegression ? "regression" : "classifier")}: {exact}/{users} bit-identical, worst " +
            $"relative difference {worst:E2}");

        // Through the engine, the tags are ML.NET's predictions rounded as before.
        var outputs = new ModelOutputColumns(users);
        scorer.Score(model, columns, outputs);
        for (var u = 0; u < users; u++)
        {
            if (model.IsRegression) Assert.Equal(OutputValues.Value(expected[u], entry.LabelMin, entry.LabelMax), outputs.Value[u]);
            else if (expected[u] == actual[u]) Assert.Equal(OutputValues.Probability(expected[u]), outputs.Probability[u]);
            else Assert.InRange(outputs.Probability[u]!.Value - OutputValues.Probability(expected[u])!.Value, -0.000001m, 0.000001m);
        }
    }

    [Theory]
    [InlineData("scale: standard")]
    [InlineData("")]
    public void Compiled_clusters_equal_MLNET_for_every_user(string scale)
    {
        var compilation = history.Compile($$"""
            clusters c { features: last_login_days, orders_90d, spend_90d, logins_30d  k: 5  seed: 3  {{scale}} }
            """);
        Assert.False(compilation.HasErrors, string.Join("\n", compilation.Diagnostics));
        var result = ModelTrainer.Train(compilation, history.Data, history.AsOf);
        var entry = Assert.Single(result.Models);
        var scorer = new RegistryScorer(compilation.Model, result.Models);
        Assert.True(scorer.IsCompiled("c"), "the clusters fell back to ML.NET's pipeline");

        var columns = FeaturesOf(compilation);
        var rows = Enumerable.Range(0, history.Data.UserCount).Select(u => columns.Select(c => c[u]).ToArray())
            .Where(r => !r.Any(float.IsNaN)).Select(r => ClusterScoring.Scale(r, entry.Means, entry.Deviations)).ToArray();
        Assert.True(rows.Length > 1000);
        var ml = new MLContext(0);
        var transformer = Learners.Load(ml, entry.Zip);
        var (expected, _) = Learners.Assign(ml, transformer, rows);
        var compiled = CompiledClusters.Compile(transformer, columns.Length)!;
        for (var i = 0; i < rows.Length; i++) Assert.Equal((int)expected[i], compiled.Label(rows[i]));

        var outputs = new ModelOutputColumns(history.Data.UserCount);
        scorer.Score(compilation.Model.Models.Single(), columns, outputs);
        var present = 0;
        for (var u = 0; u < history.Data.UserCount; u++)
        {
            if (columns.Any(c => float.IsNaN(c[u]))) { Assert.Null(outputs.Cluster[u]); Assert.Null(outputs.Distance[u]); continue; }
            Assert.Equal(entry.ClusterNumbers[expected[present++] - 1], outputs.Cluster[u]);
        }
    }

    private float[][] FeaturesOf(Compilation compilation)
    {
        var capture = new FeatureCapture();
        CompiledEngine.Evaluate(PlanCompiler.Compile(compilation.Model, everyModel: true), history.Data, history.AsOf, null, capture);
        return capture.FeaturesOf(compilation.Model.Models.Single());
    }

    /// <summary>The history's users, then one row per feature with only that feature null, one with every other feature null, one all null.</summary>
    private float[][] WithNullRows(float[][] columns, out int users)
    {
        var width = columns.Length;
        var extra = new List<float[]>();
        var sample = Enumerable.Range(0, width).Select(f => columns[f].First(v => !float.IsNaN(v))).ToArray();
        for (var f = 0; f < width; f++) extra.Add([.. sample.Select((v, i) => i == f ? float.NaN : v)]);
        extra.Add([.. sample.Select((v, i) => i % 2 == 0 ? float.NaN : v)]);
        extra.Add([.. sample.Select(_ => float.NaN)]);
        users = history.Data.UserCount + extra.Count;
        var n = history.Data.UserCount;
        return [.. Enumerable.Range(0, width).Select(f => columns[f].Take(n).Concat(extra.Select(r => r[f])).ToArray())];
    }
}
