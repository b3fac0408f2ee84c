using System.Text;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Simulation;

namespace MarketingDsl.Engine.Tests.Data;

/// <summary>
/// `list&lt;T&gt;` fields through every importer (JSON Lines, CSV, Parquet, boxed rows): the same
/// lists arrive in the same columns, bad cells are rejected with the field and the item, and the
/// tags.csv list format reads back through the CSV list rule.
/// </summary>
public sealed class ListFieldTests
{
    private static SchemaModel Schema() => new(
        [
            new FieldSymbol("user_id", DslType.String, IsKey: true),
            new FieldSymbol("interests", DslType.ListOf(DslType.String)),
            new FieldSymbol("lucky", DslType.ListOf(DslType.Int).WithNullable(true)),
        ],
        [],
        [
            new EventTypeSymbol("order", [
                new FieldSymbol("order_id", DslType.String, IsUnique: true),
                new FieldSymbol("skus", DslType.ListOf(DslType.String)),
                new FieldSymbol("prices", DslType.ListOf(DslType.Decimal)),
                new FieldSymbol("days", DslType.ListOf(DslType.Date)),
            ]),
        ]);

    // The data every importer gets, in boxed form: (user, interests, lucky) and (user, ts, id, skus, prices, days).
    private static readonly (string User, string[]? Interests, long[]? Lucky)[] Profiles =
    [
        ("u1", ["tea", "books"], [7, 13]),
        ("u2", [], null),
        ("u3", null, []),
        ("u4", ["a|b", "back\\slash", "上海", "comma, \"quoted\""], [-1]),
    ];

    private static readonly (string User, string Ts, string Id, string[]? Skus, decimal[]? Prices, string[]? Days)[] Orders =
    [
        ("u1", "2025-06-01T10:00:00Z", "o1", ["stroller", "car_seat"], [899.00m, 499.5m], ["2025-06-01"]),
        ("u2", "2025-06-02T10:00:00Z", "o2", [], [], []),
        ("u3", "2025-06-03T10:00:00Z", "o3", null, null, null),
        ("u4", "2025-06-04T10:00:00Z", "o4", ["x|y", "z"], [0.005m, 12m], ["2025-06-03", "2025-06-04"]),
    ];

    [Fact]
    public void Lists_round_trip_through_every_importer()
    {
        var expected = Snapshot(Boxed());
        using (var d = DataTestUtil.Dir(("profiles.jsonl", ProfilesJson()), ("events.jsonl", OrdersJson())))
            Assert.Equal(expected, Snapshot(Load(d.Path)));
        using (var d = DataTestUtil.Dir(("profiles.csv", ProfilesCsv()), ("order.csv", OrdersCsv())))
        {
            var csv = Load(d.Path);
            Assert.Empty(csv.Report.Rejects);
            Assert.Equal(NullForEmpty(expected), Snapshot(csv));
        }
        using (var d = new TempDir())
        {
            WriteParquet(d.Path);
            var pq = Load(d.Path);
            Assert.Empty(pq.Report.Rejects);
            // Known limit (Data README): Parquet.Net's untyped reader gives an empty list of strings as null.
            var emptyStringListsAsNull = expected.Select(s => s switch { "u2 [] null" => "u2 null null", "order 1 [] [] []" =>
                "order 1 null [] []", _ => s });
            Assert.Equal([.. emptyStringListsAsNull], Snapshot(pq));
        }
        // The parallel JSON path (blocks parsed on several threads) keeps the same lists.
        using (var d = DataTestUtil.Dir(("profiles.jsonl", ProfilesJson()), ("events.jsonl", OrdersJson())))
            Assert.Equal(expected, Snapshot(DataImporter.Load(Schema(), d.Path, new ImportOptions { Parallelism = 2, BlockSize = 64 })));
    }

    [Theory]
    [InlineData("\"skus\":\"stroller\"", "field 'skus': expected list<string>, got a string")]
    [InlineData("\"skus\":[\"a\",5]", "field 'skus': item 2: 5 is not a valid string")]
    [InlineData("\"skus\":[[\"a\"]]", "field 'skus': item 1: [\"a\"] is not a valid string")]
    [InlineData("\"prices\":[\"1.5\"]", "field 'prices': item 1: \"1.5\" is not a valid decimal")]
    [InlineData("\"days\":[\"2025-02-30\"]", "field 'days': item 1: \"2025-02-30\" is not a valid date")]
    [InlineData("\"skus\":{\"a\":1}", "field 'skus': expected list<string>, got an object")]
    public void Bad_json_lists_are_rejected_naming_field_and_item(string member, string reason)
    {
        using var d = DataTestUtil.Dir(("profiles.jsonl", "{\"user_id\":\"u1\"}\n"),
            ("events.jsonl", $"{{\"type\":\"order\",\"user_id\":\"u1\",\"ts\":\"2025-06-01T00:00:00Z\",\"order_id\":\"o1\",{member}}}\n" +
                             "{\"type\":\"order\",\"user_id\":\"u1\",\"ts\":\"2025-06-02T00:00:00Z\",\"order_id\":\"o2\",\"skus\":[\"ok\"]}\n"));
        var ds = Load(d.Path);
        var reject = Assert.Single(ds.Report.Rejects);
        Assert.Equal((1, reason), (reject.Line, reject.Reason));
        Assert.Equal(1, ds.Events[0]!.RowCount);   // the good row after it is kept
    }

    [Theory]
    [InlineData("a\\x", "field 'skus': 'a\\x': a backslash must escape '|' or '\\' (write \\| or \\\\)")]
    [InlineData("1|two", null)]
    public void Bad_csv_list_cells_are_rejected(string skus, string? reason)
    {
        using var d = DataTestUtil.Dir(("profiles.csv", "user_id,interests,lucky\nu1,,1|x\n"),
            ("order.csv", $"user_id,ts,order_id,skus,prices\nu1,2025-06-01T00:00:00Z,o1,{skus},1.5|\n"));
        var ds = Load(d.Path);
        Assert.Contains(ds.Report.Rejects, r => r is { File: "profiles.csv", Line: 2, Reason: "field 'lucky': item 2: 'x' is not a valid int" });
        // An empty item is an error in a list of numbers; a backslash must escape.
        Assert.Contains(ds.Report.Rejects, r => r.File == "order.csv" && r.Reason == (reason ?? "field 'prices': item 2: '' is not a valid decimal"));
    }

    [Fact]
    public void Tags_csv_list_text_reads_back_through_the_csv_rule()
    {
        var random = new Random(19);
        const string alphabet = "ab|\\,\"上 x";
        for (var n = 0; n < 500; n++)
        {
            var items = Enumerable.Range(0, 1 + random.Next(4))
                .Select(_ => (object?)new string([.. Enumerable.Range(0, 1 + random.Next(5)).Select(_ => alphabet[random.Next(alphabet.Length)])]))
                .ToArray();
            var text = ValueFormatter.Format(items);
            Assert.True(ListValues.TryParseDelimited(text, "f", DslType.String, out var back, out var problem), problem?.Reason);
            Assert.Equal(items, back);
        }
    }

    [Fact]
    public void Boxed_lists_are_checked_item_by_item()
    {
        var ds = InMemoryData.Build(Schema(), [["u1", "not a list", null]], []);
        Assert.Contains(ds.Report.Rejects, r => r.Reason == "field 'interests': 'not a list' is not a valid list<string>");
        ds = InMemoryData.Build(Schema(), [["u1", new object?[] { "a", 3 }, null]], []);
        Assert.Contains(ds.Report.Rejects, r => r.Reason == "field 'interests': item 2: 3 (Int32) is not a valid string");
        ds = InMemoryData.Build(Schema(), [["u1", null, Enumerable.Range(0, ListValues.MaxItems + 1).Select(i => (object?)i).ToArray()]], []);
        Assert.Contains(ds.Report.Rejects, r => r.Reason.Contains("at most 10,000 items", StringComparison.Ordinal));
    }

    // ---------------------------------------------------------------- the same data in each format

    /// <summary>
    /// Time-ordered rows of a type large enough for the two-pass gather: the plan has no permutation of its own, and a list
    /// column, gathered through one, must still put every user's lists in (ts, line) order, as the same rows grouped by user.
    /// </summary>
    [Fact]
    public void Lists_of_time_ordered_rows_land_with_their_users()
    {
        const int users = 500, perUser = 80;   // 40,000 orders: over RowOrder.PartitionFrom
        Assert.True(users * perUser >= RowOrder.PartitionFrom);
        string Row(int u, int k) => $"{{\"type\":\"order\",\"user_id\":\"u{u}\",\"ts\":\"2025-06-01T00:{k / 60:D2}:{k % 60:D2}Z\"," +
            $"\"order_id\":\"o{u}-{k}\",\"skus\":[\"s{u}\",\"k{k}\"],\"prices\":[],\"days\":null}}\n";
        var profiles = string.Concat(Enumerable.Range(0, users).Select(u => $"{{\"user_id\":\"u{u}\",\"interests\":[]}}\n"));
        using var grouped = new TempDir();
        using var timed = new TempDir();
        File.WriteAllText(Path.Combine(grouped.Path, "profiles.jsonl"), profiles);
        File.WriteAllText(Path.Combine(timed.Path, "profiles.jsonl"), profiles);
        File.WriteAllText(Path.Combine(grouped.Path, "events.jsonl"),
            string.Concat(Enumerable.Range(0, users).SelectMany(u => Enumerable.Range(0, perUser).Select(k => Row(u, k)))));
        File.WriteAllText(Path.Combine(timed.Path, "events.jsonl"),
            string.Concat(Enumerable.Range(0, perUser).SelectMany(k => Enumerable.Range(0, users).Select(u => Row(u, k)))));
        var options = new ImportOptions { Parallelism = 2, BlockSize = 64 * 1024 };
        var a = DataImporter.Load(Schema(), grouped.Path, options).Events[0]!;
        var b = DataImporter.Load(Schema(), timed.Path, options).Events[0]!;
        Assert.Equal(a.UserStart, b.UserStart);
        Assert.Equal(a.Ts, b.Ts);
        var skusA = ((ListColumn)a.Fields[3]!).Values;
        var skusB = ((ListColumn)b.Fields[3]!).Values;
        Assert.Equal(skusA.Select(Json), skusB.Select(Json));
        Assert.Equal("[\"s0\",\"k0\"]", Json(skusB[0]));
    }

    private static DataSet Load(string dir) => DataImporter.Load(Schema(), dir);

    private static DataSet Boxed() => InMemoryData.Build(Schema(),
        Profiles.Select(p => new object?[] { p.User, p.Interests, p.Lucky }).ToList(),
        Orders.Select(o => (Schema().Events[0], new object?[]
        {
            o.User, DateTime.Parse(o.Ts, null, System.Globalization.DateTimeStyles.AdjustToUniversal), o.Id, o.Skus, o.Prices,
            o.Days?.Select(DateOnly.Parse).ToArray(),
        })).ToList());

    private static string Json(object? v) => System.Text.Json.JsonSerializer.Serialize(v);

    private static string ProfilesJson() => string.Concat(Profiles.Select(p =>
        $"{{\"user_id\":{Json(p.User)},\"interests\":{Json(p.Interests)},\"lucky\":{Json(p.Lucky)}}}\n"));

    private static string OrdersJson() => string.Concat(Orders.Select(o =>
        $"{{\"type\":\"order\",\"user_id\":{Json(o.User)},\"ts\":{Json(o.Ts)},\"order_id\":{Json(o.Id)}," +
        $"\"skus\":{Json(o.Skus)},\"prices\":{Json(o.Prices)},\"days\":{Json(o.Days)}}}\n"));

    private static string Cell(System.Collections.IEnumerable? items) =>
        items is null ? "" : ValueFormatter.CsvField(ValueFormatter.Format(items.Cast<object?>().ToArray()));

    private static string ProfilesCsv() => "user_id,interests,lucky\n"
        + string.Concat(Profiles.Select(p => $"{p.User},{Cell(p.Interests)},{Cell(p.Lucky)}\n"));

    private static string OrdersCsv() => "user_id,ts,order_id,skus,prices,days\n" + string.Concat(Orders.Select(o =>
        $"{o.User},{o.Ts},{o.Id},{Cell(o.Skus)},{Cell(o.Prices?.Select(p => (object)p))},{Cell(o.Days)}\n"));

    private sealed class PqProfile
    {
        public string? user_id { get; set; }
        public List<string>? interests { get; set; }
        public List<long>? lucky { get; set; }
    }

    private sealed class PqOrder
    {
        public string? user_id { get; set; }
        public DateTime ts { get; set; }
        public string? order_id { get; set; }
        public List<string>? skus { get; set; }
        public List<decimal>? prices { get; set; }
        public List<DateTime>? days { get; set; }
    }

    private static void WriteParquet(string dir)
    {
        Parquet.Serialization.ParquetSerializer.SerializeAsync(
            Profiles.Select(p => new PqProfile { user_id = p.User, interests = p.Interests?.ToList(), lucky = p.Lucky?.ToList() }),
            Path.Combine(dir, "profiles.parquet")).GetAwaiter().GetResult();
        Parquet.Serialization.ParquetSerializer.SerializeAsync(
            Orders.Select(o => new PqOrder
            {
                user_id = o.User, ts = DateTime.Parse(o.Ts, null, System.Globalization.DateTimeStyles.AdjustToUniversal), order_id = o.Id,
                skus = o.Skus?.ToList(), prices = o.Prices?.ToList(),
                days = o.Days?.Select(x => DateTime.SpecifyKind(DateTime.Parse(x), DateTimeKind.Utc)).ToList(),
            }),
            Path.Combine(dir, "order.parquet")).GetAwaiter().GetResult();
    }

    /// <summary>Every list cell of the data as text: null lists as "null", items in their engine types.</summary>
    private static string[] Snapshot(DataSet ds)
    {
        var lines = new List<string>();
        for (var u = 0; u < ds.UserCount; u++)
            lines.Add($"{ds.UserIds[u]} {Text(ds.Profiles.Columns[1]!, u)} {Text(ds.Profiles.Columns[2]!, u)}");
        var orders = ds.Events[0]!;
        for (var r = 0; r < orders.RowCount; r++)
            lines.Add($"order {r} {Text(orders.Fields[3]!, r)} {Text(orders.Fields[4]!, r)} {Text(orders.Fields[5]!, r)}");
        return [.. lines];
    }

    private static string Text(Column column, int row)
    {
        var list = Assert.IsType<ListColumn>(column).Values[row];
        if (column.IsNull(row) || list is null) return "null";
        var text = new StringBuilder("[");
        foreach (var item in list) text.Append(item is null ? "null" : $"{item.GetType().Name}:{ValueFormatter.Format(item)}").Append(';');
        return text.Append(']').ToString();
    }

    /// <summary>CSV cannot write an empty list: an empty cell is a null list.</summary>
    private static string[] NullForEmpty(string[] snapshot) => [.. snapshot.Select(s => s.Replace("[]", "null", StringComparison.Ordinal))];
}
