using System.Diagnostics;
using MarketingDsl.Engine.Data;

namespace MarketingDsl.Cli.Tests;

/// <summary>The import's progress line: rows and percent at once, rate and time left once measurable, per file.</summary>
public sealed class ProgressLineTests
{
    [Fact]
    public void The_import_line_shows_rows_percent_rate_and_time_left()
    {
        using var line = new ProgressLine(new StringWriter());
        var t0 = 1_000 * Stopwatch.Frequency;
        const long Mb = 1_000_000;
        Assert.Equal("loading events.jsonl 0 rows 0%", line.ImportText(new ImportProgress("/d/events.jsonl", 0, 0, 300 * Mb), t0));
        Assert.Equal("loading events.jsonl 100,000 rows 33% 100 MB/s 2 s left",
            line.ImportText(new ImportProgress("/d/events.jsonl", 100_000, 100 * Mb, 300 * Mb), t0 + Stopwatch.Frequency));
        Assert.Equal("loading events.jsonl 900,000 rows 3% 1 MB/s 49 min left",
            line.ImportText(new ImportProgress("/d/events.jsonl", 900_000, 1 * Mb + 100 * Mb, 3_000 * Mb + 100 * Mb), t0
                + 100 * Stopwatch.Frequency));
        // Another file: measured from its own start.
        Assert.Equal("loading more.jsonl 1,000,000 rows 0%", line.ImportText(new ImportProgress("/d/more.jsonl", 1_000_000, 0, 50 * Mb), t0
            + 101 * Stopwatch.Frequency));
    }

    [Fact]
    public void Nothing_is_drawn_when_stderr_is_not_a_terminal()
    {
        // Under the test runner stderr is redirected, as in a pipe or a CI log.
        Assert.True(Console.IsErrorRedirected);
        var writer = new StringWriter();
        using (var line = new ProgressLine(writer))
            ((IProgress<ImportProgress>)line.Import).Report(new ImportProgress("events.jsonl", 100_000, 1, 2));
        Thread.Sleep(200);
        Assert.Equal("", writer.ToString());
    }
}
