using MarketingDsl.Engine.Data;
using static MarketingDsl.Engine.Tests.Data.DataTestUtil;

namespace MarketingDsl.Engine.Tests.Data;

public class DataImporterTests
{
    private const string Profiles =
        """
        {"user_id":"u1","gender":"F","city":"上海","member_level":1,"registered_at":"2024-01-01T00:00:00Z","birthday":"1990-05-06"}
        {"user_id":"u2","gender":"M","city":"北京","member_level":2,"registered_at":"2024-02-01T00:00:00Z"}

        """;

    private static DataSet Load(TempDir d, ImportOptions? o = null) => DataImporter.Load(RetailSchema(), d.Path, o);

    [Fact]
    public void Every_reject_reason_is_reported_with_file_and_line()
    {
        using var d = Dir(
            ("profiles.jsonl", Profiles + """
                {"user_id":"u1","gender":"X"}
                {"gender":"F"}
                {"user_id":"u3","member_level":1.5}
                {"user_id":"u4","birthday":"1990-13-01"}

                """),
            ("events.jsonl", """
                {"type":"order","user_id":"u1","ts":"2025-01-01T00:00:00Z","order_id":"o1","amount":10.5}
                {"type":"order","user_id":"u1","ts":"2025-01-01T00:00:00Z","order_id":"o2","amount":"10"}
                {"type":"order","user_id":"u1"
                {"type":"login","ts":"2025-01-01T00:00:00Z"}
                {"type":"login","user_id":"","ts":"2025-01-01T00:00:00Z"}
                {"type":"login","user_id":"u1"}
                {"type":"login","user_id":"u1","ts":"yesterday"}
                {"type":"view","user_id":"u1","ts":"2025-01-01T00:00:00Z","duration_s":true}
                [1,2]
                {"type":"order","user_id":"u1","ts":"2025-01-01T00:00:00Z","coupon_used":"yes"}
                {"type":7,"user_id":"u1","ts":"2025-01-01T00:00:00Z"}
                {"type":"login","user_id":"u2","ts":"2025-01-02T00:00:00+08:00"} x

                """));
        var tmp = Path.Combine(d.Path, "out", "rejects.jsonl");
        var ds = Load(d, new ImportOptions { RejectsPath = tmp });
        var r = ds.Report;
        string Reason(string file, int line) => Assert.Single(r.Rejects, x => x.File == file && x.Line == line).Reason;

        Assert.Contains("duplicate user_id 'u1'", Reason("profiles.jsonl", 3));
        Assert.Contains("profiles.jsonl:1", Reason("profiles.jsonl", 3));
        Assert.Equal("missing user_id", Reason("profiles.jsonl", 4));
        Assert.Contains("member_level", Reason("profiles.jsonl", 5));
        Assert.Contains("birthday", Reason("profiles.jsonl", 6));
        Assert.Contains("amount", Reason("events.jsonl", 2));
        Assert.Contains("malformed JSON", Reason("events.jsonl", 3));
        Assert.Equal("missing user_id", Reason("events.jsonl", 4));
        Assert.Equal("missing user_id", Reason("events.jsonl", 5));
        Assert.Equal("missing ts", Reason("events.jsonl", 6));
        Assert.Equal("invalid ts 'yesterday'", Reason("events.jsonl", 7));
        Assert.Contains("duration_s", Reason("events.jsonl", 8));
        Assert.Equal("not a JSON object", Reason("events.jsonl", 9));
        Assert.Contains("coupon_used", Reason("events.jsonl", 10));
        Assert.Contains("type must be a string", Reason("events.jsonl", 11));
        Assert.Contains("malformed JSON", Reason("events.jsonl", 12));
        // Each reject carries its row rule's code (RowRejects), the field at fault where there is one, and its Chinese text.
        RejectedRow At(string file, int line) => Assert.Single(r.Rejects, x => x.File == file && x.Line == line);
        Assert.Equal(("MD9540", "user_id"), (At("profiles.jsonl", 3).Code, At("profiles.jsonl", 3).Field));
        Assert.Equal(("MD9520", "ts"), (At("events.jsonl", 6).Code, At("events.jsonl", 6).Field));
        Assert.Equal(("MD9521", "缺少 ts"), (At("events.jsonl", 7).Code, At("events.jsonl", 6).ReasonIn("zh-CN")));
        Assert.Equal(("MD9530", "amount"), (At("events.jsonl", 2).Code, At("events.jsonl", 2).Field));
        Assert.Equal(("MD9501", null), (At("events.jsonl", 9).Code, At("events.jsonl", 9).Field));
        Assert.Equal("MD9511", At("events.jsonl", 11).Code);
        Assert.Equal("MD9502", At("events.jsonl", 12).Code);
        Assert.Equal("events.jsonl:6: MD9520: missing ts", At("events.jsonl", 6).ToText());
        Assert.Equal(15, r.RejectedCount);
        Assert.Equal(15, r.Rejects.Count);
        Assert.Equal(6, r.ProfilesRead);
        Assert.Equal(2, r.ProfilesKept);
        Assert.Equal(12, r.EventsRead);
        Assert.Equal(1, r.EventsKept);
        Assert.Equal(["u1", "u2"], ds.UserIds);
        // Nothing half-loaded: only the one valid order is in the table.
        var orders = ds.Events[0]!;
        Assert.Equal(1, orders.RowCount);
        Assert.Equal(10.5m, ((DecimalColumn)orders.Fields[4]!).Values[0]);
        Assert.True(ds.Profiles.Columns[3]!.IsNull(1) == false);

        var lines = File.ReadAllLines(tmp);
        Assert.Equal(15, lines.Length);
        Assert.Contains("\"line\":7,\"code\":\"MD9521\",\"field\":\"ts\",\"reason\":",
            lines.Single(l => l.Contains("yesterday") && l.Contains("events.jsonl")));
        Assert.All(lines, l => Assert.Matches("\"code\":\"MD95\\d\\d\"", l));
        Assert.Contains("\"raw\":", lines[0]);
    }

    [Fact]
    public void Rejects_in_memory_are_capped_but_counted()
    {
        var bad = string.Concat(Enumerable.Repeat("{\"type\":\"login\"}\n", 20));
        using var d = Dir(("profiles.jsonl", Profiles), ("events.jsonl", bad));
        var ds = Load(d, new ImportOptions { MaxRejectsInMemory = 5 });
        Assert.Equal(20, ds.Report.RejectedCount);
        Assert.Equal(5, ds.Report.Rejects.Count);
        Assert.Null(ds.MaxTimestampTicks);
        Assert.Equal(0, ds.CountEventsAfter(0));
    }

    [Fact]
    public void Duplicate_unique_ids_first_row_wins_and_null_is_one_id()
    {
        using var d = Dir(("profiles.jsonl", Profiles), ("events.jsonl", """
            {"type":"order","user_id":"u1","ts":"2025-01-05T00:00:00Z","order_id":"o1","amount":1}
            {"type":"order","user_id":"u2","ts":"2025-01-09T00:00:00Z","order_id":"o1","amount":2}
            {"type":"order","user_id":"u1","ts":"2025-01-03T00:00:00Z","amount":3}
            {"type":"order","user_id":"u1","ts":"2025-01-04T00:00:00Z","order_id":null,"amount":4}
            {"type":"order","user_id":"u1","ts":"2025-01-02T00:00:00Z","order_id":"o2","amount":5}
            {"type":"login","user_id":"u1","ts":"2025-01-01T00:00:00Z"}
            {"type":"login","user_id":"u1","ts":"2025-01-01T00:00:00Z"}
            """));
        var ds = Load(d);
        Assert.Equal(2, ds.Report.DuplicatesDropped["order"]);
        Assert.Equal(2, ds.Report.OrderDuplicatesDropped);
        Assert.Equal(5, ds.Report.EventsKept);
        Assert.Equal(7, ds.Report.EventsBeforeDeduplication);
        var orders = ds.Events[0]!;
        Assert.Equal(3, orders.RowCount);
        Assert.Equal(0, orders.UserStart[0]);
        Assert.Equal(3, orders.UserStart[1]);
        Assert.Equal(3, orders.UserStart[2]);    // u2's only order was a duplicate
        var amounts = ((DecimalColumn)orders.Fields[4]!).Values;
        Assert.Equal([5m, 3m, 1m], amounts);      // sorted by ts within the user
        Assert.Equal([5L, 3L, 1L], orders.Line);
        // The duplicate at 2025-01-09 does not move T.
        Assert.Equal(Ticks("2025-01-05T00:00:00Z"), ds.MaxTimestampTicks);
        // Logins have no unique field: both kept, ties ordered by line.
        var logins = ds.Events[3]!;
        Assert.Equal([6L, 7L], logins.Line);
    }

    [Fact]
    public void Orphans_and_unknown_types_count_and_move_default_T()
    {
        using var d = Dir(("profiles.jsonl", Profiles), ("events.jsonl", """
            {"type":"login","user_id":"u1","ts":"2025-01-01T00:00:00Z","platform":"ios"}
            {"type":"login","user_id":"ghost","ts":"2025-03-01T00:00:00Z"}
            {"type":"refund","user_id":"u1","ts":"2025-02-01T00:00:00Z","amount":"x"}
            {"type":null,"user_id":"nobody","ts":"2025-02-15T00:00:00Z"}
            {"user_id":"u2","ts":"2025-01-20T00:00:00Z"}
            """));
        var ds = Load(d);
        var r = ds.Report;
        Assert.Equal(1, r.OrphanEvents);
        Assert.Equal(3, r.UnknownTypeEvents);
        Assert.Equal(5, r.EventsKept);
        Assert.Equal(0, r.RejectedCount);
        Assert.Equal(Ticks("2025-03-01T00:00:00Z"), ds.MaxTimestampTicks);
        Assert.Equal(1, ds.Events[3]!.RowCount);
        Assert.Equal(5, ds.CountEventsAfter(0));
        Assert.Equal(4, ds.CountEventsAfter(Ticks("2025-01-01T00:00:00Z")));
        Assert.Equal(2, ds.CountEventsAfter(Ticks("2025-02-01T00:00:00Z")));
        Assert.Equal(1, ds.CountEventsAfter(Ticks("2025-02-28T00:00:00Z")));
        Assert.Equal(1, ds.CountEventsAfter(Ticks("2025-03-01T00:00:00Z") - 1));
        Assert.Equal(0, ds.CountEventsAfter(Ticks("2025-03-01T00:00:00Z")));
    }

    [Fact]
    public void Timestamps_convert_offsets_to_utc_and_truncate_to_microseconds()
    {
        using var d = Dir(("profiles.jsonl", Profiles), ("events.jsonl", """
            {"type":"login","user_id":"u1","ts":"2025-01-01T08:00:00+08:00"}
            {"type":"login","user_id":"u1","ts":"2025-01-01T00:00:01.1234569Z"}
            {"type":"login","user_id":"u1","ts":"2025-01-01T00:00:02.123456999999Z"}
            {"type":"login","user_id":"u1","ts":"2024-12-31T19:00:03.5-05:00"}
            {"type":"login","user_id":"u1","ts":"2025-01-01T00:00:04"}
            """));
        var ds = Load(d);
        var ts = ds.Events[3]!.Ts;
        var t0 = Ticks("2025-01-01T00:00:00Z");
        Assert.Equal([t0, t0 + 11_234_560, t0 + 21_234_560, t0 + 35_000_000, t0 + 40_000_000], ts);
        Assert.Equal(t0 + 40_000_000, ds.MaxTimestampTicks);
        var registered = (DateTimeColumn)ds.Profiles.Columns[5]!;
        Assert.Equal(Ticks("2024-01-01T00:00:00Z"), registered.Values[0]);
    }

    [Fact]
    public void Escaped_and_raw_unicode_are_the_same_text()
    {
        using var d = Dir(
            ("profiles.jsonl", """
                {"user_id":"\u7528\u62371","city":"\u4e0a\u6d77","gender":"F"}
                {"user_id":"用户2","city":"上海","gender":"\"M\""}
                """),
            ("events.jsonl", """
                {"type":"login","user_id":"用户1","ts":"2025-01-01T00:00:00Z","platform":"\u5fae\u4fe1"}
                {"t\u0079pe":"login","user_id":"\u7528\u62372","ts":"2025-01-01T00:00:00Z","platform":"微信"}
                """));
        var ds = Load(d);
        Assert.Equal(["用户1", "用户2"], ds.UserIds);
        var city = (StringColumn)ds.Profiles.Columns[3]!;
        Assert.Equal("上海", city.Values[0]);
        Assert.Equal("上海", city.Values[1]);
        Assert.Equal("\"M\"", ((StringColumn)ds.Profiles.Columns[1]!).Values[1]);
        var logins = ds.Events[3]!;
        Assert.Equal(2, logins.RowCount);
        Assert.Equal(0, ds.Report.OrphanEvents);
        var platform = (StringColumn)logins.Fields[2]!;
        Assert.Equal("微信", platform.Values[0]);
        Assert.Equal("微信", platform.Values[1]);
    }

    [Fact]
    public void User_ids_are_in_code_point_order_not_utf16_order()
    {
        using var d = Dir(("profiles.jsonl", """
            {"user_id":"𠀀"}
            {"user_id":"￿"}
            {"user_id":"b"}
            {"user_id":"a"}
            {"user_id":"é"}
            """));
        var ds = Load(d);
        Assert.Equal(["a", "b", "é", "\uFFFF", "𠀀"], ds.UserIds);
        Assert.True(string.CompareOrdinal("𠀀", "\uFFFF") < 0);   // what UTF-16 order would give
        Assert.True(CodePointComparer.Instance.Compare("𠀀", "\uFFFF") > 0);
        Assert.Equal(4, ds.IndexOfUser("𠀀"));
        Assert.Equal("𠀀", ((StringColumn)ds.Profiles.Columns[0]!).Values[4]);
        Assert.Null(ds.MaxTimestampTicks);
        Assert.All(ds.Events, t => Assert.Equal(5 + 1, t!.UserStart.Length));
    }

    [Fact]
    public void Identity_merges_profiles_and_attaches_events_by_identity()
    {
        using var d = Dir(
            ("profiles.jsonl", """
                {"user_id":"u9","city":"上海","member_id":"M1"}
                {"user_id":"u3","gender":"F","phone":"138"}
                {"user_id":"u5","member_level":3,"member_id":"M1","phone":"138"}
                {"user_id":"u7","open_id":"W7"}
                """),
            ("events.jsonl", """
                {"type":"login","user_id":"u9","ts":"2025-01-01T00:00:00Z"}
                {"type":"login","user_id":"anon-1","open_id":"W7","ts":"2025-01-02T00:00:00Z"}
                {"type":"login","user_id":"anon-2","phone":138,"ts":"2025-01-03T00:00:00Z"}
                {"type":"login","user_id":"anon-3","phone":"999","ts":"2025-01-04T00:00:00Z"}
                """));
        var ds = Load(d);
        Assert.Equal(["u3", "u7"], ds.UserIds);
        var merges = ds.Report.IdentityMerges.Select(m => (m.KeptUserId, m.MergedUserId)).OrderBy(x => x.MergedUserId).ToList();
        Assert.Equal([("u3", "u5"), ("u3", "u9")], merges);
        Assert.All(ds.Report.IdentityMerges, m => Assert.Contains(m.Key, new[] { "member_id", "phone" }));
        // Survivor's values first, then merged users fill nulls.
        Assert.Equal("F", ((StringColumn)ds.Profiles.Columns[1]!).Values[0]);
        Assert.Equal("上海", ((StringColumn)ds.Profiles.Columns[3]!).Values[0]);
        Assert.Equal(3L, ((IntColumn)ds.Profiles.Columns[4]!).Values[0]);
        Assert.True(ds.Profiles.Columns[4]!.IsNull(1));
        var logins = ds.Events[3]!;
        Assert.Equal([0, 2, 3], logins.UserStart);     // u9's and anon-2's logins went to u3, anon-1's to u7
        Assert.Equal(1, ds.Report.OrphanEvents);
    }

    [Fact]
    public void Csv_files_per_event_type_round_trip()
    {
        using var d = Dir(
            ("profiles.csv", "user_id,gender,city,member_level,registered_at,birthday\r\nu1,F,\"上海, " +
                "浦东\",1,2024-01-01T00:00:00Z,\r\nu2,M,北京,x,2024-01-01T00:00:00Z,1990-01-01\r\n"),
            ("order.csv", "user_id,ts,order_id,amount,category,coupon_used\n" +
                "u1,2025-01-01T10:00:00Z,o1,12.30,\"multi\nline\",true\n" +
                "u1,2025-01-01T09:00:00Z,o2,7,,FALSE\n" +
                "u1,bad,o3,1,x,true\n" +
                "u1,2025-01-01T09:00:00Z,o1,1,x,true\n" +
                "u1,2025-01-01T09:00:00Z\n"),
            ("unknown_stuff.csv", "user_id,ts\nu1,2025-02-01T00:00:00Z\n"));
        var ds = Load(d);
        var r = ds.Report;
        Assert.Equal(["u1"], ds.UserIds);
        Assert.Equal("上海, 浦东", ((StringColumn)ds.Profiles.Columns[3]!).Values[0]);
        Assert.True(ds.Profiles.Columns[2]!.IsNull(0));
        Assert.Contains(r.Rejects, x => x is { File: "profiles.csv", Line: 3 } && x.Reason.Contains("member_level"));
        Assert.Contains(r.Rejects, x => x is { File: "order.csv", Line: 5 } && x.Reason.StartsWith("invalid ts"));
        Assert.Contains(r.Rejects, x => x is { File: "order.csv", Line: 7 } && x.Reason.Contains("cells"));
        Assert.Equal(1, r.OrderDuplicatesDropped);
        Assert.Equal(1, r.UnknownTypeEvents);
        var orders = ds.Events[0]!;
        Assert.Equal(2, orders.RowCount);
        Assert.Equal([7m, 12.30m], ((DecimalColumn)orders.Fields[4]!).Values);
        var category = (StringColumn)orders.Fields[5]!;
        Assert.Null(category.Values[0]);
        Assert.True(category.IsNull(0));
        Assert.Equal("multi\nline", category.Values[1]);
        Assert.Equal([false, true], ((BoolColumn)orders.Fields[7]!).Values);
        Assert.True(orders.Fields[6]!.IsNull(0));   // sku column absent
        Assert.Equal(Ticks("2025-02-01T00:00:00Z"), ds.MaxTimestampTicks);
    }

    public sealed class PqProfile
    {
        public string? user_id { get; set; }
        public string? city { get; set; }
        public long? member_level { get; set; }
        public DateTime? registered_at { get; set; }
    }

    public sealed class PqOrder
    {
        public string? user_id { get; set; }
        public DateTime ts { get; set; }
        public string? order_id { get; set; }
        public decimal? amount { get; set; }
        public bool? coupon_used { get; set; }
    }

    [Fact]
    public async Task Parquet_files_round_trip()
    {
        using var d = new TempDir();
        await Parquet.Serialization.ParquetSerializer.SerializeAsync(
            new[]
            {
                new PqProfile { user_id = "u2", city = "杭州", member_level = 4, registered_at = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc) },
                new PqProfile { user_id = "u1", city = null, member_level = null },
                new PqProfile { user_id = null, city = "x" },
            }, Path.Combine(d.Path, "profiles.parquet"));
        await Parquet.Serialization.ParquetSerializer.SerializeAsync(
            new[]
            {
                new PqOrder { user_id = "u1", ts = new DateTime(2025, 1, 2, 3, 4, 5, DateTimeKind.Utc).AddTicks(1234567), order_id = "o1",
                    amount = 99.99m, coupon_used = true },
                new PqOrder { user_id = "u2", ts = new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc), order_id = "o1", amount = 1m },
                new PqOrder { user_id = "u2", ts = new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc), order_id = "o2", amount = null },
            }, Path.Combine(d.Path, "order.parquet"));
        var ds = DataImporter.Load(RetailSchema(), d.Path);
        Assert.Equal(["u1", "u2"], ds.UserIds);
        Assert.Equal("杭州", ((StringColumn)ds.Profiles.Columns[3]!).Values[1]);
        Assert.True(ds.Profiles.Columns[3]!.IsNull(0));
        Assert.Equal(4L, ((IntColumn)ds.Profiles.Columns[4]!).Values[1]);
        Assert.Contains(ds.Report.Rejects, x => x is { File: "profiles.parquet", Line: 3, Reason: "missing user_id" });
        var orders = ds.Events[0]!;
        Assert.Equal(2, orders.RowCount);
        Assert.Equal(1, ds.Report.OrderDuplicatesDropped);
        Assert.Equal(99.99m, ((DecimalColumn)orders.Fields[4]!).Values[0]);
        Assert.True(orders.Fields[4]!.IsNull(1));
        Assert.Equal(new DateTime(2025, 1, 2, 3, 4, 5).Ticks + 1234560, orders.Ts[0]);
    }

    [Fact]
    public void Directory_problems_throw_DataImportException()
    {
        var missing = Path.Combine(Path.GetTempPath(), "mdsl-missing-" + Guid.NewGuid().ToString("N"));
        Assert.Contains("does not exist", Assert.Throws<DataImportException>(() => DataImporter.Load(RetailSchema(), missing)).Message);
        using var d = Dir(("events.jsonl", ""));
        Assert.Contains("no profiles file", Assert.Throws<DataImportException>(() => DataImporter.Load(RetailSchema(), d.Path)).Message);
    }

    [Fact]
    public void Several_event_files_are_read_in_ordinal_name_order()
    {
        using var d = Dir(("profiles.jsonl", Profiles),
            ("events-b.jsonl", """{"type":"order","user_id":"u1","ts":"2025-01-01T00:00:00Z","order_id":"o1","channel":"b"}""" + "\n"),
            ("events-a.jsonl", """{"type":"order","user_id":"u1","ts":"2025-01-01T00:00:00Z","order_id":"o1","channel":"a"}""" + "\n"),
            ("events.jsonl", """{"type":"order","user_id":"u1","ts":"2025-01-01T00:00:00Z","order_id":"o2","channel":"c"}""" + "\n"));
        var ds = Load(d);
        Assert.Equal(["profiles.jsonl", "events-a.jsonl", "events-b.jsonl", "events.jsonl"], ds.Report.Files);
        var orders = ds.Events[0]!;
        Assert.Equal(new string?[] { "a", "c" }, ((StringColumn)orders.Fields[3]!).Values);
        Assert.Equal([1L, 3L], orders.Line);
    }

    [Fact]
    public void Progress_is_reported()
    {
        using var d = Dir(("profiles.jsonl", Profiles),
            ("events.jsonl", string.Concat(Enumerable.Repeat("{\"type\":\"login\",\"user_id\":\"u1\",\"ts\":\"2025-01-01T00:00:00Z\"}\n", 10))));
        var seen = new List<ImportProgress>();
        DataImporter.Load(RetailSchema(), d.Path, new ImportOptions { ProgressInterval = 4 }, new SyncProgress(seen.Add));
        Assert.Contains(seen, p => p.RowsRead == 4);
        Assert.Equal(12, seen[^1].RowsRead);
    }

    /// <summary>
    /// Rows of a user out of ts order with many equal ts (the sort is by ts, then ties by line):
    /// every user's rows end in (ts, line) order.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Rows_are_ordered_by_ts_then_line_with_many_ties(int parallelism)
    {
        var random = new Random(3);
        var sb = new System.Text.StringBuilder();
        var expected = new Dictionary<string, List<(long Ts, long Line)>> { ["u1"] = [], ["u2"] = [] };
        for (var line = 1; line <= 3000; line++)
        {
            var user = (line / 100) % 2 == 0 ? "u1" : "u2";
            var ts = $"2025-01-01T00:{random.Next(30):00}:00Z";
            expected[user].Add((Ticks(ts), line));
            sb.Append($$"""{"type":"login","user_id":"{{user}}","ts":"{{ts}}","platform":"p{{line}}"}""").Append('\n');
        }
        using var d = Dir(("profiles.jsonl", Profiles), ("events.jsonl", sb.ToString()));
        var logins = Load(d, new ImportOptions { Parallelism = parallelism, BlockSize = 4096 }).Events.Single(e => e?.Type.Name == "login")!;
        for (var u = 0; u < 2; u++)
        {
            var want = expected[u == 0 ? "u1" : "u2"].OrderBy(r => r.Ts).ThenBy(r => r.Line).ToList();
            var from = logins.UserStart[u];
            Assert.Equal(want.Select(r => r.Ts), logins.Ts[from..logins.UserStart[u + 1]]);
            Assert.Equal(want.Select(r => r.Line), logins.Line[from..logins.UserStart[u + 1]]);
        }
    }

    /// <summary>The per-user sort is stable (ties keep the row order) for every length, in order, reversed or shuffled.</summary>
    [Fact]
    public void The_stable_ts_sort_equals_a_stable_ordering()
    {
        var random = new Random(9);
        int[] lengths = [.. Enumerable.Range(0, 70), 127, 128, 129, 255, 256, 257, 1000, 5003];
        foreach (var n in lengths)
            foreach (var pattern in new[] { "random", "sorted", "reversed", "few" })
            {
                var keys = new long[n + 3];
                for (var i = 0; i < n; i++)
                    keys[i] = pattern switch
                    {
                        "sorted" => i / 3,
                        "reversed" => (n - i) / 2,
                        "few" => random.Next(3),
                        _ => random.NextInt64(long.MinValue, long.MaxValue) / (1 + random.Next(2) * (long.MaxValue / 50)),
                    };
                var rows = Enumerable.Range(0, n + 3).ToArray();
                var want = Enumerable.Range(0, n).OrderBy(i => keys[i]).ToArray();
                var wantKeys = want.Select(i => keys[i]).ToArray();
                EventTypeState.StableSortByTs(keys, rows, n, new long[n + 3], new int[n + 3]);
                Assert.Equal(wantKeys, keys[..n]);
                Assert.Equal(want, rows[..n]);
                Assert.Equal([n, n + 1, n + 2], rows[n..]);   // past n: untouched
            }
    }

    private sealed class SyncProgress(Action<ImportProgress> a) : IProgress<ImportProgress>
    {
        public void Report(ImportProgress value) => a(value);
    }
}

public class FutureRowTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_row_after_the_wall_clock_plus_skew_is_rejected_with_its_line_and_never_becomes_the_default_instant(int parallelism)
    {
        using var d = Dir(
            ("profiles.jsonl", """{"user_id":"u1","gender":"F","city":"c","member_level":1,"registered_at":"2024-01-01T00:00:00Z"}""" + "\n"),
            ("events.jsonl", """
                {"type":"login","user_id":"u1","ts":"2025-01-01T00:00:00Z","platform":"ios"}
                {"type":"login","user_id":"u1","ts":"9999-12-31T00:00:00Z","platform":"ios"}
                {"type":"login","user_id":"u1","ts":"2025-01-02T00:04:00Z","platform":"ios"}
                {"type":"login","user_id":"u1","ts":"2025-01-02T00:06:00Z","platform":"ios"}

                """));
        var now = new DateTimeOffset(2025, 1, 2, 0, 0, 0, TimeSpan.Zero);
        var ds = DataImporter.Load(RetailSchema(), d.Path, new ImportOptions
        {
            Parallelism = parallelism, BlockSize = 64, LatestEventTicks = FutureEvents.Limit(now, FutureEvents.DefaultMaxSkew),
        });
        Assert.Equal([2, 4], ds.Report.Rejects.Select(r => r.Line));
        Assert.All(ds.Report.Rejects, r => Assert.Contains("is in the future", r.Reason));
        Assert.Equal(Ticks("2025-01-02T00:04:00Z"), ds.MaxTimestampTicks);
        Assert.Equal(2, ds.Report.EventsKept);

        // simulate's load applies the same rule by the wall clock: the year-9999 row is rejected, not the as-of instant.
        var loaded = Simulation.SimulationRunner.LoadData(RetailSchema(), d.Path, null, now: now);
        Assert.Equal(Ticks("2025-01-02T00:04:00Z"), loaded.MaxTimestampTicks);
    }

    [Fact]
    public void A_duplicate_key_rejects_the_row_in_every_json_path()
    {
        using var d = Dir(
            ("profiles.jsonl", """{"user_id":"u1","gender":"F","city":"c","member_level":1,"registered_at":"2024-01-01T00:00:00Z"}""" + "\n" +
                """{"user_id":"u2","gender":"F","city":"c","member_level":1,"registered_at":"2024-01-01T00:00:00Z","user_id":"u3"}""" + "\n"),
            ("events.jsonl", """
                {"type":"login","user_id":"u1","ts":"2025-01-01T00:00:00Z","platform":"ios"}
                {"type":"login","user_id":"u1","ts":"2025-01-01T00:00:00Z","platform":"ios","user_id":"u2"}
                {"type":"login","user_id":"u1","ts":"2025-01-01T00:00:00Z","type":"view","platform":"ios"}

                """));
        foreach (var general in new[] { false, true })
        {
            var (ds, _) = LoadWithRejects(RetailSchema(), d.Path, 1, 1 << 20, general);
            Assert.Equal([("profiles.jsonl", 2), ("events.jsonl", 2), ("events.jsonl", 3)], ds.Report.Rejects.Select(r => (r.File, r.Line)));
            Assert.All(ds.Report.Rejects, r => Assert.Contains("appears twice", r.Reason));
        }
    }
}
