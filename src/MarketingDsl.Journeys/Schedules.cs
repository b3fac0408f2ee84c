using MarketingDsl.Core.Semantics;

namespace MarketingDsl.Journeys;

/// <summary>Firing instants of schedule triggers (LANGUAGE.md §15.2) in the workspace zone.</summary>
public static class Schedules
{
    /// <summary>The first firing strictly after <paramref name="afterTicks"/>, or null for a trigger that is not a schedule.</summary>
    public static long? Next(BoundTrigger trigger, long afterTicks, TimeZoneInfo zone)
    {
        switch (trigger)
        {
            case BoundIntervalTrigger i:
                var epoch = DateTime.UnixEpoch.Ticks;
                var k = Math.Max(0, FloorDiv(afterTicks - epoch, i.IntervalTicks) + 1);
                return epoch + k * i.IntervalTicks;
            case BoundCalendarTrigger c:
                var local = TimeZoneInfo.ConvertTimeFromUtc(new DateTime(afterTicks, DateTimeKind.Utc), zone).Date;
                for (var day = -1; day <= 8; day++)
                {
                    var date = local.AddDays(day);
                    if (c.Weekday is { } w && IsoWeekday(date) != w) continue;
                    var at = LocalTime.ToUtc(date.AddMinutes(c.AtMinute), zone);
                    if (at > afterTicks) return at;
                }
                return null;
            default:
                return null;
        }
    }

    /// <summary>The next local midnight strictly after the instant (the daily segment check).</summary>
    public static long NextMidnight(long afterTicks, TimeZoneInfo zone) => Next(new BoundCalendarTrigger(null, 0), afterTicks, zone)!.Value;

    private static int IsoWeekday(DateTime d) => d.DayOfWeek == DayOfWeek.Sunday ? 7 : (int)d.DayOfWeek;

    private static long FloorDiv(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);
}
