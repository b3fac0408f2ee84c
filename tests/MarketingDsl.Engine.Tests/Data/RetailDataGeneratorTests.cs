using MarketingDsl.Engine.Data;

namespace MarketingDsl.Engine.Tests.Data;

public class RetailDataGeneratorTests
{
    [Fact]
    public void Same_seed_gives_identical_bytes_and_other_seed_differs()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        using var c = new TempDir();
        var ra = RetailDataGenerator.Generate(a.Path, 300, 60, 42);
        RetailDataGenerator.Generate(b.Path, 300, 60, 42);
        RetailDataGenerator.Generate(c.Path, 300, 60, 43);
        foreach (var f in new[] { "profiles.jsonl", "events.jsonl" })
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(a.Path, f)), File.ReadAllBytes(Path.Combine(b.Path, f)));
            Assert.NotEqual(File.ReadAllBytes(Path.Combine(a.Path, f)), File.ReadAllBytes(Path.Combine(c.Path, f)));
        }
        Assert.Equal(300, File.ReadLines(ra.ProfilesPath).Count());
        Assert.Equal(ra.Events, File.ReadLines(ra.EventsPath).LongCount());
    }

    [Fact]
    public void Generated_data_imports_cleanly_with_edge_cases()
    {
        using var d = new TempDir();
        var g = RetailDataGenerator.Generate(d.Path, 2000, 120, 7);
        var ds = DataImporter.Load(DataTestUtil.RetailSchema(), d.Path);
        var r = ds.Report;
        Assert.Equal(0, r.RejectedCount);
        Assert.Equal(2000, ds.UserCount);
        Assert.Equal(g.Events, r.EventsRead);
        Assert.Equal(g.OrphanEvents, r.OrphanEvents);
        Assert.True(g.OrphanEvents > 0);
        Assert.Equal(g.DuplicateOrders, r.OrderDuplicatesDropped);
        Assert.True(g.DuplicateOrders > 0, "expected a few duplicate order ids");
        Assert.Equal(g.Events - g.DuplicateOrders, r.EventsKept);
        Assert.True(ds.MaxTimestampTicks < new DateTime(2025, 10, 1).Ticks);
        Assert.True(ds.MaxTimestampTicks > new DateTime(2025, 9, 29).Ticks);
        var perUser = g.Events / 2000.0;
        Assert.InRange(perUser, 40, 250);
        // Some users have no events at all; some categories are null; mothers buy formula/diapers.
        var anyEvents = new bool[ds.UserCount];
        foreach (var t in ds.Events)
            for (var u = 0; u < ds.UserCount; u++) anyEvents[u] |= t!.UserStart[u + 1] > t.UserStart[u];
        Assert.Contains(false, anyEvents);
        var orders = ds.Events[0]!;
        var category = (StringColumn)orders.Fields[5]!;
        Assert.Contains(category.Values, v => v is null);
        Assert.Contains(category.Values, v => v == "formula");
        Assert.Contains(((StringColumn)ds.Profiles.Columns[3]!).Values, v => v == "上海");
        Assert.True(ds.Profiles.Columns[6]!.Nulls is not null && ds.Profiles.Columns[6]!.Nulls!.Contains(false));
        var amounts = ((DecimalColumn)orders.Fields[4]!).Values;
        Assert.All(amounts, a => Assert.Equal(a, Math.Round(a, 2)));
    }

    [Theory]
    [InlineData(300, 60, 42, 0.0, 1L << 40)]        // one bucket
    [InlineData(500, 90, 5, 0.3, 64L << 10)]        // about a hundred buckets, planted partner orders days later
    [InlineData(200, 3, 11, 0.0, 16L << 10)]        // buckets of a few minutes: many lines share a second
    public void Time_order_is_the_user_ordered_file_sorted_by_time(int users, int days, int seed, double coPurchase, long bucketBytes)
    {
        using var byUser = new TempDir();
        using var byTime = new TempDir();
        var generated = RetailDataGenerator.Generate(byUser.Path, users, days, seed, null, coPurchase, EventOrder.User, bucketBytes);
        EventFileOrder.SortByTime(Path.Combine(byUser.Path, "events.jsonl"), runLines: 997);
        var timed = RetailDataGenerator.Generate(byTime.Path, users, days, seed, null, coPurchase, EventOrder.Time, bucketBytes);
        Assert.Equal(generated with { ProfilesPath = "", EventsPath = "" }, timed with { ProfilesPath = "", EventsPath = "" });
        foreach (var f in new[] { "profiles.jsonl", "events.jsonl" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(byUser.Path, f)), File.ReadAllBytes(Path.Combine(byTime.Path, f)));
        // The buckets are gone; the order is by ts with ties (same second) present, so their order was checked too.
        Assert.Equal(["events.jsonl", "profiles.jsonl"], Directory.GetFiles(byTime.Path).Select(Path.GetFileName).Order());
        var seconds = File.ReadLines(timed.EventsPath).Select(l => l[(l.IndexOf("\"ts\":\"", StringComparison.Ordinal) + 6)..][..20]).ToList();
        Assert.True(seconds.Zip(seconds.Skip(1)).All(p => string.CompareOrdinal(p.First, p.Second) <= 0));
        Assert.Contains(seconds.Zip(seconds.Skip(1)), p => p.First == p.Second);
    }

    [Fact]
    public void Time_buckets_are_sized_from_the_expected_bytes()
    {
        using var d = new TempDir();
        var path = Path.Combine(d.Path, "events.jsonl");
        var from = new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        using (var one = new TimeOrderedEventFile(path, from, from.AddDays(180), 1_000_000)) Assert.Equal(1, one.BucketCount);
        using (var many = new TimeOrderedEventFile(path, from, from.AddDays(180), 18_600_000_000)) Assert.Equal(278, many.BucketCount);
        // Never more buckets than files one may keep open, nor than seconds in the range.
        using (var capped = new TimeOrderedEventFile(path, from, from.AddDays(3650), 1L << 50)) Assert.Equal(1024, capped.BucketCount);
        using (var short_ = new TimeOrderedEventFile(path, from, from.AddSeconds(10), 1L << 40)) Assert.Equal(10, short_.BucketCount);
        using (var lines = new TimeOrderedEventFile(path, from, from.AddDays(1), 100, bucketBytes: 10))
        {
            // Out of range: before the first bucket and after the last, kept in order at the ends.
            lines.Add(from.AddDays(2).Ticks / TimeSpan.TicksPerSecond, "late");
            lines.Add(from.Ticks / TimeSpan.TicksPerSecond + 5, "b");
            lines.Add(from.AddDays(-1).Ticks / TimeSpan.TicksPerSecond, "early");
            lines.Add(from.Ticks / TimeSpan.TicksPerSecond + 5, "c");
            lines.Add(from.Ticks / TimeSpan.TicksPerSecond + 1, "a");
            lines.Finish();
        }
        Assert.Equal(["early", "a", "b", "c", "late"], File.ReadAllLines(path));
        Assert.Equal(["events.jsonl"], Directory.GetFiles(d.Path).Select(Path.GetFileName));
    }
}
