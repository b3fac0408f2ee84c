using MarketingDsl.Engine.Data;
using static MarketingDsl.Engine.Tests.Data.DataTestUtil;

namespace MarketingDsl.Engine.Tests.Data;

/// <summary>Tests that measure the process's heap: they run alone (no other test allocating meanwhile).</summary>
[CollectionDefinition(nameof(HeapMeasurement), DisableParallelization = true)]
public sealed class HeapMeasurement;

/// <summary>
/// <see cref="UserHistory.EstimatedBytes"/> is what the live runtime's cache bound counts: it must
/// follow the memory histories really hold, or the bound would not bound the process.
/// </summary>
[Collection(nameof(HeapMeasurement))]
public class UserHistoryMemoryTests
{
    [Fact]
    public void The_estimate_is_within_a_quarter_of_the_heap_the_histories_hold()
    {
        var schema = RetailSchema();
        var order = schema.FindEvent("order")!;
        var view = schema.FindEvent("view")!;
        var login = schema.FindEvent("login")!;
        var start = new DateTime(2025, 3, 1, 0, 0, 0, DateTimeKind.Utc);
        var random = new Random(3);
        // Strings made at run time, one object per value, as the runtime's JSON parsing makes them.
        string Text(string prefix, int n) => string.Concat(prefix, n.ToString(System.Globalization.CultureInfo.InvariantCulture));

        var before = GC.GetTotalMemory(forceFullCollection: true);
        var histories = new UserHistory[2000];
        for (var u = 0; u < histories.Length; u++)
        {
            var id = Text("user-", u);
            var h = histories[u] = new UserHistory(schema, id, [id, Text("g", u % 2), null, Text("city-", u % 50), (long)(u % 5), start, null]);
            var events = u % 10 == 0 ? 200 : random.Next(0, 40);   // a few long histories, most short
            for (var e = 0; e < events; e++)
            {
                var ts = start.AddMinutes(random.Next(60 * 24 * 30));
                switch (random.Next(3))
                {
                    case 0:
                        h.Add(order, [id, ts, Text("o", u * 1000 + e), Text("pos", 0), 12.5m, Text("cat-", e % 7), Text("sku-", e), e % 2 == 0], e);
                        break;
                    case 1:
                        h.Add(view, [id, ts, Text("sku-", e), Text("cat-", e % 7), (long)e], e);
                        break;
                    default:
                        h.Add(login, [id, ts, Text("ios", 0)], e);
                        break;
                }
            }
        }
        var actual = GC.GetTotalMemory(forceFullCollection: true) - before;
        var estimate = histories.Sum(h => h.EstimatedBytes);
        GC.KeepAlive(histories);
        var ratio = estimate / (double)actual;
        Assert.True(ratio is > 0.75 and < 1.33, $"estimated {estimate:N0} bytes, the heap grew {actual:N0} bytes (ratio {ratio:F2})");
    }
}
