using System.Runtime.CompilerServices;
using MarketingDsl.Core;
using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Core.Diagnostics.Catalogues;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Engine.Lowering;
using MarketingDsl.Engine.Scoring;
using MarketingDsl.Journeys;
using MarketingDsl.Models.Scoring;
using Microsoft.ML;

namespace MarketingDsl.Models.Training;

/// <summary>What one `mdsl train` produced: the models that trained, their reports, and the guard rails that stopped or warned.</summary>
public sealed record TrainingResult(IReadOnlyList<TrainedModel> Models, IReadOnlyList<ModelReport> Reports, IReadOnlyList<Diagnostic> Diagnostics);

/// <summary>
/// Trains every `model` and `clusters` of a workspace on a history, as of T (LANGUAGE.md §13).
/// A classifier or regression learns with a time split: features as of the cutoff C = T − horizon,
/// the label from (C, T]; validation users are those whose stable bucket (model name, seed) is
/// below 0.2. Clusters learn from the features as of T. Features are computed by the compiled
/// engine (the same lowering that scores them later), labels by the reference interpreter (the
/// only evaluator of `next` windows). Problems in the data are diagnostics, never exceptions.
/// </summary>
public static class ModelTrainer
{
    public const decimal ValidationPercent = 20m;

    /// <summary>A seam for tests: when set, the labels are shuffled among users with this seed before training (a model must then score at
    /// chance).</summary>
    internal static int? ShuffleLabelsSeed;
    private const int SilhouetteSample = 1000;

    public static TrainingResult Train(Compilation compilation, DataSet data, DateTime asOfUtc, string trainedBy = "",
        IProgress<string>? progress = null)
    {
        var model = compilation.Model;
        var plan = PlanCompiler.Compile(model, everyModel: true);
        var features = new Dictionary<long, (EvaluationResult Result, FeatureCapture Capture)>();
        (EvaluationResult Result, FeatureCapture Capture) At(DateTime instant)
        {
            if (features.TryGetValue(instant.Ticks, out var known)) return known;
            var capture = new FeatureCapture();
            var result = CompiledEngine.Evaluate(plan, data, instant, null, capture);
            return features[instant.Ticks] = (result, capture);
        }

        var trained = new List<TrainedModel>();
        var reports = new List<ModelReport>();
        var diagnostics = new List<Diagnostic>();
        var fingerprint = TrainedModel.FingerprintOf(data);
        var earliest = EarliestTicks(data);
        foreach (var m in model.Models)
        {
            if (m.Features.IsEmpty || m.Features.Any(f => f.Type.IsError)
                || (!m.IsClusters && m.PredictLabel is null or { Type.IsError: true })) continue;
            progress?.Report($"training {m.Name} …");
            var job = new Job(m, data, asOfUtc, earliest, At, diagnostics);
            try
            {
                var outcome = m.IsClusters ? job.TrainClusters() : job.TrainSupervised();
                if (outcome is { } o)
                {
                    o.Model.DataFingerprint = fingerprint;
                    o.Model.TrainedBy = trainedBy;
                    o.Model.ReportJson = o.Report.ToJson();
                    trained.Add(o.Model);
                    reports.Add(o.Report);
                }
            }
            catch (AlgorithmUnavailableException ex)
            {
                diagnostics.Add(job.At(TrainingErrors.AlgorithmUnavailable(m.Name, ex.Algorithm, ex.InnerException?.GetType().Name ?? "unknown")));
            }
        }
        foreach (var r in model.Models.Where(m => m.Recommender is not null))
        {
            progress?.Report($"training {r.Name} …");
            var (entry, report) = Recommendations.RecommenderTraining.Train(r, data, asOfUtc, Environment.ProcessorCount);
            entry.DataFingerprint = fingerprint;
            entry.TrainedBy = trainedBy;
            entry.ReportJson = report.ToJson();
            trained.Add(entry);
            reports.Add(report);
        }
        return new TrainingResult(trained, reports, diagnostics);
    }

    private static long? EarliestTicks(DataSet data)
    {
        long? min = null;
        foreach (var table in data.Events)
            if (table is not null)
                for (var u = 0; u < table.UserStart.Length - 1; u++)
                    if (table.UserStart[u] < table.UserStart[u + 1] && (min is null
                        || table.Ts[table.UserStart[u]] < min)) min = table.Ts[table.UserStart[u]];
        return min;
    }

    /// <summary>The longest `within:` window the features read, directly or through tags.</summary>
    internal static long LongestFeatureWindow(ModelSymbol model)
    {
        long longest = 0;
        var seen = new HashSet<ComputedSymbol>();
        var stack = new Stack<BoundExpression>(model.Features);
        while (stack.Count > 0)
            foreach (var node in BoundTree.Descendants(stack.Pop()))
            {
                if (node is BoundAggregate { LooksForward: false, WindowTicks: { } w }) longest = Math.Max(longest, w);
                if (node is BoundSymbolReference { Symbol: TagSymbol t } && seen.Add(t)) stack.Push(t.Body);
                if (node is BoundSymbolReference { Symbol: SegmentSymbol g } && seen.Add(g)) stack.Push(g.Condition);
            }
        return longest;
    }

    private sealed class Job(ModelSymbol m, DataSet data, DateTime asOf, long? earliest,
        Func<DateTime, (EvaluationResult Result, FeatureCapture Capture)> at, List<Diagnostic> diagnostics)
    {
        private readonly MLContext _ml = new(m.Seed);

        public Diagnostic At(DiagnosticMessage message) => m.Location is { } l
            ? Diagnostic.Create(message, l.File, l.Span)
            : Diagnostic.AtFile(message, "");

        private sealed record Labelled(int[] Users, float[][] Rows, double[] Labels);

        /// <summary>Features as of <paramref name="cutoff"/> and labels from (cutoff, cutoff + horizon], of the users with a label.</summary>
        private Labelled Extract(DateTime cutoff)
        {
            var (result, capture) = at(cutoff);
            var columns = capture.FeaturesOf(m);
            var interpreter = new ReferenceInterpreter();
            var users = new List<int>();
            var rows = new List<float[]>();
            var labels = new List<double>();
            for (var u = 0; u < data.UserCount; u++)
            {
                var label = interpreter.EvaluateExpression(result, u, m.PredictLabel!) switch
                {
                    bool b => b ? 1.0 : 0.0,
                    long l => l,
                    decimal d => (double)d,
                    _ => double.NaN,
                };
                if (double.IsNaN(label)) continue;
                users.Add(u);
                rows.Add([.. columns.Select(c => c[u])]);
                labels.Add(label);
            }
            if (ShuffleLabelsSeed is { } seed) new Random(seed).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(labels));
            return new Labelled([.. users], [.. rows], [.. labels]);
        }

        private bool IsValidation(int user) =>
            StableBucket.Below(StableBucket.Raw(data.UserIds[user], m.Name, m.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                ValidationPercent);

        /// <summary>The guard rails on a labelled extraction; false when training cannot go on.</summary>
        private bool Guard(Labelled set, bool warnFeatures)
        {
            if (m.IsRegression)
            {
                if (set.Labels.Length < m.MinimumLabels) { diagnostics.Add(At(TrainingErrors.FewTargets(m.Name, set.Labels.Length, m.MinimumLabels)));
                    return false; }
                if (set.Labels.Distinct().Count() == 1)
                {
                    diagnostics.Add(At(TrainingErrors.ConstantLabel(m.Name, set.Labels[0].ToString("0.##",
                        System.Globalization.CultureInfo.InvariantCulture))));
                    return false;
                }
            }
            else
            {
                long positives = set.Labels.Count(l => l > 0.5), negatives = set.Labels.Length - positives;
                if (positives == 0 || negatives == 0) { diagnostics.Add(At(TrainingErrors.ConstantLabel(m.Name, positives == 0 ? "false" : "true")));
                    return false; }
                if (positives < m.MinimumLabels || negatives < m.MinimumLabels)
                {
                    diagnostics.Add(At(TrainingErrors.FewLabels(m.Name, positives, negatives, m.MinimumLabels)));
                    return false;
                }
            }
            if (warnFeatures) WarnConstantFeatures(set.Rows);
            return true;
        }

        private void WarnConstantFeatures(float[][] rows)
        {
            for (var f = 0; f < m.Features.Length; f++)
            {
                var values = rows.Select(r => r[f]).Where(v => !float.IsNaN(v)).Distinct().Take(2).ToList();
                if (values.Count == 0) diagnostics.Add(At(TrainingErrors.ConstantFeature(m.Name, m.FeatureNames[f], "null")));
                else if (values.Count == 1 && rows.All(r => !float.IsNaN(r[f]))) diagnostics.Add(At(TrainingErrors.ConstantFeature(m.Name,
                    m.FeatureNames[f], "constant")));
            }
        }

        private ITransformer Fit(float[][] rows, double[] labels)
        {
            var data = Learners.Labelled(_ml, rows.Select((r, i) => new Learners.LabelledRow { Features = r, Label = labels[i] > 0.5,
                Target = (float)labels[i] }), m.Features.Length);
            return m.IsRegression ? Learners.FitRegression(_ml, m, data, rows.Length) : Learners.FitClassifier(_ml, m, data, rows.Length);
        }

        private readonly ConditionalWeakTable<ITransformer, StrongBox<CompiledModel?>> _compiled = new();

        /// <summary>
        /// Predictions for the report (validation, permutation importance, backtest) by the compiled
        /// scorer that scores the registry's model (ML.NET's predictions, without its per-row
        /// pipeline); ML.NET itself for a model the compiler does not know.
        /// </summary>
        private double[] Predict(ITransformer transformer, float[][] rows, double labelMin = double.NegativeInfinity,
            double labelMax = double.PositiveInfinity)
        {
            var compiled = _compiled.GetValue(transformer, t => new StrongBox<CompiledModel?>(CompiledModel.Compile(t, m.Features.Length))).Value;
            var predicted = compiled is null
                ? Learners.Predict(_ml, transformer, rows, !m.IsRegression)
                : compiled.Predict([.. Enumerable.Range(0, m.Features.Length).Select(f => rows.Select(r => r[f]).ToArray())], rows.Length);
            return [.. predicted.Select(v => Math.Clamp(v, labelMin, labelMax))];
        }

        private double Score(double[] labels, double[] predicted) =>
            m.IsRegression ? Quality.RSquared(labels, predicted) : Quality.Auc([.. labels.Select(l => l > 0.5)], predicted);

        public (TrainedModel Model, ModelReport Report)? TrainSupervised()
        {
            var horizon = TimeSpan.FromTicks(m.HorizonTicks);
            var cutoff = asOf - horizon;
            var window = LongestFeatureWindow(m);
            var history = earliest is { } e ? asOf.Ticks - e : 0;
            if (history < m.HorizonTicks + window)
            {
                diagnostics.Add(At(TrainingErrors.ShortHistory(m.Name, history / (double)TimeSpan.TicksPerDay,
                    (m.HorizonTicks + window) / (double)TimeSpan.TicksPerDay)));
                return null;
            }
            var set = Extract(cutoff);
            if (!Guard(set, warnFeatures: true)) return null;

            var training = Enumerable.Range(0, set.Users.Length).Where(i => !IsValidation(set.Users[i])).ToArray();
            var validation = Enumerable.Range(0, set.Users.Length).Where(i => IsValidation(set.Users[i])).ToArray();
            var trainRows = training.Select(i => set.Rows[i]).ToArray();
            var trainLabels = training.Select(i => set.Labels[i]).ToArray();
            if (!Guard(new Labelled([.. training.Select(i => set.Users[i])], trainRows, trainLabels), warnFeatures: false)) return null;
            var transformer = Fit(trainRows, trainLabels);

            var validRows = validation.Select(i => set.Rows[i]).ToArray();
            var validLabels = validation.Select(i => set.Labels[i]).ToArray();
            // A regression's predictions are kept inside the range of its training labels, as when scoring.
            var predicted = m.IsRegression ? Predict(transformer, validRows, trainLabels.Min(), trainLabels.Max()) : Predict(transformer, validRows);
            var importance = PermutationImportance(transformer, validRows, validLabels, Score(validLabels, predicted));
            var notes = new List<string>();
            var backtest = RunBacktest(cutoff, set, notes);

            var zip = Learners.Save(_ml, transformer, Learners.Labelled(_ml, [], m.Features.Length).Schema);
            long? positives = m.IsRegression ? null : set.Labels.Count(l => l > 0.5);
            var report = new ModelReport(m.Name, m.IsRegression ? "regression" : "classifier", Learners.AlgorithmName(m.Algorithm), asOf, cutoff,
                training.Length, validation.Length, positives, positives is { } p ? set.Labels.Length - p : null,
                m.IsRegression ? null : Quality.Classifier([.. validLabels.Select(l => l > 0.5)], predicted),
                m.IsRegression ? Quality.Regression(validLabels, predicted) : null,
                null, backtest, importance, notes);
            var entry = NewEntry(report.Kind, zip);
            entry.LabelMin = trainLabels.Min();
            entry.LabelMax = trainLabels.Max();
            return (entry, report);
        }

        /// <summary>Trained one horizon earlier (features as of C − H, labels in (C − H, C]) and scored on (C, T] for every labelled user.</summary>
        private Backtest? RunBacktest(DateTime cutoff, Labelled next, List<string> notes)
        {
            var earlierCutoff = cutoff - TimeSpan.FromTicks(m.HorizonTicks);
            if (earliest is not { } e || earlierCutoff.Ticks - LongestFeatureWindow(m) < e)
            {
                notes.Add("backtest skipped: the history is shorter than two horizons plus the longest feature window");
                return null;
            }
            var earlier = Extract(earlierCutoff);
            var positives = earlier.Labels.Count(l => l > 0.5);
            if (m.IsRegression ? earlier.Labels.Length < m.MinimumLabels || earlier.Labels.Distinct().Count() < 2
                               : positives < m.MinimumLabels || earlier.Labels.Length - positives < m.MinimumLabels)
            {
                notes.Add("backtest skipped: too few labelled users one horizon earlier");
                return null;
            }
            var transformer = Fit(earlier.Rows, earlier.Labels);
            var score = Score(next.Labels, Predict(transformer, next.Rows));
            return new Backtest(cutoff, earlierCutoff, next.Users.Length, m.IsRegression ? null : score, m.IsRegression ? score : null);
        }

        /// <summary>How much the held-out AUC (R²) drops when one feature's values are shuffled among the validation users.</summary>
        private List<FeatureImportance> PermutationImportance(ITransformer transformer, float[][] rows, double[] labels, double baseline)
        {
            var result = new List<FeatureImportance>();
            var random = new Random(m.Seed);
            for (var f = 0; f < m.Features.Length; f++)
            {
                var column = rows.Select(r => r[f]).ToArray();
                random.Shuffle(column);
                var shuffled = rows.Select((r, i) => { var copy = (float[])r.Clone(); copy[f] = column[i]; return copy; }).ToArray();
                result.Add(new FeatureImportance(m.FeatureNames[f], baseline - Score(labels, Predict(transformer, shuffled))));
            }
            return [.. result.OrderByDescending(i => i.Drop)];
        }

        private TrainedModel NewEntry(string kind, byte[] zip) => new()
        {
            Name = m.Name,
            Kind = kind,
            Algorithm = Learners.AlgorithmName(m.Algorithm),
            DeclarationHash = TrainedModel.DeclarationHashOf(m),
            FeatureHash = TrainedModel.FeatureHashOf(m),
            AsOfUtc = asOf,
            TrainedAtUtc = DateTime.UtcNow,
            Zip = zip,
        };

        public (TrainedModel Model, ModelReport Report)? TrainClusters()
        {
            var (_, capture) = at(asOf);
            var columns = capture.FeaturesOf(m);
            var rows = new List<float[]>();
            for (var u = 0; u < data.UserCount; u++)
            {
                var row = columns.Select(c => c[u]).ToArray();
                if (row.All(v => !float.IsNaN(v))) rows.Add(row);
            }
            if (rows.Count < m.ClusterCount)
            {
                diagnostics.Add(At(rows.Count == 0 ? TrainingErrors.NoUsers(m.Name) : TrainingErrors.TooFewUsers(m.Name, m.ClusterCount,
                    rows.Count)));
                return null;
            }
            WarnConstantFeatures([.. rows]);
            var (means, deviations) = m.Standardize ? Standardization(rows) : ([], []);
            var scaled = rows.Select(r => ClusterScoring.Scale(r, means, deviations)).ToArray();
            var view = Learners.Unlabelled(_ml, scaled.Select(r => new Learners.FeatureRow { Features = r }), m.Features.Length);
            var transformer = Learners.FitClusters(_ml, m, view);
            var centroids = Learners.Centroids(transformer);
            // Documented numbering: clusters ordered by their centroids, compared feature by feature
            // (first feature ascending, ties by the next), so the same data gives the same numbers.
            var order = Enumerable.Range(0, centroids.Length).OrderBy(i => i, Comparer<int>.Create((a, b) =>
            {
                for (var f = 0; f < centroids[a].Length; f++)
                {
                    var c = centroids[a][f].CompareTo(centroids[b][f]);
                    if (c != 0) return c;
                }
                return a.CompareTo(b);
            })).ToArray();
            var numbers = new int[centroids.Length];
            for (var n = 0; n < order.Length; n++) numbers[order[n]] = n + 1;

            var (labels, _) = Learners.Assign(_ml, transformer, scaled);
            var assigned = labels.Select(l => numbers[l - 1] - 1).ToArray();
            var sizes = Enumerable.Range(0, m.ClusterCount).Select(c => assigned.Count(a => a == c)).ToList();
            var step = Math.Max(1, scaled.Length / SilhouetteSample);
            var sample = Enumerable.Range(0, scaled.Length).Where(i => i % step == 0).Take(SilhouetteSample).ToArray();
            var silhouette = Quality.Silhouette([.. sample.Select(i => scaled[i])], [.. sample.Select(i => assigned[i])], m.ClusterCount);
            var ordered = order.Select(i => centroids[i].Select(v => (double)v).ToArray()).ToArray();

            var zip = Learners.Save(_ml, transformer, view.Schema);
            var report = new ModelReport(m.Name, "clusters", "kmeans++", asOf, null, rows.Count, 0, null, null, null, null,
                new ClusterQuality(sizes, ordered, silhouette), null, [],
                m.Standardize ? ["features are z-scores: (value − training mean) / training standard deviation"] : []);
            var entry = NewEntry("clusters", zip);
            entry.Means = means;
            entry.Deviations = deviations;
            entry.Centroids = ordered;
            entry.ClusterNumbers = numbers;
            return (entry, report);
        }

        private static (double[] Means, double[] Deviations) Standardization(List<float[]> rows)
        {
            var width = rows[0].Length;
            var means = new double[width];
            var deviations = new double[width];
            for (var f = 0; f < width; f++)
            {
                var mean = rows.Average(r => (double)r[f]);
                var variance = rows.Average(r => (r[f] - mean) * (r[f] - mean));
                means[f] = mean;
                deviations[f] = variance > 0 ? Math.Sqrt(variance) : 1; // a constant feature stays 0 (and is warned about)
            }
            return (means, deviations);
        }
    }
}
