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

    /// <summary>
    /// A byte flipped in the middle of the largest part file (inside its data, the framing intact): simulate says which file failed
    /// its checksum and parses the files instead, writing their bytes; without the files, an error naming it.
    /// </summary>
    [Fact]
    public void Simulate_from_a_damaged_snapshot_names_the_file_that_failed_its_checksum()
    {
        var workspace = RepoRoot.Combine("examples", "retail");
        var data = Path.Combine(Dir, "data");
        RetailDataGenerator.Generate(data, users: 200, days: 30, seed: 6);
        var snapshot = Path.Combine(Dir, "snapshot");
        Assert.Equal(0, Run("import", workspace, "--data", data, "--out", snapshot, "--quiet").Exit);
        var largest = new DirectoryInfo(snapshot).EnumerateFiles("*.arrows").MaxBy(f => f.Length)!;
        var bytes = File.ReadAllBytes(largest.FullName);
        bytes[bytes.Length / 2] ^= 0x10;
        File.WriteAllBytes(largest.FullName, bytes);
        var damaged = $"{largest.Name} is damaged: its checksum differs from the one the import recorded";

        var fromFiles = Path.Combine(Dir, "files");
        var fromSnapshot = Path.Combine(Dir, "snap");
        Assert.Equal(0, Run("simulate", workspace, "--data", data, "--out", fromFiles, "--quiet").Exit);
        var (exit, _, error) = Run("simulate", workspace, "--data", snapshot, "--out", fromSnapshot, "--quiet");
        Assert.Equal(0, exit);
        Assert.Contains("warning: MD6030: ", error);
        Assert.Contains(damaged, error);
        Assert.Equal(File.ReadAllBytes(Path.Combine(fromFiles, "tags.csv")), File.ReadAllBytes(Path.Combine(fromSnapshot, "tags.csv")));

        Directory.Delete(data, recursive: true);
        (exit, _, error) = Run("simulate", workspace, "--data", snapshot, "--out", fromSnapshot, "--quiet");
        Assert.Equal(2, exit);
        Assert.Contains(damaged, error);
    }

    /// <summary>
    /// A snapshot.json that is not JSON: simulate names the file, says what is wrong and to import again; importing again over
    /// it works. An output directory that is not a snapshot is refused before the data is read.
    /// </summary>
    [Fact]
    public void A_garbage_manifest_is_named_and_import_refuses_a_directory_that_is_not_a_snapshot_before_reading()
    {
        var workspace = RepoRoot.Combine("examples", "retail");
        var data = Path.Combine(Dir, "data");
        RetailDataGenerator.Generate(data, users: 50, days: 10, seed: 2);
        var snapshot = Path.Combine(Dir, "snapshot");
        Assert.Equal(0, Run("import", workspace, "--data", data, "--out", snapshot, "--quiet").Exit);
        File.WriteAllText(Path.Combine(snapshot, "snapshot.json"), "{{{");
        var (exit, _, error) = Run("simulate", workspace, "--data", snapshot, "--out", Path.Combine(Dir, "out"), "--quiet");
        Assert.Equal(2, exit);
        Assert.Contains("snapshot.json is not JSON", error);
        Assert.Contains("import the data again", error);
        Assert.DoesNotContain("is not there", error);
        Assert.Equal(0, Run("import", workspace, "--data", data, "--out", snapshot, "--quiet").Exit);
        Assert.Equal(0, Run("simulate", workspace, "--data", snapshot, "--out", Path.Combine(Dir, "out"), "--quiet").Exit);

        var mine = Path.Combine(Dir, "mine");
        Directory.CreateDirectory(mine);
        File.WriteAllText(Path.Combine(mine, "keep.txt"), "mine");
        // A data file that is not Parquet would fail the parse: the refusal comes first.
        File.WriteAllText(Path.Combine(data, "events-extra.parquet"), "not parquet");
        (exit, var output, error) = Run("import", workspace, "--data", data, "--out", mine);
        Assert.Equal(2, exit);
        Assert.Contains("exists and is not an import snapshot", error);
        Assert.Equal("", output);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(mine, "keep.txt")));
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
