using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Engine.Lowering;

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
        var users = result.Data.UserCount;
        // Columns are independent: each counted on its own core.
        var outputs = new OutputStatistics[result.Columns.Length];
        Parallel.For(0, outputs.Length, i => outputs[i] = OutputStatistics.Compute(result.Columns[i], users));
        return Of(result.Model, result.Data, result.AsOfUtc, result.EventsAfterAsOf ?? result.Data.CountEventsAfter(result.AsOfUtc.Ticks),
            outputs, result.FunctionFailures);
    }

    /// <summary>The summary of a run whose outputs were counted (<paramref name="outputs"/>, aligned with the model's outputs).</summary>
    /// <param name="data">Every user and the import report (a partitioned run's users without their events).</param>
    internal static SimulationSummary Of(SemanticModel model, DataSet data, DateTime asOfUtc, long eventsAfterAsOf, OutputStatistics[] outputs,
        FunctionFailureLog failures)
    {
        var report = data.Report;
        var quality = new DataQuality(
            ProfileRows: report.ProfilesRead,
            EventRows: report.EventsBeforeDeduplication,
            DuplicatesDropped: report.DuplicatesDropped.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new GroupCount(p.Key, null,
                p.Value)).ToList(),
            OrderDuplicatesDropped: report.OrderDuplicatesDropped,
            OrphanEvents: report.OrphanEvents,
            UnknownTypeEvents: report.UnknownTypeEvents,
            RejectedRows: report.RejectedCount,
            RejectSamples: [.. report.Rejects.Take(10)],
            IdentityMerges: report.IdentityMerges.Count,
            EventsAfterAsOf: eventsAfterAsOf);
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
        return new SimulationSummary(data.UserCount, asOfUtc, quality, segments, segmentations, outputs, FunctionCallCounts.Compute(model, failures));
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
    IReadOnlyList<MarketingDsl.Engine.Data.RejectedRow> RejectSamples,
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
    public static FunctionCallCounts? Compute(EvaluationResult result) => Compute(result.Model, result.FunctionFailures);

    public static FunctionCallCounts? Compute(SemanticModel model, FunctionFailureLog failures)
    {
        var called = model.Outputs.SelectMany(PlanCompiler.RootsOf).SelectMany(BoundTree.Descendants).OfType<BoundCustomCall>()
            .Select(c => c.Function.Name).Distinct(StringComparer.Ordinal).ToList();
        if (called.Count == 0 && failures.Count == 0) return null;
        var failed = failures.ByFunction.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        return new FunctionCallCounts(failures.Count,
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
    /// The numbers of an int or decimal column, in user order (empty for other kinds, and for a
    /// partitioned run, whose columns are gone). Read again from the column when asked (charts ask,
    /// files do not): kept for every numeric output, they would hold 16 bytes per user each beside
    /// the results for the whole run.
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
    public static OutputStatistics Compute(ResultColumn column, int users)
    {
        var stats = new OutputStatistics(column.Symbol);
        stats.Add(column, users, numbers: null);
        return stats.Finish(count => NumbersOf(column, users, count), column, users);
    }

    /// <summary>Statistics counted over users in order, a block of users at a time (<see cref="Add"/>, then <see cref="Finish"/>).</summary>
    internal static OutputStatistics Start(ComputedSymbol symbol) => new(symbol);

    // What Add accumulates and Finish turns into statistics.
    private readonly Dictionary<object, long> _perValue = [];
    private long _listNulls;
    private decimal? _sum = 0;
    private Int128 _integerTotal;
    private bool _typedIntegers;

    /// <summary>
    /// Counts the next <paramref name="users"/> users (rows 0 to users − 1 of <paramref name="column"/>), after those
    /// counted before; their numbers (int, decimal) also go to <paramref name="numbers"/> when given.
    /// </summary>
    // Optimized from the first call (AggressiveOptimization): a one-shot run spends its rows here long before tiering would.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void Add(ResultColumn column, int users, NumberFile? numbers)
    {
        var kind = Symbol.Type.Kind;
        if (Symbol.Type.IsList)
        {
            for (var u = 0; u < users; u++)
            {
                if (column.Get(u) is not IReadOnlyCollection<object?> list) { Empty++; continue; }
                NonNull++;
                if (list.Count == 0) { Empty++; continue; }
                NonEmptyLists++;
                // The engine's lists are arrays: read by index, without an enumerator per list.
                if (list is object?[] items)
                    foreach (var item in items) Count(item);
                else
                    foreach (var item in list) Count(item);
            }
            return;

            void Count(object? item)
            {
                if (item is null) _listNulls++;
                else CollectionsMarshal.GetValueRefOrAddDefault(_perValue, item, out _)++;   // one lookup, not two
            }
        }
        var numeric = kind is TypeKind.Int or TypeKind.Decimal;
        long empty = 0;
        // The compiled engine's typed columns are read without boxing; the same rules as the loop below.
        switch (column.Typed)
        {
            case bool?[] flags:
                for (var u = 0; u < users; u++)
                    if (flags[u] is not { } b) empty++;
                    else if (b) True++;
                    else False++;
                (Empty, NonNull) = (Empty + empty, NonNull + users - empty);
                return;
            case long?[] integers when numeric:
                _typedIntegers = true;
                for (var u = 0; u < users; u++)
                    if (integers[u] is not { } l) empty++;
                    else
                    {
                        _integerTotal += l;
                        numbers?.Add(l);
                    }
                (Empty, NonNull) = (Empty + empty, NonNull + users - empty);
                return;
            case decimal?[] decimals when numeric:
                for (var u = 0; u < users; u++)
                    if (decimals[u] is not { } d) empty++;
                    else
                    {
                        _sum = Add(_sum, ValueFormatter.RoundForOutput(d));
                        numbers?.Add(d);
                    }
                (Empty, NonNull) = (Empty + empty, NonNull + users - empty);
                return;
        }
        for (var u = 0; u < users; u++)
        {
            var value = column.Get(u);
            if (value is null) { Empty++; continue; }
            NonNull++;
            switch (value)
            {
                case bool b: if (b) True++; else False++; break;
                case long l: _sum = Add(_sum, l); numbers?.Add(l); break;
                case decimal d: _sum = Add(_sum, ValueFormatter.RoundForOutput(d)); numbers?.Add(d); break;
                default: CollectionsMarshal.GetValueRefOrAddDefault(_perValue, value, out _)++; break;
            }
        }
    }

    /// <summary>
    /// The statistics of every user added: <paramref name="numbers"/> gives the non-null numbers in user order (asked only for
    /// a numeric column with some), and <paramref name="column"/>, when given, is read again for <see cref="Numbers"/>.
    /// </summary>
    internal OutputStatistics Finish(Func<int, decimal[]> numbers, ResultColumn? column = null, int users = 0)
    {
        var kind = Symbol.Type.Kind;
        if (Symbol.Type.IsList)
        {
            Values = ByText(_perValue, _listNulls);
            return this;
        }
        if (kind != TypeKind.Bool) Values = ByText(_perValue, 0);
        if (kind is not (TypeKind.Int or TypeKind.Decimal)) return this;
        if (_typedIntegers) Sum = _integerTotal >= long.MinValue && _integerTotal <= long.MaxValue ? (decimal)_integerTotal : null;
        else Sum = kind == TypeKind.Int && _sum is < long.MinValue or > long.MaxValue ? null : _sum;
        if (NonNull > 0)
        {
            (_numbersOf, _users) = (column, users);
            var count = (int)NonNull;
            if (column?.Typed is long?[] integers)
                (Min, Max, Median, P90) = Ranks<long>(IntegersOf(integers, users, count));
            else
                (Min, Max, Median, P90) = Ranks<decimal>(numbers(count));
        }
        return this;
    }

    /// <summary>A running total that stays null once it has overflowed the decimal range.</summary>
    private static decimal? Add(decimal? sum, decimal value)
    {
        if (sum is not { } s) return null;
        // Only a sum and a value of the same sign can leave the range; the headroom of that sign cannot overflow.
        var overflows = value >= 0 ? s > 0 && value > decimal.MaxValue - s : s < 0 && value < decimal.MinValue - s;
        return overflows ? null : s + value;
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
        var atMedian = (int)Math.Min(n - 1, Math.Floor(0.5 * n));
        var atP90 = (int)Math.Min(n - 1, Math.Floor(0.9 * n));
        var median = Select<T>(numbers, atMedian);
        // Select leaves no smaller value after the median's place: the p90, at or after it, is selected among the values after it.
        var p90 = atP90 == atMedian ? median : Select<T>(numbers.AsSpan(atMedian + 1), atP90 - atMedian - 1);
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
