using MarketingDsl.Engine.Data;

using MarketingDsl.Testing;

namespace MarketingDsl.Cli.Tests;

/// <summary>`mdsl import` writes a snapshot; `simulate --data SNAPSHOT` writes the bytes `simulate --data DIR` writes
/// (examples/retail, generated history).</summary>
public sealed class ImportCommandTests : CliRun
{
    [Fact]
    public void Simulate_from_an_imported_snapshot_writes_the_bytes_of_simulating_the_files()
    {
        var workspace = RepoRoot.Combine("examples", "retail");
        var data = Path.Combine(Dir, "data");
        RetailDataGenerator.Generate(data, users: 600, days: 120, seed: 4);
        EventFileOrder.SortByTime(Path.Combine(data, "events.jsonl"));
        var snapshot = Path.Combine(Dir, "snapshot");

        var (exit, output, error) = Run("import", workspace, "--data", data, "--out", snapshot);
        Assert.True(exit == 0, output + error);
        Assert.Matches(@"wrote .*snapshot: 600 users, [\d,]+ events, 0 rejected", output);
        Assert.True(ImportSnapshot.IsSnapshot(snapshot));

        var fromFiles = Path.Combine(Dir, "files");
        var fromSnapshot = Path.Combine(Dir, "snap");
        Assert.Equal(0, Run("simulate", workspace, "--data", data, "--out", fromFiles, "--quiet").Exit);
        (exit, _, error) = Run("simulate", workspace, "--data", snapshot, "--out", fromSnapshot, "--quiet");
        Assert.True(exit == 0, error);
        Assert.DoesNotContain("MD603", error);
        foreach (var file in new[] { "tags.csv", "summary.json", "rejects.jsonl" })
            Assert.True(File.ReadAllBytes(Path.Combine(fromFiles,
                file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(fromSnapshot, file))), $"{file} differs");

        // A changed file: the snapshot is out of date, the files are parsed, and the run says so.
        File.AppendAllText(Path.Combine(data, "events.jsonl"), "not json\n");
        (exit, _, error) = Run("simulate", workspace, "--data", snapshot, "--out", fromSnapshot, "--quiet");
        Assert.Equal(0, exit);
        Assert.Contains("warning: MD6031: The import snapshot", error);
        Assert.Single(File.ReadAllLines(Path.Combine(fromSnapshot, "rejects.jsonl")));
    }

    [Fact]
    public void Import_says_what_is_wrong_with_its_arguments()
    {
        var (exit, _, error) = Run("import", RepoRoot.Combine("examples", "retail"), "--data", Path.Combine(Dir, "none"), "--out",
            Path.Combine(Dir, "s"));
        Assert.Equal(2, exit);
        Assert.Contains("does not exist", error);
        (exit, _, error) = Run("import", RepoRoot.Combine("examples", "retail"), "--out", Path.Combine(Dir, "s"));
        Assert.Equal(2, exit);
        Assert.Contains("missing option --data", error);
    }
}
