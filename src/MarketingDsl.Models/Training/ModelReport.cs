using System.Text.Json;
using System.Text.Json.Serialization;

namespace MarketingDsl.Models.Training;

/// <summary>What `mdsl train` reports of one model (printed, and as JSON with --report).</summary>
public sealed record ModelReport(
    string Name,
    string Kind,
    string Algorithm,
    DateTime AsOfUtc,
    DateTime? CutoffUtc,
    int TrainingUsers,
    int ValidationUsers,
    long? Positives,
    long? Negatives,
    ClassifierQuality? Classifier,
    RegressionQuality? Regression,
    ClusterQuality? Clusters,
    Backtest? Backtest,
    IReadOnlyList<FeatureImportance> Importance,
    IReadOnlyList<string> Notes)
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>A recommender: its quality and the two baselines' on the time split (hit rate, precision, recall, NDCG at k; coverage).</summary>
    public IReadOnlyList<Recommendations.RecommendationQuality>? Recommendations { get; init; }
    /// <summary>A recommender: the items of its catalogue.</summary>
    public int? Items { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, Json);
    public static ModelReport? FromJson(string json) => json.Length == 0 ? null : JsonSerializer.Deserialize<ModelReport>(json, Json);

    /// <summary>The one line a marketer reads first: `NAME … AUC 0.xxx`, `NAME … R² 0.xxx`, `NAME … k clusters`.</summary>
    public string Headline => Kind switch
    {
        "classifier" => $"{Name} ({Algorithm}, {TrainingUsers:N0} users, {Positives:N0} positive) AUC {Classifier!.Auc:0.000}, " +
                        $"accuracy {Classifier.Accuracy:0.000}, F1 {Classifier.F1:0.000}, log-loss {Classifier.LogLoss:0.000}, " +
                        $"lift quality {Classifier.LiftQuality:P0}" +
                        (Backtest?.Auc is { } b ? $"; backtest AUC {b:0.000}" : ""),
        "regression" => $"{Name} ({Algorithm}, {TrainingUsers:N0} users) R² {Regression!.RSquared:0.000}, " +
                        $"RMSE {Regression.Rmse:0.##}, MAE {Regression.Mae:0.##}" +
                        (Backtest?.RSquared is { } r ? $"; backtest R² {r:0.000}" : ""),
        "recommender" => $"{Name} (item-to-item, {TrainingUsers:N0} users, {Items:N0} items) " +
                         $"hit_rate@{Recommendations![0].K} {Recommendations[0].HitRate:0.000}, " +
                         $"popularity {Recommendations[1].HitRate:0.000}, category bestsellers {Recommendations[2].HitRate:0.000} " +
                         $"({ValidationUsers:N0} test users)",
        _ => $"{Name} (k-means++, {TrainingUsers:N0} users) {Clusters!.Sizes.Count} clusters of " +
             $"{string.Join(" / ", Clusters.Sizes.Select(s => s.ToString("N0")))}, " +
             $"mean silhouette {Clusters.Silhouette:0.000}",
    };
}
