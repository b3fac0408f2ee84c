using System.Globalization;
using MarketingDsl.Engine.Data;

namespace MarketingDsl.Models.Recommendations;

/// <summary>Quality of one way of recommending on the test users of a time split.</summary>
public sealed record RecommendationQuality(string Name, int K, int Users, double HitRate, double Precision, double Recall, double Ndcg,
    double Coverage)
{
    /// <summary>The report line: <c>picks hit_rate@10 0.312 precision@10 … recall@10 … ndcg@10 … coverage … (N users)</c>.</summary>
    public string Line => string.Create(CultureInfo.InvariantCulture,
        $"{Name} hit_rate@{K} {HitRate:0.000} precision@{K} {Precision:0.000} recall@{K} {Recall:0.000} ndcg@{K} {Ndcg:0.000} coverage " +
            $"{Coverage:0.000} ({Users:N0} users)");
}

/// <summary>
/// Offline evaluation by time split, as a model's training report does it: with T the training
/// instant and H the horizon, the recommender learns from the window that ends at C = T − H and
/// is judged on the purchases in (C, T]. A test user is one who bought in (C, T] an item they had
/// not bought in the training window (with <c>repeat</c>: any item). For each test user the top-k
/// list is compared with those items: hit rate@k (at least one among them), precision@k (hits ÷ k),
/// recall@k (hits ÷ items bought), NDCG@k (binary relevance, log₂ discount), averaged over the test
/// users; catalogue coverage is the share of the training catalogue that appears in some list.
/// Two baselines run on the same split: global popularity (the most bought items of the training
/// window) and the bestsellers of the user's top categories (their categories by summed signal
/// weight, each category's most bought items in turn, then global popularity).
/// </summary>
public static class RecommenderEvaluation
{
    public static IReadOnlyList<RecommendationQuality> Run(DataSet data, RecommenderSettings settings, long asOfTicks, long horizonTicks,
        string name, int parallelism = 1)
    {
        var cutoff = asOfTicks - horizonTicks;
        var training = Interactions.Build(data, settings, cutoff - settings.WindowTicks, cutoff);
        var test = Interactions.Build(data, settings with { Signals = [new RecommenderSignal(settings.PurchaseEvent, 1)] }, cutoff,
            asOfTicks, training.Items);
        var model = ItemToItemModel.Train(training, settings, parallelism);
        var popular = model.Neighbourhoods.Popular;
        var k = settings.K;

        // Category bestsellers: items of each category by buyers (the popularity order, filtered).
        var byCategory = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        foreach (var item in popular)
            if (training.Categories[item] is { } c)
                (byCategory.TryGetValue(c, out var list) ? list : byCategory[c] = []).Add(item);

        var methods = new (string Name, Func<int, Engine.Scoring.RankBuffers, int[]> Recommend)[]
        {
            (name, (u, scratch) => model.Recommend(training.ItemsOf(u), training.WeightsOf(u), training.BoughtBy(u), k, scratch)),
            ("popularity", (u, _) => Fill([], popular, training.BoughtBy(u), settings.Repeat, k)),
            ("category_bestsellers", (u, _) =>
            {
                var weights = new Dictionary<string, double>(StringComparer.Ordinal);
                var items = training.ItemsOf(u);
                var w = training.WeightsOf(u);
                for (var x = 0; x < items.Length; x++)
                    if (training.Categories[items[x]] is { } c) weights[c] = weights.GetValueOrDefault(c) + w[x];
                var picked = new List<int>(k);
                foreach (var c in weights.OrderByDescending(p => p.Value).ThenBy(p => p.Key, CodePointComparer.Instance).Select(p => p.Key))
                    picked = Fill(picked, byCategory.GetValueOrDefault(c) ?? [], training.BoughtBy(u), settings.Repeat, k).ToList();
                return Fill(picked, popular, training.BoughtBy(u), settings.Repeat, k);
            }),
        };

        var results = new List<RecommendationQuality>();
        foreach (var (methodName, recommend) in methods)
        {
            double hits = 0, precision = 0, recall = 0, ndcg = 0;
            var users = 0;
            var covered = new bool[training.ItemCount];
            var scratch = new Engine.Scoring.RankBuffers();
            for (var u = 0; u < data.UserCount; u++)
            {
                var relevant = Relevant(test.BoughtBy(u), training.BoughtBy(u), settings.Repeat);
                if (relevant.Count == 0) continue;
                users++;
                var list = recommend(u, scratch);
                int found = 0;
                double dcg = 0, ideal = 0;
                for (var r = 0; r < list.Length; r++)
                {
                    covered[list[r]] = true;
                    if (!relevant.Contains(list[r])) continue;
                    found++;
                    dcg += 1 / Math.Log2(r + 2);
                }
                for (var r = 0; r < Math.Min(k, relevant.Count); r++) ideal += 1 / Math.Log2(r + 2);
                hits += found > 0 ? 1 : 0;
                precision += (double)found / k;
                recall += (double)found / relevant.Count;
                ndcg += dcg / ideal;
            }
            var d = Math.Max(1, users);
            results.Add(new RecommendationQuality(methodName, k, users, hits / d, precision / d, recall / d, ndcg / d,
                training.ItemCount == 0 ? 0 : (double)covered.Count(c => c) / training.ItemCount));
        }
        return results;
    }

    private static HashSet<int> Relevant(ReadOnlySpan<int> boughtLater, ReadOnlySpan<int> boughtBefore, bool repeat)
    {
        var set = new HashSet<int>();
        foreach (var item in boughtLater)
            if (repeat || boughtBefore.BinarySearch(item) < 0) set.Add(item);
        return set;
    }

    /// <summary><paramref name="picked"/> then items of <paramref name="source"/> in order, skipping bought (unless
    /// repeat) and picked ones, up to k.</summary>
    private static int[] Fill(IReadOnlyList<int> picked, IReadOnlyList<int> source, ReadOnlySpan<int> bought, bool repeat, int k)
    {
        var result = new List<int>(picked);
        foreach (var item in source)
        {
            if (result.Count >= k) break;
            if ((!repeat && bought.BinarySearch(item) >= 0) || result.Contains(item)) continue;
            result.Add(item);
        }
        return [.. result];
    }
}
