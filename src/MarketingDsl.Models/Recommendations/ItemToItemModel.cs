using MarketingDsl.Engine.Scoring;

namespace MarketingDsl.Models.Recommendations;

/// <summary>
/// Implicit-feedback item-to-item collaborative filtering. Training: item similarity is the cosine
/// of two items' buyer sets, <c>c(i, j) / √(n(i) · n(j))</c> with c the users who bought both and n
/// the buyers of each ("bought together": purchases are the strongest and least noisy signal;
/// items merely browsed together are mostly substitutes of one category). Each item keeps its
/// <see cref="RecommenderSettings.Neighbours"/> most similar items with at least
/// <see cref="RecommenderSettings.MinCoOccurrence"/> common buyers. Scoring a user reads every
/// signal: a candidate j
/// scores Σ over the user's items i of <c>log(1 + weight(i)) · sim(i, j)</c>; items the user bought
/// are left out unless <see cref="RecommenderSettings.Repeat"/>; a list shorter than k (a cold user:
/// all of it) is filled with the most popular items (distinct buyers). Ties go by item name in code
/// point order, so the same data gives the same lists on any machine and thread count.
/// </summary>
public sealed class ItemToItemModel
{
    private ItemToItemModel(RecommenderSettings settings, Interactions training, ItemNeighbourhoods neighbourhoods)
    {
        Settings = settings;
        Training = training;
        Neighbourhoods = neighbourhoods;
    }

    public RecommenderSettings Settings { get; }
    /// <summary>The interactions the model learned from (its catalogue, categories and popularity).</summary>
    public Interactions Training { get; }
    /// <summary>What the model learned: the catalogue, the neighbour lists and the popularity order (what the registry stores).</summary>
    public ItemNeighbourhoods Neighbourhoods { get; }

    public static ItemToItemModel Train(Interactions training, RecommenderSettings settings, int parallelism = 1)
    {
        var n = training.ItemCount;
        // Item → buyers (the transpose of the purchases), to walk the buyers of one item.
        var counts = new int[n + 1];
        foreach (var item in training.Bought) counts[item + 1]++;
        for (var i = 0; i < n; i++) counts[i + 1] += counts[i];
        var itemUsers = new int[training.Bought.Length];
        var fill = counts[..n];
        for (var u = 0; u < training.UserCount; u++)
            foreach (var item in training.BoughtBy(u)) itemUsers[fill[item]++] = u;

        var perItem = new (int[] Items, float[] Sims)[n];
        Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism) },
            () => (Co: new int[n], Touched: new List<int>()),
            (i, _, scratch) =>
            {
                var (co, touched) = scratch;
                for (var k = counts[i]; k < counts[i + 1]; k++)
                    foreach (var j in training.BoughtBy(itemUsers[k]))
                    {
                        if (j == i) continue;
                        if (co[j]++ == 0) touched.Add(j);
                    }
                var candidates = new List<(int Item, float Sim)>(touched.Count);
                double ni = counts[i + 1] - counts[i];
                foreach (var j in touched)
                {
                    if (co[j] >= settings.MinCoOccurrence)
                        candidates.Add((j, (float)(co[j] / Math.Sqrt(ni * (counts[j + 1] - counts[j])))));
                    co[j] = 0;
                }
                touched.Clear();
                candidates.Sort((a, b) => a.Sim != b.Sim ? b.Sim.CompareTo(a.Sim) : a.Item.CompareTo(b.Item));
                var keep = Math.Min(settings.Neighbours, candidates.Count);
                perItem[i] = ([.. candidates.Take(keep).Select(c => c.Item)], [.. candidates.Take(keep).Select(c => c.Sim)]);
                return scratch;
            },
            _ => { });

        var start = new int[n + 1];
        for (var i = 0; i < n; i++) start[i + 1] = start[i] + perItem[i].Items.Length;
        var neighbours = new int[start[n]];
        var sims = new float[start[n]];
        for (var i = 0; i < n; i++)
        {
            perItem[i].Items.CopyTo(neighbours, start[i]);
            perItem[i].Sims.CopyTo(sims, start[i]);
        }
        var popular = Enumerable.Range(0, n).Where(i => training.Buyers[i] > 0)
            .OrderByDescending(i => training.Buyers[i]).ThenBy(i => i).ToArray();
        return new ItemToItemModel(settings, training, new ItemNeighbourhoods(training.Items, training.Categories, start, neighbours, sims, popular));
    }

    /// <summary>The <paramref name="count"/> items most similar to <paramref name="item"/> (empty for an unknown item).</summary>
    public IReadOnlyList<string> Related(string item, int count)
    {
        var i = Neighbourhoods.IndexOf(item);
        if (i < 0) return [];
        var neighbours = Neighbourhoods.NeighboursOf(i);
        return [.. neighbours[..Math.Min(count, neighbours.Length)].ToArray().Select(j => Training.Items[j])];
    }

    /// <summary>
    /// Top-k items for a user given their items and weights and what they bought (item numbers of
    /// <see cref="Training"/>, ascending), best first, by the one ranking rule (<see cref="ItemNeighbourhoods.Rank"/>).
    /// </summary>
    public int[] Recommend(ReadOnlySpan<int> items, ReadOnlySpan<float> weights, ReadOnlySpan<int> bought, int k, RankBuffers buffers) =>
        Neighbourhoods.Rank(Settings.Repeat, items, weights, bought, k, buffers).ToArray();

    /// <summary>A user of <see cref="Training"/>'s data: top-k item names.</summary>
    public IReadOnlyList<string> Recommend(int user, int? k = null) =>
        [.. Recommend(Training.ItemsOf(user), Training.WeightsOf(user), Training.BoughtBy(user), k ?? Settings.K, new RankBuffers())
            .Select(i => Training.Items[i])];

    /// <summary>A user's top categories by the same scores (the summed scores of every ranked candidate in a category), as
    /// `r.categories` ranks them before filling from the list.</summary>
    public IReadOnlyList<string> TopCategories(int user, int count)
    {
        var buffers = new RankBuffers();
        Neighbourhoods.Rank(Settings.Repeat, Training.ItemsOf(user), Training.WeightsOf(user), Training.BoughtBy(user), Settings.K, buffers,
            sumCategories: true);
        var top = new int[count];
        var n = Neighbourhoods.TopCategories(buffers, [], count, top);
        return [.. top.Take(n).Select(c => Neighbourhoods.CategoryNames[c])];
    }
}
