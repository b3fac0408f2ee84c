using MarketingDsl.Engine.Data;
using static MarketingDsl.Engine.Tests.Data.DataTestUtil;

namespace MarketingDsl.Engine.Tests.Evaluation;

public class InMemoryDataTests
{
    private static object?[] Profile(string id) => [id, null, null, null, 0L, null, null];

    [Fact]
    public void Builds_the_importer_shape_sorted_deduplicated_with_orphans_counted()
    {
        var schema = RetailSchema();
        var order = schema.FindEvent("order")!;
        var login = schema.FindEvent("login")!;
        var t1 = new DateTime(2025, 5, 1, 0, 0, 0, DateTimeKind.Utc);
        var t0 = t1.AddDays(-1);
        var data = InMemoryData.Build(schema,
            [Profile("\U0001F600"), Profile("\uFF21"), Profile("b"), Profile("a")],
            [
                (order, ["a", t1, "o1", "app", 10m, "tv", "sku", true]),
                (order, ["a", t0, "o2", "app", 20L, "tv", "sku", false]),
                (order, ["a", t1, "o1", "app", 99m, "tv", "sku", true]),      // duplicate order_id: dropped
                (order, ["nobody", t1, "o3", "app", 5m, "tv", "sku", true]), // orphan
                (order, ["a", t1, "o4", "app", 30m, "tv", "sku", null]),     // ties line 1 by ts: after it
                (login, ["b", t1.AddTicks(7), "ios"]),                        // truncated to microseconds
            ]);
        Assert.Equal(["a", "b", "\uFF21", "\U0001F600"], data.UserIds);
        var orders = data.Events[0]!;
        Assert.Equal([0, 3, 3, 3, 3], orders.UserStart);
        Assert.Equal([t0.Ticks, t1.Ticks, t1.Ticks], orders.Ts);
        Assert.Equal([2L, 1L, 5L], orders.Line);
        Assert.Equal([20m, 10m, 30m], ((DecimalColumn)orders.Fields[4]!).Values);
        Assert.True(orders.Fields[7]!.IsNull(2));
        Assert.Equal(1L, data.Report.OrderDuplicatesDropped);
        Assert.Equal(1L, data.Report.OrphanEvents);
        Assert.Equal(6L, data.Report.EventsBeforeDeduplication);
        Assert.Equal(t1.Ticks, data.MaxTimestampTicks);
        Assert.Equal(t1.Ticks, data.Events[3]!.Ts[0]);
    }

    [Fact]
    public void A_value_of_the_wrong_type_rejects_the_row_with_its_position()
    {
        var schema = RetailSchema();
        var order = schema.FindEvent("order")!;
        var t = new DateTime(2025, 5, 1, 0, 0, 0, DateTimeKind.Utc);
        var data = InMemoryData.Build(schema,
            [Profile("a"), Profile("a")],
            [(order, ["a", t, "o1", "app", "ten", "tv", "sku", true])]);
        Assert.Equal(1, data.UserCount);
        var profileReject = Assert.Single(data.Report.Rejects, r => r.File == InMemoryData.ProfilesSource);
        Assert.Equal(2, profileReject.Line);
        Assert.Contains("duplicate user_id 'a'", profileReject.Reason);
        var eventReject = Assert.Single(data.Report.Rejects, r => r.File == InMemoryData.EventsSource);
        Assert.Equal(1, eventReject.Line);
        Assert.Contains("amount", eventReject.Reason);
        Assert.Equal(0, data.Events[0]!.RowCount);
    }
}
