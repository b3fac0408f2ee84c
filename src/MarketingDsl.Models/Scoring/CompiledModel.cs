using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using MarketingDsl.Models.Training;
using Microsoft.ML;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;
using Microsoft.ML.Transforms;

namespace MarketingDsl.Models.Scoring;

/// <summary>
/// A trained classifier or regression compiled to flat arrays, evaluated over the users' feature
/// columns without ML.NET's per-row data pipeline. Built from the registry's ML.NET zip (the source
/// of truth) through ML.NET's public model parameters, and replicating the pipeline of
/// <see cref="Learners"/> step by step: missing values replaced by the training mean (read by
/// transforming one all-missing row), the 0/1 "was missing" indicators concatenated after them,
/// the mean-variance normalizer's scale (logistic only), then the learner — a tree ensemble
/// (<see cref="CompiledTrees"/>: the sum of the trees' leaves) or a linear model (bias + w·x) —
/// and the Platt calibrator for probabilities. Tests keep it equal to ML.NET's own predictions.
/// </summary>
internal sealed class CompiledModel
{
    private readonly int _width;
    private readonly float[] _fill;
    private readonly float[]? _scale;
    private readonly float[]? _offset;
    private readonly PlattCalibrator? _calibrator;
    // Linear model.
    private readonly float[]? _weights;
    private readonly float _linearBias;
    private readonly CompiledTrees? _trees;

    private static readonly ConcurrentDictionary<string, CompiledModel?> Cache = new(StringComparer.Ordinal);
    private const int CacheLimit = 64;

    private CompiledModel(int width, float[] fill, float[]? scale, float[]? offset, PlattCalibrator? calibrator,
        float[]? weights, float linearBias, CompiledTrees? trees)
    {
        _width = width;
        _fill = fill;
        _scale = scale;
        _offset = offset;
        _calibrator = calibrator;
        _weights = weights;
        _linearBias = linearBias;
        _trees = trees;
    }

    /// <summary>
    /// The compiled form of a registry entry's model (cached by the zip's hash), or null when the model
    /// has a part this compiler does not know (a categorical split, another calibrator): it is then
    /// scored by ML.NET itself.
    /// </summary>
    public static CompiledModel? For(TrainedModel entry, ITransformer transformer, int width)
    {
        var key = Convert.ToHexString(SHA256.HashData(entry.Zip)) + "|" + width;
        if (Cache.TryGetValue(key, out var known)) return known;
        var compiled = Compile(transformer, width);
        if (Cache.Count >= CacheLimit) Cache.Clear();
        Cache[key] = compiled;
        return compiled;
    }

    internal static CompiledModel? Compile(ITransformer transformer, int width)
    {
        if (transformer is not IEnumerable<ITransformer>) return null;
        // Appending a trainer to a chain of transforms nests that chain: flatten it.
        static IEnumerable<ITransformer> Flatten(ITransformer t) =>
            t is IEnumerable<ITransformer> inner ? inner.SelectMany(Flatten) : [t];
        var steps = Flatten(transformer).ToList();
        if (steps.Count == 0 || steps[^1] is not IPredictionTransformer<object> predictor) return null;

        // The replacement values: ML.NET's own Filled column for a row that is missing everywhere.
        var ml = new MLContext(0);
        var probe = new Learners.FeatureRow { Features = Enumerable.Repeat(float.NaN, width).ToArray() };
        var view = transformer.Transform(Learners.Unlabelled(ml, [probe], width));
        var fill = view.GetColumn<float[]>("Filled").Single();
        if (fill.Length != width || fill.Any(float.IsNaN)) return null;

        float[]? scale = null, offset = null;
        var normalizers = steps.OfType<NormalizingTransformer>().ToList();
        if (normalizers.Count > 1) return null;
        if (normalizers.Count == 1)
        {
            if (normalizers[0].GetNormalizerModelParameters(0)
                is not NormalizingTransformer.AffineNormalizerModelParameters<ImmutableArray<float>> affine)
                return null;
            scale = [.. affine.Scale];
            offset = affine.Offset.IsDefaultOrEmpty ? null : [.. affine.Offset];
            if (scale.Length != 2 * width || offset is { Length: var o } && o != 2 * width) return null;
        }

        return predictor.Model switch
        {
            CalibratedModelParametersBase<FastTreeBinaryModelParameters, PlattCalibrator> c => Trees(c.SubModel.TrainedTreeEnsemble, c.Calibrator),
            CalibratedModelParametersBase<LightGbmBinaryModelParameters, PlattCalibrator> c => Trees(c.SubModel.TrainedTreeEnsemble, c.Calibrator),
            CalibratedModelParametersBase<LinearBinaryModelParameters, PlattCalibrator> c => Linear(c.SubModel, c.Calibrator),
            FastTreeRegressionModelParameters r => Trees(r.TrainedTreeEnsemble, null),
            LightGbmRegressionModelParameters r => Trees(r.TrainedTreeEnsemble, null),
            _ => null,
        };

        // ML.NET's prediction of an ensemble is the plain sum of the trees' leaves: the documented tree
        // weights and bias are only compiled when they change nothing (weights 1, bias 0). A tree
        // without a split, or with a categorical split, is left to ML.NET too.
        CompiledModel? Trees(RegressionTreeEnsemble ensemble, PlattCalibrator? calibrator) =>
            ensemble.Bias != 0 || ensemble.TreeWeights.Any(w => w != 1) || CompiledTrees.Compile(ensemble.Trees, 2 * width) is not { } trees
                ? null
                : new CompiledModel(width, fill, scale, offset, calibrator, null, 0, trees);

        CompiledModel? Linear(LinearBinaryModelParameters linear, PlattCalibrator calibrator) =>
            linear.Weights.Count != 2 * width ? null
                : new CompiledModel(width, fill, scale, offset, calibrator, [.. linear.Weights], linear.Bias, null);
    }

    /// <summary>
    /// The model's output for every user: the probability (calibrated) of a classifier, the value
    /// of a regression; users in parallel, each in a tight loop over flat arrays.
    /// </summary>
    /// <param name="features">features[f][user], NaN for null.</param>
    public float[] Predict(float[][] features, int users)
    {
        var result = new float[users];
        const int Chunk = 2048;
        Parallel.For(0, (users + Chunk - 1) / Chunk, chunk => PredictRange(features, chunk * Chunk, Math.Min(users, (chunk + 1) * Chunk), result));
        return result;
    }

    // Optimised at once: a scorer runs a few times per process, too few for tiered compilation to reach its loops.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void PredictRange(float[][] features, int start, int end, float[] result)
    {
        var width = 2 * _width;
        var rows = Math.Min(Block, end - start); // one user, scored live, needs one row
        var prepared = new float[rows * width];
        var bins = _trees is null ? [] : new int[Block * width];
        var sums = new double[rows];
        for (var first = start; first < end; first += Block)
        {
            var count = Math.Min(Block, end - first);
            for (var i = 0; i < count; i++) Prepare(features, first + i, prepared.AsSpan(i * width, width));
            if (_trees is { } trees)
            {
                trees.Bin(prepared, count, bins);
                trees.Sum(bins, count, sums);
            }
            else
                for (var i = 0; i < count; i++) sums[i] = Linear(prepared.AsSpan(i * width, width));
            for (var i = 0; i < count; i++)
            {
                var score = (float)sums[i];
                result[first + i] = _calibrator is null ? score : _calibrator.PredictProbability(score);
            }
        }
    }

    /// <summary>Users scored together, tree by tree: enough to amortise a tree's loads, few enough for their rows to stay in cache.</summary>
    private const int Block = CompiledTrees.Block;

    /// <summary>Filled features, then the missing indicators, then the normalizer, as the training pipeline lays them out.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Prepare(float[][] features, int user, Span<float> prepared)
    {
        for (var f = 0; f < _width; f++)
        {
            var x = features[f][user];
            var missing = float.IsNaN(x);
            prepared[f] = missing ? _fill[f] : x;
            prepared[_width + f] = missing ? 1f : 0f;
        }
        if (_scale is null) return;
        for (var i = 0; i < prepared.Length; i++)
            prepared[i] = _offset is null ? prepared[i] * _scale[i] : (prepared[i] - _offset[i]) * _scale[i];
    }

    /// <remarks>
    /// In single precision as ML.NET; ML.NET's vectorised summation order depends on the CPU and the
    /// arrays' alignment, so the last bit of the score can differ (probabilities within 1e-6 relative).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private float Linear(ReadOnlySpan<float> x)
    {
        var weights = _weights!;
        var sum = 0f;
        for (var i = 0; i < x.Length; i++) sum += weights[i] * x[i];
        return sum + _linearBias;
    }
}
