using System.Globalization;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using System.Runtime.CompilerServices;

namespace MarketingDsl.Engine.Evaluation;

/// <summary>
/// Helpers called from compiled expression trees (and usable by the interpreter): the parts of
/// the semantics that are easier to state once in C# than to build as expression nodes.
/// Every helper takes and returns nullable values and propagates null (LANGUAGE.md §12, point 4).
/// </summary>
public static class Runtime
{
    /// <summary>A recommender's member for one user as of the context's T; null without a trained, fresh recommender.</summary>
    public static object?[]? Recommendation(EvalContext context, ModelSymbol recommender, int output, int user, string? item, long? count)
    {
        if (context.Recommenders?.Find(recommender) is not { } trained) return null;
        return (ModelOutput)output switch
        {
            ModelOutput.Items => trained.ItemsFor(context.Data, user, context.AsOf),
            ModelOutput.Categories => trained.CategoriesFor(context.Data, user, context.AsOf),
            _ => item is null || count is null ? null : trained.RelatedTo(item, count.Value),
        };
    }

    // Arithmetic that leaves the range of its type has no value (null), like x / 0: a tag never
    // crashes a simulation. Checked operations throw rarely, so the happy path stays cheap.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static decimal? Divide(decimal? a, decimal? b)
    {
        if (a is null || b is null || b.Value == 0m) return null;
        try { return a.Value / b.Value; } catch (OverflowException) { return null; }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static long? Add(long? a, long? b)
    {
        if (a is null || b is null) return null;
        try { return checked(a.Value + b.Value); } catch (OverflowException) { return null; }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static long? Subtract(long? a, long? b)
    {
        if (a is null || b is null) return null;
        try { return checked(a.Value - b.Value); } catch (OverflowException) { return null; }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static long? Multiply(long? a, long? b)
    {
        if (a is null || b is null) return null;
        try { return checked(a.Value * b.Value); } catch (OverflowException) { return null; }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static decimal? Add(decimal? a, decimal? b)
    {
        if (a is null || b is null) return null;
        try { return a.Value + b.Value; } catch (OverflowException) { return null; }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static decimal? Subtract(decimal? a, decimal? b)
    {
        if (a is null || b is null) return null;
        try { return a.Value - b.Value; } catch (OverflowException) { return null; }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static decimal? Multiply(decimal? a, decimal? b)
    {
        if (a is null || b is null) return null;
        try { return a.Value * b.Value; } catch (OverflowException) { return null; }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static long? Negate(long? a) { if (a is null) return null; try { return checked(-a.Value); } catch (OverflowException) { return null; } }
    public static decimal? Negate(decimal? a) => a is null ? null : -a.Value;
    public static TimeSpan? Add(TimeSpan? a, TimeSpan? b)
    {
        if (a is null || b is null) return null;
        try { return a.Value + b.Value; } catch (OverflowException) { return null; }
    }

    public static TimeSpan? Subtract(TimeSpan? a, TimeSpan? b)
    {
        if (a is null || b is null) return null;
        try { return a.Value - b.Value; } catch (OverflowException) { return null; }
    }

    public static DateTime? Add(DateTime? a, TimeSpan? b)
    {
        if (a is null || b is null) return null;
        try { return a.Value + b.Value; } catch (ArgumentOutOfRangeException) { return null; }
    }

    public static DateTime? Subtract(DateTime? a, TimeSpan? b)
    {
        if (a is null || b is null) return null;
        try { return a.Value - b.Value; } catch (ArgumentOutOfRangeException) { return null; }
    }

    public static TimeSpan? Subtract(DateTime? a, DateTime? b) => a is null || b is null ? null : a.Value - b.Value;

    /// <summary>One step of `sum`/`avg`: once the running sum overflows, the aggregate has no value.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static void Accumulate(ref decimal sum, ref bool overflow, decimal value)
    {
        if (overflow) return;
        // Both magnitudes below 2^94 (the mantissa's top 32 bits below 2^30): the sum is below
        // 2^95 and cannot overflow, so the common step needs no exception handler.
        if ((MantissaHigh(sum) | MantissaHigh(value)) < 0x4000_0000u) sum += value;
        else AccumulateChecked(ref sum, ref overflow, value);
    }

    private static void AccumulateChecked(ref decimal sum, ref bool overflow, decimal value)
    {
        try { sum += value; } catch (OverflowException) { overflow = true; }
    }

    /// <summary>The top 32 bits of a decimal's 96-bit mantissa (the runtime's layout: flags, hi32, lo64).</summary>
    private static uint MantissaHigh(decimal d) =>
        System.Runtime.CompilerServices.Unsafe.Add(ref System.Runtime.CompilerServices.Unsafe.As<decimal, uint>(ref d), 1);

    public static bool ValueEquals<T>(T? a, T? b) where T : struct => a.HasValue && b.HasValue && a.Value.Equals(b.Value);
    public static bool ValueNotEquals<T>(T? a, T? b) where T : struct => a.HasValue && b.HasValue && !a.Value.Equals(b.Value);
    public static bool StringEquals(string? a, string? b) => a is not null && b is not null && string.Equals(a, b, StringComparison.Ordinal);
    public static bool StringNotEquals(string? a, string? b) => a is not null && b is not null && !string.Equals(a, b, StringComparison.Ordinal);

    /// <summary>Code point order; null when either side is null.</summary>
    public static int? StringCompare(string? a, string? b) => a is null || b is null ? null : CodePointComparer.Instance.Compare(a, b);

    public static bool ListEquals(object?[]? a, object?[]? b) => a is not null && b is not null && a.Length == b.Length
        && a.Zip(b).All(p => p.First is null ? p.Second is null : p.Second is not null && ItemEquals(p.First, p.Second));

    /// <summary>
    /// Two non-null list items: numbers by exact value (a list&lt;int&gt;
    /// item equals a decimal of the same value), others by Equals.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool ItemEquals(object a, object b) => (a, b) switch
    {
        (long x, decimal y) => x == y,
        (decimal x, long y) => x == y,
        _ => a.Equals(b),
    };

    /// <summary>`contains(list, x)`: some non-null item equals x; null when the list or x is null.</summary>
    public static bool? ListContains(object?[]? list, object? value) => list is null || value is null ? null : InList(value, list);

    /// <summary>`size(list)`: the number of items (null items count); null for a null list.</summary>
    public static long? Size(object?[]? list) => list?.Length;
    public static bool ListNotEquals(object?[]? a, object?[]? b) => a is not null && b is not null && !ListEquals(a, b);

    /// <summary><see cref="InList"/> for a string against a constant list of strings (no virtual Equals per item).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool InStrings(string? value, string[] list)
    {
        if (value is null) return false;
        foreach (var item in list)
            if (string.Equals(item, value)) return true;
        return false;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool InList(object? value, object?[]? list)
    {
        if (value is null || list is null) return false;
        foreach (var item in list) if (item is not null && ItemEquals(item, value)) return true;
        return false;
    }

    public static TimeSpan? Negate(TimeSpan? t) => t is null ? null : -t.Value;

    /// <summary>floor((T − t) / unit).</summary>
    public static long? Since(DateTime? t, long asOfTicks, long unitTicks) =>
        t is null ? null : FloorDiv(asOfTicks - t.Value.Ticks, unitTicks);

    public static long? Since(DateOnly? d, long asOfTicks, long unitTicks) =>
        d is null ? null : FloorDiv(asOfTicks - d.Value.ToDateTime(TimeOnly.MinValue).Ticks, unitTicks);

    private static long FloorDiv(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);

    /// <summary>The calendar date of an instant in the workspace zone (UTC when null).</summary>
    public static DateOnly LocalDate(DateTime utc, TimeZoneInfo? zone) =>
        DateOnly.FromDateTime(zone is null ? utc : TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), zone));

    public static DateOnly? DateOf(DateTime? t, TimeZoneInfo? zone) => t is null ? null : LocalDate(t.Value, zone);

    public static long? Hour(DateTime? t, TimeZoneInfo? zone) =>
        t is null ? null : (zone is null ? t.Value : TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(t.Value, DateTimeKind.Utc), zone)).Hour;

    public static long? Weekday(DateOnly? d) => d is null ? null : ((int)d.Value.DayOfWeek + 6) % 7 + 1;

    public static long? Weekday(DateTime? t, TimeZoneInfo? zone) => t is null ? null : Weekday(LocalDate(t.Value, zone));

    /// <summary>
    /// Whole years from a to b, counted by adding years to a (birthday arithmetic; Feb 29 + years
    /// clamps to Feb 28); negative when b &lt; a, truncated toward zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static long? YearsBetween(DateOnly? a, DateOnly? b)
    {
        if (a is null || b is null) return null;
        var years = b.Value.Year - a.Value.Year;
        if (years > 0 && AddYears(a.Value, years) > b.Value) years--;
        else if (years < 0 && AddYears(a.Value, years) < b.Value) years++;
        return years;
    }

    private static DateOnly AddYears(DateOnly d, int years)
    {
        var year = d.Year + years;
        var day = d.Month == 2 && d.Day == 29 && !DateTime.IsLeapYear(year) ? 28 : d.Day;
        return new DateOnly(year, d.Month, day);
    }

    public static string? Lower(string? s) => s?.ToLowerInvariant();
    public static string? Upper(string? s) => s?.ToUpperInvariant();
    public static bool? Contains(string? s, string? part) => s is null || part is null ? null : s.Contains(part, StringComparison.Ordinal);
    public static bool? StartsWith(string? s, string? prefix) => s is null || prefix is null ? null : s.StartsWith(prefix, StringComparison.Ordinal);
    public static decimal? Round(decimal? x, long places) => x is null ? null : Math.Round(x.Value, (int)places, MidpointRounding.AwayFromZero);
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static long? Abs(long? x) { if (x is null) return null; try { return Math.Abs(x.Value); } catch (OverflowException) { return null; } }
    public static decimal? Abs(decimal? x) => x is null ? null : Math.Abs(x.Value);

    /// <summary>Adds a non-null value to a distinct set.</summary>
    public static void DistinctAdd(HashSet<object> set, object? value)
    {
        if (value is not null) set.Add(value);
    }

    public static void TopAdd(TopCounter counts, object? value) => counts.Add(value);

    public static object?[] TopK(TopCounter counts, int k) => counts.TopK(k);

    /// <summary>The k most frequent values, ties by code point order (or natural order for non-strings).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static object?[] TopK(Span<KeyValuePair<object, int>> items, int k)
    {
        items.Sort(ByCountThenValue);
        var n = Math.Min(k, items.Length);
        var result = new object?[n];
        for (var i = 0; i < n; i++) result[i] = items[i].Key;
        return result;
    }

    // Typed keys, so compiled code ranks a user's value without boxing it.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int ByCountThenValue(KeyValuePair<object, int> x, KeyValuePair<object, int> y)
    {
        var byCount = y.Value.CompareTo(x.Value);
        if (byCount != 0) return byCount;
        return x.Key is string sx && y.Key is string sy
            ? CodePointComparer.Instance.Compare(sx, sy)
            : Comparer<object>.Default.Compare(x.Key, y.Key);
    }

    /// <summary>Orders values of one type for quantile_score: numbers, dates, datetimes and durations map to decimal exactly.</summary>
    public static decimal? RankKey(long? value) => value;

    public static decimal? RankKey(decimal? value) => value;

    public static decimal? RankKey(DateOnly? value) => value?.DayNumber;

    public static decimal? RankKey(DateTime? value) => value?.Ticks;

    public static decimal? RankKey(TimeSpan? value) => value?.Ticks;

    public static decimal? RankKey(object? value) => value switch
    {
        null => null,
        long l => l,
        decimal d => d,
        DateOnly d => d.DayNumber,
        DateTime t => t.Ticks,
        TimeSpan t => t.Ticks,
        _ => throw new InvalidOperationException($"quantile_score cannot rank {value.GetType().Name}"),
    };

    // Optimized from the first call (AggressiveOptimization): a one-shot run spends its rows here long before tiering would.
    /// <summary>
    /// quantile_score for every user: min(n, 1 + floor(n · L / N)), L = values strictly below
    /// (strictly above when descending). One sort of (value, user), then one sweep over runs of
    /// equal values.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static long?[] QuantileScores(decimal?[] values, int buckets, bool descending)
    {
        var n = 0;
        var scale = 0;
        var largest = 0m;
        foreach (var v in values)
        {
            if (v is not { } x) continue;
            n++;
            scale = Math.Max(scale, x.Scale);
            largest = Math.Max(largest, Math.Abs(x));
        }
        var scores = new long?[values.Length];
        if (n == 0) return scores;
        var users = new int[n];
        // Values with few decimals (counts, money, a model's six-decimal probabilities) sort as longs
        // scaled by 10^scale, which order exactly like the decimals and sort many times faster.
        if (scale <= 9 && largest < 9_000_000_000m)
        {
            var unit = (decimal)Math.Pow(10, scale);
            var keys = new long[n];
            for (int u = 0, i = 0; u < values.Length; u++)
                if (values[u] is { } x) { keys[i] = decimal.ToInt64(x * unit); users[i++] = u; }
            Array.Sort(keys, users);
            Sweep(keys, users, scores, buckets, descending);
        }
        else
        {
            var keys = new decimal[n];
            for (int u = 0, i = 0; u < values.Length; u++)
                if (values[u] is { } x) { keys[i] = x; users[i++] = u; }
            Array.Sort(keys, users);
            Sweep(keys, users, scores, buckets, descending);
        }
        return scores;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Sweep<T>(T[] sorted, int[] users, long?[] scores, int buckets, bool descending) where T : IEquatable<T>
    {
        var n = sorted.Length;
        for (var i = 0; i < n;)
        {
            var j = i + 1;
            while (j < n && sorted[j].Equals(sorted[i])) j++;
            long less = descending ? n - j : i;
            long? score = Math.Min(buckets, 1 + (long)buckets * less / n);
            for (var k = i; k < j; k++) scores[users[k]] = score;
            i = j;
        }
    }

    public static string FormatInvariant(decimal d) => d.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// Value counts of one `top` aggregate for one user: a short list searched linearly (a user has
/// few distinct values, usually the same interned strings), indexed by a dictionary once it grows.
/// </summary>
public sealed class TopCounter
{
    private const int IndexFrom = 16;
    private object[] _keys = new object[IndexFrom];
    private int[] _counts = new int[IndexFrom];
    private int _n;
    private Dictionary<object, int>? _index;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Clear()
    {
        Array.Clear(_keys, 0, _n);
        _n = 0;
        _index = null;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Add(object? value)
    {
        if (value is null) return;
        if (_index is null)
        {
            var keys = _keys;
            for (var i = 0; i < _n; i++)
                if (ReferenceEquals(keys[i], value) || keys[i].Equals(value)) { _counts[i]++; return; }
            if (_n == IndexFrom)
            {
                _index = new Dictionary<object, int>(2 * IndexFrom);
                for (var i = 0; i < _n; i++) _index[keys[i]] = i;
            }
        }
        else if (_index.TryGetValue(value, out var at)) { _counts[at]++; return; }
        if (_n == _keys.Length)
        {
            Array.Resize(ref _keys, _n * 2);
            Array.Resize(ref _counts, _n * 2);
        }
        _index?.Add(value, _n);
        _keys[_n] = value;
        _counts[_n++] = 1;
    }

    /// <summary>The k most frequent values, ties by code point order (natural order for non-strings).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public object?[] TopK(int k)
    {
        if (_n == 0) return [];
        // Ranked in an array of the counter's, reused from user to user: one per user was most of what evaluation allocated in
        // small objects (200k users: 8 MB, with a young collection of its own).
        if (_ranked.Length < _n) _ranked = new KeyValuePair<object, int>[_keys.Length];
        var items = _ranked.AsSpan(0, _n);
        for (var i = 0; i < _n; i++) items[i] = new(_keys[i], _counts[i]);
        var top = Runtime.TopK(items, k);
        items.Clear();
        return top;
    }

    private KeyValuePair<object, int>[] _ranked = new KeyValuePair<object, int>[IndexFrom];
}
