using System.Runtime.CompilerServices;
using MarketingDsl.Models.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;

namespace MarketingDsl.Models.Scoring;

/// <summary>
/// A trained k-means compiled to its centroids (ML.NET's public <see cref="KMeansModelParameters.GetClusterCentroids"/>),
/// assigning each user as ML.NET does: the squared distance in single precision as
/// max(0, −2·x·c + ‖c‖² + ‖x‖²), the first smallest winning a tie. The distance output is the
/// Euclidean distance of <see cref="ClusterScoring.Distance"/>, as before.
/// </summary>
internal sealed class CompiledClusters
{
    private readonly float[][] _centroids;
    private readonly float[] _centroidNorms;

    private CompiledClusters(float[][] centroids)
    {
        _centroids = centroids;
        _centroidNorms = [.. centroids.Select(SquaredNorm)];
    }

    public static CompiledClusters? Compile(ITransformer transformer, int width)
    {
        var last = transformer is IEnumerable<ITransformer> chain ? chain.LastOrDefault() : transformer;
        if (last is not IPredictionTransformer<object> { Model: KMeansModelParameters kmeans }) return null;
        VBuffer<float>[] centroids = [];
        kmeans.GetClusterCentroids(ref centroids, out var k);
        var dense = centroids.Take(k).Select(c => c.DenseValues().ToArray()).ToArray();
        return dense.Any(c => c.Length != width) ? null : new CompiledClusters(dense);
    }

    /// <summary>ML.NET's cluster label (1…k) of one scaled row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Label(float[] row)
    {
        var norm = SquaredNorm(row);
        var best = 0;
        var bestDistance = float.PositiveInfinity;
        for (var c = 0; c < _centroids.Length; c++)
        {
            var centroid = _centroids[c];
            var dot = 0f;
            for (var f = 0; f < row.Length; f++) dot += centroid[f] * row[f];
            var distance = Math.Max(0f, -2 * dot + _centroidNorms[c] + norm);
            if (distance < bestDistance) { bestDistance = distance; best = c; }
        }
        return best + 1;
    }

    private static float SquaredNorm(float[] v)
    {
        var s = 0f;
        foreach (var x in v) s += x * x;
        return s;
    }
}
