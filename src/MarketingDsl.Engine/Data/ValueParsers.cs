using System.Runtime.CompilerServices;
using System.Globalization;

namespace MarketingDsl.Engine.Data;

/// <summary>Allocation-free parsers for the textual forms of dates, timestamps and durations.</summary>
public static class ValueParsers
{
    private const long TicksPerMicrosecond = 10;

    /// <summary>Truncates ticks to whole microseconds (toward negative infinity for instants before year 1 cannot occur).</summary>
    public static long TruncateToMicroseconds(long ticks) => ticks - ticks % TicksPerMicrosecond;

    /// <summary>
    /// ISO-8601 instant: <c>yyyy-MM-dd('T'|' ')HH:mm[:ss[.f…]][Z|±HH[:]mm|±HH]</c>. Without a zone
    /// the time is taken as UTC. Converted to UTC ticks; digits finer than a microsecond are truncated.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool TryParseTimestamp(ReadOnlySpan<byte> s, out long utcTicks)
    {
        utcTicks = 0;
        if (s.Length < 16) return false;
        if (!TryDate(s, out var dayNumber)) return false;
        if (s[10] is not ((byte)'T' or (byte)'t' or (byte)' ')) return false;
        if (!Two(s, 11, out var hh) || s[13] != ':' || !Two(s, 14, out var mi)) return false;
        var i = 16;
        var ss = 0;
        long frac = 0;
        if (i < s.Length && s[i] == ':')
        {
            if (!Two(s, i + 1, out ss)) return false;
            i += 3;
            if (i < s.Length && (s[i] == '.' || s[i] == ','))
            {
                i++;
                var start = i;
                long scale = TimeSpan.TicksPerSecond / 10;
                while (i < s.Length && IsDigit(s[i]))
                {
                    frac += (s[i] - '0') * scale;
                    scale /= 10;
                    i++;
                }
                if (i == start) return false;
            }
        }
        if (hh > 23 || mi > 59 || ss > 59) return false;
        long offsetTicks = 0;
        if (i < s.Length)
        {
            var c = s[i];
            if (c is (byte)'Z' or (byte)'z')
            {
                i++;
            }
            else if (c is (byte)'+' or (byte)'-')
            {
                if (!Two(s, i + 1, out var oh)) return false;
                i += 3;
                var om = 0;
                if (i < s.Length && s[i] == ':') i++;
                if (i < s.Length)
                {
                    if (!Two(s, i, out om)) return false;
                    i += 2;
                }
                if (oh > 18 || om > 59) return false;
                offsetTicks = (oh * 60L + om) * TimeSpan.TicksPerMinute * (c == '-' ? -1 : 1);
            }
            else return false;
        }
        if (i != s.Length) return false;
        var ticks = dayNumber * TimeSpan.TicksPerDay + hh * TimeSpan.TicksPerHour + mi * TimeSpan.TicksPerMinute
            + ss * TimeSpan.TicksPerSecond + frac;
        ticks -= offsetTicks;
        if (ticks < 0 || ticks > DateTime.MaxValue.Ticks) return false;
        utcTicks = TruncateToMicroseconds(ticks);
        return true;
    }

    public static bool TryParseTimestamp(ReadOnlySpan<char> s, out long utcTicks)
    {
        utcTicks = 0;
        if (s.Length > 64) return false;
        Span<byte> b = stackalloc byte[s.Length];
        return ToAscii(s, b) && TryParseTimestamp(b, out utcTicks);
    }

    /// <summary><c>yyyy-MM-dd</c> to <see cref="DateOnly.DayNumber"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool TryParseDate(ReadOnlySpan<byte> s, out int dayNumber)
    {
        dayNumber = 0;
        return s.Length == 10 && TryDate(s, out dayNumber);
    }

    public static bool TryParseDate(ReadOnlySpan<char> s, out int dayNumber)
    {
        dayNumber = 0;
        if (s.Length != 10) return false;
        Span<byte> b = stackalloc byte[10];
        return ToAscii(s, b) && TryDate(b, out dayNumber);
    }

    /// <summary>A data cell's duration: the language's own grammar (<see cref="MarketingDsl.Core.Text.DurationText"/>:
    /// <c>30d 12h</c>, <c>2w</c>) or <c>[-][d.]hh:mm:ss[.f]</c>.</summary>
    public static bool TryParseDuration(ReadOnlySpan<char> s, out long ticks) => MarketingDsl.Core.Text.DurationText.TryParse(s, out ticks);

    private static bool ToAscii(ReadOnlySpan<char> s, Span<byte> b)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] > 127) return false;
            b[i] = (byte)s[i];
        }
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool TryDate(ReadOnlySpan<byte> s, out int dayNumber)
    {
        dayNumber = 0;
        if (s.Length < 10 || s[4] != '-' || s[7] != '-') return false;
        if (!Two(s, 0, out var y1) || !Two(s, 2, out var y2) || !Two(s, 5, out var m) || !Two(s, 8, out var d)) return false;
        var y = y1 * 100 + y2;
        if (y < 1 || m < 1 || m > 12 || d < 1) return false;
        var leap = (y & 3) == 0 && (y % 100 != 0 || y % 400 == 0);
        var daysBefore = DaysBeforeMonth[m - 1] + (leap && m > 2 ? 1 : 0);
        if (d > DaysBeforeMonth[m] - DaysBeforeMonth[m - 1] + (leap && m == 2 ? 1 : 0)) return false;
        // DateOnly.DayNumber (days since 0001-01-01) by arithmetic: one per row, the DateOnly
        // constructor would validate the date a second time.
        var before = y - 1;
        dayNumber = before * 365 + before / 4 - before / 100 + before / 400 + daysBefore + d - 1;
        return true;
    }

    /// <summary>Days of a common year before each month (index 12: the whole year).</summary>
    private static ReadOnlySpan<int> DaysBeforeMonth => [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365];

    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;

    private static bool Two(ReadOnlySpan<byte> s, int i, out int value)
    {
        value = 0;
        if (i + 1 >= s.Length || !IsDigit(s[i]) || !IsDigit(s[i + 1])) return false;
        value = (s[i] - '0') * 10 + (s[i + 1] - '0');
        return true;
    }
}
