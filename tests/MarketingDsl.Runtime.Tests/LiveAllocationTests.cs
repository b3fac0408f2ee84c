using System.Globalization;
using MarketingDsl.Engine.Data;
using MarketingDsl.Testing;
using Xunit.Abstractions;

namespace MarketingDsl.Runtime.Tests;

/// <summary>
/// What the live path allocates per event on <c>examples/retail</c> (journeys with every trigger
/// kind), against the same events through the same workspace without its journeys, measured in
/// the same test: the collector's pauses stop the committer, so bytes per event are what the
/// 5,000 events/s latency rests on. Bytes, not times: the count does not depend on the machine's load.
/// </summary>
[Collection(nameof(HeapMeasurement))]
public sealed class LiveAllocationTests(ITestOutputHelper output) : IDisposable
{
    private const int Users = 300;
    private const int Days = 30;
    private const int WarmUpEvents = 1_000;
    private const int MeasuredEvents = 3_000;
    private const int Batch = 20;

    /// <summary>
    /// How many times the baseline's bytes per event the run with journeys may allocate at most:
    /// building a condition evaluator per user and per grown history again would exceed it.
    /// </summary>
    private const double MaxRatio = 2.3;

    /// <summary>
    /// The most bytes per event the run with journeys may allocate: the measurement log's rows,
    /// statement parameters and the executor's loops allocate nothing per value or per pass, and
    /// an array of boxed values per row or per statement again would exceed it.
    /// </summary>
    private const double MaxBytesPerEventWithJourneys = 3_700;

    private readonly string _root = Path.Combine(Path.GetTempPath(), "mdsl-live-alloc-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [Fact]
    public void Journeys_allocate_a_bounded_number_of_bytes_per_event_and_at_most_a_bounded_multiple_of_the_same_events_without_them()
    {
        var data = Path.Combine(_root, "data");
        var generated = RetailDataGenerator.Generate(data, Users, Days, seed: 7);
        EventFileOrder.SortByTime(generated.EventsPath);
        var profiles = File.ReadAllLines(generated.ProfilesPath);
        var events = File.ReadAllLines(generated.EventsPath);
        Assert.True(events.Length >= WarmUpEvents + MeasuredEvents, $"{events.Length} events generated");

        var with = Measure("with", journeys: true, profiles, events);
        var without = Measure("without", journeys: false, profiles, events);
        Assert.True(with.Sends > 0 && with.TimerWork > 0, $"the journeys did nothing: {with}");
        var ratio = with.BytesPerEvent / without.BytesPerEvent;
        output.WriteLine($"with journeys {with}; without {without}; ratio {ratio:F2}");
        Assert.True(ratio <= MaxRatio, $"with journeys {with}; without {without}; ratio {ratio:F2} (at most {MaxRatio})");
        Assert.True(with.BytesPerEvent <= MaxBytesPerEventWithJourneys,
            $"with journeys {with} (at most {MaxBytesPerEventWithJourneys:N0} bytes per event)");
    }

    private sealed record Run(double BytesPerEvent, long Sends, long TimerWork)
    {
        public override string ToString() =>
            $"{BytesPerEvent.ToString("N0", CultureInfo.InvariantCulture)} bytes per event, {Sends} sends, {TimerWork} units of timer work";
    }

    /// <summary>The events after the warm-up, in batches as a client posts them, each answered and its sends delivered.</summary>
    private Run Measure(string name, bool journeys, string[] profiles, string[] events)
    {
        var root = Path.Combine(_root, name);
        var workspace = Path.Combine(root, "ws");
        RepoRoot.CopyRetailExample(workspace, journeys);
        var compilation = RuntimeApp.CompileWorkspace(workspace);
        // The clock stays at the history's start: timers fire by the events' time, as in the load benchmark.
        var start = DateTime.Parse(System.Text.Json.JsonDocument.Parse(events[0]).RootElement.GetProperty("ts").GetString()!,
            CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal).AddSeconds(-1);
        using var live = new LiveRuntime(compilation.Model, new LiveOptions
        {
            DbPath = Path.Combine(root, "live.db"), OutboxDir = Path.Combine(root, "outbox"), Clock = new FixedClock(new DateTimeOffset(start)),
            MaxFutureSkew = TimeSpan.MaxValue,
            // Slices by count only, so the same timer work is done whatever the machine's speed.
            TimerSliceTime = Timeout.InfiniteTimeSpan,
        });
        live.IngestProfiles(RequestBodies.Items(profiles, 0, profiles.Length));

        void Ingest(int from, int to)
        {
            for (var i = from; i < to; i += Batch)
            {
                live.IngestEventsAsync(RequestBodies.Items(events, i, Math.Min(to, i + Batch))).GetAwaiter().GetResult();
                live.Deliver();
            }
            // Timer work a batch left runs between requests: wait for it, so both runs count all of it.
            while (live.TimerBacklog) Thread.Sleep(1);
        }

        Ingest(0, WarmUpEvents);
        var timerWork = live.TimerWorkDone;
        var before = GC.GetTotalAllocatedBytes(precise: true);
        Ingest(WarmUpEvents, WarmUpEvents + MeasuredEvents);
        var bytes = GC.GetTotalAllocatedBytes(precise: true) - before;
        var outbox = Path.Combine(root, "outbox");
        var sends = Directory.Exists(outbox) ? Directory.GetFiles(outbox, "*.jsonl").Sum(f => File.ReadLines(f).LongCount()) : 0;
        return new Run(bytes / (double)MeasuredEvents, sends, live.TimerWorkDone - timerWork);
    }

}
