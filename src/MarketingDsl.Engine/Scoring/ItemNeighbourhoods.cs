using MarketingDsl.Engine.Data;

namespace MarketingDsl.Engine.Scoring;

/// <summary>
/// What an item-to-item recommender learns, in the one type that holds it: the catalogue (item names
/// in code point order) with each item's category, each item's most similar items with their
/// similarity (most similar first), and the items by popularity (the cold-start fallback). Training
/// builds it (MarketingDsl.Models' <c>ItemToItemModel.Train</c>), the registry stores it
/// (<c>RecommenderFile</c>), scoring reads it (<see cref="TrainedRecommender"/>), and both rank by
/// <see cref="Rank"/>. Read-only once built: threads share it.
/// </summary>
public sealed class ItemNeighbourhoods
{
    private readonly Dictionary<string, int> _number;

    public ItemNeighbourhoods(string[] items, string?[] categories, int[] neighbourStart, int[] neighbours, float[] similarities,
        int[] popular)
    {
        Items = items;
        Categories = categories;
        NeighbourStart = neighbourStart;
        Neighbours = neighbours;
        Similarities = similarities;
        Popular = popular;
        _number = new Dictionary<string, int>(items.Length, StringComparer.Ordinal);
        for (var i = 0; i < items.Length; i++) _number[items[i]] = i;
        CategoryNames = [.. categories.OfType<string>().Distinct(StringComparer.Ordinal).Order(CodePointComparer.Instance)];
        var number = new Dictionary<string, int>(CategoryNames.Length, StringComparer.Ordinal);
        for (var c = 0; c < CategoryNames.Length; c++) number[CategoryNames[c]] = c;
        CategoryOf = [.. categories.Select(c => c is null ? -1 : number[c])];
    }

    /// <summary>Item names by item number (code point order, so ties broken by number are broken by name).</summary>
    public string[] Items { get; }
    /// <summary>Per item, its category (null without one).</summary>
    public string?[] Categories { get; }
    /// <summary>Per item, the number of its category in <see cref="CategoryNames"/>, or −1.</summary>
    public int[] CategoryOf { get; }
    /// <summary>The distinct categories in code point order, so ties broken by number are broken by name.</summary>
    public string[] CategoryNames { get; }
    /// <summary>Neighbours of item i: <c>[NeighbourStart[i], NeighbourStart[i + 1])</c> of <see cref="Neighbours"/>, most similar first.</summary>
    public int[] NeighbourStart { get; }
    public int[] Neighbours { get; }
    /// <summary>The similarity of each neighbour, aligned with <see cref="Neighbours"/>.</summary>
    public float[] Similarities { get; }
    /// <summary>Items with at least one buyer, most bought first (ties by name).</summary>
    public int[] Popular { get; }

    public int ItemCount => Items.Length;

    /// <summary>The item's number, −1 for an item outside the catalogue.</summary>
    public int IndexOf(string item) => _number.TryGetValue(item, out var i) ? i : -1;

    /// <summary>The neighbours of item <paramref name="item"/>, most similar first.</summary>
    public ReadOnlySpan<int> NeighboursOf(int item) => Neighbours.AsSpan(NeighbourStart[item], NeighbourStart[item + 1] - NeighbourStart[item]);

    /// <summary>
    /// The one ranking rule of item-to-item recommendations, for training's evaluation and for scoring:
    /// a candidate j scores Σ over the user's items i (ascending) of <c>log(1 + weight(i)) · sim(i, j)</c>;
    /// bought items (<paramref name="bought"/>, ascending) are left out unless <paramref name="repeat"/>; the
    /// k best by score (ties by item number, which is name order), then — a cold user or a short list — the
    /// most popular items not listed or bought. With <paramref name="sumCategories"/>, every ranked
    /// candidate's score is also summed into its category (<see cref="TopCategories"/> reads them). The
    /// list is a view of <paramref name="buffers"/>, valid until their next use.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public ReadOnlySpan<int> Rank(bool repeat, ReadOnlySpan<int> items, ReadOnlySpan<float> weights, ReadOnlySpan<int> bought, int k,
        RankBuffers buffers, bool sumCategories = false)
    {
        var (neighbourStart, neighbours, similarities) = (NeighbourStart, Neighbours, Similarities);
        var categoryOf = sumCategories ? CategoryOf : null;
        buffers.Fit(neighbourStart.Length - 1, categoryOf is null ? 0 : CategoryNames.Length, k);
        var scores = buffers.Scores;
        var touched = buffers.Touched;
        var touchedCount = 0;
        for (var x = 0; x < items.Length; x++)
        {
            var i = items[x];
            var w = (float)Math.Log(1 + weights[x]);
            for (var y = neighbourStart[i]; y < neighbourStart[i + 1]; y++)
            {
                var j = neighbours[y];
                if (scores[j] == 0) touched[touchedCount++] = j;
                scores[j] += w * similarities[y];
            }
        }
        ReadOnlySpan<int> excluded = repeat ? default : bought;
        // The k best kept sorted (score descending, then item ascending): one insertion per better candidate, no sort of all.
        var result = buffers.Result;
        var resultScores = buffers.ResultScores;
        var count = 0;
        buffers.TouchedCategoryCount = 0;
        for (var t = 0; t < touchedCount; t++)
        {
            var j = touched[t];
            var score = scores[j];
            scores[j] = 0;
            if (!excluded.IsEmpty && excluded.BinarySearch(j) >= 0) continue;
            if (categoryOf is not null && categoryOf[j] is var c and >= 0)
            {
                if (buffers.CategoryScores[c] == 0) buffers.TouchedCategories[buffers.TouchedCategoryCount++] = c;
                buffers.CategoryScores[c] += score;
            }
            if (count == k && !Better(score, j, resultScores[k - 1], result[k - 1])) continue;
            var at = count == k ? k - 1 : count++;
            while (at > 0 && Better(score, j, resultScores[at - 1], result[at - 1]))
            {
                result[at] = result[at - 1];
                resultScores[at] = resultScores[at - 1];
                at--;
            }
            result[at] = j;
            resultScores[at] = score;
        }
        foreach (var item in Popular)
        {
            if (count == k) break;
            if (!excluded.IsEmpty && excluded.BinarySearch(item) >= 0 || result.AsSpan(0, count).Contains(item)) continue;
            result[count++] = item;
        }
        return result.AsSpan(0, count);

        static bool Better(float score, int item, float thanScore, int thanItem) => score > thanScore || score == thanScore && item < thanItem;
    }

    /// <summary>
    /// After <see cref="Rank"/> with categories summed: the categories of the ranked candidates by summed
    /// score (ties by name), then those of <paramref name="list"/> in order, at most <paramref name="count"/>
    /// category numbers into <paramref name="into"/>; clears the sums.
    /// </summary>
    public int TopCategories(RankBuffers buffers, ReadOnlySpan<int> list, int count, Span<int> into)
    {
        var touched = buffers.TouchedCategories.AsSpan(0, buffers.TouchedCategoryCount);
        var sums = buffers.CategoryScores;
        var n = 0;
        // Few categories per user: a selection of the best `count` by sum, then number.
        for (; n < count; n++)
        {
            var best = -1;
            foreach (var c in touched)
                if (!into[..n].Contains(c) && (best < 0 || sums[c] > sums[best] || sums[c] == sums[best] && c < best)) best = c;
            if (best < 0) break;
            into[n] = best;
        }
        foreach (var c in touched) sums[c] = 0;
        buffers.TouchedCategoryCount = 0;
        foreach (var item in list)
            if (n < count && CategoryOf[item] is var c and >= 0 && !into[..n].Contains(c)) into[n++] = c;
        return n;
    }
}
