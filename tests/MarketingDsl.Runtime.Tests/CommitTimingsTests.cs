using System.Diagnostics;

namespace MarketingDsl.Runtime.Tests;

/// <summary>The committer's timings take the slowest groups apart (timer work, requests, commit, the collector): a p99 is often one stall.</summary>
public sealed class CommitTimingsTests
{
    private static long Ticks(double ms) => (long)(ms * Stopwatch.Frequency / 1000);

    [Fact]
    public void The_summary_takes_the_slowest_groups_apart_slowest_first()
    {
        var timings = new CommitTimings();
        for (var g = 1; g <= 20; g++)
            timings.Group(size: 10, processTicks: Ticks(g), commitTicks: Ticks(1), cpuNanos: 0, timerUnits: g, gcPauseTicks: 0, allocatedBytes: 0,
                timerTicks: Ticks(g / 2.0));
        // A stall in the requests' part, with a collection inside it.
        timings.Group(size: 40, processTicks: Ticks(190), commitTicks: Ticks(2), cpuNanos: 0, timerUnits: 3,
            gcPauseTicks: TimeSpan.FromMilliseconds(12).Ticks, allocatedBytes: 0, timerTicks: Ticks(4));

        var summary = timings.Summary();
        var slowest = summary[summary.IndexOf("the slowest groups", StringComparison.Ordinal)..];
        slowest = slowest[..slowest.IndexOf("; requests ", StringComparison.Ordinal)];
        Assert.StartsWith("the slowest groups, ms (events: timer work, its units + the requests + commit; the collector inside): " +
            "192.0 (40: 4.0, 3 + 186.0 + 2.0; 12.0)", slowest, StringComparison.Ordinal);
        Assert.Contains("21.0 (10: 10.0, 20 + 10.0 + 1.0", slowest, StringComparison.Ordinal);
        Assert.Equal(CommitTimings.SlowestKept, slowest.Split("), ").Length);

        timings.Reset();
        Assert.Contains("the slowest groups, ms (events: timer work, its units + the requests + commit; the collector inside): ;",
            timings.Summary(), StringComparison.Ordinal);
    }
}
