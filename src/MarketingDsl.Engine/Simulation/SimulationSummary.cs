using System.Globalization;
using System.Numerics;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Engine.Lowering;
using System.Runtime.CompilerServices;

namespace MarketingDsl.Engine.Simulation;

/// <summary>
/// What a simulation found, computed once from its result: data quality, group and segment sizes,
/// and per output the statistics every view shows. `mdsl simulate` prints it, <c>summary.json</c>
/// (<see cref="SimulationOutput"/>) writes it and the web's simulation page charts it, so the three
/// never count differently.
/// </summary>
public sealed record SimulationSummary(
    int Users,
    DateTime AsOfUtc,
    DataQuality Quality,
    IReadOnlyList<GroupCount> Segments,
    IReadOnlyList<SegmentationCounts> Segmentations,
    IReadOnlyList<OutputStatistics> Outputs,
    FunctionCallCounts? Functions = null)
{
    public IEnumerable<OutputStatistics> Tags => Outputs.Where(o => o.Symbol is TagSymbol);

    public static SimulationSummary Compute(EvaluationResult result)
    {
        var data = result.Data;
        var report = data.Report;
        var users = data.UserCount;
        var quality = new DataQuality(
            ProfileRows: report.ProfilesRead,
            EventRows: report.EventsBeforeDeduplication,
            DuplicatesDropped: report.DuplicatesDropped.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new GroupCount(p.Key, null,
                p.Value)).ToList(),
            OrderDuplicatesDropped: report.OrderDuplicatesDropped,
            OrphanEvents: report.OrphanEvents,
            UnknownTypeEvents: report.UnknownTypeEvents,
            RejectedRows: report.RejectedCount,
            RejectSamples: [.. report.Rejects.Take(10).Select(r => $"{r.File}:{r.Line}: {r.Reason}")],
            IdentityMerges: report.IdentityMerges.Count,
            EventsAfterAsOf: result.EventsAfterAsOf ?? data.CountEventsAfter(result.AsOfUtc.Ticks));
        // Columns are independent: each counted on its own core.
        var outputs = new OutputStatistics[result.Columns.Length];
        Parallel.For(0, outputs.Length, i => outputs[i] = OutputStatistics.Compute(result.Columns[i], users));
        var segments = new List<GroupCount>();
        var segmentations = new List<SegmentationCounts>();
        foreach (var output in outputs)
        {
            switch (output.Symbol)
            {
                case SegmentSymbol segment:
                    segments.Add(new GroupCount(segment.Name, segment.Label, output.True));
                    break;
                case SegmentationSymbol segmentation:
                    var counts = output.Values.ToDictionary(v => v.Text, v => v.Count, StringComparer.Ordinal);
                    segmentations.Add(new SegmentationCounts(segmentation.Name, segmentation.Label,
                        [.. segmentation.Rules.Select(r => new GroupCount(r.Name, r.Label,
                            counts.GetValueOrDefault(ValueFormatter.Format(r.Name))))]));
                    break;
            }
        }
        return new SimulationSummary(users, result.AsOfUtc, quality, segments, segmentations, outputs, FunctionCallCounts.Compute(result));
    }
}

public sealed record DataQuality(
    long ProfileRows,
    long EventRows,
    IReadOnlyList<GroupCount> DuplicatesDropped,
    long OrderDuplicatesDropped,
    long OrphanEvents,
    long UnknownTypeEvents,
    long RejectedRows,
    IReadOnlyList<string> RejectSamples,
    long IdentityMerges,
    long EventsAfterAsOf)
{
    public long AllDuplicatesDropped => DuplicatesDropped.Sum(d => d.Count);
}

/// <summary>
/// Failed custom-function calls (LANGUAGE.md §17), per function called by the workspace; null for a
/// workspace that calls none, so other summaries keep their shape.
/// </summary>
public sealed record FunctionCallCounts(long FailedCalls, IReadOnlyList<GroupCount> FailedByFunction)
{
    public static FunctionCallCounts? Compute(EvaluationResult result)
    {
        var called = result.Model.Outputs.SelectMany(PlanCompiler.RootsOf).SelectMany(BoundTree.Descendants).OfType<BoundCustomCall>()
            .Select(c => c.Function.Name).Distinct(StringComparer.Ordinal).ToList();
        if (called.Count == 0 && result.FunctionFailures.Count == 0) return null;
        var failed = result.FunctionFailures.ByFunction.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        return new FunctionCallCounts(result.FunctionFailures.Count,
            [.. called.Union(failed.Keys).Order(StringComparer.Ordinal).Select(name => new GroupCount(name, null, failed.GetValueOrDefault(name)))]);
    }
}

/// <summary>A group, segment or event type and how many users (or rows) it has.</summary>
public sealed record GroupCount(string Name, string? Label, long Count);

public sealed record SegmentationCounts(string Name, string? Label, IReadOnlyList<GroupCount> Groups);

/// <summary>A value as printed (<see cref="ValueFormatter.Format"/>) and how many users have it.</summary>
public sealed record ValueCount(string Text, long Count);

/// <summary>
/// The statistics of one output column over all users. Numbers (int, decimal) get their sum,
/// range, median and p90 and keep the values for charts; yes/no values are counted; every other
/// kind is counted per printed value (a list per element), in first-seen order.
/// </summary>
public sealed class OutputStatistics
{
    private OutputStatistics(ComputedSymbol symbol) => Symbol = symbol;

    public ComputedSymbol Symbol { get; }
    /// <summary>Users with a value (for lists: with a list, empty or not).</summary>
    public long NonNull { get; private set; }
    /// <summary>Users without a value; for lists also those with an empty list.</summary>
    public long Empty { get; private set; }
    /// <summary>Users whose list has at least one element.</summary>
    public long NonEmptyLists { get; private set; }
    public long True { get; private set; }
    public long False { get; private set; }
    /// <summary>
    /// The sum of an int column, or of a decimal column rounded as output (4 places per value); null for other kinds and
    /// when the total does not fit the column's type (a 64-bit integer, a decimal), as a language `sum` that overflows is null.
    /// </summary>
    public decimal? Sum { get; private set; }
    /// <summary>
    /// The numbers of an int or decimal column, in user order (empty for other kinds). Read again
    /// from the column when asked (charts ask, files do not): kept for every numeric output, they
    /// would hold 16 bytes per user each beside the results for the whole run.
    /// </summary>
    public decimal[] Numbers => _numbersOf is { } column ? NumbersOf(column, _users, (int)NonNull) : [];

    private ResultColumn? _numbersOf;
    private int _users;
    public decimal? Min { get; private set; }
    public decimal? Max { get; private set; }
    /// <summary>The value at rank ⌊n/2⌋ (0-based) of the n numbers.</summary>
    public decimal? Median { get; private set; }
    /// <summary>The value at rank ⌊0.9·n⌋ (0-based, at most n−1) of the n numbers.</summary>
    public decimal? P90 { get; private set; }
    /// <summary>Counts per printed value of text, date, duration, segmentation and list (per element) columns, in first-seen order.</summary>
    public IReadOnlyList<ValueCount> Values { get; private set; } = [];

    // One pass per column over every user; values are counted before they are printed, so a
    // column of 200,000 users formats each distinct value once.
    // Optimized from the first call (AggressiveOptimization): a one-shot run spends its rows here long before tiering would.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static OutputStatistics Compute(ResultColumn column, int users)
    {
        var stats = new OutputStatistics(column.Symbol);
        var kind = column.Symbol.Type.Kind;
        var perValue = new Dictionary<object, long>();
        long nulls = 0;
        if (column.Symbol.Type.IsList)
        {
            for (var u = 0; u < users; u++)
            {
                if (column.Get(u) is not IReadOnlyCollection<object?> list) { stats.Empty++; continue; }
                stats.NonNull++;
                if (list.Count == 0) { stats.Empty++; continue; }
                stats.NonEmptyLists++;
                // The engine's lists are arrays: read by index, without an enumerator per list.
                if (list is object?[] items)
                    foreach (var item in items) Count(item);
                else
                    foreach (var item in list) Count(item);
            }
            stats.Values = ByText(perValue, nulls);
            return stats;

            void Count(object? item)
            {
                if (item is null) nulls++;
                else perValue[item] = perValue.GetValueOrDefault(item) + 1;
            }
        }
        var numeric = kind is TypeKind.Int or TypeKind.Decimal;
        decimal? sum = 0;
        // The compiled engine's typed columns are read without boxing; the same rules as the loop below.
        switch (column.Typed)
        {
            case bool?[] flags:
                for (var u = 0; u < users; u++)
                    if (flags[u] is not { } b) stats.Empty++;
                    else if (b) stats.True++;
                    else stats.False++;
                stats.NonNull = users - stats.Empty;
                return stats;
            case long?[] integers when numeric:
            {
                Int128 total = 0;
                for (var u = 0; u < users; u++)
                    if (integers[u] is not { } l) stats.Empty++;
                    else total += l;
                stats.NonNull = users - stats.Empty;
                return WithNumbers(stats, column, users, total >= long.MinValue && total <= long.MaxValue ? (decimal)total : null);
            }
            case decimal?[] decimals when numeric:
                for (var u = 0; u < users; u++)
                    if (decimals[u] is not { } d) stats.Empty++;
                    else sum = Add(sum, ValueFormatter.RoundForOutput(d));
                stats.NonNull = users - stats.Empty;
                return WithNumbers(stats, column, users, sum);
        }
        for (var u = 0; u < users; u++)
        {
            var value = column.Get(u);
            if (value is null) { stats.Empty++; continue; }
            stats.NonNull++;
            switch (value)
            {
                case bool b: if (b) stats.True++; else stats.False++; break;
                case long l: sum = Add(sum, l); break;
                case decimal d: sum = Add(sum, ValueFormatter.RoundForOutput(d)); break;
                default: perValue[value] = perValue.GetValueOrDefault(value) + 1; break;
            }
        }
        stats.Values = ByText(perValue, 0);
        return WithNumbers(stats, column, users, kind == TypeKind.Int && sum is < long.MinValue or > long.MaxValue ? null : sum);
    }

    /// <summary>A running total that stays null once it has overflowed the decimal range.</summary>
    private static decimal? Add(decimal? sum, decimal value)
    {
        if (sum is not { } s) return null;
        // Only a sum and a value of the same sign can leave the range; the headroom of that sign cannot overflow.
        var overflows = value >= 0 ? s > 0 && value > decimal.MaxValue - s : s < 0 && value < decimal.MinValue - s;
        return overflows ? null : s + value;
    }

    /// <summary>The sum, range, median and p90 of a numeric column (only numbers have them).</summary>
    private static OutputStatistics WithNumbers(OutputStatistics stats, ResultColumn column, int users, decimal? sum)
    {
        var kind = column.Symbol.Type.Kind;
        stats.Sum = kind is TypeKind.Int or TypeKind.Decimal ? sum : null;
        if (kind is TypeKind.Int or TypeKind.Decimal && stats.NonNull > 0)
        {
            (stats._numbersOf, stats._users) = (column, users);
            var count = (int)stats.NonNull;
            if (column.Typed is long?[] integers)
                (stats.Min, stats.Max, stats.Median, stats.P90) = Ranks<long>(IntegersOf(integers, users, count));
            else
                (stats.Min, stats.Max, stats.Median, stats.P90) = Ranks<decimal>(NumbersOf(column, users, count));
        }
        return stats;
    }

    /// <summary>Range, median and p90 of numbers (reordered); integers are ranked as longs, many times faster than as decimals.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (decimal Min, decimal Max, decimal Median, decimal P90) Ranks<T>(T[] numbers)
        where T : struct, INumber<T>
    {
        var n = numbers.Length;
        var (min, max) = (numbers[0], numbers[0]);
        foreach (var x in numbers)
        {
            if (x < min) min = x;
            if (x > max) max = x;
        }
        var median = Select<T>(numbers, (int)Math.Min(n - 1, Math.Floor(0.5 * n)));
        var p90 = Select<T>(numbers, (int)Math.Min(n - 1, Math.Floor(0.9 * n)));
        return (decimal.CreateChecked(min), decimal.CreateChecked(max), decimal.CreateChecked(median), decimal.CreateChecked(p90));
    }

    /// <summary>The <paramref name="count"/> non-null values of an int column, in user order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long[] IntegersOf(long?[] values, int users, int count)
    {
        var numbers = new long[count];
        var n = 0;
        for (var u = 0; u < users; u++) if (values[u] is { } l) numbers[n++] = l;
        return numbers;
    }

    /// <summary>The <paramref name="count"/> non-null numbers of an int or decimal column, in user order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static decimal[] NumbersOf(ResultColumn column, int users, int count)
    {
        var numbers = new decimal[count];
        var n = 0;
        switch (column.Typed)
        {
            case long?[] longs:
                for (var u = 0; u < users; u++) if (longs[u] is { } l) numbers[n++] = l;
                break;
            case decimal?[] decimals:
                for (var u = 0; u < users; u++) if (decimals[u] is { } d) numbers[n++] = d;
                break;
            default:
                for (var u = 0; u < users; u++)
                    switch (column.Get(u))
                    {
                        case long l: numbers[n++] = l; break;
                        case decimal d: numbers[n++] = d; break;
                    }
                break;
        }
        return numbers;
    }

    /// <summary>Counts per value merged by their printed text (two values may print alike), in first-seen order.</summary>
    private static List<ValueCount> ByText(Dictionary<object, long> perValue, long nulls)
    {
        var byText = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (value, count) in perValue)
        {
            var text = ValueFormatter.Format(value);
            byText[text] = byText.GetValueOrDefault(text) + count;
        }
        if (nulls > 0) byText[ValueFormatter.Format(null)] = byText.GetValueOrDefault(ValueFormatter.Format(null)) + nulls;
        return [.. byText.Select(p => new ValueCount(p.Key, p.Value))];
    }

    /// <summary>The k-th smallest value (quickselect; reorders <paramref name="values"/>), without sorting every column.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static T Select<T>(Span<T> values, int k) where T : struct, INumber<T>
    {
        int lo = 0, hi = values.Length - 1;
        while (lo < hi)
        {
            var pivot = values[lo + (hi - lo) / 2];
            int i = lo, j = hi;
            while (i <= j)
            {
                while (values[i] < pivot) i++;
                while (values[j] > pivot) j--;
                if (i <= j) { (values[i], values[j]) = (values[j], values[i]); i++; j--; }
            }
            if (k <= j) hi = j;
            else if (k >= i) lo = i;
            else return values[k];
        }
        return values[k];
    }

    /// <summary>A number as the summaries print it: at most two decimals.</summary>
    public static string FormatNumber(decimal d) => Math.Round(d, 2).ToString("0.##", CultureInfo.InvariantCulture);
}
