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
/// One thread's buffers for ranking: grown to the catalogue once, then reused for every user, so
/// ranking allocates nothing per user. <see cref="Scores"/> and <see cref="CategoryScores"/> are
/// zeros between calls.
/// </summary>
public sealed class RankBuffers
{
    internal float[] Scores = [];
    internal int[] Touched = [];
    internal int[] Result = [];
    internal float[] ResultScores = [];
    internal double[] CategoryScores = [];
    internal int[] TouchedCategories = [];
    internal int TouchedCategoryCount;

    internal void Fit(int items, int categories, int k)
    {
        if (Scores.Length < items) { Scores = new float[items]; Touched = new int[items]; }
        if (CategoryScores.Length < categories) { CategoryScores = new double[categories]; TouchedCategories = new int[categories]; }
        if (Result.Length < k) { Result = new int[k]; ResultScores = new float[k]; }
    }
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
    private readonly object?[][] _relatedNames;
    private (SchemaModel Schema, Source[] Sources)? _sources;

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
        (CategoryOf, CategoryNames) = NumberCategories(categories);
        // Each item's neighbour names once: `related(x, n)` copies a prefix instead of looking names up per user.
        _relatedNames = new object?[items.Length][];
        for (var i = 0; i < items.Length; i++)
        {
            var names = new object?[neighbourStart[i + 1] - neighbourStart[i]];
            for (var y = 0; y < names.Length; y++) names[y] = items[neighbours[neighbourStart[i] + y]];
            _relatedNames[i] = names;
        }
    }

    /// <summary>How many categories `r.categories` lists at most.</summary>
    public const int CategoryCount = 3;

    public RecommenderDefinition Definition { get; }
    public string[] Items { get; }
    public string?[] Categories { get; }
    /// <summary>Per item, the number of its category in <see cref="CategoryNames"/>, or −1.</summary>
    public int[] CategoryOf { get; }
    /// <summary>The distinct categories in code point order, so ties broken by number are broken by name.</summary>
    public string[] CategoryNames { get; }
    /// <summary>Neighbours of item i: <c>[NeighbourStart[i], NeighbourStart[i + 1])</c> of <see cref="Neighbours"/>, most similar first.</summary>
    public int[] NeighbourStart { get; }
    public int[] Neighbours { get; }
    public float[] Similarities { get; }
    /// <summary>Items with at least one buyer, most bought first (ties by name).</summary>
    public int[] Popular { get; }

    public int IndexOf(string item) => _number.TryGetValue(item, out var i) ? i : -1;

    /// <summary>Numbers the categories of a catalogue: per item its category's number (−1 without one), and the names by number.</summary>
    public static (int[] CategoryOf, string[] Names) NumberCategories(string?[] categories)
    {
        var names = categories.OfType<string>().Distinct(StringComparer.Ordinal).Order(CodePointComparer.Instance).ToArray();
        var number = new Dictionary<string, int>(names.Length, StringComparer.Ordinal);
        for (var c = 0; c < names.Length; c++) number[names[c]] = c;
        return ([.. categories.Select(c => c is null ? -1 : number[c])], names);
    }

    /// <summary>
    /// The one ranking rule of item-to-item recommendations, for training's evaluation and for scoring:
    /// a candidate j scores Σ over the user's items i (ascending) of <c>log(1 + weight(i)) · sim(i, j)</c>;
    /// bought items (<paramref name="bought"/>, ascending) are left out unless <paramref name="repeat"/>; the
    /// k best by score (ties by item number, which is name order), then — a cold user or a short list — the
    /// most popular items not listed or bought. Neighbours are CSR arrays (<paramref name="neighbourStart"/>
    /// indexes <paramref name="neighbours"/> and <paramref name="similarities"/>). With
    /// <paramref name="categoryOf"/>, every ranked candidate's score is also summed into its category
    /// (<see cref="TopCategories"/> reads them). The list is a view of <paramref name="buffers"/>, valid until
    /// their next use.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static ReadOnlySpan<int> Rank(int[] neighbourStart, int[] neighbours, float[] similarities, int[] popular, bool repeat,
        ReadOnlySpan<int> items, ReadOnlySpan<float> weights, ReadOnlySpan<int> bought, int k, RankBuffers buffers, int[]? categoryOf = null,
        int categoryCount = 0)
    {
        buffers.Fit(neighbourStart.Length - 1, categoryOf is null ? 0 : categoryCount, k);
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
        foreach (var item in popular)
        {
            if (count == k) break;
            if (!excluded.IsEmpty && excluded.BinarySearch(item) >= 0 || result.AsSpan(0, count).Contains(item)) continue;
            result[count++] = item;
        }
        return result.AsSpan(0, count);

        static bool Better(float score, int item, float thanScore, int thanItem) => score > thanScore || score == thanScore && item < thanItem;
    }

    /// <summary>
    /// After <see cref="Rank"/> with categories: the categories of the ranked candidates by summed score
    /// (ties by name), then those of <paramref name="list"/> in order, at most <paramref name="count"/>
    /// category numbers into <paramref name="into"/>; clears the sums.
    /// </summary>
    public static int TopCategories(RankBuffers buffers, int[] categoryOf, ReadOnlySpan<int> list, int count, Span<int> into)
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
            if (n < count && categoryOf[item] is var c and >= 0 && !into[..n].Contains(c)) into[n++] = c;
        return n;
    }

    /// <summary>A signal (or the purchase event) resolved against a data set's schema.</summary>
    private readonly record struct Source(int Event, int Field, float Weight, bool Purchase);

    /// <summary>The signal events and the purchase event as table and field positions of <paramref name="schema"/>, once per schema.</summary>
    private Source[] SourcesFor(SchemaModel schema)
    {
        if (_sources is { } known && ReferenceEquals(known.Schema, schema)) return known.Sources;
        var resolved = Sources(Definition, schema).Select(s => new Source(s.Event, s.Field, s.Weight, s.Purchase)).ToArray();
        _sources = (schema, resolved);
        return resolved;
    }

    /// <summary>The (event table, field) positions in <paramref name="schema"/> a recommender reads when it scores a user.</summary>
    public static IEnumerable<(int Event, int Field)> SourceColumns(RecommenderDefinition definition, SchemaModel schema) =>
        Sources(definition, schema).Select(s => (s.Event, s.Field));

    /// <summary>The signal events (weighted), then the purchase event when no signal is one, resolved against a schema.</summary>
    private static List<(int Event, int Field, float Weight, bool Purchase)> Sources(RecommenderDefinition d, SchemaModel schema)
    {
        var sources = new List<(int, int, float, bool)>();
        var purchaseSeen = false;
        foreach (var signal in d.Signals)
        {
            purchaseSeen |= signal.Event == d.ItemEvent;
            Add(signal.Event, (float)signal.Weight, signal.Event == d.ItemEvent);
        }
        if (!purchaseSeen) Add(d.ItemEvent, 0f, true);
        return sources;

        void Add(EventTypeSymbol type, float weight, bool purchase)
        {
            // By name: the data may have been imported under another compilation of the same schema.
            if (schema.FindEvent(type.Name) is not { } own) return;
            var ordinal = own.OrdinalOf(d.ItemField);
            if (ordinal >= 2) sources.Add((schema.Events.IndexOf(own), ordinal, weight, purchase));
        }
    }

    /// <summary>One thread's buffers for scoring users, reused from user to user.</summary>
    private sealed class UserBuffers
    {
        public float[] WeightOf = [];   // per item, zeros between users
        public int[] Seen = [];         // per item: the stamp of the last user who bought it
        public int Stamp;
        public int[] Items = [];
        public float[] Weights = [];
        public int[] Bought = [];
        public readonly RankBuffers Rank = new();
        public int[] TopCategories = new int[CategoryCount];
        // The last user scored, so `items` and `categories` of one user share one pass.
        public TrainedRecommender? Recommender;
        public WeakReference<DataSet>? Data; // weak: a partition of a larger-than-memory run must be freed after it
        public int User = -1;
        public long AsOf;
        public long Rows;
        public object?[] ItemsResult = [];
        public object?[] CategoriesResult = [];

        public void Fit(int items)
        {
            if (WeightOf.Length >= items) return;
            WeightOf = new float[items];
            Seen = new int[items];
            Items = new int[items];
            Weights = new float[items];
            Bought = new int[items];
            Stamp = 0;
        }
    }

    [ThreadStatic] private static UserBuffers? t_buffers;

    /// <summary>`r.items` of one user as of T: item names, best first.</summary>
    public object?[] ItemsFor(DataSet data, int user, long asOfTicks) => Score(data, user, asOfTicks).ItemsResult;

    /// <summary>
    /// `r.categories` of one user as of T: the categories of the user's ranked candidates by summed
    /// score (ties by name), then those of the items of `r.items` in order, at most <see cref="CategoryCount"/>.
    /// </summary>
    public object?[] CategoriesFor(DataSet data, int user, long asOfTicks) => Score(data, user, asOfTicks).CategoriesResult;

    /// <summary>
    /// One pass over the user's signal events in (asOf − within, asOf] in the data set's own columns:
    /// weights summed per item in dense per-thread arrays (items outside the catalogue ignored), bought
    /// items marked; then the ranking rule. Both members are computed, so a workspace reading both pays once.
    /// </summary>
    // Called once per user in a batch: optimised from the first call rather than after tiering has watched it.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private UserBuffers Score(DataSet data, int user, long asOfTicks)
    {
        var b = t_buffers ??= new UserBuffers();
        var sources = SourcesFor(data.Schema);
        // The user's rows of every source: with the instance, user and instant they identify what was read
        // (a growing live data set adds rows).
        long rows = 0;
        foreach (var s in sources)
            if (s.Event < data.Events.Length && data.Events[s.Event] is { } table)
                rows = rows * 1_000_003 + table.UserStart[user + 1] - table.UserStart[user];
        if (ReferenceEquals(b.Recommender, this) && b.User == user && b.AsOf == asOfTicks && b.Rows == rows && b.Data is { } seen &&
            seen.TryGetTarget(out var last) && ReferenceEquals(last, data))
            return b;

        b.Fit(Items.Length);
        if (++b.Stamp == int.MaxValue) { Array.Clear(b.Seen); b.Stamp = 1; }
        var from = asOfTicks - Definition.WindowTicks;
        int itemCount = 0, boughtCount = 0;
        foreach (var s in sources)
        {
            if (s.Event >= data.Events.Length || data.Events[s.Event] is not { } table || s.Field >= table.Fields.Length ||
                table.Fields[s.Field] is not StringColumn column) continue;
            var ts = table.Ts;
            var values = column.Values;
            // A user's rows are in ts order: the window starts at the first row after `from` and ends at the first after T.
            int r = table.UserStart[user], end = table.UserStart[user + 1];
            for (var high = end; r < high;)
            {
                var middle = (r + high) >>> 1;
                if (ts[middle] <= from) r = middle + 1;
                else high = middle;
            }
            for (; r < end && ts[r] <= asOfTicks; r++)
            {
                if (values[r] is not { } name || !_number.TryGetValue(name, out var item)) continue;
                if (s.Weight > 0)
                {
                    if (b.WeightOf[item] == 0) b.Items[itemCount++] = item;
                    b.WeightOf[item] += s.Weight;
                }
                if (s.Purchase && b.Seen[item] != b.Stamp)
                {
                    b.Seen[item] = b.Stamp;
                    b.Bought[boughtCount++] = item;
                }
            }
        }
        // Ascending item numbers: the order training's evaluation sums in, and the bought list is searched by halves.
        Array.Sort(b.Items, 0, itemCount);
        Array.Sort(b.Bought, 0, boughtCount);
        for (var x = 0; x < itemCount; x++)
        {
            b.Weights[x] = b.WeightOf[b.Items[x]];
            b.WeightOf[b.Items[x]] = 0;
        }
        var list = Rank(NeighbourStart, Neighbours, Similarities, Popular, Definition.Repeat, b.Items.AsSpan(0, itemCount),
            b.Weights.AsSpan(0, itemCount), b.Bought.AsSpan(0, boughtCount), Definition.K, b.Rank, CategoryOf, CategoryNames.Length);
        var names = new object?[list.Length];
        for (var x = 0; x < list.Length; x++) names[x] = Items[list[x]];
        var top = TopCategories(b.Rank, CategoryOf, list, CategoryCount, b.TopCategories);
        var categories = new object?[top];
        for (var x = 0; x < top; x++) categories[x] = CategoryNames[b.TopCategories[x]];
        if (b.Data is null || !b.Data.TryGetTarget(out var previous) || !ReferenceEquals(previous, data)) b.Data = new WeakReference<DataSet>(data);
        (b.Recommender, b.User, b.AsOf, b.Rows, b.ItemsResult, b.CategoriesResult) = (this, user, asOfTicks, rows, names, categories);
        return b;
    }

    /// <summary>`r.related(item, n)`: the n items most similar to the item (empty for an item the recommender does not know).</summary>
    public object?[] RelatedTo(string item, long count)
    {
        var i = IndexOf(item);
        if (i < 0) return [];
        var names = _relatedNames[i];
        if (count >= names.Length) return names.Length == 0 ? [] : (object?[])names.Clone();
        return count <= 0 ? [] : names[..(int)count];
    }
}
