using MarketingDsl.Core;
using MarketingDsl.Core.Semantics;

namespace MarketingDsl.Web.Tests;

public sealed class DataSetCacheTests
{
    [Fact]
    public void Data_sets_are_kept_per_folder_files_and_schema_shape_least_recently_used_first_out()
    {
        var folder = Path.Combine(TestFolders.New(), "retail");
        Directory.CreateDirectory(folder);
        foreach (var file in Directory.EnumerateFiles(SimulationData.RetailFolder)) File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        var workspace = Path.Combine(TestPaths.Root, "examples", "retail");
        var schemaText = File.ReadAllText(Path.Combine(workspace, "schema.mdsl"));
        SchemaModel Schema(string text) => Compilation.Create(("schema.mdsl", text)).Model.Schema;

        var cache = new Simulations.DataSetCache(capacity: 2);
        var (first, cached) = cache.Get(Schema(schemaText), folder);
        Assert.False(cached);
        // Another compilation of the same schema: the same data set.
        var (again, cachedAgain) = cache.Get(Schema(schemaText), folder);
        Assert.True(cachedAgain);
        Assert.Same(first, again);

        // A schema of another shape (a new profile field) loads its own data set.
        var wider = schemaText.Replace("    city: string\n", "    city: string\n    nickname: string?\n", StringComparison.Ordinal);
        Assert.NotEqual(schemaText, wider);
        var (other, cachedOther) = cache.Get(Schema(wider), folder);
        Assert.False(cachedOther);
        Assert.NotSame(first, other);
        Assert.Equal(2, cache.Count);

        // A rewritten file in the folder is read again; the capacity holds.
        File.SetLastWriteTimeUtc(Path.Combine(folder, "events.jsonl"), DateTime.UtcNow.AddMinutes(5));
        var (reloaded, cachedReloaded) = cache.Get(Schema(schemaText), folder);
        Assert.False(cachedReloaded);
        Assert.NotSame(first, reloaded);
        Assert.Equal(2, cache.Count);
        // The wider schema's entry is stale too (its key holds the old write time); loading it again evicts the oldest.
        Assert.False(cache.Get(Schema(wider), folder).FromCache);
        Assert.Equal(2, cache.Count);
        Assert.True(cache.Get(Schema(schemaText), folder).FromCache);
    }
}
