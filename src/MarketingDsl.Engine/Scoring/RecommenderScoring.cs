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
/// A trained item-to-item recommender as a workspace's tags and journeys use it: its declaration and
/// what training learned (<see cref="Neighbourhoods"/>). Scoring a user reads only the user's events,
/// so one user can be scored alone (journeys, the live runtime) with the numbers of a batch run.
/// </summary>
public sealed class TrainedRecommender
{
    private readonly object?[][] _relatedNames;
    private (SchemaModel Schema, Source[] Sources)? _sources;

    public TrainedRecommender(RecommenderDefinition definition, ItemNeighbourhoods neighbourhoods)
    {
        Definition = definition;
        Neighbourhoods = neighbourhoods;
        // Each item's neighbour names once: `related(x, n)` copies a prefix instead of looking names up per user.
        var items = neighbourhoods.Items;
        _relatedNames = new object?[items.Length][];
        for (var i = 0; i < items.Length; i++)
        {
            var neighbours = neighbourhoods.NeighboursOf(i);
            var names = new object?[neighbours.Length];
            for (var y = 0; y < names.Length; y++) names[y] = items[neighbours[y]];
            _relatedNames[i] = names;
        }
    }

    /// <summary>How many categories `r.categories` lists at most.</summary>
    public const int CategoryCount = 3;

    public RecommenderDefinition Definition { get; }
    public ItemNeighbourhoods Neighbourhoods { get; }

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

        var trained = Neighbourhoods;
        b.Fit(trained.ItemCount);
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
                if (values[r] is not { } name || trained.IndexOf(name) is not (>= 0 and var item)) continue;
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
        var list = trained.Rank(Definition.Repeat, b.Items.AsSpan(0, itemCount), b.Weights.AsSpan(0, itemCount), b.Bought.AsSpan(0, boughtCount),
            Definition.K, b.Rank, sumCategories: true);
        var names = new object?[list.Length];
        for (var x = 0; x < list.Length; x++) names[x] = trained.Items[list[x]];
        var top = trained.TopCategories(b.Rank, list, CategoryCount, b.TopCategories);
        var categories = new object?[top];
        for (var x = 0; x < top; x++) categories[x] = trained.CategoryNames[b.TopCategories[x]];
        if (b.Data is null || !b.Data.TryGetTarget(out var previous) || !ReferenceEquals(previous, data)) b.Data = new WeakReference<DataSet>(data);
        (b.Recommender, b.User, b.AsOf, b.Rows, b.ItemsResult, b.CategoriesResult) = (this, user, asOfTicks, rows, names, categories);
        return b;
    }

    /// <summary>`r.related(item, n)`: the n items most similar to the item (empty for an item the recommender does not know).</summary>
    public object?[] RelatedTo(string item, long count)
    {
        var i = Neighbourhoods.IndexOf(item);
        if (i < 0) return [];
        var names = _relatedNames[i];
        if (count >= names.Length) return names.Length == 0 ? [] : (object?[])names.Clone();
        return count <= 0 ? [] : names[..(int)count];
    }
}
