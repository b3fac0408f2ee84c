using System.Text;
using MarketingDsl.Engine.Data;
using static MarketingDsl.Engine.Tests.Data.DataTestUtil;

namespace MarketingDsl.Engine.Tests.Data;

/// <summary>Block-parallel parsing of JSON Lines events must give exactly the sequential reader's DataSet and report.</summary>
public class ParallelImportTests
{
    /// <summary>Random events with duplicates, orphans, rejects, unknown types, blank/CRLF lines, equal timestamps and unsorted users.</summary>
    private static (string Profiles, string Events, string Events2) RandomData(int seed, int rows)
    {
        var rnd = new Random(seed);
        var p = new StringBuilder();
        for (var u = 1; u <= 40; u++)
            p.Append($$"""{"user_id":"u{{u}}","gender":"F","city":"c","member_level":{{u % 3}},"registered_at":"2024-01-01T""")
                .Append($$"""00:00:00Z","member_id":"m{{u % 35}}"}""").Append('\n');
        string Row()
        {
            var user = rnd.Next(10) == 0 ? $"ghost{rnd.Next(5)}" : $"u{rnd.Next(1, 46)}";   // u41..u45 and ghosts are orphans
            var ts = $"2025-01-{rnd.Next(1, 4):00}T00:00:0{rnd.Next(3)}Z";                     // many equal timestamps
            return rnd.Next(16) switch
            {
                0 => $$"""{"type":"order","user_id":"{{user}}","ts":"{{ts}}","order_id":"o{{rnd.Next(30)}}","amount":""" +
                     $$"""{{rnd.Next(100)}}.5,"coupon_used":{{(rnd.Next(2) == 0 ? "true" : "false")}}}""",
                1 => $$"""{"type":"order","user_id":"{{user}}","ts":"{{ts}}","order_id":null,"amount":1}""",
                2 => $$"""{"type":"order","user_id":"{{user}}","ts":"{{ts}}","amount":"bad"}""",              // reject
                3 => $$"""{"type":"mystery","user_id":"{{user}}","ts":"{{ts}}"}""",                           // unknown type
                4 => $$"""{"type":"view","user_id":"{{user}}","ts":"nope"}""",                               // reject
                5 => "{not json",                                                                            // reject
                6 => "",                                                                                     // blank line
                7 => $$"""{"type":"login","user_id":"x","ts":"{{ts}}","member_id":"m{{rnd.Next(40)}}","platform":"ios"}""",  // identity
                8 => $$"""{"type":"login","user_id":"{{user}}","ts":"{{ts}}","platform":"and\u00e9"}""" + "\r",
                9 => $$"""{"type":"cart_add","user_id":"{{user}}","ts":"{{ts}}","sku":"s{{rnd.Next(9)}}","price":{{rnd.Next(50)}}}""",
                // The unknown id of the identity rows without one: an orphan, while the next row of that id may be a user's.
                10 => $$"""{"type":"login","user_id":"x","ts":"{{ts}}","platform":"web"}""",
                _ => $$"""{"type":"view","user_id":"{{user}}","ts":"{{ts}}","sku":"s{{rnd.Next(9)}}","category":null,"duration_s":""" +
                     $$"""{{rnd.Next(300)}}}""",
            };
        }
        var e = new StringBuilder("\uFEFF");
        for (var i = 0; i < rows; i++) e.Append(Row()).Append('\n');
        var e2 = new StringBuilder();
        for (var i = 0; i < rows / 4; i++) e2.Append(Row()).Append('\n');
        e2.Append(Row());   // no final newline
        return (p.ToString(), e.ToString(), e2.ToString());
    }

    [Theory]
    [InlineData(1, 64)]
    [InlineData(2, 300)]
    [InlineData(3, 4096)]
    [InlineData(4, 1 << 20)]
    public void Parallel_blocks_give_the_sequential_dataset(int seed, int blockSize)
    {
        var (profiles, events, events2) = RandomData(seed, 3000);
        using var d = Dir(("profiles.jsonl", profiles), ("events.jsonl", events), ("events2.jsonl", events2));
        var seqRejects = Path.Combine(d.Path, "out", "seq-rejects.jsonl");
        var parRejects = Path.Combine(d.Path, "out", "par-rejects.jsonl");
        var seq = DataImporter.Load(RetailSchema(), d.Path, new ImportOptions { Parallelism = 1, RejectsPath = seqRejects });
        var par = DataImporter.Load(RetailSchema(), d.Path, new ImportOptions { Parallelism = 2, BlockSize = blockSize, RejectsPath = parRejects });
        Assert.True(seq.Report.DuplicatesDropped["order"] > 0);
        Assert.True(seq.Report.OrphanEvents > 0 && seq.Report.UnknownTypeEvents > 0 && seq.Report.RejectedCount > 0);
        AssertSame(seq, par);
        Assert.Equal(File.ReadAllText(seqRejects), File.ReadAllText(parRejects));
    }

    /// <summary>
    /// Profiles read in parallel blocks give the sequential reader's users, merges and rejects: duplicate ids (the first row
    /// wins, the later ones rejected in line order among the parse rejects), rows without an id, bad JSON, blank and CRLF
    /// lines, a byte order mark, shared identity values, and no final newline.
    /// </summary>
    [Theory]
    [InlineData(1, 64)]
    [InlineData(2, 333)]
    [InlineData(3, 1 << 20)]
    public void Profiles_read_in_parallel_blocks_give_the_sequential_users_merges_and_rejects(int seed, int blockSize)
    {
        var rnd = new Random(seed);
        var p = new StringBuilder("\uFEFF");
        for (var i = 0; i < 2_000; i++)
        {
            var id = $"u{rnd.Next(1, 1_500)}";   // about a quarter of the rows repeat an id
            p.Append(rnd.Next(12) switch
            {
                0 => "",                                                                                       // blank line
                1 => "{broken",                                                                                // bad JSON
                2 => """{"gender":"F","city":"c"}""",                                                          // no id
                3 => $$"""{"user_id":"{{id}}","member_level":"high"}""",                                       // bad value
                4 => $$"""{"user_id":"{{id}}","city":"c\u00e9","member_id":"m{{rnd.Next(300)}}"}""" + "\r",  // CRLF, identity
                5 => $$"""{ "user_id" : "{{id}}", "birthday": null, "phone": "p{{rnd.Next(200)}}" }""",         // general reader
                _ => $$"""{"user_id":"{{id}}","gender":"M","city":"x","member_level":{{rnd.Next(5)}},""" +
                     $$""" "registered_at":"2024-01-0{{rnd.Next(1, 9)}}T00:00:00Z","open_id":"o{{rnd.Next(400)}}"}""",
            });
            if (i < 1_999) p.Append('\n');
        }
        using var d = Dir(("profiles.jsonl", p.ToString()), ("events.jsonl", """{"type":"login","user_id":"u1","ts":"2025-01-01T00:00:00Z"}"""));
        var (seq, seqRejects) = LoadWithRejects(RetailSchema(), d.Path, parallelism: 1, blockSize: blockSize, generalOnly: false);
        var (par, parRejects) = LoadWithRejects(RetailSchema(), d.Path, parallelism: 2, blockSize: blockSize, generalOnly: false);
        Assert.Contains("MD", seqRejects);
        Assert.True(seq.Report.IdentityMerges.Count > 0 && seq.Report.ProfilesKept < seq.Report.ProfilesRead);
        AssertSame(seq, par);
        Assert.Equal(seq.Report.ScannedJsonProfiles, par.Report.ScannedJsonProfiles);
        Assert.Equal(seqRejects, parRejects);
    }

    /// <summary>
    /// A type with enough rows is sorted by user in row ranges counted in parallel: random order, and data in
    /// (user, ts) order except across the boundary of the two ranges (rows n/2 - 1 and n/2), must give the
    /// sequential result.
    /// </summary>
    [Theory]
    [InlineData(-1)]
    [InlineData(70_000)]
    public void Large_types_sorted_in_parallel_ranges_give_the_sequential_dataset(int swapAt)
    {
        const int rows = 140_000;
        var e = new StringBuilder();
        var t0 = new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        if (swapAt < 0)
        {
            var rnd = new Random(7);
            for (var i = 0; i < rows; i++)
            {
                var user = rnd.Next(1, 50);
                var ts = t0.AddSeconds(rnd.Next(1000));
                e.Append($$"""{"type":"view","user_id":"u{{user}}","ts":"{{ts:yyyy-MM-ddTHH:mm:ssZ}}","duration_s":{{i}}}""").Append('\n');
            }
        }
        else
            for (var i = 0; i < rows; i++)
            {
                var second = i == swapAt - 1 ? swapAt : i == swapAt ? swapAt - 1 : i;   // one pair out of ts order
                e.Append($$"""{"type":"view","user_id":"u{{1 + i * 3 / rows}}","ts":"{{t0.AddSeconds(second):yyyy-MM-ddTHH:mm:ssZ}}","duration_s":""")
                    .Append($$"""{{i}}}""").Append('\n');
            }
        var profiles = "{\"user_id\":\"u1\"}\n{\"user_id\":\"u2\"}\n{\"user_id\":\"u3\"}\n" +
            string.Concat(Enumerable.Range(4, 46).Select(u => $$"""{"user_id":"u{{u}}"}""" + "\n"));
        using var d = Dir(("profiles.jsonl", profiles), ("events.jsonl", e.ToString()));
        var seq = DataImporter.Load(RetailSchema(), d.Path, new ImportOptions { Parallelism = 1 });
        var par = DataImporter.Load(RetailSchema(), d.Path, new ImportOptions { Parallelism = 2 });
        Assert.Equal(rows, seq.Events[1]!.Ts.Length);
        AssertSame(seq, par);
        if (swapAt >= 0)
        {
            var view = par.Events[1]!;
            for (var i = 1; i < view.Ts.Length; i++) Assert.True(view.Ts[i - 1] <= view.Ts[i] || view.UserStart.Contains(i));
        }
    }

    /// <summary>
    /// History in time order, as exports write it: each row's user is found again among the ids the thread met lately, or
    /// looked up. Ids too long to be remembered, ids sharing long prefixes, orphan ids met again and again, identity rows
    /// and blocks of every size give the sequential reader's data set; rows end up in (user, ts, line) order, equal
    /// timestamps in line order, also when one row out of ts order makes the importer check every user's rows, and when the
    /// sort splits the rows into ranges placed on several threads (each range's rows of a bucket of the two-pass gather
    /// after the earlier ranges' rows of it).
    /// </summary>
    [Theory]
    [InlineData(1, 512, false, 140_000, 2)]
    [InlineData(2, 1 << 16, false, 140_000, 2)]
    [InlineData(3, 1 << 20, true, 140_000, 2)]
    [InlineData(4, 1 << 20, false, 400_000, 3)]
    public void Time_ordered_history_gives_the_sequential_dataset_in_user_ts_line_order(int seed, int blockSize, bool oneOutOfOrder,
        int rows, int parallelism)
    {
        var rnd = new Random(seed);
        var prefix = new string('c', RecentUsers.MaxBytes - 2);
        string[] ids = [.. Enumerable.Range(1, 300).Select(u => u % 3 == 0 ? $"u{u}" : u % 3 == 1 ? $"{prefix}{u}" : $"{prefix}{prefix}{u}")];
        var profiles = string.Concat(ids.Select((id, u) => $$"""{"user_id":"{{id}}","member_id":"m{{u}}"}""" + "\n"));
        var e = new StringBuilder();
        var t0 = new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var second = 0;
        var oracle = new List<(string User, int Second, int Row)>();
        for (var i = 0; i < rows; i++)
        {
            if (rnd.Next(3) == 0) second++;   // many equal timestamps
            var ts = oneOutOfOrder && i == rows / 4 ? second - 5 : second;
            var user = rnd.Next(12) == 0 ? $"{prefix}ghost{rnd.Next(4)}" : rnd.Next(12) == 0 ? $"ghost{rnd.Next(4)}" : ids[rnd.Next(ids.Length)];
            if (rnd.Next(50) == 0)
            {
                // A row that names its user by identity value: resolved at once, outside the recent ids.
                var member = rnd.Next(300);
                e.Append($$"""{"type":"login","user_id":"x{{user}}","ts":"{{t0.AddSeconds(ts):yyyy-MM-ddTHH:mm:ssZ}}","member_id":"m{{member}}",""")
                    .Append("\"platform\":\"ios\"}\n");
                continue;
            }
            e.Append($$"""{"type":"view","user_id":"{{user}}","ts":"{{t0.AddSeconds(ts):yyyy-MM-ddTHH:mm:ssZ}}","duration_s":{{i}}}""").Append('\n');
            if (!user.Contains("ghost", StringComparison.Ordinal)) oracle.Add((user, ts, i));
        }
        using var d = Dir(("profiles.jsonl", profiles), ("events.jsonl", e.ToString()));
        var seq = DataImporter.Load(RetailSchema(), d.Path, new ImportOptions { Parallelism = 1 });
        var par = DataImporter.Load(RetailSchema(), d.Path, new ImportOptions { Parallelism = parallelism, BlockSize = blockSize });
        Assert.True(seq.Report.OrphanEvents > 0);
        AssertSame(seq, par);

        var view = par.Events[1]!;
        var expected = oracle.OrderBy(r => Array.IndexOf(par.UserIds, r.User)).ThenBy(r => r.Second).ThenBy(r => r.Row)
            .Select(r => (long)r.Row).ToArray();
        Assert.Equal(expected, ((IntColumn)view.Fields[4]!).Values);
    }

    [Fact]
    public void A_line_longer_than_the_block_is_read_whole()
    {
        var longSku = new string('x', 5000);
        var events = $$"""
            {"type":"view","user_id":"u1","ts":"2025-01-01T00:00:00Z","sku":"a"}
            {"type":"view","user_id":"u1","ts":"2025-01-01T00:00:00Z","sku":"{{longSku}}"}
            {"type":"view","user_id":"u1","ts":"2025-01-01T00:00:00Z","sku":"b"}
            """;
        using var d = Dir(("profiles.jsonl", """{"user_id":"u1"}""" + "\n"), ("events.jsonl", events));
        var ds = DataImporter.Load(RetailSchema(), d.Path, new ImportOptions { Parallelism = 2, BlockSize = 100 });
        Assert.Equal(new string?[] { "a", longSku, "b" }, ((StringColumn)ds.Events[1]!.Fields[2]!).Values);
        Assert.Equal([1L, 2L, 3L], ds.Events[1]!.Line);
    }

    internal static void AssertSame(DataSet a, DataSet b)
    {
        Assert.Equal(a.UserIds, b.UserIds);
        Assert.Equal(a.MaxTimestampTicks, b.MaxTimestampTicks);
        AssertColumns(a.Profiles.Columns, b.Profiles.Columns);
        Assert.Equal(a.Events.Length, b.Events.Length);
        for (var e = 0; e < a.Events.Length; e++)
        {
            var (x, y) = (a.Events[e]!, b.Events[e]!);
            Assert.Equal(x.UserStart, y.UserStart);
            Assert.Equal(x.Ts, y.Ts);
            Assert.Equal(x.Line, y.Line);
            AssertColumns(x.Fields, y.Fields);
        }
        foreach (var t in new[] { long.MinValue, a.MaxTimestampTicks ?? 0, (a.MaxTimestampTicks ?? 0) - TimeSpan.TicksPerDay })
            Assert.Equal(a.CountEventsAfter(t), b.CountEventsAfter(t));
        var (r, s) = (a.Report, b.Report);
        Assert.Equal((r.ProfilesRead, r.ProfilesKept, r.EventsRead, r.EventsKept, r.OrphanEvents, r.UnknownTypeEvents, r.RejectedCount),
            (s.ProfilesRead, s.ProfilesKept, s.EventsRead, s.EventsKept, s.OrphanEvents, s.UnknownTypeEvents, s.RejectedCount));
        Assert.Equal(r.DuplicatesDropped.ToList(), s.DuplicatesDropped.ToList());
        Assert.Equal(r.Rejects, s.Rejects);
        Assert.Equal(r.IdentityMerges, s.IdentityMerges);
        Assert.Equal(r.Files, s.Files);
    }

    private static void AssertColumns(Column?[] a, Column?[] b)
    {
        Assert.Equal(a.Length, b.Length);
        for (var i = 0; i < a.Length; i++)
        {
            if (a[i] is null) { Assert.Null(b[i]); continue; }
            var (x, y) = (a[i]!, b[i]!);
            Assert.Equal(x.GetType(), y.GetType());
            Assert.Equal(x.Nulls, y.Nulls);
            Assert.Equal(x.Length, y.Length);
            for (var row = 0; row < x.Length; row++) Assert.Equal(x.GetBoxed(row), y.GetBoxed(row));
        }
    }
}
