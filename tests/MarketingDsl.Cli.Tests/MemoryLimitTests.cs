using MarketingDsl.Engine.Data;

using MarketingDsl.Testing;

namespace MarketingDsl.Cli.Tests;

/// <summary>`simulate --memory-limit`: data larger than the limit runs in partitions and writes the bytes of the run in memory.</summary>
public sealed class MemoryLimitTests : CliRun
{
    [Fact]
    public void Simulate_under_a_small_memory_limit_writes_the_bytes_of_the_run_in_memory()
    {
        var workspace = RepoRoot.Combine("examples", "retail");
        var data = Path.Combine(Dir, "data");
        RetailDataGenerator.Generate(data, users: 400, days: 90, seed: 6);
        var inMemory = Path.Combine(Dir, "memory");
        var limited = Path.Combine(Dir, "limited");
        Assert.Equal(0, Run("simulate", workspace, "--data", data, "--out", inMemory, "--quiet").Exit);
        var (exit, _, error) = Run("simulate", workspace, "--data", data, "--out", limited, "--memory-limit", "1m");
        Assert.True(exit == 0, error);
        Assert.Matches(@"importing and evaluating in \d+ partitions", error);
        AssertSameOutputs(inMemory, limited);
    }

    [Fact]
    public void List_fields_spill_to_partitions_and_write_the_bytes_of_the_run_in_memory()
    {
        var case_ = RepoRoot.Combine("tests", "conformance", "list-fields");
        var workspace = Path.Combine(case_, "workspace");
        var data = Path.Combine(case_, "data");
        var inMemory = Path.Combine(Dir, "memory");
        var limited = Path.Combine(Dir, "limited");
        Assert.Equal(0, Run("simulate", workspace, "--data", data, "--out", inMemory, "--quiet").Exit);
        // 200 bytes: less than the files hold.
        var (exit, _, error) = Run("simulate", workspace, "--data", data, "--out", limited, "--memory-limit", "200");
        Assert.True(exit == 0, error);
        Assert.Matches(@"importing and evaluating in \d+ partitions", error);
        AssertSameOutputs(inMemory, limited);
    }

    [Theory]
    [InlineData("lots")]
    [InlineData("-1g")]
    [InlineData("0")]
    public void A_memory_limit_that_is_no_size_is_a_usage_error(string limit)
    {
        var (exit, _, error) = Run("simulate", RepoRoot.Combine("examples", "retail"), "--data", Dir, "--out", Path.Combine(Dir, "o"),
            "--memory-limit", limit);
        Assert.Equal(2, exit);
        Assert.Contains("--memory-limit takes a size such as 2g", error);
    }

    private static void AssertSameOutputs(string expectedDirectory, string actualDirectory)
    {
        foreach (var file in new[] { "tags.csv", "summary.json", "rejects.jsonl" })
        {
            var expected = File.ReadAllBytes(Path.Combine(expectedDirectory, file));
            Assert.True(expected.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(actualDirectory, file))), $"{file} differs");
        }
    }
}
