using System.Globalization;

namespace MarketingDsl.Core.Text;

/// <summary>
/// The one grammar of a duration, as LANGUAGE.md defines it for the DURATION token
/// (<c>DIGIT+ [wdhms]</c>: weeks, days, hours, minutes, seconds), parts written one after another:
/// <c>30d 12h</c>, <c>2w</c>. The binder's duration literals, data cells, CLI options and live
/// events all read durations here, so a duration valid in the language is valid everywhere.
/// Outside the language (data cells, options, events) the invariant <see cref="TimeSpan"/> form
/// <c>[-][d.]hh:mm:ss[.f]</c> is also accepted, as exports from other systems write it.
/// </summary>
public static class DurationText
{
    /// <summary>The ticks of one unit letter, or 0 when the letter is not a unit.</summary>
    public static long UnitTicks(char unit) => unit switch
    {
        'w' => TimeSpan.TicksPerDay * 7,
        'd' => TimeSpan.TicksPerDay,
        'h' => TimeSpan.TicksPerHour,
        'm' => TimeSpan.TicksPerMinute,
        's' => TimeSpan.TicksPerSecond,
        _ => 0,
    };

    /// <summary>One part, <c>DIGIT+ unit</c> (one DURATION token); false when malformed or longer than <see cref="long.MaxValue"/> ticks.</summary>
    public static bool TryParsePart(ReadOnlySpan<char> part, out long ticks)
    {
        ticks = 0;
        if (part.Length < 2) return false;
        var unit = UnitTicks(part[^1]);
        var digits = part[..^1];
        if (unit == 0 || !IsDigits(digits) || !long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            || n > long.MaxValue / unit)
            return false;
        ticks = n * unit;
        return true;
    }

    /// <summary>
    /// A duration written as parts, spaced or not (<c>1w 2d</c>, <c>1d12h</c>, <c>90m</c>), or as an invariant
    /// <see cref="TimeSpan"/> (<c>01:30:00</c>); false when malformed, empty or out of range.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> text, out long ticks)
    {
        ticks = 0;
        text = text.Trim();
        if (text.IsEmpty) return false;
        if (text.Contains(':'))
        {
            if (!TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span)) return false;
            ticks = span.Ticks;
            return true;
        }
        long total = 0;
        var i = 0;
        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && char.IsAsciiDigit(text[i])) i++;
            if (i == text.Length) return false;
            if (!TryParsePart(text[start..(i + 1)], out var part) || total > long.MaxValue - part) return false;
            total += part;
            i++;
            while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
        }
        ticks = total;
        return true;
    }

    /// <summary>A duration as the language writes it: <c>1d 2h 30m</c>, <c>0s</c>, <c>-5m</c>; days are not folded into
    /// weeks, fractions of a second are kept (<c>0.5s</c>).</summary>
    public static string Format(long ticks)
    {
        if (ticks == 0) return "0s";
        if (ticks == long.MinValue) ticks = -long.MaxValue; // its absolute value is not a long
        var sign = ticks < 0 ? "-" : "";
        var a = TimeSpan.FromTicks(ticks).Duration();
        var parts = new List<string>(4);
        if (a.Days > 0) parts.Add(a.Days.ToString(CultureInfo.InvariantCulture) + "d");
        if (a.Hours > 0) parts.Add(a.Hours.ToString(CultureInfo.InvariantCulture) + "h");
        if (a.Minutes > 0) parts.Add(a.Minutes.ToString(CultureInfo.InvariantCulture) + "m");
        var seconds = a.Ticks % TimeSpan.TicksPerMinute;
        if (seconds > 0)
            parts.Add(seconds % TimeSpan.TicksPerSecond == 0
                ? (seconds / TimeSpan.TicksPerSecond).ToString(CultureInfo.InvariantCulture) + "s"
                : ((decimal)seconds / TimeSpan.TicksPerSecond).ToString(CultureInfo.InvariantCulture) + "s");
        return sign + string.Join(" ", parts);
    }

    private static bool IsDigits(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty) return false;
        foreach (var c in s)
            if (!char.IsAsciiDigit(c)) return false;
        return true;
    }
}
