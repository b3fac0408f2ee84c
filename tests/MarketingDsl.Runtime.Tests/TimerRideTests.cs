namespace MarketingDsl.Runtime.Tests;

/// <summary>
/// Timer work left over rides in request commits (LiveOptions.TimerRideWait): while requests flow,
/// no transaction commits timer work alone (each such commit is an fsync the requests wait for);
/// the work still moves with every group, whatever its events, and commits alone once it is late
/// (LiveOptions.TimerLateAfter) or ingest is idle.
/// </summary>
public sealed class TimerRideTests : IDisposable
{
    private const string Main = """
        channel push { cost: 0.001 }
        journey tick { trigger: every 1h  steps { send push "tick" } }
        journey pong { trigger: login  steps { send push "pong" } }
        """;

    private const int Users = 200;
    private const int SliceWithRequests = 5;
    private static readonly DateTime Start = new(2025, 3, 1, 0, 0, 0, DateTimeKind.Utc);
    private static readonly TimeSpan Never = TimeSpan.FromMinutes(10);
    private readonly LiveFixture _f = new(Main);
    public void Dispose() => _f.Dispose();

    /// <summary>A runtime with 200 users' profiles; an event at 10:30 leaves ten hourly fan-outs (2,000 units) due.</summary>
    private LiveRuntime Open(TimeSpan rideWait, TimeSpan lateAfter)
    {
        _f.WallClock.Now = new DateTimeOffset(Start);   // schedules start here; only events move time
        var runtime = new LiveRuntime(_f.Compilation.Model, new LiveOptions
        {
            DbPath = _f.Db, OutboxDir = _f.Outbox, Clock = _f.WallClock, MaxFutureSkew = TimeSpan.MaxValue,
            TimerSlice = 1_000, TimerSliceWithRequests = SliceWithRequests, TimerSliceTime = Timeout.InfiniteTimeSpan,
            TimerRideWait = rideWait, TimerLateAfter = lateAfter,
        });
        var profiles = Enumerable.Range(0, Users).Select(i => $$"""{"user_id":"u{{i:000}}"}""");
        runtime.IngestProfiles(LiveFixture.Json("[" + string.Join(",", profiles) + "]"));
        runtime.Timings.Reset();
        return runtime;
    }

    private static System.Text.Json.JsonElement Login(int user, double hours) =>
        LiveFixture.Json($$"""[{"type":"login","user_id":"u{{user:000}}","ts":"{{LiveFixture.Ts(Start.AddHours(hours))}}"}]""");

    private int Sent(string template) => _f.OutboxLines().Count(l => l.Line.GetProperty("template").GetString() == template);

    [Fact]
    public void While_requests_flow_left_over_timer_work_rides_in_their_commits_and_none_commits_alone()
    {
        using var runtime = Open(rideWait: Never, lateAfter: Never);
        const int requests = 20;
        for (var i = 0; i < requests; i++)
            Assert.Equal(IngestResult.Accepted, runtime.IngestEvents(Login(i, 10.5 + i / 1000.0))[0].Status);

        // One commit per request, each with its share of the 2,000 due units, and no commit of timer work alone.
        Assert.Equal(requests, runtime.Timings.GroupCommits);
        Assert.Equal(0, runtime.Timings.TimerOnlyCommits);
        Assert.Equal(requests * SliceWithRequests, runtime.Timings.TimerUnitsInGroups);
        Assert.Equal(requests * SliceWithRequests, runtime.TimerWorkDone);
        Assert.True(runtime.TimerBacklog);
        Assert.Equal(requests, Sent("pong"));
    }

    [Fact]
    public void Requests_whose_events_fire_no_timers_still_carry_the_left_over_work()
    {
        using var runtime = Open(rideWait: Never, lateAfter: Never);
        Assert.Equal(IngestResult.Accepted, runtime.IngestEvents(Login(199, 10.5))[0].Status);
        // A request whose one item is rejected, and events older than the clock: they fire no timers of their own.
        var rejected = LiveFixture.Json("""[{"type":"no_such_event","user_id":"u001","ts":"2025-03-01T10:40:00Z"}]""");
        for (var i = 0; i < 5; i++) Assert.Equal(IngestResult.Rejected, runtime.IngestEvents(rejected)[0].Status);
        for (var i = 0; i < 5; i++) Assert.Equal(IngestResult.Accepted, runtime.IngestEvents(Login(i, 0.5))[0].Status);

        Assert.Equal(0, runtime.Timings.TimerOnlyCommits);
        Assert.Equal(11 * SliceWithRequests, runtime.TimerWorkDone);
    }

    [Fact]
    public void Left_over_work_later_than_the_bound_commits_alone_until_done_without_more_requests()
    {
        using var runtime = Open(rideWait: Never, lateAfter: TimeSpan.Zero);
        Assert.Equal(IngestResult.Accepted, runtime.IngestEvents(Login(199, 10.5))[0].Status);
        SpinWait.SpinUntil(() => !runtime.TimerBacklog, TimeSpan.FromMinutes(2));
        Assert.False(runtime.TimerBacklog);
        runtime.Deliver();
        Assert.True(runtime.Timings.TimerOnlyCommits > 0);
        Assert.Equal(10 * Users, runtime.TimerWorkDone);
        Assert.Equal(10 * Users, Sent("tick"));
    }

    [Fact]
    public void When_no_request_comes_within_the_wait_left_over_work_commits_alone_until_done()
    {
        using var runtime = Open(rideWait: TimeSpan.FromMilliseconds(20), lateAfter: Never);
        Assert.Equal(IngestResult.Accepted, runtime.IngestEvents(Login(199, 10.5))[0].Status);
        SpinWait.SpinUntil(() => !runtime.TimerBacklog, TimeSpan.FromMinutes(2));
        Assert.False(runtime.TimerBacklog);
        runtime.Deliver();
        Assert.Equal(10 * Users, Sent("tick"));
        Assert.Equal(1, runtime.Timings.GroupCommits);
    }
}
