using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;

namespace MarketingDsl.Engine.Tests.Data;

/// <summary>
/// A <see cref="UserHistory"/> keeps null flags only for columns that hold a null (the live runtime
/// caches one history per user, and every array is an object for the collector to copy): values
/// and nulls read back the same whatever order they come in, through growth and late inserts.
/// </summary>
public class UserHistoryNullTests
{
    private static readonly EventTypeSymbol Visit = new("visit",
        [new FieldSymbol("note", DslType.String.WithNullable(true)), new FieldSymbol("score", DslType.Int.WithNullable(true)),
            new FieldSymbol("page", DslType.String)]);

    private static readonly SchemaModel Schema = new(
        [new FieldSymbol("user_id", DslType.String, IsKey: true), new FieldSymbol("birthday", DslType.Date.WithNullable(true))],
        [], [Visit]);

    private static DateTime At(int minute) => new DateTime(2025, 3, 1, 0, 0, 0, DateTimeKind.Utc).AddMinutes(minute);

    [Fact]
    public void Columns_without_a_null_have_no_null_flags_and_a_first_null_gives_its_column_flags_and_a_new_layout()
    {
        var history = new UserHistory(Schema, "u1", ["u1", null]);
        Assert.True(history.Data.Profiles.Columns[1]!.IsNull(0));
        Assert.Null(new UserHistory(Schema, "u2", ["u2", new DateOnly(1990, 5, 1)]).Data.Profiles.Columns[1]!.Nulls);

        history.Add(Visit, ["u1", At(10), "a", 1L, "/home"], 1);
        var table = history.Data.Events[0]!;
        Assert.All(table.Fields.Skip(2), c => Assert.Null(c!.Nulls));

        var layout = history.Layout;
        history.Add(Visit, ["u1", At(20), null, 2L, "/cart"], 2);
        Assert.NotEqual(layout, history.Layout);
        table = history.Data.Events[0]!;
        Assert.NotNull(table.Fields[2]!.Nulls);
        Assert.Null(table.Fields[3]!.Nulls);
        Assert.Null(table.Fields[4]!.Nulls);
    }

    [Fact]
    public void Values_and_nulls_read_back_in_time_order_through_growth_and_late_events()
    {
        var history = new UserHistory(Schema, "u1", ["u1", null]);
        var rows = new List<(int Minute, string? Note, long? Score, string Page)>
        {
            (10, "a", 1, "/a"), (20, null, 2, "/b"), (30, "c", null, "/c"), (15, null, 4, "/d"),   // a late one, between the first two
            (40, "e", 5, "/e"), (5, null, null, "/f"), (50, "g", 7, "/g"), (45, null, 8, "/h"), (60, "i", null, "/i"),
        };
        for (var i = 0; i < rows.Count; i++)
        {
            var (minute, note, score, page) = rows[i];
            history.Add(Visit, ["u1", At(minute), note, score, page], i + 1);
        }
        var table = history.Data.Events[0]!;
        var expected = rows.OrderBy(r => r.Minute).ToList();
        Assert.Equal(expected.Count, table.UserStart[1]);
        for (var row = 0; row < expected.Count; row++)
        {
            Assert.Equal(At(expected[row].Minute).Ticks, table.Ts[row]);
            Assert.Equal(expected[row].Note, table.Fields[2]!.GetBoxed(row));
            Assert.Equal(expected[row].Score, (long?)table.Fields[3]!.GetBoxed(row));
            Assert.Equal(expected[row].Page, table.Fields[4]!.GetBoxed(row));
        }
        Assert.Null(table.Fields[4]!.Nulls);
    }
}
