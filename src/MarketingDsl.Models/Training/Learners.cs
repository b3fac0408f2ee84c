using MarketingDsl.Core.Semantics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;
using Microsoft.ML.Transforms;

namespace MarketingDsl.Models.Training;

/// <summary>A native library of an algorithm could not be loaded (LightGbm on some Linux machines).</summary>
public sealed class AlgorithmUnavailableException(string algorithm, Exception inner)
    : Exception($"{algorithm} cannot run on this machine: {inner.GetType().Name}: {inner.Message}", inner)
{
    public string Algorithm { get; } = algorithm;
}

/// <summary>
/// The ML.NET pipelines: every trainer single-threaded with the declaration's seed, so the same
/// data and seed give the same model. Classifiers and regressions see each feature with missing
/// values replaced by the training mean plus a 0/1 "was missing" indicator (a null recency is a
/// signal, not an average); k-means sees the (optionally standardised) features of users who
/// have them all.
/// </summary>
internal static class Learners
{
    /// <summary>A seam for tests: runs before a native-backed trainer fits (to simulate a library that does not load).</summary>
    internal static Action<ModelAlgorithm>? BeforeFit;

    internal sealed class LabelledRow
    {
        public float[] Features { get; set; } = [];
        public bool Label { get; set; }
        public float Target { get; set; }
    }

    internal sealed class FeatureRow
    {
        public float[] Features { get; set; } = [];
    }

    public static string AlgorithmName(ModelAlgorithm algorithm) => algorithm switch
    {
        ModelAlgorithm.FastTree => "fasttree",
        ModelAlgorithm.LightGbm => "lightgbm",
        ModelAlgorithm.Logistic => "logistic",
        _ => "kmeans++",
    };

    public static IDataView Labelled(MLContext ml, IEnumerable<LabelledRow> rows, int features)
    {
        var schema = SchemaDefinition.Create(typeof(LabelledRow));
        schema[nameof(LabelledRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, features);
        return ml.Data.LoadFromEnumerable(rows, schema);
    }

    public static IDataView Unlabelled(MLContext ml, IEnumerable<FeatureRow> rows, int features)
    {
        var schema = SchemaDefinition.Create(typeof(FeatureRow));
        schema[nameof(FeatureRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, features);
        return ml.Data.LoadFromEnumerable(rows, schema);
    }

    /// <remarks><see cref="Scoring.CompiledModel"/> replays these steps when scoring; its oracle tests fail if the two part.</remarks>
    private static IEstimator<ITransformer> Prepare(MLContext ml, bool normalize)
    {
        IEstimator<ITransformer> prep = ml.Transforms.IndicateMissingValues("Missing", "Features")
            .Append(ml.Transforms.Conversion.ConvertType("MissingAsNumber", "Missing", DataKind.Single))
            .Append(ml.Transforms.ReplaceMissingValues("Filled", "Features", MissingValueReplacingEstimator.ReplacementMode.Mean))
            .Append(ml.Transforms.Concatenate("Prepared", "Filled", "MissingAsNumber"));
        return normalize ? prep.Append(ml.Transforms.NormalizeMeanVariance("Prepared")) : prep;
    }

    /// <summary>
    /// The trees of FastTree and LightGBM, for classifiers and regressions alike: fewer leaves, each holding more users, on
    /// fewer training rows, so a small history is not learnt by heart.
    /// </summary>
    private readonly record struct TreeShape(int Trees, int Leaves, int MinimumPerLeaf, double LearningRate)
    {
        public static TreeShape For(int trainingRows) =>
            new(Trees: 100, Leaves: Math.Clamp(trainingRows / 200, 4, 31), MinimumPerLeaf: Math.Clamp(trainingRows / 500, 5, 50), LearningRate: 0.1);
    }

    public static ITransformer FitClassifier(MLContext ml, ModelSymbol model, IDataView data, int trainingRows)
    {
        var tree = TreeShape.For(trainingRows);
        IEstimator<ITransformer> trainer = model.Algorithm switch
        {
            ModelAlgorithm.LightGbm => ml.BinaryClassification.Trainers.LightGbm(new LightGbmBinaryTrainer.Options
            {
                LabelColumnName = "Label", FeatureColumnName = "Prepared", NumberOfThreads = 1, Seed = model.Seed,
                NumberOfIterations = tree.Trees, NumberOfLeaves = tree.Leaves, MinimumExampleCountPerLeaf = tree.MinimumPerLeaf,
                LearningRate = tree.LearningRate,
            }),
            ModelAlgorithm.Logistic => ml.BinaryClassification.Trainers.LbfgsLogisticRegression(new LbfgsLogisticRegressionBinaryTrainer.Options
            {
                LabelColumnName = "Label", FeatureColumnName = "Prepared", NumberOfThreads = 1,
            }),
            _ => ml.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
            {
                LabelColumnName = "Label", FeatureColumnName = "Prepared", NumberOfThreads = 1,
                NumberOfTrees = tree.Trees, NumberOfLeaves = tree.Leaves, MinimumExampleCountPerLeaf = tree.MinimumPerLeaf,
                LearningRate = tree.LearningRate,
            }),
        };
        return Fit(model.Algorithm, Prepare(ml, model.Algorithm == ModelAlgorithm.Logistic).Append(trainer), data);
    }

    public static ITransformer FitRegression(MLContext ml, ModelSymbol model, IDataView data, int trainingRows)
    {
        var tree = TreeShape.For(trainingRows);
        IEstimator<ITransformer> trainer = model.Algorithm switch
        {
            ModelAlgorithm.LightGbm => ml.Regression.Trainers.LightGbm(new LightGbmRegressionTrainer.Options
            {
                LabelColumnName = "Target", FeatureColumnName = "Prepared", NumberOfThreads = 1, Seed = model.Seed,
                NumberOfIterations = tree.Trees, NumberOfLeaves = tree.Leaves, MinimumExampleCountPerLeaf = tree.MinimumPerLeaf,
                LearningRate = tree.LearningRate,
            }),
            _ => ml.Regression.Trainers.FastTree(new FastTreeRegressionTrainer.Options
            {
                LabelColumnName = "Target", FeatureColumnName = "Prepared", NumberOfThreads = 1,
                NumberOfTrees = tree.Trees, NumberOfLeaves = tree.Leaves, MinimumExampleCountPerLeaf = tree.MinimumPerLeaf,
                LearningRate = tree.LearningRate,
            }),
        };
        return Fit(model.Algorithm, Prepare(ml, false).Append(trainer), data);
    }

    public static ITransformer FitClusters(MLContext ml, ModelSymbol model, IDataView data) =>
        Fit(ModelAlgorithm.KMeans, ml.Clustering.Trainers.KMeans(new KMeansTrainer.Options
        {
            FeatureColumnName = "Features",
            NumberOfClusters = model.ClusterCount,
            // ML.NET's default is k-means|| (KMeansYinyang); the language promises k-means++.
            InitializationAlgorithm = KMeansTrainer.InitializationAlgorithm.KMeansPlusPlus,
            NumberOfThreads = 1,
            MaximumNumberOfIterations = 1000,
            OptimizationTolerance = 1e-7f,
        }), data);

    private static ITransformer Fit(ModelAlgorithm algorithm, IEstimator<ITransformer> pipeline, IDataView data)
    {
        try
        {
            BeforeFit?.Invoke(algorithm);
            return pipeline.Fit(data);
        }
        catch (Exception ex) when (ex is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException
            or BadImageFormatException)
        {
            throw new AlgorithmUnavailableException(AlgorithmName(algorithm), ex);
        }
    }

    /// <summary>Probabilities (classifier), predicted values (regression) for feature rows.</summary>
    public static float[] Predict(MLContext ml, ITransformer transformer, float[][] rows, bool classifier)
    {
        var width = rows.Length > 0 ? rows[0].Length : 0;
        var view = transformer.Transform(Unlabelled(ml, rows.Select(r => new FeatureRow { Features = r }), width));
        return [.. view.GetColumn<float>(classifier ? "Probability" : "Score")];
    }

    /// <summary>k-means: ML.NET's cluster number (1…k) and the squared distances to every centroid.</summary>
    public static (uint[] Labels, float[][] Distances) Assign(MLContext ml, ITransformer transformer, float[][] rows)
    {
        var width = rows.Length > 0 ? rows[0].Length : 0;
        var view = transformer.Transform(Unlabelled(ml, rows.Select(r => new FeatureRow { Features = r }), width));
        var labels = view.GetColumn<uint>("PredictedLabel").ToArray();
        var distances = view.GetColumn<float[]>("Score").ToArray();
        return (labels, distances);
    }

    /// <summary>The centroids of a fitted k-means (in ML.NET's cluster order).</summary>
    public static float[][] Centroids(ITransformer transformer)
    {
        var kmeans = (ClusteringPredictionTransformer<KMeansModelParameters>)transformer;
        VBuffer<float>[] centroids = [];
        kmeans.Model.GetClusterCentroids(ref centroids, out var k);
        return [.. centroids.Take(k).Select(c => c.DenseValues().ToArray())];
    }

    public static byte[] Save(MLContext ml, ITransformer transformer, DataViewSchema schema)
    {
        using var stream = new MemoryStream();
        ml.Model.Save(transformer, schema, stream);
        return stream.ToArray();
    }

    public static ITransformer Load(MLContext ml, byte[] zip)
    {
        using var stream = new MemoryStream(zip);
        return ml.Model.Load(stream, out _);
    }
}
