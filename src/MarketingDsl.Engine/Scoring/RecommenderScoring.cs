using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;

namespace MarketingDsl.Engine.Scoring;

/// <summary>
/// The trained recommenders of a workspace (LANGUAGE.md §13). A model scorer that also implements
/// this answers `r.items`, `r.categories` and `r.related(item, n)`; without one, or for a recommender
/// that is stale or not trained, they are null.
/// </summary>
public interface IRecommenderScorer
{
    /// <summary>The trained recommender, or null when it is not trained or stale.</summary>
    TrainedRecommender? Find(ModelSymbol recommender);
}

/// <summary>
/// What a trained item-to-item recommender knows: its catalogue (item names in code point order)
/// with each item's category, each item's most similar items (most similar first), and the items
/// by popularity (the cold-start fallback). Scoring a user reads only the user's events, so one
/// user can be scored alone (journeys, the live runtime) with the numbers of a batch run.
/// </summary>
public sealed class TrainedRecommender
{
    private readonly Dictionary<string, int> _number;

    public TrainedRecommender(RecommenderDefinition definition, string[] items, string?[] categories, int[] neighbourStart, int[] neighbours,
        float[] similarities, int[] popular)
    {
        Definition = definition;
        Items = items;
        Categories = categories;
        NeighbourStart = neighbourStart;
        Neighbours = neighbours;
        Similarities = similarities;
        Popular = popular;
        _number = new Dictionary<string, int>(items.Length, StringComparer.Ordinal);
        for (var i = 0; i < items.Length; i++) _number[items[i]] = i;
    }

    /// <summary>How many categories `r.categories` lists at most.</summary>
    public const int CategoryCount = 3;

    public RecommenderDefinition Definition { get; }
    public string[] Items { get; }
    public string?[] Categories { get; }
    /// <summary>Neighbours of item i: <c>[NeighbourStart[i], NeighbourStart[i + 1])</c> of <see cref="Neighbours"/>, most similar first.</summary>
    public int[] NeighbourStart { get; }
    public int[] Neighbours { get; }
    public float[] Similarities { get; }
    /// <summary>Items with at least one buyer, most bought first (ties by name).</summary>
    public int[] Popular { get; }

    public int IndexOf(string item) => _number.TryGetValue(item, out var i) ? i : -1;

    /// <summary>The user's signal weights per item and bought items in (asOf − within, asOf], item numbers ascending.</summary>
    public (int[] Items, float[] Weights, int[] Bought) Interactions(DataSet data, int user, long asOfTicks)
    {
        var d = Definition;
        var schema = data.Schema;
        var weights = new Dictionary<int, float>();
        var bought = new HashSet<int>();
        var from = asOfTicks - d.WindowTicks;
        var purchaseSeen = false;
        foreach (var signal in d.Signals)
        {
            purchaseSeen |= signal.Event == d.ItemEvent;
            Read(signal.Event, (float)signal.Weight, signal.Event == d.ItemEvent);
        }
        if (!purchaseSeen) Read(d.ItemEvent, 0f, true);
        var itemsOut = weights.Keys.Order().ToArray();
        return (itemsOut, [.. itemsOut.Select(i => weights[i])], [.. bought.Order()]);

        void Read(EventTypeSymbol type, float weight, bool purchase)
        {
            // By name: the data may have been imported under another compilation of the same schema.
            if (schema.FindEvent(type.Name) is not { } own) return;
            var at = schema.Events.IndexOf(own);
            var ordinal = own.OrdinalOf(d.ItemField);
            if (at >= data.Events.Length || data.Events[at] is not { } table ||
                ordinal < 2 || table.Fields[ordinal] is not StringColumn column) return;
            for (var r = table.UserStart[user]; r < table.UserStart[user + 1]; r++)
            {
                var ts = table.Ts[r];
                if (ts <= from || ts > asOfTicks || column.Values[r] is not { } name || !_number.TryGetValue(name, out var item)) continue;
                if (weight > 0) weights[item] = weights.GetValueOrDefault(item) + weight;
                if (purchase) bought.Add(item);
            }
        }
    }

    /// <summary>
    /// The top-<paramref name="k"/> items: a candidate j scores Σ over the user's items i of
    /// <c>log(1 + weight(i)) · sim(i, j)</c>; bought items are left out unless `repeat`; a short list
    /// is filled with the most popular items; ties by item name. With <paramref name="categoryScores"/>,
    /// each ranked candidate's score is also added to its category.
    /// </summary>
    public int[] Recommend(ReadOnlySpan<int> items, ReadOnlySpan<float> weights, ReadOnlySpan<int> bought, int k, float[] scores,
        Dictionary<string, double>? categoryScores = null) =>
        Rank(NeighbourStart, Neighbours, Similarities, Categories, Popular, Definition.Repeat, items, weights, bought, k, scores, categoryScores);

    /// <summary>
    /// The one ranking rule of item-to-item recommendations, for training's evaluation and for scoring:
    /// neighbours as CSR arrays (<paramref name="neighbourStart"/> indexes <paramref name="neighbours"/> and
    /// <paramref name="similarities"/>); <paramref name="scores"/> is a scratch of zeros, left zeroed.
    /// </summary>
    public static int[] Rank(int[] neighbourStart, int[] neighbours, float[] similarities, string?[] categories, int[] popular, bool repeat,
        ReadOnlySpan<int> items, ReadOnlySpan<float> weights, ReadOnlySpan<int> bought, int k, float[] scores,
        Dictionary<string, double>? categoryScores = null)
    {
        var touched = new List<int>();
        for (var x = 0; x < items.Length; x++)
        {
            var i = items[x];
            var w = (float)Math.Log(1 + weights[x]);
            for (var y = neighbourStart[i]; y < neighbourStart[i + 1]; y++)
            {
                var j = neighbours[y];
                if (scores[j] == 0) touched.Add(j);
                scores[j] += w * similarities[y];
            }
        }
        ReadOnlySpan<int> excluded = repeat ? default : bought;
        var ranked = new List<(int Item, float Score)>(touched.Count);
        foreach (var j in touched)
        {
            if (excluded.BinarySearch(j) < 0)
            {
                ranked.Add((j, scores[j]));
                if (categoryScores is not null && categories[j] is { } c) categoryScores[c] = categoryScores.GetValueOrDefault(c) + scores[j];
            }
            scores[j] = 0;
        }
        ranked.Sort((a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Item.CompareTo(b.Item));
        var result = new List<int>(k);
        foreach (var (item, _) in ranked)
        {
            if (result.Count == k) break;
            result.Add(item);
        }
        foreach (var item in popular)
        {
            if (result.Count == k) break;
            if (excluded.BinarySearch(item) >= 0 || result.Contains(item)) continue;
            result.Add(item);
        }
        return [.. result];
    }

    [ThreadStatic] private static float[]? t_scores;

    /// <summary>`r.items` of one user as of T: item names, best first.</summary>
    public object?[] ItemsFor(DataSet data, int user, long asOfTicks)
    {
        var (items, weights, bought) = Interactions(data, user, asOfTicks);
        var list = Recommend(items, weights, bought, Definition.K, Scratch());
        return [.. list.Select(i => (object?)Items[i])];
    }

    /// <summary>
    /// `r.categories` of one user as of T: the categories of the user's ranked candidates by summed
    /// score (ties by name), then those of the items of `r.items` in order, at most <see cref="CategoryCount"/>.
    /// </summary>
    public object?[] CategoriesFor(DataSet data, int user, long asOfTicks)
    {
        var (items, weights, bought) = Interactions(data, user, asOfTicks);
        var byCategory = new Dictionary<string, double>(StringComparer.Ordinal);
        var list = Recommend(items, weights, bought, Definition.K, Scratch(), byCategory);
        var result = byCategory.OrderByDescending(c => c.Value).ThenBy(c => c.Key, CodePointComparer.Instance)
            .Select(c => c.Key).Take(CategoryCount).ToList();
        foreach (var i in list)
            if (result.Count < CategoryCount && Categories[i] is { } c && !result.Contains(c)) result.Add(c);
        return [.. result];
    }

    /// <summary>`r.related(item, n)`: the n items most similar to the item (empty for an item the recommender does not know).</summary>
    public object?[] RelatedTo(string item, long count)
    {
        var i = IndexOf(item);
        if (i < 0) return [];
        var n = (int)Math.Clamp(count, 0, NeighbourStart[i + 1] - NeighbourStart[i]);
        var result = new object?[n];
        for (var y = 0; y < n; y++) result[y] = Items[Neighbours[NeighbourStart[i] + y]];
        return result;
    }

    private float[] Scratch()
    {
        if (t_scores is null || t_scores.Length < Items.Length) t_scores = new float[Items.Length];
        return t_scores;
    }
}
