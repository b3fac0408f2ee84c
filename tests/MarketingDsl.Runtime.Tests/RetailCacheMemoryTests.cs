using System.Globalization;
using MarketingDsl.Engine.Data;
using MarketingDsl.Testing;
using Xunit.Abstractions;

namespace MarketingDsl.Runtime.Tests;

/// <summary>
/// The cache's byte bound (<c>--cache-mb</c>) on <c>examples/retail</c>, journeys with every trigger
/// kind and without them: the estimate the cache counts must follow the heap its users really hold
/// (history tables, profile rows, journey states, segment memberships, strings), or the bound would
/// not bound the process's memory. Bytes, not times: they do not depend on the machine's load.
/// </summary>
[Collection(nameof(HeapMeasurement))]
public sealed class RetailCacheMemoryTests(ITestOutputHelper output) : IDisposable
{
    private const int Users = 1_000;
    private const int Days = 30;
    private const int Batch = 50;

    /// <summary>How far the estimate may be from the heap the cached users hold (estimate / measured).</summary>
    private const double MinRatio = 0.8, MaxRatio = 1.25;

    private readonly string _root = Path.Combine(Path.GetTempPath(), "mdsl-retail-cache-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>A bound every user of the test's data stays under (the default is far smaller: LiveOptions.DefaultCacheMegabytes).</summary>
    private const int RoomyMegabytes = 128;

    /// <param name="cacheMb">The cache's byte bound: roomy (every user stays) or 2 MB (users leave by it).</param>
    [Theory]
    [InlineData(true, RoomyMegabytes)]
    [InlineData(false, RoomyMegabytes)]
    [InlineData(true, 2)]
    public async Task The_estimate_follows_the_heap_the_cached_retail_users_hold(bool journeys, int cacheMb)
    {
        var data = Path.Combine(_root, "data");
        var generated = RetailDataGenerator.Generate(data, Users, Days, seed: 11);
        EventFileOrder.SortByTime(generated.EventsPath);
        var profiles = File.ReadAllLines(generated.ProfilesPath);
        var events = File.ReadAllLines(generated.EventsPath);

        var workspace = Path.Combine(_root, "ws");
        RepoRoot.CopyRetailExample(workspace, journeys);
        var compilation = RuntimeApp.CompileWorkspace(workspace);
        var start = DateTime.Parse(System.Text.Json.JsonDocument.Parse(events[0]).RootElement.GetProperty("ts").GetString()!,
            CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal).AddSeconds(-1);
        var before = GC.GetTotalMemory(forceFullCollection: true);
        using var live = new LiveRuntime(compilation.Model, new LiveOptions
        {
            DbPath = Path.Combine(_root, "live.db"), OutboxDir = Path.Combine(_root, "outbox"), Clock = new FixedClock(new DateTimeOffset(start)),
            MaxFutureSkew = TimeSpan.MaxValue, TimerSliceTime = Timeout.InfiniteTimeSpan,
            CacheBytes = (long)cacheMb << 20,
        });
        live.IngestProfiles(RequestBodies.Items(profiles, 0, profiles.Length));
        for (var i = 0; i < events.Length; i += Batch)
        {
            await live.IngestEventsAsync(RequestBodies.Items(events, i, Math.Min(events.Length, i + Batch)));
            live.Deliver();
        }
        while (live.TimerBacklog) await Task.Delay(1);

        var (cached, loaded, cachedEvents, estimate) = live.CacheSize;
        var full = GC.GetTotalMemory(forceFullCollection: true);
        live.DropUserCache();
        var empty = GC.GetTotalMemory(forceFullCollection: true);
        var ratio = estimate / (double)(full - empty);
        var summary = $"journeys {journeys}, --cache-mb {cacheMb}: estimated {estimate:N0} bytes for {cached} users " +
            $"({loaded} with {cachedEvents} events of {events.Length}); dropping them freed {full - empty:N0} bytes " +
            $"(ratio {ratio:F2}, {(full - empty) / (double)cached:N0} bytes per user); the runtime holds {empty - before:N0} bytes besides";
        output.WriteLine(summary);
        var bounded = cacheMb < RoomyMegabytes;
        Assert.True(bounded ? cached < Users / 2 : cached >= Users && (loaded > 0 || !journeys),
            $"{cached} users cached, {loaded} with their events");
        Assert.True(ratio is >= MinRatio and <= MaxRatio, summary);
        // What --cache-mb says: the cached users hold about that much, not a multiple of it.
        if (bounded) Assert.True(full - empty <= MaxRatio * ((long)cacheMb << 20), summary);
    }
}
