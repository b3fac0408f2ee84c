using System.Globalization;

namespace MarketingDsl.Runtime.Tests;

/// <summary>
/// Timer work in slices (LiveOptions.TimerSlice): a backlog of due schedule fan-outs never holds
/// a request for more than one slice; the committer does the rest between requests, and all of it is done.
/// </summary>
public sealed class TimerSliceTests : IDisposable
{
    private const string Main = """
        channel push { cost: 0.001 }
        journey tick { trigger: every 1h  steps { send push "tick" } }
        journey pong { trigger: login  steps { send push "pong" } }
        """;

    private const int Users = 200;
    private const int Slice = 50;
    private static readonly DateTime Start = new(2025, 3, 1, 0, 0, 0, DateTimeKind.Utc);
    private readonly LiveFixture _f = new(Main);
    public void Dispose() => _f.Dispose();

    private LiveRuntime OpenWithProfiles(int slice = Slice, int sliceWithRequests = Slice)
    {
        _f.WallClock.Now = new DateTimeOffset(Start);   // schedules start here; the wall clock stays (only events move time)
        var runtime = _f.Open(timerSlice: slice, timerSliceWithRequests: sliceWithRequests);
        var profiles = Enumerable.Range(0, Users).Select(i => $$"""{"user_id":"u{{i:000}}"}""");
        runtime.IngestProfiles(LiveFixture.Json("[" + string.Join(",", profiles) + "]"));
        return runtime;
    }

    private List<string> Templates() => [.. _f.OutboxLines().Select(l => l.Line.GetProperty("template").GetString()!)];

    [Fact]
    public void A_request_behind_ten_due_schedule_instants_waits_for_one_slice_and_the_rest_follows()
    {
        using var runtime = OpenWithProfiles();
        // 01:00 … 10:00 are due before the event: ten fan-outs to 200 users, 2,000 units of work.
        var r = runtime.IngestEvents(LiveFixture.Json($$"""[{"type":"login","user_id":"u199","ts":"{{LiveFixture.Ts(Start.AddHours(10.5))}}"}]"""));
        Assert.Equal(IngestResult.Accepted, r[0].Status);
        SpinWait.SpinUntil(() => !runtime.TimerBacklog, TimeSpan.FromMinutes(2));
        Assert.False(runtime.TimerBacklog);
        runtime.Deliver();

        var templates = Templates();
        // The event's send came after at most one slice of the backlog (all before it from 01:00) …
        var pong = templates.IndexOf("pong");
        Assert.InRange(pong, 1, Slice);
        Assert.All(_f.OutboxLines().Take(pong), l => Assert.Equal("2025-03-01T01:00:00Z", l.Line.GetProperty("at").GetString()));
        // … and every user got every instant's send, each once.
        var ticks = _f.OutboxLines().Where(l => l.Line.GetProperty("template").GetString() == "tick")
            .Select(l => l.Line.GetProperty("user_id").GetString() + " " + l.Line.GetProperty("at").GetString()).ToList();
        Assert.Equal(10 * Users, ticks.Count);
        Assert.Equal(ticks.Count, ticks.Distinct().Count());
        Assert.Equal(10 * Users, runtime.TimerWorkDone);   // a unit per user reached (a firing's own unit pays for its first user)
    }

    [Fact]
    public void An_event_a_year_ahead_is_answered_after_one_slice_and_a_stop_ends_the_backlog()
    {
        var runtime = OpenWithProfiles();
        try
        {
            var ts = LiveFixture.Ts(Start.AddDays(365));
            var r = runtime.IngestEvents(LiveFixture.Json($$"""[{"type":"login","user_id":"u199","ts":"{{ts}}"}]"""));
            Assert.Equal(IngestResult.Accepted, r[0].Status);
            Assert.Equal(ts, new DateTime(runtime.Clock, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            var pong = Templates().IndexOf("pong");
            Assert.InRange(pong, 1, Slice);
            Assert.True(runtime.TimerWorkDone < 365L * 24 * Users);   // 1.75 million units are due: not done before the answer
        }
        finally
        {
            runtime.Dispose();   // the committer stops after its current slice
        }
    }

    private static System.Text.Json.JsonElement Login(string user, double hours) =>
        LiveFixture.Json($$"""[{"type":"login","user_id":"{{user}}","ts":"{{LiveFixture.Ts(Start.AddHours(hours))}}"}]""");

    /// <summary>How many `tick` sends the outbox holds before the <paramref name="nth"/> `pong` (0-based).</summary>
    private int TicksBeforePong(int nth) => Templates().Select((t, i) => (t, i)).Where(p => p.t == "pong").ElementAt(nth).i - nth;

    [Fact]
    public void A_request_behind_a_large_fan_out_waits_only_for_the_small_slice_before_requests()
    {
        using var runtime = OpenWithProfiles(slice: 1_000, sliceWithRequests: 5);
        Assert.Equal(IngestResult.Accepted, runtime.IngestEvents(Login("u199", 10.5))[0].Status);
        SpinWait.SpinUntil(() => !runtime.TimerBacklog, TimeSpan.FromMinutes(2));
        runtime.Deliver();
        // 2,000 units were due before the event; its transaction did 5 of them first, the rest followed.
        Assert.Equal(5, TicksBeforePong(0));
        Assert.Equal(10 * Users, Templates().Count(t => t == "tick"));
        Assert.Equal(10 * Users, runtime.TimerWorkDone);
    }

    [Theory]
    [InlineData(300, 300)]   // queued deep in a slice of timer work alone: it ends there
    [InlineData(7, 10)]      // queued 2 units into it: it first does the 5 units a transaction with requests may do
    public async Task Timer_work_alone_yields_to_a_request_and_the_request_goes_next(int queuedAt, int yieldedAt)
    {
        using var runtime = OpenWithProfiles(slice: 1_000, sliceWithRequests: 5);
        Task<IReadOnlyList<IngestResult>>? second = null;
        // The first request's transaction takes units 1–5; from unit 6 the committer does timer work
        // alone. A request queued there ends that slice, and its own transaction does 5 more units first.
        runtime.TimerUnitTaken = done => { if (done == queuedAt) second = runtime.IngestEventsAsync(Login("u198", 10.6)); };
        Assert.Equal(IngestResult.Accepted, runtime.IngestEvents(Login("u199", 10.5))[0].Status);
        SpinWait.SpinUntil(() => second is not null && !runtime.TimerBacklog, TimeSpan.FromMinutes(2));
        Assert.NotNull(second);
        Assert.Equal(IngestResult.Accepted, (await second)[0].Status);
        runtime.Deliver();
        Assert.Equal(5, TicksBeforePong(0));
        Assert.Equal(yieldedAt + 5, TicksBeforePong(1));
        Assert.Equal(10 * Users, Templates().Count(t => t == "tick"));
    }
}
