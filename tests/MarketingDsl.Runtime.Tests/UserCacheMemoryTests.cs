using System.Globalization;
using System.Text;

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
    // The load benchmark's workspace: views and orders, a `where:` on views and a tag audience.
    private const string Schema = """
        schema {
          profile { user_id: string key  tier: string? }
          event view { page: string? }
          event order { order_id: string unique, amount: decimal? }
        }
        """;

    private const string Main = """
        tag views_1d = count(view, within: 1d)
        tag spend_30d = sum(order.amount, within: 30d)
        segment engaged = views_1d >= 3
        channel push { cost: 0.001 }
        journey thanks { trigger: order  steps { send push "thanks" } }
        journey checkout_nudge {
          trigger: view where page == "checkout"
          audience: engaged
          reentry: once per 1d
          steps { send push "nudge" }
        }
        """;

    private readonly LiveFixture _f = new(Schema, Main);
    public void Dispose() => _f.Dispose();

    [Fact]
    public void The_estimate_is_within_a_third_of_the_heap_the_cached_users_hold()
    {
        const int users = 600;
        using var live = _f.Open(eventIndexBuffer: 1000);
        live.IngestProfiles(LiveFixture.Json("[" + string.Join(",", Enumerable.Range(0, users).Select(u => $$"""{"user_id":"u{{u}}","tier":"{{(u % 3 == 0 ? "gold" : "basic")}}"}""")) + "]"));
        var random = new Random(7);
        string[] pages = ["home", "search", "product", "cart", "checkout"];
        var start = new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        for (var batch = 0; batch < 60; batch++)
        {
            var json = new StringBuilder("[");
            for (var i = 0; i < 200; i++)
            {
                var n = batch * 200 + i;
                var ts = start.AddSeconds(n).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
                var user = "u" + random.Next(users);
                if (i > 0) json.Append(',');
                json.Append(random.Next(5) == 0
                    ? $$"""{"type":"order","user_id":"{{user}}","ts":"{{ts}}","order_id":"o{{n}}","amount":{{random.Next(100, 50000) / 100m}}}"""
                    : $$"""{"type":"view","user_id":"{{user}}","ts":"{{ts}}","id":"v{{n}}","page":"{{pages[random.Next(pages.Length)]}}"}""");
            }
            live.IngestEvents(LiveFixture.Json(json.Append(']').ToString()));
        }
        var (cached, loaded, events, estimate) = live.CacheSize;
        Assert.True(cached == users && loaded > users / 2 && events > 5000, $"{cached} users cached, {loaded} with {events} events");

        var full = GC.GetTotalMemory(forceFullCollection: true);
        live.DropUserCache();
        var empty = GC.GetTotalMemory(forceFullCollection: true);
        var ratio = estimate / (double)(full - empty);
        Assert.True(ratio is > 0.75 and < 1.33, $"estimated {estimate:N0} bytes for {cached} users ({loaded} with {events} events); dropping them freed {full - empty:N0} bytes (ratio {ratio:F2})");
    }
}
