namespace MarketingDsl.Journeys.Tests;

/// <summary>LocalClock (one offset per UTC hour) gives LocalTime's hour and date for every instant, in order or not.</summary>
public sealed class LocalClockTests
{
    [Theory]
    [InlineData("UTC")]
    [InlineData("America/New_York")]
    [InlineData("Australia/Lord_Howe")]     // a 30-minute daylight-saving shift
    [InlineData("Asia/Kathmandu")]          // +05:45, and +05:30 before 1986
    [InlineData("Europe/Amsterdam")]        // local mean time +00:19:32 before 1937
    public void Local_hours_and_dates_equal_a_conversion_per_instant(string zoneId)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
        var random = new Random(7);
        var instants = new List<long>();
        foreach (var year in new[] { 1900, 1986, 2025 })
        {
            var start = new DateTime(year, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;
            var t = start;
            // A year in steps of up to 15 minutes: every change of offset is crossed, and half-hour changes inside a UTC hour are hit.
            while (t < start + 366 * TimeSpan.TicksPerDay)
            {
                instants.Add(t);
                t += random.Next(1, 15) * TimeSpan.TicksPerMinute + random.Next(60) * TimeSpan.TicksPerSecond;
            }
        }
        var inOrder = new LocalClock(zone);
        foreach (var t in instants)
            Assert.Equal((LocalTime.HourOf(t, zone), LocalTime.DateOf(t, zone)), (inOrder.HourOf(t), inOrder.DateOf(t)));
        var shuffled = new LocalClock(zone);
        foreach (var t in instants.OrderBy(_ => random.Next()).Take(5000))
            Assert.Equal((LocalTime.HourOf(t, zone), LocalTime.DateOf(t, zone)), (shuffled.HourOf(t), shuffled.DateOf(t)));
    }
}
