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
}
