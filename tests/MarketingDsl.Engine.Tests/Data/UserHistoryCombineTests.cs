using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;

namespace MarketingDsl.Engine.Tests.Data;

/// <summary>
/// <see cref="UserHistory.Combine"/> (a schedule's fan-out: many users' stored events in no particular order, as one data set)
/// lays out each user's rows as that user's own history does: by time, ties by line, late rows in their place.
/// </summary>
public class UserHistoryCombineTests
{
    private static readonly EventTypeSymbol Visit = new("visit",
        [new FieldSymbol("page", DslType.String), new FieldSymbol("score", DslType.Int.WithNullable(true))]);

    private static readonly EventTypeSymbol Order = new("order",
        [new FieldSymbol("amount", DslType.Decimal)]);

    private static readonly SchemaModel Schema = new([new FieldSymbol("user_id", DslType.String, IsKey: true)], [], [Visit, Order]);

    private static DateTime At(int minute) => new DateTime(2025, 3, 1, 0, 0, 0, DateTimeKind.Utc).AddMinutes(minute);

    [Fact]
    public void Each_users_rows_come_out_as_its_own_history_lays_them_out()
    {
        string[] ids = ["a", "b", "c", "d"];   // "d" has no events
        var random = new Random(3);
        var events = new List<(int User, EventTypeSymbol Type, object?[] Values, long Line)>();
        for (var line = 1; line <= 300; line++)
        {
            var user = random.Next(3);
            // Few distinct minutes: many ties of ts, which the line decides; lines come shuffled below.
            var ts = At(random.Next(40));
            events.Add(random.Next(3) == 0
                ? (user, Order, [ids[user], ts, (decimal)line / 4], line)
                : (user, Visit, [ids[user], ts, "/p" + line, random.Next(4) == 0 ? null : (long)line], line));
        }
        var shuffled = events.OrderBy(_ => random.Next()).ToList();

        var data = UserHistory.Combine(Schema, [.. ids.Select(id => (id, new object?[] { id }))], shuffled);

        for (var u = 0; u < ids.Length; u++)
        {
            var alone = new UserHistory(Schema, ids[u], [ids[u]]);
            foreach (var e in shuffled.Where(e => e.User == u)) alone.Add(e.Type, e.Values, e.Line);
            for (var t = 0; t < Schema.Events.Length; t++)
            {
                var combined = data.Events[t]!;
                var own = alone.Data.Events[t]!;
                var (from, to) = (combined.UserStart[u], combined.UserStart[u + 1]);
                Assert.Equal(own.UserStart[1], to - from);
                for (var row = 0; row < to - from; row++)
                {
                    Assert.Equal(own.Ts[row], combined.Ts[from + row]);
                    Assert.Equal(own.Line[row], combined.Line[from + row]);
                    for (var f = 2; f < Schema.Events[t].Fields.Length; f++)
                        Assert.Equal(own.Fields[f]!.GetBoxed(row), combined.Fields[f]!.GetBoxed(from + row));
                }
            }
        }
        Assert.Equal(300, data.Events.Sum(t => t!.Ts.Length));
    }
}
