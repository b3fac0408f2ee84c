using MarketingDsl.Core.Semantics;

namespace MarketingDsl.Engine.Scoring;

/// <summary>
/// Scores one model for every user of an evaluation, from the model's feature values. The engine
/// computes the features (the same compiled lowering as tags, so training and scoring read the
/// same numbers), calls the scorer between phases, and fills `percentile` itself.
/// </summary>
/// <remarks>The engine may score several models at once: <see cref="Score"/> must be safe to call concurrently for different models.</remarks>
public interface IModelScorer
{
    /// <param name="features">features[f][user]: feature f of the model's declaration as a float, NaN for null.</param>
    /// <param name="outputs">Arrays to fill; a user left null has a null output.</param>
    void Score(ModelSymbol model, float[][] features, ModelOutputColumns outputs);
}

/// <summary>The per-user outputs of one model, typed as compiled code reads them.</summary>
public sealed class ModelOutputColumns
{
    public ModelOutputColumns(int users)
    {
        Probability = new decimal?[users];
        Predicted = new bool?[users];
        Percentile = new long?[users];
        Value = new decimal?[users];
        Cluster = new long?[users];
        Distance = new decimal?[users];
    }

    public decimal?[] Probability { get; }
    public bool?[] Predicted { get; }
    public long?[] Percentile { get; }
    public decimal?[] Value { get; }
    public long?[] Cluster { get; }
    public decimal?[] Distance { get; }

    /// <summary>The arrays indexed by <see cref="ModelOutput"/>.</summary>
    public Array[] ByOutput => [Probability, Predicted, Percentile, Value, Cluster, Distance];
}

/// <summary>Conversions of feature values to what ML.NET learns from: a bool is 0/1, null is NaN (a missing value).</summary>
public static class FeatureValue
{
    public static float Of(long? value) => value is { } v ? v : float.NaN;
    public static float Of(decimal? value) => value is { } v ? (float)v : float.NaN;
    public static float Of(bool? value) => value is { } v ? (v ? 1f : 0f) : float.NaN;
}

/// <summary>A scorer that keeps the features it is given (training reads features through the engine this way).</summary>
public sealed class FeatureCapture : IModelScorer
{
    private readonly Dictionary<ModelSymbol, float[][]> _features = new(ReferenceEqualityComparer.Instance);

    public float[][] FeaturesOf(ModelSymbol model) => _features[model];

    public void Score(ModelSymbol model, float[][] features, ModelOutputColumns outputs)
    {
        lock (_features) _features[model] = features;
    }
}
