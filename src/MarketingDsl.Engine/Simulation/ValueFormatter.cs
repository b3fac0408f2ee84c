using System.Globalization;
using System.Text;
using System.Runtime.CompilerServices;

namespace MarketingDsl.Engine.Simulation;

/// <summary>How a value is written in tags.csv (conformance README, `tags.csv`).</summary>
public static class ValueFormatter
{
    /// <summary>Decimals are rounded half away from zero to exactly 4 places, never "-0.0000".</summary>
    public static decimal RoundForOutput(decimal d)
    {
        // At most 4 places already: rounding would return the value as it is.
        var r = d.Scale <= 4 ? d : Math.Round(d, 4, MidpointRounding.AwayFromZero);
        return r == 0m ? 0m : r;
    }

    public static string Format(object? value) => value switch
    {
        null => "",
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        decimal d => FormatDecimal(d),
        string s => s,
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateTime t => FormatInstant(t),
        TimeSpan t => FormatDuration(t),
        IEnumerable<object?> list => Data.ListValues.Format(list, Format),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    /// <summary>Rounded (<see cref="RoundForOutput"/>) and written with exactly 4 places.</summary>
    public static string FormatDecimal(decimal d) => RoundForOutput(d).ToString(DecimalFormat, CultureInfo.InvariantCulture);

    private const string DecimalFormat = "0.0000";

    /// <summary>
    /// Appends the tags.csv cell of each user of a result column as UTF-8 (<see cref="Format"/>, quoted by
    /// <see cref="CsvField"/>): the common typed columns are formatted without boxing their values or a string per cell.
    /// </summary>
    internal static Action<Utf8Text, int> CsvCellWriter(Evaluation.ResultColumn column) => column switch
    {
        Evaluation.TypedResultColumn<long?> c => [MethodImpl(MethodImplOptions.AggressiveOptimization)] (text, u) =>
        {
            if (c.Values[u] is { } v) text.Append(v);
        },
        Evaluation.TypedResultColumn<bool?> c => [MethodImpl(MethodImplOptions.AggressiveOptimization)] (text, u) =>
        {
            if (c.Values[u] is { } v) text.Append(v ? "true"u8 : "false"u8);
        },
        Evaluation.TypedResultColumn<decimal?> c => [MethodImpl(MethodImplOptions.AggressiveOptimization)] (text, u) =>
        {
            if (c.Values[u] is { } v) AppendDecimal(text, v);
        },
        Evaluation.TypedResultColumn<string> c => [MethodImpl(MethodImplOptions.AggressiveOptimization)] (text, u) =>
        {
            if (c.Values[u] is { } v) text.Append(CsvField(v));
        },
        Evaluation.TypedResultColumn<object?[]?> c => [MethodImpl(MethodImplOptions.AggressiveOptimization)] (text, u) =>
        {
            if (c.Values[u] is { } list) AppendList(text, list);
        },
        _ => (text, u) => text.Append(CsvField(Format(column.Get(u)))),
    };

    // Optimized from the first call (AggressiveOptimization): a one-shot run spends its rows here long before tiering would.
    /// <summary>
    /// <see cref="FormatDecimal"/> as UTF-8: the rounded value's magnitude in ten-thousandths, read from its bits (its
    /// integer scaled by a power of ten: no decimal arithmetic), written as its digits (a custom format string is parsed
    /// on every call); magnitudes of ten-thousandths beyond a long's range through the format string.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void AppendDecimal(Utf8Text text, decimal d)
    {
        // At most 4 places after rounding (Math.Round to 4 places leaves a scale of 4).
        var rounded = d.Scale <= 4 ? d : Math.Round(d, 4, MidpointRounding.AwayFromZero);
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(rounded, bits);
        var integer = (uint)bits[0] | (ulong)(uint)bits[1] << 32;
        var factor = TenThousandthsPer[4 - rounded.Scale];
        if (bits[2] != 0 || integer > ScaledLimit / factor || integer * factor >= ScaledLimit)
        {
            text.Append(RoundForOutput(d), DecimalFormat);
            return;
        }
        var magnitude = integer * factor;
        // Never "-0.0000": a value that rounds to zero is written without its sign.
        if (bits[3] < 0 && magnitude != 0) text.Append((byte)'-');
        text.Append(magnitude / 10_000).Append((byte)'.').AppendFourDigits((int)(magnitude % 10_000));
    }

    // Ten-thousandths per unit of a decimal of scale 4 − i.
    private static readonly ulong[] TenThousandthsPer = [1, 10, 100, 1_000, 10_000];

    // Magnitudes below this many ten-thousandths (922,337,203,685,477 units) fit a long.
    private const ulong ScaledLimit = 9_223_372_036_854_770_000;

    /// <summary>
    /// A list cell (<see cref="Data.ListValues.Format"/>, quoted by <see cref="CsvField"/>) as UTF-8: a list of
    /// strings that need neither escaping nor quoting is written item by item; any other list through its text.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AppendList(Utf8Text text, object?[] list)
    {
        foreach (var item in list)
            if (item is not string s || s.AsSpan().IndexOfAny(ListSpecials) >= 0)
            {
                text.Append(CsvField(Format(list)));
                return;
            }
        for (var i = 0; i < list.Length; i++)
        {
            if (i > 0) text.Append((byte)Data.ListValues.Delimiter);
            text.Append((string)list[i]!);
        }
    }

    private static readonly System.Buffers.SearchValues<char> ListSpecials = System.Buffers.SearchValues.Create(",\"\r\n|\\");

    /// <summary>ISO-8601 UTC; fractions only when present, as microseconds.</summary>
    public static string FormatInstant(DateTime utc) =>
        utc.Ticks % TimeSpan.TicksPerSecond == 0
            ? utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)
            : utc.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>A duration as the DSL writes it: `1d 2h 30m`, `0s`.</summary>
    public static string FormatDuration(TimeSpan t) => Core.Text.DurationText.Format(t.Ticks);

    /// <summary>RFC 4180 quoting, only when the field holds a comma, a quote or a line break.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static string CsvField(string field) =>
        field.AsSpan().IndexOfAny(",\"\r\n") < 0 ? field : "\"" + field.Replace("\"", "\"\"") + "\"";
}
