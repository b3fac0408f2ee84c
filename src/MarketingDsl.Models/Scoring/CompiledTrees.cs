using System.Numerics;
using System.Runtime.CompilerServices;
using Microsoft.ML.Trainers.FastTree;

namespace MarketingDsl.Models.Scoring;

/// <summary>
/// A tree ensemble (ML.NET's public <see cref="RegressionTree"/> arrays: children, split features,
/// thresholds, leaf values) compiled for scoring many users at once. A split sends a value left
/// when <c>x ≤ threshold</c> (NaN goes right), so only the rank of x among the ensemble's distinct
/// thresholds of its feature matters: its bin, the number of thresholds x is not ≤ to. Each tree
/// becomes a lookup table indexed by the bins of the features it splits on (mixed radix over the
/// tree's own thresholds), so a tree costs a few independent loads instead of a walk of dependent,
/// unpredictable branches; a tree whose table would be too large is walked, on the same bins.
/// Trees are evaluated tree-major over blocks of users (a tree's table stays in cache), and each
/// user's leaf values are summed in double in tree order, as ML.NET sums them: the result is ML.NET's
/// score bit for bit.
/// </summary>
internal sealed class CompiledTrees
{
    /// <summary>The largest table a tree gets (entries of one byte); a larger tree is walked.</summary>
    private const int TableLimit = 1 << 16;

    private readonly int _width;
    // Per feature, the ensemble's distinct split thresholds in ascending order.
    private readonly float[][] _thresholds;
    // The same, padded with +∞ to whole vectors.
    private readonly float[][] _padded;
    private readonly int _treeCount;
    private readonly int[] _leafStart;
    private readonly double[] _leafValue;

    // Table trees: terms _termStart[t] … _termStart[t + 1] − 1 add _maps[_termMap[k] + bin of _termFeature[k]] to the index.
    private readonly int[] _termStart;
    private readonly int[] _termFeature;
    private readonly int[] _termMap;
    private readonly int[] _maps;
    private readonly int[] _tableStart; // −1: the tree is walked
    private readonly byte[] _tables;

    // Walked trees: node n of tree t is _nodeStart[t] + n; it goes left when the bin of _nodeFeature ≤ _nodeRank.
    private readonly int[] _nodeStart;
    private readonly int[] _nodeFeature;
    private readonly int[] _nodeRank;
    private readonly int[] _left;
    private readonly int[] _right;

    private CompiledTrees(IReadOnlyList<RegressionTree> trees, int width)
    {
        _width = width;
        _treeCount = trees.Count;
        _thresholds = [.. Enumerable.Range(0, width).Select(f => trees
            .SelectMany(t => Enumerable.Range(0, t.NumberOfNodes).Where(n => t.NumericalSplitFeatureIndexes[n] == f).Select(n =>
                t.NumericalSplitThresholds[n]))
            .Distinct().Order().ToArray())];
        _padded = [.. _thresholds.Select(t => t.Concat(Enumerable.Repeat(float.PositiveInfinity,
            (Vector<float>.Count - t.Length % Vector<float>.Count) % Vector<float>.Count)).ToArray())];
        _leafStart = new int[_treeCount];
        var leaves = new List<double>();
        _termStart = new int[_treeCount + 1];
        var termFeature = new List<int>();
        var termMap = new List<int>();
        var maps = new List<int>();
        _tableStart = new int[_treeCount];
        var tables = new List<byte>();
        _nodeStart = new int[_treeCount];
        var nodeFeature = new List<int>();
        var nodeRank = new List<int>();
        var left = new List<int>();
        var right = new List<int>();

        for (var t = 0; t < _treeCount; t++)
        {
            var tree = trees[t];
            _leafStart[t] = leaves.Count;
            leaves.AddRange(tree.LeafValues);
            _termStart[t] = termFeature.Count;
            _nodeStart[t] = nodeFeature.Count;
            var rank = new int[tree.NumberOfNodes];
            for (var n = 0; n < tree.NumberOfNodes; n++)
                rank[n] = Array.BinarySearch(_thresholds[tree.NumericalSplitFeatureIndexes[n]], tree.NumericalSplitThresholds[n]);

            // The tree's own thresholds per feature (as global ranks, ascending), and the table's size.
            var own = Enumerable.Range(0, tree.NumberOfNodes).GroupBy(n => tree.NumericalSplitFeatureIndexes[n])
                .ToDictionary(g => g.Key, g => g.Select(n => rank[n]).Distinct().Order().ToArray());
            var size = own.Values.Aggregate(1L, (s, r) => Math.Min(s * (r.Length + 1), TableLimit + 1L));
            if (size > TableLimit || tree.NumberOfLeaves > byte.MaxValue + 1)
            {
                _tableStart[t] = -1;
                for (var n = 0; n < tree.NumberOfNodes; n++)
                {
                    nodeFeature.Add(tree.NumericalSplitFeatureIndexes[n]);
                    nodeRank.Add(rank[n]);
                    left.Add(tree.LeftChild[n]);
                    right.Add(tree.RightChild[n]);
                }
                continue;
            }

            // Each term maps a feature's bin to its local bin (how many of the tree's thresholds it exceeds) times its stride.
            var used = own.Keys.Order().ToArray();
            var strides = new int[_width];
            var radix = new int[_width];
            var stride = 1;
            foreach (var feature in used)
            {
                var ranks = own[feature];
                (strides[feature], radix[feature]) = (stride, ranks.Length + 1);
                termFeature.Add(feature);
                termMap.Add(maps.Count);
                var localBin = 0;
                for (var bin = 0; bin <= _thresholds[feature].Length; bin++)
                {
                    while (localBin < ranks.Length && ranks[localBin] < bin) localBin++;
                    maps.Add(localBin * stride);
                }
                stride *= ranks.Length + 1;
            }
            _tableStart[t] = tables.Count;
            var table = new byte[stride];
            // x ≤ a split's threshold ⇔ x exceeds fewer of the tree's thresholds of that feature than the split's position among them:
            // each leaf owns a box of local bins, filled once.
            var low = new int[_width];
            var high = new int[_width];
            foreach (var feature in used) high[feature] = radix[feature] - 1;
            Fill(0);
            tables.AddRange(table);

            void Fill(int node)
            {
                var feature = tree.NumericalSplitFeatureIndexes[node];
                var position = Array.IndexOf(own[feature], rank[node]);
                var (lo, hi) = (low[feature], high[feature]);
                high[feature] = Math.Min(hi, position);
                if (low[feature] <= high[feature]) Child(tree.LeftChild[node]);
                (low[feature], high[feature]) = (Math.Max(lo, position + 1), hi);
                if (low[feature] <= high[feature]) Child(tree.RightChild[node]);
                low[feature] = lo;
            }

            void Child(int child)
            {
                if (child >= 0) { Fill(child); return; }
                // Every index inside the box [low, high] of the used features, odometer order.
                var current = used.Select(f => low[f]).ToArray();
                while (true)
                {
                    var index = 0;
                    for (var i = 0; i < used.Length; i++) index += current[i] * strides[used[i]];
                    table[index] = (byte)~child;
                    var digit = 0;
                    while (digit < used.Length && ++current[digit] > high[used[digit]]) { current[digit] = low[used[digit]]; digit++; }
                    if (digit == used.Length) return;
                }
            }
        }
        _termStart[_treeCount] = termFeature.Count;
        _leafValue = [.. leaves];
        _termFeature = [.. termFeature];
        _termMap = [.. termMap];
        _maps = [.. maps];
        _tables = [.. tables];
        _nodeFeature = [.. nodeFeature];
        _nodeRank = [.. nodeRank];
        _left = [.. left];
        _right = [.. right];
    }

    /// <summary>The compiled ensemble, or null when a tree has no split or a categorical split (ML.NET scores those).</summary>
    public static CompiledTrees? Compile(IReadOnlyList<RegressionTree> trees, int width) =>
        trees.Any(t => t.NumberOfNodes == 0 || t.CategoricalSplitFlags.Any(f => f)
                       || t.NumericalSplitFeatureIndexes.Any(f => f < 0 || f >= width) || t.NumericalSplitThresholds.Any(float.IsNaN))
            ? null
            : new CompiledTrees(trees, width);

    /// <summary>
    /// The bins of <paramref name="users"/> users' prepared features (rows of <see cref="Width"/> values in
    /// <paramref name="rows"/>) into <paramref name="bins"/>, feature-major: feature f of user u at f · <see cref="Block"/> + u.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Bin(float[] rows, int users, int[] bins)
    {
        var lanes = Vector<float>.Count;
        for (var f = 0; f < _width; f++)
        {
            var padded = _padded[f];
            var count = _thresholds[f].Length;
            var output = bins.AsSpan(f * Block, users);
            if (count == 0) { output.Clear(); continue; }
            for (var u = 0; u < users; u++)
            {
                var x = rows[u * _width + f];
                if (float.IsNaN(x)) { output[u] = count; continue; } // NaN is ≤ no threshold
                // How many thresholds x exceeds; the padding (+∞) is exceeded by nothing.
                var vx = new Vector<float>(x);
                var exceeded = Vector<int>.Zero;
                for (var i = 0; i < padded.Length; i += lanes)
                    exceeded -= Vector.GreaterThan(vx, new Vector<float>(padded, i));
                output[u] = Vector.Sum(exceeded);
            }
        }
    }

    /// <summary>The users scored together (callers' blocks hold at most this many users).</summary>
    public const int Block = 256;

    public int Width => _width;

    /// <summary>The ensemble's score of <paramref name="users"/> users (at most <see cref="Block"/>) from their <see
    /// cref="Bin"/>s, into <paramref name="sums"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Sum(int[] bins, int users, double[] sums)
    {
        var total = sums.AsSpan(0, users);
        total.Clear();
        Span<int> index = stackalloc int[Block];
        index = index[..users];
        for (var t = 0; t < _treeCount; t++)
        {
            var leaves = _leafValue.AsSpan(_leafStart[t]);
            var tableStart = _tableStart[t];
            if (tableStart < 0)
            {
                for (var u = 0; u < users; u++) total[u] += leaves[Walk(bins, u, _nodeStart[t])];
                continue;
            }
            // Term by term over all users: each pass is a short loop of independent loads.
            index.Fill(tableStart);
            for (var k = _termStart[t]; k < _termStart[t + 1]; k++)
            {
                var map = _maps.AsSpan(_termMap[k]);
                var featureBins = bins.AsSpan(_termFeature[k] * Block, users);
                for (var u = 0; u < featureBins.Length; u++) index[u] += map[featureBins[u]];
            }
            var tables = _tables;
            for (var u = 0; u < index.Length; u++) total[u] += leaves[tables[index[u]]];
        }
    }

    private int Walk(int[] bins, int user, int start)
    {
        var node = 0;
        while (true)
        {
            var n = start + node;
            var next = bins[_nodeFeature[n] * Block + user] <= _nodeRank[n] ? _left[n] : _right[n];
            if (next < 0) return ~next;
            node = next;
        }
    }
}
