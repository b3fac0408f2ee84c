using System.Text;
using MarketingDsl.LoadBenchmarks;

namespace MarketingDsl.Runtime.Tests;

/// <summary>Tests that measure the process's heap: they run alone (no other test allocating meanwhile).</summary>
[CollectionDefinition(nameof(HeapMeasurement), DisableParallelization = true)]
public sealed class HeapMeasurement;

/// <summary>
/// The cache's byte bound counts an estimate per user; the estimate must follow what the cached
/// users really hold on the heap, or the bound would not keep the process's memory flat.
/// </summary>
[Collection(nameof(HeapMeasurement))]
public sealed class UserCacheMemoryTests : IDisposable
{
    // The load benchmark's workspace (its file is compiled into this project too).
    private readonly LiveFixture _f = new(LoadWorkspace.Schema, LoadWorkspace.Tags + "\n" + LoadWorkspace.Journeys);
    public void Dispose() => _f.Dispose();

    [Fact]
    public void The_estimate_is_within_a_third_of_the_heap_the_cached_users_hold()
    {
        const int users = 600;
        // Every user stays (the default bound, 1 MB, holds a few hundred): the estimate is checked against all they hold.
        using var live = _f.Open(cacheBytes: 128L << 20);
        foreach (var profiles in LoadWorkspace.ProfileBatches(users)) live.IngestProfiles(LiveFixture.Json(Encoding.UTF8.GetString(profiles)));
        // The benchmark's events (80% views, 20% orders, 1 ms apart) over these users.
        var random = new Random(7);
        for (var batch = 0; batch < 60; batch++)
        {
            var json = new StringBuilder("[");
            for (var i = 0; i < 200; i++)
            {
                if (i > 0) json.Append(',');
                LoadWorkspace.AppendEvent(json, batch * 200 + i + 1, LoadWorkspace.UserId(random.Next(users)), random);
            }
            live.IngestEvents(LiveFixture.Json(json.Append(']').ToString()));
        }
        var (cached, loaded, events, estimate) = live.CacheSize;
        Assert.True(cached == users && loaded > users / 2 && events > 5000, $"{cached} users cached, {loaded} with {events} events");

        var full = GC.GetTotalMemory(forceFullCollection: true);
        live.DropUserCache();
        var empty = GC.GetTotalMemory(forceFullCollection: true);
        var ratio = estimate / (double)(full - empty);
        Assert.True(ratio is > 0.75 and < 1.33, $"estimated {estimate:N0} bytes for {cached} users ({loaded} with {events} events); " +
            $"dropping them freed {full - empty:N0} bytes (ratio {ratio:F2})");
    }
}
