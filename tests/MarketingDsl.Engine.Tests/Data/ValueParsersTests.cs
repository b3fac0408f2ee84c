using MarketingDsl.Engine.Data;

namespace MarketingDsl.Engine.Tests.Data;

public class ValueParsersTests
{
    /// <summary>
    /// Every year 0001–9999, months 0–13, days 0–32: a date is accepted exactly when it exists,
    /// with <see cref="DateOnly.DayNumber"/> (the parser computes it by arithmetic); the same day
    /// number through a timestamp at midnight.
    /// </summary>
    [Fact]
    public void Every_date_parses_to_its_day_number_and_no_other_is_accepted()
    {
        var text = "0000-00-00T00:00:00Z"u8.ToArray();
        Assert.False(ValueParsers.TryParseDate("0000-01-01"u8, out _));
        for (var y = 1; y <= 9999; y++)
        {
            Put(text, 0, y / 100);
            Put(text, 2, y % 100);
            for (var m = 0; m <= 13; m++)
            {
                Put(text, 5, m);
                for (var d = 0; d <= 32; d++)
                {
                    Put(text, 8, d);
                    var exists = m is >= 1 and <= 12 && d >= 1 && d <= DateTime.DaysInMonth(y, m);
                    var parsed = ValueParsers.TryParseDate(text.AsSpan(0, 10), out var day);
                    if (parsed != exists) Assert.Fail($"{y:0000}-{m:00}-{d:00}: parsed {parsed}, exists {exists}");
                    if (!exists) continue;
                    var expected = new DateOnly(y, m, d).DayNumber;
                    if (day != expected) Assert.Fail($"{y:0000}-{m:00}-{d:00}: day {day}, expected {expected}");
                    if (d == 1 || d == 28)
                    {
                        Assert.True(ValueParsers.TryParseTimestamp(text, out var ticks));
                        Assert.Equal(new DateTime(y, m, d, 0, 0, 0, DateTimeKind.Utc).Ticks, ticks);
                    }
                }
            }
        }
    }

    private static void Put(byte[] text, int at, int twoDigits)
    {
        text[at] = (byte)('0' + twoDigits / 10);
        text[at + 1] = (byte)('0' + twoDigits % 10);
    }
}

public class DataCellDurationTests
{
    /// <summary>A data cell reads durations by the language's grammar: `2w` is valid in the language, so it is in data.</summary>
    [Theory]
    [InlineData("2w", 14 * TimeSpan.TicksPerDay)]
    [InlineData("1w 2d", 9 * TimeSpan.TicksPerDay)]
    [InlineData("30d 12h", 30 * TimeSpan.TicksPerDay + 12 * TimeSpan.TicksPerHour)]
    [InlineData("00:10:00", 10 * TimeSpan.TicksPerMinute)]
    public void Data_cells_read_the_languages_durations(string cell, long expected)
    {
        Assert.True(ValueParsers.TryParseDuration(cell, out var ticks), cell);
        Assert.Equal(expected, ticks);
    }
}
