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
        var data = result.Data;
        var report = data.Report;
        var users = data.UserCount;
        record.Users = users;
        record.AsOfUtc = result.AsOfUtc;
        record.Quality =
        [
            Count("profile_rows", report.ProfilesRead),
            Count("users", users),
            Count("event_rows", report.EventsBeforeDeduplication),
            Count("rejected_rows", report.RejectedCount),
            Count("duplicates_dropped", report.DuplicatesDropped.Values.Sum()),
            Count("orphan_events", report.OrphanEvents),
            Count("unknown_type_events", report.UnknownTypeEvents),
            Count("identity_merges", report.IdentityMerges.Count),
            Count("events_after_as_of", data.CountEventsAfter(result.AsOfUtc.Ticks)),
        ];
        record.RejectSamples = [.. report.Rejects.Take(10).Select(r => $"{r.File}:{r.Line}: {r.Reason}")];

        var tags = result.Columns.Where(c => c.Symbol is TagSymbol).ToList();
        // A stored result stays far below LiteDB's 16 MB document limit, however many tags and groups there are.
        var samples = result.Columns.Sum(c => c.Symbol switch { SegmentSymbol => 1, SegmentationSymbol s => s.Rules.Length, _ => 0 });
        var usersPerSample = Math.Clamp(MaxSampleCells / Math.Max(1, samples * (tags.Count + 1)), 1, SampleUsers);
        record.TagNames = [.. tags.Select(t => t.Symbol.Name)];
        record.Tags = [.. tags.Select(c => Histogram(c, users))];
        record.Segments = [];
        record.Segmentations = [];
        record.Samples = [];
        foreach (var column in result.Columns)
        {
            switch (column.Symbol)
            {
                case SegmentSymbol segment:
                    var members = Members(users, u => column.Get(u) is true);
                    record.Segments.Add(new ChartBar { Name = segment.Name, Label = segment.Label, Count = members.Count });
                    record.Samples.Add(Sample(segment.Name, segment.Label, members, tags, data.UserIds, usersPerSample));
                    break;
                case SegmentationSymbol segmentation:
                    var chart = new SegmentationChart { Name = segmentation.Name, Label = segmentation.Label };
                    foreach (var rule in segmentation.Rules)
                    {
                        var inGroup = Members(users, u => column.Get(u) is string g && g == rule.Name);
                        chart.Groups.Add(new ChartBar { Name = rule.Name, Label = rule.Label, Count = inGroup.Count });
                        record.Samples.Add(Sample($"{segmentation.Name}={rule.Name}", rule.Label, inGroup, tags, data.UserIds, usersPerSample));
                    }
                    record.Segmentations.Add(chart);
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
        Users = [.. members.Take(users).Select(u => new SampleUser { Id = ids[u], Values = [.. tags.Select(t => Shorten(ValueFormatter.Format(t.Get(u))))] })],
    };

    /// <summary>Long values (lists, free text) are cut for display; the full value is in tags.csv of `mdsl simulate`.</summary>
    private static string Shorten(string value) => value.Length > MaxValueChars ? value[..MaxValueChars] + "…" : value;

    public static TagHistogram Histogram(ResultColumn column, int users)
    {
        var symbol = column.Symbol;
        var histogram = new TagHistogram { Name = symbol.Name, Label = symbol.Label, Type = symbol.Type.DisplayName };
        switch (symbol.Type.Kind)
        {
            case TypeKind.Int or TypeKind.Decimal:
                histogram.Kind = "numeric";
                var numbers = new List<decimal>();
                for (var u = 0; u < users; u++)
                {
                    var value = column.Get(u);
                    if (value is null) histogram.Empty++;
                    else numbers.Add(Convert.ToDecimal(value, CultureInfo.InvariantCulture));
                }
                histogram.Buckets = Ranges(numbers, symbol.Type.Kind == TypeKind.Int);
                break;
            case TypeKind.Bool:
                histogram.Kind = "values";
                long trues = 0, falses = 0;
                for (var u = 0; u < users; u++)
                {
                    switch (column.Get(u))
                    {
                        case true: trues++; break;
                        case false: falses++; break;
                        default: histogram.Empty++; break;
                    }
                }
                histogram.Buckets = [new ChartBar { Name = "true", Count = trues }, new ChartBar { Name = "false", Count = falses }];
                break;
            case TypeKind.Date or TypeKind.DateTime:
                // Dates and instants by month, in time order.
                histogram.Kind = "months";
                var months = new SortedDictionary<string, long>(StringComparer.Ordinal);
                for (var u = 0; u < users; u++)
                {
                    var month = column.Get(u) switch
                    {
                        DateOnly d => d.ToString("yyyy-MM", CultureInfo.InvariantCulture),
                        DateTime t => t.ToString("yyyy-MM", CultureInfo.InvariantCulture),
                        _ => null,
                    };
                    if (month is null) histogram.Empty++;
                    else months[month] = months.GetValueOrDefault(month) + 1;
                }
                histogram.Buckets = [.. months.Select(m => new ChartBar { Name = m.Key, Count = m.Value })];
                break;
            default:
                // Strings, durations and lists (by element): the most common values.
                histogram.Kind = "values";
                var counts = new Dictionary<string, long>(StringComparer.Ordinal);
                for (var u = 0; u < users; u++)
                {
                    var value = column.Get(u);
                    if (value is null || value is IReadOnlyCollection<object?> { Count: 0 })
                    {
                        histogram.Empty++;
                        continue;
                    }
                    IEnumerable<object?> items = value is IEnumerable<object?> list && value is not string ? list : [value];
                    foreach (var item in items)
                    {
                        var text = Shorten(ValueFormatter.Format(item));
                        counts[text] = counts.GetValueOrDefault(text) + 1;
                    }
                }
                var ordered = counts.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).ToList();
                histogram.Buckets = [.. ordered.Take(TopValues).Select(c => new ChartBar { Name = c.Key, Count = c.Value })];
                histogram.OtherValues = ordered.Skip(TopValues).Sum(c => c.Value);
                break;
        }
        return histogram;
    }

    /// <summary>Equal-width ranges from the smallest to the largest value; small integer ranges get one bar per value.</summary>
    private static List<ChartBar> Ranges(List<decimal> numbers, bool integral)
    {
        if (numbers.Count == 0) return [];
        var min = numbers.Min();
        var max = numbers.Max();
        if (integral && max - min < 15)
        {
            var counts = new long[(int)(max - min) + 1];
            foreach (var n in numbers) counts[(int)(n - min)]++;
            return [.. counts.Select((c, i) => new ChartBar { Name = Format(min + i), Count = c })];
        }
        if (min == max) return [new ChartBar { Name = Format(min), Count = numbers.Count }];
        var width = (max - min) / NumericBuckets;
        if (integral) width = Math.Ceiling((max - min + 1) / NumericBuckets);
        var bucketCount = integral ? (int)Math.Ceiling((max - min + 1) / width) : NumericBuckets;
        var buckets = new long[bucketCount];
        foreach (var n in numbers) buckets[Math.Min(bucketCount - 1, (int)((n - min) / width))]++;
        return [.. buckets.Select((c, i) =>
        {
            var from = min + i * width;
            var name = integral ? $"{Format(from)}–{Format(Math.Min(max, from + width - 1))}" : $"{Format(from)}–{Format(i == bucketCount - 1 ? max : from + width)}";
            return new ChartBar { Name = name, Count = c };
        })];
    }

    private static string Format(decimal d) => Math.Round(d, 2).ToString("0.##", CultureInfo.InvariantCulture);
}
