using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;

namespace MarketingDsl.Models.Recommendations;

/// <summary>One implicit-feedback signal: events of a type, each worth <see cref="Weight"/> for the item it names.</summary>
public sealed record RecommenderSignal(string Event, double Weight);

/// <summary>
/// What an item-to-item recommender learns from (a `recommender` declaration, LANGUAGE.md §13.1):
/// the signal events and their weights, the field that names the item on each of
/// them (and optionally its category), the event that counts as a purchase (bought items are not
/// recommended again unless <see cref="Repeat"/>), the window of history read, and k.
/// </summary>
public sealed record RecommenderSettings(
    IReadOnlyList<RecommenderSignal> Signals,
    string ItemField,
    string PurchaseEvent,
    string? CategoryField,
    long WindowTicks,
    int K = 10,
    bool Repeat = false,
    int Neighbours = 50,
    int MinCoOccurrence = 2);

/// <summary>
/// The user × item matrix of one window of history, in CSR form: the summed signal weights of each
/// user's items, the items each user bought, each item's category (its most frequent one) and
/// popularity (distinct buyers). Items are numbered in code point order of their names, so every
/// tie broken by item number is broken by name: results depend only on the data.
/// </summary>
public sealed class Interactions
{
    private Interactions(string[] items, int[] userStart, int[] userItems, float[] userWeights, int[] boughtStart, int[] bought,
        string?[] categories, int[] buyers)
    {
        Items = items;
        UserStart = userStart;
        UserItems = userItems;
        UserWeights = userWeights;
        BoughtStart = boughtStart;
        Bought = bought;
        Categories = categories;
        Buyers = buyers;
    }

    /// <summary>Item names by item number (code point order).</summary>
    public string[] Items { get; }
    /// <summary>Items of user u (a <see cref="DataSet"/> user index): <c>[UserStart[u], UserStart[u + 1])</c> of <see
    /// cref="UserItems"/>, ascending.</summary>
    public int[] UserStart { get; }
    public int[] UserItems { get; }
    /// <summary>Summed signal weights, aligned with <see cref="UserItems"/>.</summary>
    public float[] UserWeights { get; }
    /// <summary>Items user u bought in the window: <c>[BoughtStart[u], BoughtStart[u + 1])</c> of <see cref="Bought"/>, ascending.</summary>
    public int[] BoughtStart { get; }
    public int[] Bought { get; }
    /// <summary>Per item, its most frequent category (ties: code point order); null without one.</summary>
    public string?[] Categories { get; }
    /// <summary>Per item, the number of distinct users who bought it in the window.</summary>
    public int[] Buyers { get; }
    public int UserCount => UserStart.Length - 1;
    public int ItemCount => Items.Length;

    public int IndexOfItem(string name) => Array.BinarySearch(Items, name, CodePointComparer.Instance) is var i and >= 0 ? i : -1;

    public ReadOnlySpan<int> ItemsOf(int user) => UserItems.AsSpan(UserStart[user], UserStart[user + 1] - UserStart[user]);
    public ReadOnlySpan<float> WeightsOf(int user) => UserWeights.AsSpan(UserStart[user], UserStart[user + 1] - UserStart[user]);
    public ReadOnlySpan<int> BoughtBy(int user) => Bought.AsSpan(BoughtStart[user], BoughtStart[user + 1] - BoughtStart[user]);

    /// <summary>
    /// The interactions of events with <paramref name="fromExclusive"/> &lt; ts ≤ <paramref name="toInclusive"/>;
    /// <paramref name="itemNames"/> fixes the catalogue (items outside it are ignored), else it is every item seen.
    /// </summary>
    public static Interactions Build(DataSet data, RecommenderSettings settings, long fromExclusive, long toInclusive, string[]? itemNames = null)
    {
        var schema = data.Schema;
        var sources = new List<(EventTable Table, StringColumn Items, StringColumn? Categories, float Weight, bool Purchase)>();
        foreach (var signal in settings.Signals)
        {
            var at = schema.Events.IndexOf(schema.FindEvent(signal.Event) ?? throw new ArgumentException($"unknown event type '{signal.Event}'"));
            if (data.Events[at] is not { } table) continue;
            var type = schema.Events[at];
            var itemOrdinal = type.OrdinalOf(settings.ItemField);
            if (itemOrdinal < 2 || type.Fields[itemOrdinal].Type.Kind != TypeKind.String)
                throw new ArgumentException($"event '{signal.Event}' has no string field '{settings.ItemField}'");
            var categoryOrdinal = settings.CategoryField is { } c ? type.OrdinalOf(c) : -1;
            var categories = categoryOrdinal >= 2 ? table.Fields[categoryOrdinal] as StringColumn : null;
            sources.Add((table, (StringColumn)table.Fields[itemOrdinal]!, categories, (float)signal.Weight, signal.Event == settings.PurchaseEvent));
        }
        if (!sources.Any(s => s.Purchase) && schema.FindEvent(settings.PurchaseEvent) is { } purchase
            && data.Events[schema.Events.IndexOf(purchase)] is { } purchaseTable && purchase.OrdinalOf(settings.ItemField) >= 2)
            sources.Add((purchaseTable, (StringColumn)purchaseTable.Fields[purchase.OrdinalOf(settings.ItemField)]!, null, 0f, true));

        // The catalogue: item names in code point order.
        var names = itemNames;
        if (names is null)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (table, items, _, _, _) in sources)
                for (var r = 0; r < table.RowCount; r++)
                    if (table.Ts[r] <= toInclusive && items.Values[r] is { } name) seen.Add(name);
            names = [.. seen.Order(CodePointComparer.Instance)];
        }
        var number = new Dictionary<string, int>(names.Length, StringComparer.Ordinal);
        for (var i = 0; i < names.Length; i++) number[names[i]] = i;

        var categoryCounts = new Dictionary<(int, string), int>();
        var userStart = new int[data.UserCount + 1];
        var boughtStart = new int[data.UserCount + 1];
        var userItems = new List<int>();
        var userWeights = new List<float>();
        var bought = new List<int>();
        var buyers = new int[names.Length];
        var weights = new Dictionary<int, float>();
        var boughtSet = new HashSet<int>();
        var order = new List<int>();
        for (var u = 0; u < data.UserCount; u++)
        {
            weights.Clear();
            boughtSet.Clear();
            foreach (var (table, items, categories, weight, isPurchase) in sources)
                for (var r = table.UserStart[u]; r < table.UserStart[u + 1]; r++)
                {
                    var ts = table.Ts[r];
                    if (ts <= fromExclusive || ts > toInclusive || items.Values[r] is not { } name || !number.TryGetValue(name,
                        out var item)) continue;
                    if (weight > 0) weights[item] = weights.GetValueOrDefault(item) + weight;
                    if (isPurchase) boughtSet.Add(item);
                    if (categories?.Values[r] is { } category) categoryCounts[(item, category)] = categoryCounts.GetValueOrDefault((item,
                        category)) + 1;
                }
            // Ascending item numbers: the spans are searched by binary search.
            order.Clear();
            order.AddRange(weights.Keys);
            order.Sort();
            foreach (var item in order) { userItems.Add(item); userWeights.Add(weights[item]); }
            order.Clear();
            order.AddRange(boughtSet);
            order.Sort();
            foreach (var item in order) { bought.Add(item); buyers[item]++; }
            userStart[u + 1] = userItems.Count;
            boughtStart[u + 1] = bought.Count;
        }
        var itemCategories = new string?[names.Length];
        var best = new int[names.Length];
        foreach (var ((item, category), count) in categoryCounts)
            if (count > best[item] || count == best[item] && CodePointComparer.Instance.Compare(category, itemCategories[item]) < 0)
                (best[item], itemCategories[item]) = (count, category);
        return new Interactions(names, userStart, [.. userItems], [.. userWeights], boughtStart, [.. bought], itemCategories, buyers);
    }
}
