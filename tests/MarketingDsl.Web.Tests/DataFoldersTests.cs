using MarketingDsl.Core;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Simulation;
using MarketingDsl.Web.Simulations;

namespace MarketingDsl.Web.Tests;

/// <summary>The data picker offers import snapshots beside data folders, and a snapshot it offers reads as its source does.</summary>
public sealed class DataFoldersTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "mdsl-web-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public void Snapshots_are_offered_beside_data_folders_and_read_as_their_source()
    {
        var schema = Compilation.Create(Workspace.Load(MarketingDsl.Testing.RepoRoot.Combine("examples", "retail"))).Model.Schema;
        var plain = Path.Combine(_root, "exports");
        RetailDataGenerator.Generate(plain, users: 40, days: 30, seed: 3, endUtc: new DateTime(2025, 6, 30, 0, 0, 0, DateTimeKind.Utc));
        var fromFiles = DataSource.Import(schema, plain, Path.Combine(_root, "snapshots", "june"), new ImportOptions());
        Directory.CreateDirectory(Path.Combine(_root, "notes"));
        File.WriteAllText(Path.Combine(_root, "notes", "readme.txt"), "not data");

        var folders = new DataFolders(_root);
        Assert.Equal(["exports", "snapshots/june"], folders.List());

        var fromSnapshot = SimulationRunner.LoadData(schema, folders.Resolve("snapshots/june"), rejectsPath: null, useCache: false);
        Assert.Equal(fromFiles.UserIds, fromSnapshot.UserIds);
        Assert.Equal(fromFiles.MaxTimestampTicks, fromSnapshot.MaxTimestampTicks);
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
