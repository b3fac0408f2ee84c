using MarketingDsl.Core;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Engine.Lowering;
using MarketingDsl.Engine.Scoring;
using MarketingDsl.Models.Registry;
using MarketingDsl.Models.Scoring;
using MarketingDsl.Models.Training;

namespace MarketingDsl.Models.Tests;

[Collection("Training")]
public sealed class TrainingTests(RetailHistory history)
{
    private const string Churn = """
        model churn_risk {
          predict: not exists(login, within: next 60d)
          features: last_login_days, logins_30d, logins_90d, recency_days, orders_90d, member_level
          horizon: 60d
          seed: 42
        }
        tag churn_prob = churn_risk.probability
        tag churn_pct = churn_risk.percentile
        """;

    private TrainingResult Train(Compilation compilation)
    {
        Assert.False(compilation.HasErrors, string.Join("\n", compilation.Diagnostics.Select(d => d.ToString())));
        return ModelTrainer.Train(compilation, history.Data, history.AsOf);
    }

    private EvaluationResult Score(Compilation compilation, IEnumerable<TrainedModel> trained, out RegistryScorer scorer)
    {
        scorer = new RegistryScorer(compilation.Model, trained);
        return CompiledEngine.Evaluate(PlanCompiler.Compile(compilation.Model), history.Data, history.AsOf, null, scorer);
    }

    private static T?[] Column<T>(EvaluationResult result, string tag) where T : struct
    {
        var column = result.Columns.Single(c => c.Symbol.Name == tag);
        return [.. Enumerable.Range(0, result.Data.UserCount).Select(u => (T?)column.Get(u))];
    }

    [Fact]
    public void Churn_follows_the_planted_signal_on_held_out_users()
    {
        var result = Train(history.Compile(Churn));
        Assert.DoesNotContain(result.Diagnostics, d => d.IsError);
        var report = Assert.Single(result.Reports);
        Assert.Equal("classifier", report.Kind);
        Assert.True(report.Classifier!.Auc >= 0.80, $"AUC {report.Classifier.Auc:0.000}");
        Assert.InRange(report.ValidationUsers, 400, 800); // about 20% of the labelled users
        Assert.Equal(10, report.Classifier.Calibration.Count);
        Assert.Equal(6, report.Importance.Count);
        Assert.NotNull(report.Backtest);
        Assert.True(report.Backtest!.Auc >= 0.75, $"backtest AUC {report.Backtest.Auc:0.000}");
        Assert.Matches(@"^churn_risk .* AUC 0\.\d{3}", report.Headline);
    }

    [Fact]
    public void Shuffled_labels_score_at_chance()
    {
        ModelTrainer.ShuffleLabelsSeed = 17;
        try
        {
            var report = Assert.Single(Train(history.Compile(Churn)).Reports);
            Assert.InRange(report.Classifier!.Auc, 0.45, 0.55);
        }
        finally { ModelTrainer.ShuffleLabelsSeed = null; }
    }

    [Fact]
    public void The_same_seed_gives_identical_predictions_and_percentile_ranks_like_quantile_score()
    {
        var compilation = history.Compile(Churn);
        var first = Score(compilation, Train(compilation).Models, out var scorer);
        var second = Score(compilation, Train(compilation).Models, out _);
        Assert.Empty(scorer.Warnings);
        var probabilities = Column<decimal>(first, "churn_prob");
        Assert.Equal(probabilities, Column<decimal>(second, "churn_prob"));
        Assert.All(probabilities, p => Assert.InRange(p!.Value, 0m, 1m));

        var percentiles = Column<long>(first, "churn_pct");
        Assert.Equal(MarketingDsl.Engine.Evaluation.Runtime.QuantileScores(probabilities, 100, false), percentiles);
        var top = Array.IndexOf(probabilities, probabilities.Max());
        Assert.Equal(100, percentiles[top]);
    }

    [Fact]
    public void A_numeric_label_trains_a_regression()
    {
        var compilation = history.Compile("""
            model ltv {
              predict: sum(order.amount, within: next 60d)
              features: spend_90d, orders_90d, member_level, recency_days, logins_30d
            }
            tag ltv_value = ltv.value
            tag ltv_pct = ltv.percentile
            """);
        var result = Train(compilation);
        var report = Assert.Single(result.Reports);
        Assert.Equal("regression", report.Kind);
        Assert.True(report.Regression!.RSquared > 0.1, $"R² {report.Regression.RSquared:0.000}");
        Assert.Contains(" R² ", report.Headline);
        var values = Column<decimal>(Score(compilation, result.Models, out _), "ltv_value");
        Assert.All(values, v => Assert.NotNull(v));
    }

    [Fact]
    public void Lightgbm_trains_here_or_says_it_cannot()
    {
        var result = Train(history.Compile(Churn.Replace("horizon: 60d", "horizon: 60d\n  algorithm: lightgbm")));
        if (result.Diagnostics.Any(d => d.Code == "MD6006")) return; // the native library does not load on this machine: a diagnostic, not a crash
        Assert.True(Assert.Single(result.Reports).Classifier!.Auc >= 0.80);
    }

    [Fact]
    public void A_native_library_that_does_not_load_is_a_diagnostic_naming_the_algorithm()
    {
        Learners.BeforeFit = algorithm =>
            { if (algorithm == ModelAlgorithm.LightGbm) throw new DllNotFoundException("lib_lightgbm.so: cannot open shared object file"); };
        try
        {
            var result = Train(history.Compile(Churn.Replace("horizon: 60d", "horizon: 60d\n  algorithm: lightgbm")));
            var diagnostic = Assert.Single(result.Diagnostics, d => d.IsError);
            Assert.Equal("MD6006", diagnostic.Code);
            Assert.Contains("lightgbm", diagnostic.Message);
            Assert.Contains("churn_risk", diagnostic.Message);
            Assert.Empty(result.Models);
        }
        finally { Learners.BeforeFit = null; }
    }

    [Fact]
    public void Logistic_regression_trains_deterministically()
    {
        var compilation = history.Compile(Churn.Replace("horizon: 60d", "horizon: 60d\n  algorithm: logistic"));
        var a = Assert.Single(Train(compilation).Reports);
        var b = Assert.Single(Train(compilation).Reports);
        Assert.True(a.Classifier!.Auc >= 0.80, $"AUC {a.Classifier.Auc:0.000}");
        Assert.Equal(a.Classifier.Auc, b.Classifier!.Auc);
    }

    // ------------------------------------------------------------------ guard rails

    private IReadOnlyList<Core.Diagnostics.Diagnostic> GuardRail(string declarations, DataSet? data = null)
    {
        var compilation = history.Compile(declarations);
        Assert.False(compilation.HasErrors, string.Join("\n", compilation.Diagnostics.Select(d => d.ToString())));
        var d = data ?? history.Data;
        var result = ModelTrainer.Train(compilation, d, data is null ? history.AsOf : new DateTime(d.MaxTimestampTicks!.Value, DateTimeKind.Utc));
        return result.Diagnostics;
    }

    [Fact]
    public void Too_few_users_of_a_label_is_MD6001()
    {
        var diagnostics = GuardRail(Churn.Replace("seed: 42", "seed: 42\n  min_labels: 100000"));
        var d = Assert.Single(diagnostics);
        Assert.Equal("MD6001", d.Code);
        Assert.Contains("100,000", d.Message);
        Assert.NotNull(d.ChineseMessage);
    }

    [Fact]
    public void History_shorter_than_horizon_plus_feature_window_is_MD6002()
    {
        var diagnostics = GuardRail(Churn.Replace("next 60d", "next 300d").Replace("horizon: 60d", "horizon: 300d"));
        Assert.Equal("MD6002", Assert.Single(diagnostics).Code);
    }

    [Fact]
    public void A_constant_feature_is_warned_as_MD6003()
    {
        var diagnostics = GuardRail("tag always_one = 1\n" + Churn.Replace("member_level", "always_one"));
        var d = Assert.Single(diagnostics);
        Assert.Equal("MD6003", d.Code);
        Assert.False(d.IsError);
        Assert.Contains("always_one", d.Message);
    }

    [Fact]
    public void A_label_that_is_always_the_same_is_MD6005()
    {
        var diagnostics = GuardRail(Churn.Replace("not exists(login, within: next 60d)", "exists(login, within: next 60d) or true"));
        Assert.Equal("MD6005", Assert.Single(diagnostics).Code);
    }

    [Fact]
    public void More_clusters_than_users_is_MD6004()
    {
        var compilation = history.Compile("clusters c { features: logins_90d, orders_90d  k: 50 }\ntag cl = c.cluster");
        var few = InMemoryData.Build(compilation.Model.Schema,
            Enumerable.Range(0, 10).Select(i => new object?[] { $"u{i}", "F", null, "上海", 1L, new DateTime(2025, 1, 1, 0, 0, 0,
                DateTimeKind.Utc), null }), []);
        var result = ModelTrainer.Train(compilation, few, history.AsOf);
        Assert.Equal("MD6004", Assert.Single(result.Diagnostics).Code);
    }

    // ------------------------------------------------------------------ registry and staleness

    [Fact]
    public void The_registry_keeps_models_and_a_changed_declaration_or_feature_makes_them_stale()
    {
        var compilation = history.Compile(Churn);
        var trained = Train(compilation).Models;
        var directory = Path.Combine(Path.GetTempPath(), "mdsl-registry-" + Guid.NewGuid().ToString("N"));
        try
        {
            using (var registry = new ModelRegistry(ModelRegistry.PathFor(directory)))
                foreach (var m in trained) registry.Save(m);
            using var reopened = ModelRegistry.OpenExisting(directory)!;
            var stored = reopened.All();
            Assert.Equal("churn_risk", Assert.Single(stored).Name);
            Assert.Equal(trained[0].Zip, stored[0].Zip);
            Assert.NotNull(ModelReport.FromJson(stored[0].ReportJson)!.Classifier);

            var fresh = Score(compilation, stored, out var scorer);
            Assert.Empty(scorer.Warnings);
            Assert.All(Column<decimal>(fresh, "churn_prob"), p => Assert.NotNull(p));

            var redeclared = history.Compile(Churn.Replace("seed: 42", "seed: 43"));
            var stale = Score(redeclared, stored, out scorer);
            Assert.Equal("MD6008", Assert.Single(scorer.Warnings).Code);
            Assert.Contains("churn_risk", scorer.Warnings[0].Message);
            Assert.All(Column<decimal>(stale, "churn_prob"), p => Assert.Null(p)); // null, never a silent zero

            var featureChanged = Compilation.Create(("schema.mdsl", history.SchemaText), ("tags.mdsl", """
                tag last_login_days = days_since(last(login.ts))
                tag logins_30d = count(login, within: 14d)
                tag logins_90d = count(login, within: 90d)
                tag recency_days = days_since(last(order.ts))
                tag orders_90d = count(order, within: 90d)
                """), ("models.mdsl", Churn));
            Score(featureChanged, stored, out scorer);
            Assert.Contains("features", Assert.Single(scorer.Warnings).Message);

            Score(compilation, [], out scorer);
            Assert.Equal("MD6007", Assert.Single(scorer.Warnings).Code);

            // A damaged entry: a warning naming the model, and its tags empty.
            stored[0].Zip = [.. stored[0].Zip.Take(100)];
            var damaged = Score(compilation, stored, out scorer);
            Assert.Equal("MD6011", Assert.Single(scorer.Warnings).Code);
            Assert.All(Column<decimal>(damaged, "churn_prob"), p => Assert.Null(p));
        }
        finally { Directory.Delete(directory, recursive: true); }
    }
}
