using System.Globalization;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Engine.Simulation;
using MarketingDsl.Web.Storage;

namespace MarketingDsl.Web.Simulations;

/// <summary>What the simulation page shows of an evaluation: sizes, distributions, data quality and samples of users.</summary>
public static class ResultSummary
{
    public const int SampleUsers = 20;
    private const int TopValues = 12;
    private const int NumericBuckets = 10;
    private const int MaxSampleCells = 100_000;
    private const int MaxValueChars = 120;

    public static void Fill(SimulationRecord record, EvaluationResult result)
    {
        var summary = SimulationSummary.Compute(result);
        var data = result.Data;
        var q = summary.Quality;
        var users = summary.Users;
        record.Users = users;
        record.AsOfUtc = summary.AsOfUtc;
        record.Quality =
        [
            Count("profile_rows", q.ProfileRows),
            Count("users", users),
            Count("event_rows", q.EventRows),
            Count("rejected_rows", q.RejectedRows),
            Count("duplicates_dropped", q.AllDuplicatesDropped),
            Count("orphan_events", q.OrphanEvents),
            Count("unknown_type_events", q.UnknownTypeEvents),
            Count("identity_merges", q.IdentityMerges),
            Count("events_after_as_of", q.EventsAfterAsOf),
        ];
        record.RejectSamples = [.. q.RejectSamples.Select(r => r.ToText())];
        record.RejectSamplesZh = [.. q.RejectSamples.Select(r => r.ToText("zh-CN"))];

        var tags = result.Columns.Where(c => c.Symbol is TagSymbol).ToList();
        // A stored result stays far below LiteDB's 16 MB document limit, however many tags and groups there are.
        var samples = summary.Segments.Count + summary.Segmentations.Sum(s => s.Groups.Count);
        var usersPerSample = Math.Clamp(MaxSampleCells / Math.Max(1, samples * (tags.Count + 1)), 1, SampleUsers);
        record.TagNames = [.. tags.Select(t => t.Symbol.Name)];
        record.Tags = [.. summary.Tags.Select(Histogram)];
        record.Segments = [.. summary.Segments.Select(s => new ChartBar { Name = s.Name, Label = s.Label, Count = s.Count })];
        record.Segmentations = [.. summary.Segmentations.Select(s => new SegmentationChart
        {
            Name = s.Name, Label = s.Label, Groups = [.. s.Groups.Select(g => new ChartBar { Name = g.Name, Label = g.Label, Count = g.Count })],
        })];
        // Samples of users per segment and group: the members themselves, which the summary does not keep.
        record.Samples = [];
        foreach (var column in result.Columns)
        {
            switch (column.Symbol)
            {
                case SegmentSymbol segment:
                    record.Samples.Add(Sample(segment.Name, segment.Label, Members(users, u => column.Get(u) is true), tags, data.UserIds,
                        usersPerSample));
                    break;
                case SegmentationSymbol segmentation:
                    foreach (var rule in segmentation.Rules)
                    {
                        var inGroup = Members(users, u => column.Get(u) is string g && g == rule.Name);
                        record.Samples.Add(Sample($"{segmentation.Name}={rule.Name}", rule.Label, inGroup, tags, data.UserIds, usersPerSample));
                    }
                    break;
            }
        }
    }

    private static QualityCount Count(string name, long value) => new() { Name = name, Value = value };

    private static List<int> Members(int users, Func<int, bool> isMember)
    {
        var members = new List<int>();
        for (var u = 0; u < users; u++) if (isMember(u)) members.Add(u);
        return members;
    }

    private static UserSample Sample(string key, string? label, List<int> members, List<ResultColumn> tags, string[] ids, int users) => new()
    {
        Key = key,
        Label = label,
        Total = members.Count,
        Users = [.. members.Take(users).Select(u => new SampleUser { Id = ids[u],
            Values = [.. tags.Select(t => Shorten(ValueFormatter.Format(t.Get(u))))] })],
    };

    /// <summary>Long values (lists, free text) are cut for display; the full value is in tags.csv of `mdsl simulate`.</summary>
    private static string Shorten(string value) => value.Length > MaxValueChars ? value[..MaxValueChars] + "…" : value;

    public static TagHistogram Histogram(OutputStatistics tag)
    {
        var symbol = tag.Symbol;
        var histogram = new TagHistogram
        {
            Name = symbol.Name, Label = symbol.Label, Type = symbol.Type.DisplayName, Empty = tag.Empty, File = symbol.Location?.File.Path ?? "",
        };
        switch (symbol.Type.Kind)
        {
            case TypeKind.Int or TypeKind.Decimal:
                histogram.Kind = "numeric";
                histogram.Buckets = Ranges(tag.Numbers, symbol.Type.Kind == TypeKind.Int, out var scale);
                histogram.Scale = scale;
                break;
            case TypeKind.Bool:
                histogram.Kind = "values";
                histogram.Buckets = [new ChartBar { Name = "true", Count = tag.True }, new ChartBar { Name = "false", Count = tag.False }];
                break;
            case TypeKind.Date or TypeKind.DateTime:
                // Dates and instants by month, in time order: the month is the first seven characters of the ISO text.
                histogram.Kind = "months";
                histogram.Buckets = [.. tag.Values.GroupBy(v => v.Text[..7], StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
                    .Select(g => new ChartBar { Name = g.Key, Count = g.Sum(v => v.Count) })];
                break;
            default:
                // Strings, durations and lists (by element): the most common values.
                histogram.Kind = "values";
                var ordered = tag.Values.GroupBy(v => Shorten(v.Text), StringComparer.Ordinal).Select(g => (Key: g.Key, Value: g.Sum(v => v.Count)))
                    .OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).ToList();
                histogram.Buckets = [.. ordered.Take(TopValues).Select(c => new ChartBar { Name = c.Key, Count = c.Value })];
                histogram.OtherValues = ordered.Skip(TopValues).Sum(c => c.Value);
                break;
        }
        return histogram;
    }

    internal static List<ChartBar> Ranges(decimal[] numbers, bool integral) => Ranges(numbers, integral, out _);

    /// <summary>
    /// Equal-width ranges from the smallest to the largest value; small integer ranges get one bar
    /// per value. Skewed values (most users in the first or last equal-width range) get ranges that
    /// grow by 1-2-5 steps when they are not negative (money, counts: <paramref name="scale"/>
    /// `log`), else ranges that hold about a tenth of the users each (`quantile`), so the bulk of
    /// users is spread over several bars; `linear` otherwise.
    /// </summary>
    internal static List<ChartBar> Ranges(decimal[] numbers, bool integral, out string scale)
    {
        scale = ScaleLinear;
        if (numbers.Length == 0) return [];
        var min = numbers.Min();
        var max = numbers.Max();
        if (integral && max - min < 15)
        {
            var counts = new long[(int)(max - min) + 1];
            foreach (var n in numbers) counts[(int)(n - min)]++;
            return [.. counts.Select((c, i) => new ChartBar { Name = Format(min + i), Count = c })];
        }
        if (min == max) return [new ChartBar { Name = Format(min), Count = numbers.Length }];
        var width = (max - min) / NumericBuckets;
        if (integral) width = Math.Ceiling((max - min + 1) / NumericBuckets);
        var bucketCount = integral ? (int)Math.Ceiling((max - min + 1) / width) : NumericBuckets;
        var buckets = new long[bucketCount];
        foreach (var n in numbers) buckets[Math.Min(bucketCount - 1, (int)((n - min) / width))]++;
        if (buckets.Max() > numbers.Length / 2)
        {
            if (min >= 0 && StepRanges(numbers, max) is { Count: > 2 } stepped)
            {
                scale = ScaleLog;
                return stepped;
            }
            if (QuantileRanges(numbers, integral) is { Count: > 2 } quantiles)
            {
                scale = ScaleQuantile;
                return quantiles;
            }
        }
        return [.. buckets.Select((c, i) =>
        {
            var from = min + i * width;
            var name = integral
                ? $"{Format(from)}–{Format(Math.Min(max, from + width - 1))}"
                : $"{Format(from)}–{Format(i == bucketCount - 1 ? max : from + width)}";
            return new ChartBar { Name = name, Count = c };
        })];
    }

    public const string ScaleLinear = "linear";
    public const string ScaleLog = "log";
    public const string ScaleQuantile = "quantile";

    /// <summary>
    /// Ranges between the deciles of the values ([q0, q1), [q1, q2) … [q9, max]); deciles that fall
    /// on the same value are one edge, and a value that a tenth of the users or more hold is a bar
    /// of its own.
    /// </summary>
    internal static List<ChartBar> QuantileRanges(decimal[] numbers, bool integral)
    {
        var sorted = (decimal[])numbers.Clone();
        Array.Sort(sorted);
        var edges = new SortedSet<decimal>();
        for (var q = 0; q < NumericBuckets; q++) edges.Add(sorted[(int)((long)q * sorted.Length / NumericBuckets)]);
        foreach (var edge in edges.ToList())
        {
            var after = LowerBound(sorted, edge, inclusive: false);
            var holders = after - LowerBound(sorted, edge, inclusive: true);
            if (holders >= sorted.Length / NumericBuckets && after < sorted.Length) edges.Add(sorted[after]);
        }
        var list = edges.ToList();
        var bars = new List<ChartBar>();
        for (var i = 0; i < list.Count; i++)
        {
            var last = i == list.Count - 1;
            // The values in [edge i, edge i+1), the last range closed at the largest value.
            var from = LowerBound(sorted, list[i], inclusive: true);
            var to = last ? sorted.Length : LowerBound(sorted, list[i + 1], inclusive: true);
            var upper = last ? sorted[^1] : list[i + 1];
            var name = sorted[from] == sorted[to - 1] ? Format(sorted[from])
                : integral && !last ? $"{Format(list[i])}–{Format(upper - 1)}"
                : $"{Format(list[i])}–{Format(upper)}";
            bars.Add(new ChartBar { Name = name, Count = to - from });
        }
        return bars;
    }

    /// <summary>The first index whose value is at least (<paramref name="inclusive"/>) or above <paramref name="value"/>.</summary>
    private static int LowerBound(decimal[] sorted, decimal value, bool inclusive)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (inclusive ? sorted[mid] < value : sorted[mid] <= value) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    /// <summary>
    /// Ranges [0, s), [s, 2s), [2s, 5s), [5s, 10s) … up to the largest value (non-negative numbers;
    /// s a power of ten); empty ones at the ends dropped.
    /// </summary>
    private static List<ChartBar> StepRanges(decimal[] numbers, decimal max)
    {
        // From the power of ten at or below the smallest positive value.
        var smallest = numbers.Where(n => n > 0).DefaultIfEmpty(1m).Min();
        var start = 1m;
        while (start > smallest && start > 0.0001m) start /= 10;
        while (start * 10 <= smallest) start *= 10;
        var edges = new List<decimal> { 0m };
        for (var power = start; edges[^1] <= max && power < 1e15m; power *= 10)
            foreach (var step in new[] { 1m, 2m, 5m })
                if (step * power > edges[^1]) edges.Add(step * power);
        var counts = new long[edges.Count];
        foreach (var n in numbers)
        {
            var i = edges.BinarySearch(n);
            counts[i >= 0 ? i : ~i - 1]++;
        }
        var bars = counts.Select((c, i) => new ChartBar
        {
            Name = i == edges.Count - 1 ? $"≥ {Format(edges[i])}" : $"{Format(edges[i])}–{Format(edges[i + 1])}",
            Count = c,
        }).ToList();
        var first = bars.FindIndex(b => b.Count > 0);
        var last = bars.FindLastIndex(b => b.Count > 0);
        return bars[first..(last + 1)];
    }

    private static string Format(decimal d) => OutputStatistics.FormatNumber(d);
}
