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
    public void Identity_merges_across_partitions_write_the_bytes_of_the_run_in_memory()
    {
        var workspace = RepoRoot.Combine("examples", "retail");
        var data = Path.Combine(Dir, "data");
        RetailDataGenerator.Generate(data, users: 400, days: 90, seed: 7);
        // Every 20th user gains a phone number; a second profile `w…` shares it (merged into the `u…` user, which sorts first),
        // with orders of its own, and an event under an unknown id carries the same phone. The ids hash to different partitions.
        var profiles = Path.Combine(data, "profiles.jsonl");
        var lines = File.ReadAllLines(profiles);
        var extraProfiles = new List<string>();
        var extraEvents = new List<string>();
        for (var i = 0; i < lines.Length; i += 20)
        {
            var phone = $"1380000{i:D4}";
            lines[i] = lines[i].TrimEnd('}') + $",\"phone\":\"{phone}\"}}";
            extraProfiles.Add($"{{\"user_id\":\"w{i:D4}\",\"gender\":\"F\",\"birthday\":null,\"city\":\"上海\",\"member_level\":3," +
                $"\"registered_at\":\"2020-01-01T00:00:00Z\",\"child_birthday\":null,\"phone\":\"{phone}\"}}");
            extraEvents.Add($"{{\"type\":\"order\",\"user_id\":\"w{i:D4}\",\"ts\":\"2025-01-{1 + i % 28:D2}T10:00:00Z\",\"order_id\":\"wo{i}\"," +
                $"\"channel\":\"app\",\"amount\":{1000 + i}.50,\"category\":\"diapers\",\"sku\":\"sku_diapers_001\",\"coupon_used\":false}}");
            extraEvents.Add($"{{\"type\":\"login\",\"user_id\":\"ghost{i}\",\"ts\":\"2025-01-02T10:00:00Z\",\"platform\":\"ios\"," +
                $"\"phone\":\"{phone}\"}}");
        }
        File.WriteAllLines(profiles, [.. lines, .. extraProfiles]);
        File.AppendAllLines(Path.Combine(data, "events.jsonl"), extraEvents);

        var inMemory = Path.Combine(Dir, "memory");
        var limited = Path.Combine(Dir, "limited");
        Assert.Equal(0, Run("simulate", workspace, "--data", data, "--out", inMemory, "--quiet").Exit);
        Assert.Contains("\"users\": 400,", File.ReadAllText(Path.Combine(inMemory, "summary.json")));   // the `w…` profiles merged away
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

    [Fact]
    public void A_limit_too_small_for_the_users_fails_before_the_import_naming_the_data_and_the_limit()
    {
        // 2,000 users of examples/retail keep about 2 MB (ids, profiles, population and model inputs and scores) whatever the partitions.
        var data = Path.Combine(Dir, "data");
        RetailDataGenerator.Generate(data, users: 2000, days: 30, seed: 6);
        var limited = Path.Combine(Dir, "limited");
        var (exit, _, error) = Run("simulate", RepoRoot.Combine("examples", "retail"), "--data", data, "--out", limited, "--memory-limit", "1m");
        Assert.Equal(2, exit);
        Assert.Contains($"MD8016: '{data}' has 2,000 users", error);
        Assert.Contains("under a memory limit of 1m", error);
        Assert.Matches(@"raise --memory-limit to at least \d+m", error);
        Assert.False(File.Exists(Path.Combine(limited, "tags.csv")));
    }

    [Fact]
    public void A_limit_too_small_for_the_data_is_refused_with_the_smallest_limit_that_fits()
    {
        var data = Path.Combine(Dir, "data");
        RetailDataGenerator.Generate(data, users: 100, days: 60, seed: 6);
        var (exit, _, error) = Run("simulate", RepoRoot.Combine("examples", "retail"), "--data", data, "--out", Path.Combine(Dir, "o"),
            "--memory-limit", "1k");
        Assert.Equal(2, exit);
        Assert.Contains($"MD8015: '{data}' holds", error);
        var smallest = System.Text.RegularExpressions.Regex.Match(error, @"raise --memory-limit to at least (\d+k)").Groups[1].Value;
        Assert.NotEmpty(smallest);
        var (fits, _, fitsError) = Run("simulate", RepoRoot.Combine("examples", "retail"), "--data", data, "--out", Path.Combine(Dir, "fits"),
            "--memory-limit", smallest);
        Assert.True(fits == 0, fitsError);
        Assert.Matches(@"importing and evaluating in \d+ partitions", fitsError);
    }

    /// <summary>The replay cannot spill: its refusal names the memory it needs, and that limit runs it.</summary>
    [Fact]
    public void A_replay_over_the_limit_is_refused_naming_the_limit_that_runs_it()
    {
        var workspace = RepoRoot.Combine("examples", "retail");
        var data = Path.Combine(Dir, "data");
        RetailDataGenerator.Generate(data, users: 100, days: 60, seed: 6);
        string[] window = ["--from", "2000-01-01T00:00:00Z", "--to", "2100-01-01T00:00:00Z", "--quiet"];
        var (exit, _, error) = Run(["simulate", workspace, "--data", data, "--out", Path.Combine(Dir, "o"), "--memory-limit", "64k", .. window]);
        Assert.Equal(2, exit);
        var needed = System.Text.RegularExpressions.Regex.Match(error, @"does not fit under --memory-limit 64k: give --memory-limit (\S+) or more");
        Assert.True(needed.Success, error);
        var (runs, _, runsError) = Run(["simulate", workspace, "--data", data, "--out", Path.Combine(Dir, "r"), "--memory-limit",
            needed.Groups[1].Value, .. window]);
        Assert.True(runs == 0, runsError);
        Assert.True(File.Exists(Path.Combine(Dir, "r", "journeys.json")));
    }

    /// <summary>A snapshot too large for the limit is read in partitions of users, a window of its rows at a time, with the same outputs.</summary>
    [Fact]
    public void A_snapshot_too_large_for_the_limit_is_read_in_partitions_with_the_outputs_of_the_run_in_memory()
    {
        var workspace = RepoRoot.Combine("examples", "retail");
        var data = Path.Combine(Dir, "data");
        RetailDataGenerator.Generate(data, users: 300, days: 30, seed: 6, order: EventOrder.Time);
        var snapshot = Path.Combine(Dir, "snapshot");
        Assert.Equal(0, Run("import", workspace, "--data", data, "--out", snapshot, "--quiet").Exit);
        var parsed = Path.Combine(Dir, "parsed");
        Assert.Equal(0, Run("simulate", workspace, "--data", data, "--out", parsed, "--quiet").Exit);

        var limited = Path.Combine(Dir, "limited");
        var (exit, _, error) = Run("simulate", workspace, "--data", snapshot, "--out", limited, "--memory-limit", "256k");
        Assert.True(exit == 0, error);
        Assert.Matches(@"reading the snapshot and evaluating in \d+ partitions of users", error);
        AssertSameOutputs(parsed, limited);
    }

    [Theory]
    [InlineData("lots")]
    [InlineData("-1g")]
    [InlineData("0")]
    [InlineData("9999999999999999999999999999t")]   // overflows decimal when multiplied by its unit
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
