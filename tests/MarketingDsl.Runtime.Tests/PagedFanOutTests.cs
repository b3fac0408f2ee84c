using MarketingDsl.Engine.Data;

namespace MarketingDsl.Runtime.Tests;

/// <summary>
/// A schedule's fan-out and the 00:00 segment check page through the store (the profiles' key, the index on the due) rather than
/// hold every member's id or due in memory: over more users than a page (1,000), in slices smaller than a page, every user is
/// reached once per instant, a schedule in code point order (LANGUAGE.md §15.7).
/// </summary>
public sealed class PagedFanOutTests : IDisposable
{
    private const string Main = """
        tag logins_1d = count(login, within: 1d)
        segment recent = logins_1d >= 1
        channel push { cost: 0.001 }
        journey tick { trigger: every 1d  steps { send push "tick" } }
        journey bye { trigger: leaves segment recent  steps { send push "bye" } }
        """;

    private const int Users = 2_500;
    private static readonly DateTime Start = new(2025, 3, 1, 0, 0, 0, DateTimeKind.Utc);
    private readonly LiveFixture _f = new(Main);
    public void Dispose() => _f.Dispose();

    /// <summary>Ids whose UTF-16 order is not their code point order: a surrogate pair sorts before U+E000 in UTF-16, after it in UTF-8.</summary>
    private static string Id(int i) => (i % 3) switch { 0 => $"u{i:0000}", 1 => $"\uE000{i:0000}", _ => $"\U0001F600{i:0000}" };

    private static string Login(int i, DateTime at) => $$"""{"type":"login","user_id":"{{Id(i)}}","ts":"{{LiveFixture.Ts(at)}}"}""";

    [Fact]
    public void Every_user_is_reached_once_per_instant_across_pages_and_slices()
    {
        _f.WallClock.Now = new DateTimeOffset(Start);   // the schedule starts here; only events move time
        using var runtime = _f.Open(timerSlice: 300, timerSliceWithRequests: 300);
        var profiles = Enumerable.Range(0, Users).Select(i => $$"""{"user_id":"{{Id(i)}}"}""");
        runtime.IngestProfiles(LiveFixture.Json("[" + string.Join(",", profiles) + "]"));
        // Each user logs in once on the first day: in the segment until its window ends on the second day.
        var logins = Enumerable.Range(0, Users).Select(i => Login(i, Start.AddSeconds(10 + i * 20))).ToList();
        foreach (var chunk in logins.Chunk(500))
        {
            var results = runtime.IngestEvents(LiveFixture.Json("[" + string.Join(",", chunk) + "]"));
            Assert.All(results, r => Assert.Equal(IngestResult.Accepted, r.Status));
        }
        // An event after 00:00 of the third day: the schedule's two instants and both checks are due before it.
        Assert.Equal(IngestResult.Accepted, runtime.IngestEvents(LiveFixture.Json("[" + Login(0, Start.AddDays(2.5)) + "]"))[0].Status);
        SpinWait.SpinUntil(() => !runtime.TimerBacklog, TimeSpan.FromMinutes(2));
        Assert.False(runtime.TimerBacklog);
        while (runtime.Deliver() > 0) { }

        var lines = _f.OutboxLines().Select(l => (Template: l.Line.GetProperty("template").GetString()!,
            User: l.Line.GetProperty("user_id").GetString()!, At: l.Line.GetProperty("at").GetString()!)).ToList();
        var ids = Enumerable.Range(0, Users).Select(Id).ToList();
        foreach (var day in new[] { "2025-03-02T00:00:00Z", "2025-03-03T00:00:00Z" })
            Assert.Equal(ids.Order(CodePointComparer.Instance), lines.Where(l => l.Template == "tick" && l.At == day).Select(l => l.User));
        // Every user left the segment once, at the check of the third day's 00:00 (its window ended on the second day), but the
        // one whose event came while the check was in the backlog: its event's own check found it back in the segment.
        var byes = lines.Where(l => l.Template == "bye").ToList();
        Assert.Equal(ids.Skip(1).Order(StringComparer.Ordinal), byes.Select(l => l.User).Order(StringComparer.Ordinal));
        Assert.All(byes, l => Assert.Equal("2025-03-03T00:00:00Z", l.At));
        Assert.DoesNotContain(runtime.Store.SegmentDues(), d => d.Due <= Start.AddDays(2).Ticks);
    }
}
