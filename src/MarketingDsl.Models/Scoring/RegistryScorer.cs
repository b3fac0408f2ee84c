using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Core.Diagnostics.Catalogues;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Scoring;
using MarketingDsl.Models.Training;
using Microsoft.ML;

namespace MarketingDsl.Models.Scoring;

/// <summary>Whether a declared model has a trained model that fits it.</summary>
public enum ModelState { Fresh, Stale, NotTrained }

/// <summary>
/// Scores with the registry's trained models. A model trained from another declaration, or whose
/// features' definitions changed since, is stale: it is not scored (its outputs stay null) and
/// <see cref="Warnings"/> names it. Each loaded model is compiled (<see cref="CompiledModel"/>,
/// <see cref="CompiledClusters"/>) and scored over the feature columns in a tight loop; ML.NET's own
/// pipeline scores only a model with a part the compilers do not know.
/// </summary>
public sealed class RegistryScorer : IModelScorer, IRecommenderScorer
{
    private readonly Dictionary<string, Loaded> _fresh = new(StringComparer.Ordinal);
    private readonly MLContext _ml = new(0);

    public RegistryScorer(SemanticModel model, IEnumerable<TrainedModel> trained)
    {
        var byName = trained.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var warnings = new List<Diagnostic>();
        foreach (var m in model.Models)
        {
            var state = StateOf(m, byName.GetValueOrDefault(m.Name), out var what);
            States[m.Name] = state;
            var message = state switch
            {
                ModelState.NotTrained => TrainingErrors.NotTrained(m.Name),
                ModelState.Stale => TrainingErrors.Stale(m.Name, what),
                _ => null,
            };
            if (message is null)
            {
                try
                {
                    var entry = byName[m.Name];
                    if (m.IsRecommender)
                    {
                        if (m.Recommender is { } definition) _recommenders[m.Name] = Recommendations.RecommenderFile.Read(entry.Zip, definition);
                        continue;
                    }
                    var transformer = Learners.Load(_ml, entry.Zip);
                    _fresh[m.Name] = m.IsClusters
                        ? new Loaded(entry, transformer, null, CompiledClusters.Compile(transformer, m.Features.Length))
                        : new Loaded(entry, transformer, CompiledModel.For(entry, transformer, m.Features.Length), null);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    // A damaged entry is one model's problem: the others still score.
                    States[m.Name] = ModelState.NotTrained;
                    message = TrainingErrors.Unreadable(m.Name, ex.GetType().Name);
                }
            }
            if (message is not null)
                warnings.Add(m.Location is { } l ? Diagnostic.Create(message, l.File, l.Span) : Diagnostic.AtFile(message, ""));
        }
        Warnings = warnings;
    }

    private readonly Dictionary<string, TrainedRecommender> _recommenders = new(StringComparer.Ordinal);

    public TrainedRecommender? Find(ModelSymbol recommender) => _recommenders.GetValueOrDefault(recommender.Name);

    private sealed record Loaded(TrainedModel Entry, ITransformer Transformer, CompiledModel? Compiled, CompiledClusters? Clusters);

    /// <summary>Whether a fresh model is scored by its compiled form (true) or by ML.NET's pipeline (false).</summary>
    internal bool IsCompiled(string model) => _fresh.TryGetValue(model, out var l) && (l.Compiled ?? (object?)l.Clusters) is not null;

    public Dictionary<string, ModelState> States { get; } = new(StringComparer.Ordinal);

    /// <summary>MD6007 (not trained), MD6008 (stale) and MD6011 (unreadable), one per model, at its declaration.</summary>
    public IReadOnlyList<Diagnostic> Warnings { get; }

    public static ModelState StateOf(ModelSymbol model, TrainedModel? trained, out string what)
    {
        what = "";
        if (trained is null) return ModelState.NotTrained;
        if (trained.DeclarationHash != TrainedModel.DeclarationHashOf(model)) { what = "declaration"; return ModelState.Stale; }
        if (trained.FeatureHash != TrainedModel.FeatureHashOf(model)) { what = "features"; return ModelState.Stale; }
        return ModelState.Fresh;
    }

    public void Score(ModelSymbol model, float[][] features, ModelOutputColumns outputs)
    {
        if (!_fresh.TryGetValue(model.Name, out var trained)) return;
        var users = outputs.Probability.Length;
        if (model.IsClusters) { ScoreClusters(trained, features, outputs, users); return; }
        var predicted = trained.Compiled is { } compiled
            ? compiled.Predict(features, users)
            : Learners.Predict(_ml, trained.Transformer, Rows(features, users), !model.IsRegression);
        var (min, max) = (trained.Entry.LabelMin, trained.Entry.LabelMax);
        for (var u = 0; u < users; u++)
        {
            var value = predicted[u];
            if (float.IsInfinity(value)) continue;
            if (model.IsRegression) outputs.Value[u] = OutputValues.Value(value, min, max);
            else if (OutputValues.Probability(value) is { } probability)
            {
                outputs.Probability[u] = probability;
                outputs.Predicted[u] = probability >= 0.5m;
            }
        }
    }

    private static float[][] Rows(float[][] features, int users)
    {
        var all = new float[users][];
        for (var u = 0; u < users; u++)
        {
            var row = new float[features.Length];
            for (var f = 0; f < row.Length; f++) row[f] = features[f][u];
            all[u] = row;
        }
        return all;
    }

    private void ScoreClusters(Loaded trained, float[][] features, ModelOutputColumns outputs, int users)
    {
        var entry = trained.Entry;
        if (trained.Clusters is { } compiled)
        {
            const int Chunk = 2048;
            Parallel.For(0, (users + Chunk - 1) / Chunk, chunk =>
            {
                var row = new float[features.Length];
                for (var u = chunk * Chunk; u < Math.Min(users, (chunk + 1) * Chunk); u++)
                {
                    var missing = false;
                    for (var f = 0; f < row.Length; f++) missing |= float.IsNaN(row[f] = features[f][u]);
                    if (missing) continue; // LANGUAGE.md §13: null when any feature is null
                    var scaled = ClusterScoring.Scale(row, entry.Means, entry.Deviations);
                    var number = entry.ClusterNumbers[compiled.Label(scaled) - 1];
                    outputs.Cluster[u] = number;
                    outputs.Distance[u] = OutputValues.Distance(ClusterScoring.Distance(scaled, entry.Centroids[number - 1]));
                }
            });
            return;
        }
        var present = new List<int>();
        var rows = new List<float[]>();
        for (var u = 0; u < users; u++)
        {
            var row = new float[features.Length];
            for (var f = 0; f < row.Length; f++) row[f] = features[f][u];
            if (row.Any(float.IsNaN)) continue; // LANGUAGE.md §13: null when any feature is null
            present.Add(u);
            rows.Add(ClusterScoring.Scale(row, entry.Means, entry.Deviations));
        }
        if (rows.Count == 0) return;
        var (labels, _) = Learners.Assign(_ml, trained.Transformer, [.. rows]);
        for (var i = 0; i < present.Count; i++)
        {
            var number = entry.ClusterNumbers[labels[i] - 1];
            outputs.Cluster[present[i]] = number;
            outputs.Distance[present[i]] = OutputValues.Distance(ClusterScoring.Distance(rows[i], entry.Centroids[number - 1]));
        }
    }
}
