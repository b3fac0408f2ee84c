using System.Globalization;
using System.Text;
using System.Text.Json;
using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Core.Diagnostics.Catalogues;
using MarketingDsl.Core.Semantics;

namespace MarketingDsl.Engine.Data;

/// <summary>
/// The one rule set for `list&lt;T&gt;` values (LANGUAGE.md §18, Data README "Lists"): how a list
/// cell is read from JSON, from a CSV cell, from Parquet or a caller's boxed value, and how a list
/// is written in tags.csv. A list is an <c>object?[]</c> of items in the engine's representation
/// (int a long, decimal, string, bool, date a <see cref="DateOnly"/>, datetime a UTC
/// <see cref="DateTime"/> truncated to microseconds, duration a <see cref="TimeSpan"/>); an item
/// may be null. Nothing here throws on bad input: a problem is the row's reject (<see cref="RowRejects"/>), naming
/// the list's field.
/// </summary>
public static class ListValues
{
    /// <summary>Separates the items of a list in a CSV cell and in tags.csv.</summary>
    public const char Delimiter = '|';
    /// <summary>Escapes a delimiter or itself inside an item: <c>\|</c>, <c>\\</c>.</summary>
    public const char Escape = '\\';
    /// <summary>Items of one list cell at most: a hostile row cannot make one cell hold millions of items.</summary>
    public const int MaxItems = 10_000;

    /// <summary>A caller's value (an array or any enumerable of CLR values) as a list of <paramref name="element"/>.</summary>
    public static bool TryFromBoxed(DslType element, string field, object? value, out object?[]? list, out RowReject? problem)
    {
        list = null;
        problem = null;
        if (value is null) return true;
        if (value is string or not System.Collections.IEnumerable)
        {
            problem = RowRejects.InvalidValue(field, Describe(value), DslType.ListOf(element).DisplayName);
            return false;
        }
        var items = new List<object?>();
        foreach (var v in (System.Collections.IEnumerable)value)
        {
            if (items.Count == MaxItems) { problem = RowRejects.ListTooLong(field, MaxItems, null); return false; }
            if (!TryItem(element, v, out var item))
            {
                problem = RowRejects.ListItemInvalid(field, items.Count + 1, Describe(v), element.DisplayName);
                return false;
            }
            items.Add(item);
        }
        list = [.. items];
        return true;
    }

    /// <summary>One CLR value as an item of <paramref name="element"/> (null stays null).</summary>
    public static bool TryItem(DslType element, object? v, out object? item)
    {
        item = null;
        if (v is null) return true;
        switch (element.Kind)
        {
            case TypeKind.String when v is string s: item = s; return true;
            // Parquet.Net's untyped reader gives the strings of a list column as character memory.
            case TypeKind.String when v is ReadOnlyMemory<char> chars: item = chars.ToString(); return true;
            case TypeKind.Bool when v is bool b: item = b; return true;
            case TypeKind.Int when TryInteger(v, out var l): item = l; return true;
            case TypeKind.Decimal when v is decimal d: item = d; return true;
            case TypeKind.Decimal when TryInteger(v, out var l): item = (decimal)l; return true;
            case TypeKind.Decimal when v is double or float:
                if (!decimal.TryParse(Convert.ToDouble(v, CultureInfo.InvariantCulture).ToString("R", CultureInfo.InvariantCulture),
                        NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed)) return false;
                item = parsed;
                return true;
            case TypeKind.Date when v is DateOnly d: item = d; return true;
            case TypeKind.Date when v is DateTime dt: item = DateOnly.FromDateTime(dt); return true;
            case TypeKind.DateTime when v is DateTime dt:
                item = Instant(dt.Kind == DateTimeKind.Local ? dt.ToUniversalTime().Ticks : dt.Ticks);
                return true;
            case TypeKind.DateTime when v is DateTimeOffset dto: item = Instant(dto.UtcTicks); return true;
            case TypeKind.DateTime when v is DateOnly d: item = Instant(d.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc).Ticks); return true;
            case TypeKind.Duration when v is TimeSpan t: item = t; return true;
            case TypeKind.Duration when v is long ticks: item = new TimeSpan(ticks); return true;
            case TypeKind.String or TypeKind.Int or TypeKind.Decimal or TypeKind.Bool or TypeKind.Date or TypeKind.DateTime
                or TypeKind.Duration when v is string text:
                // Parquet and callers may hold any item as text: the CSV rules read it.
                return TryParseItem(element, text, out item);
            default: return false;
        }
    }

    /// <summary>A JSON array (items as the importer reads scalar fields: numbers, strings, true/false, null).</summary>
    public static bool TryFromJson(JsonElement array, string field, DslType element, out object?[]? list, out RowReject? problem)
    {
        list = null;
        problem = null;
        if (array.ValueKind == JsonValueKind.Null) return true;
        if (array.ValueKind != JsonValueKind.Array)
        {
            problem = RowRejects.WrongType(field, DslType.ListOf(element).DisplayName, JsonRowText.KindName(array.ValueKind));
            return false;
        }
        if (JsonRowText.Problem(array, field) is { } text) { problem = text; return false; }
        var n = array.GetArrayLength();
        if (n > MaxItems) { problem = RowRejects.ListTooLong(field, MaxItems, n); return false; }
        var items = new object?[n];
        var i = 0;
        foreach (var v in array.EnumerateArray())
        {
            if (!TryJsonItem(element, v, out items[i]))
            {
                problem = RowRejects.ListItemInvalid(field, i + 1, Clip(v.GetRawText()), element.DisplayName);
                return false;
            }
            i++;
        }
        list = items;
        return true;
    }

    private static bool TryJsonItem(DslType element, JsonElement v, out object? item)
    {
        item = null;
        switch (v.ValueKind)
        {
            case JsonValueKind.Null: return true;
            case JsonValueKind.True or JsonValueKind.False when element.Kind == TypeKind.Bool: item = v.GetBoolean(); return true;
            case JsonValueKind.Number when element.Kind == TypeKind.Int:
                if (v.TryGetInt64(out var l)) { item = l; return true; }
                if (v.TryGetDecimal(out var whole) && whole == decimal.Truncate(whole) && whole >= long.MinValue
                    && whole <= long.MaxValue) { item = (long)whole; return true; }
                return false;
            case JsonValueKind.Number when element.Kind == TypeKind.Decimal:
                if (!v.TryGetDecimal(out var d)) return false;
                item = d;
                return true;
            case JsonValueKind.Number when element.Kind == TypeKind.Duration:
                // Seconds, as a scalar duration field reads them.
                if (!v.TryGetDecimal(out var secs) || Math.Abs(secs) >= 900_000_000_000m) return false;
                item = new TimeSpan((long)decimal.Truncate(secs * TimeSpan.TicksPerSecond));
                return true;
            case JsonValueKind.String when element.Kind == TypeKind.String: item = v.GetString(); return true;
            case JsonValueKind.String when element.Kind is TypeKind.Date or TypeKind.DateTime or TypeKind.Duration:
                return TryParseItem(element, v.GetString()!, out item);
            default: return false;
        }
    }

    /// <summary>
    /// A CSV cell: items separated by <c>|</c>, a <c>|</c> or <c>\</c> inside an item escaped by a
    /// backslash. Each item is read as a scalar cell of its type; an empty item is the empty string
    /// in a list of strings and an error in any other list. (An empty cell is a null list: the caller.)
    /// </summary>
    public static bool TryParseDelimited(string cell, string field, DslType element, out object?[]? list, out RowReject? problem)
    {
        list = null;
        problem = null;
        var items = new List<object?>();
        var current = new StringBuilder();
        for (var i = 0; i <= cell.Length; i++)
        {
            if (i < cell.Length && cell[i] == Escape)
            {
                if (i + 1 >= cell.Length || cell[i + 1] is not (Delimiter or Escape))
                {
                    problem = RowRejects.ListEscape(field, Clip(cell));
                    return false;
                }
                current.Append(cell[++i]);
                continue;
            }
            if (i < cell.Length && cell[i] != Delimiter) { current.Append(cell[i]); continue; }
            if (items.Count == MaxItems) { problem = RowRejects.ListTooLong(field, MaxItems, null); return false; }
            var text = current.ToString();
            current.Clear();
            if (!TryParseItem(element, text, out var item))
            {
                problem = RowRejects.ListItemInvalid(field, items.Count + 1, $"'{Clip(text)}'", element.DisplayName);
                return false;
            }
            items.Add(item);
        }
        list = [.. items];
        return true;
    }

    /// <summary>One item written as text (a CSV cell's rules for its type).</summary>
    public static bool TryParseItem(DslType element, string text, out object? item)
    {
        item = null;
        switch (element.Kind)
        {
            case TypeKind.String: item = text; return true;
            case TypeKind.Int:
                if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return false;
                item = l;
                return true;
            case TypeKind.Decimal:
                if (!decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
                    CultureInfo.InvariantCulture, out var d)) return false;
                item = d;
                return true;
            case TypeKind.Bool:
                if (text.Equals("true", StringComparison.OrdinalIgnoreCase)) item = true;
                else if (text.Equals("false", StringComparison.OrdinalIgnoreCase)) item = false;
                else return false;
                return true;
            case TypeKind.Date:
                if (!ValueParsers.TryParseDate(text, out var day)) return false;
                item = DateOnly.FromDayNumber(day);
                return true;
            case TypeKind.DateTime:
                if (!ValueParsers.TryParseTimestamp(text, out var ticks)) return false;
                item = new DateTime(ticks, DateTimeKind.Utc);
                return true;
            case TypeKind.Duration:
                if (!ValueParsers.TryParseDuration(text, out var span)) return false;
                item = new TimeSpan(span);
                return true;
            default: return false;
        }
    }

    /// <summary>
    /// A list as tags.csv writes it: items formatted by <paramref name="formatItem"/>, a <c>\</c> or
    /// <c>|</c> inside an item escaped by a backslash, joined by <c>|</c>; a null item is empty.
    /// </summary>
    public static string Format(IEnumerable<object?> list, Func<object?, string> formatItem)
    {
        var text = new StringBuilder();
        var first = true;
        foreach (var item in list)
        {
            if (!first) text.Append(Delimiter);
            first = false;
            var written = formatItem(item);
            if (written.AsSpan().IndexOfAny(Delimiter, Escape) < 0) { text.Append(written); continue; }
            foreach (var c in written)
            {
                if (c is Delimiter or Escape) text.Append(Escape);
                text.Append(c);
            }
        }
        return text.ToString();
    }

    private static DateTime Instant(long ticks) => new(ticks - ticks % 10, DateTimeKind.Utc);

    /// <summary>A boxed integer of any CLR width (Parquet and boxed rows), as a long; false for anything else.</summary>
    internal static bool TryInteger(object v, out long value)
    {
        switch (v)
        {
            case long l: value = l; return true;
            case int i: value = i; return true;
            case short sh: value = sh; return true;
            case sbyte sb: value = sb; return true;
            case byte by: value = by; return true;
            case ushort us: value = us; return true;
            case uint ui: value = ui; return true;
            case ulong ul when ul <= long.MaxValue: value = (long)ul; return true;
            default: value = 0; return false;
        }
    }

    private static string Describe(object v) => v is string s ? $"'{Clip(s)}'"
        : $"{Clip(Convert.ToString(v, CultureInfo.InvariantCulture) ?? "")} ({v.GetType().Name})";

    private static string Clip(string s) => s.Length <= 60 ? s : s[..60] + "…";
}
