using MarketingDsl.Engine.Data;

namespace MarketingDsl.Engine.Tests.Data;

/// <summary>`generate-data --order time`'s external sort: what counts as a line's `ts`, and what it leaves on disk.</summary>
public sealed class EventFileOrderTests
{
    [Fact]
    public void A_line_sorts_by_its_top_level_ts_as_a_parsed_object_reads_it_and_unreadable_lines_keep_their_place_first()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "events.jsonl");
        string[] lines =
        [
            """{"ts":"2025-01-02T00:00:00Z","n":1}""",
            """{"type":"x","ts":"bad"}""",
            "not json",
            """{"ts":"2025-01-01T00:00:00Z","ts":"2020-01-01T00:00:00Z"}""",   // the last of duplicate names counts
            """{"ts":"2019-01-01T00:00:00Z"} trailing""",
            """{"a":{"ts":"2000-01-01T00:00:00Z"},"ts":"2024-01-01T00:00:00+08:00"}""",   // nested ts is not the line's
            "[1]",
            """{"t\u0073":"2018-01-01T00:00:00Z"}""",   // an escaped name is the name
            """{"ts":"2025-01-02T00:00:00Z","n":2}""",
        ];
        File.WriteAllLines(path, lines);
        EventFileOrder.SortByTime(path, runLines: 2);
        Assert.Equal(
        [
            lines[1], lines[2], lines[4], lines[6], lines[7], lines[3], lines[5], lines[0], lines[8],
        ], File.ReadAllLines(path));
        Assert.Equal(["events.jsonl"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }
}
