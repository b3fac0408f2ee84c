using MarketingDsl.Core;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Simulation;
using MarketingDsl.Engine.Tests.Conformance;
using MarketingDsl.Functions.Loading;

namespace MarketingDsl.Engine.Tests.Data;

/// <summary>
/// A run that does not fit in memory (users split into partitions, event rows in spill files,
/// evaluated partition by partition) writes the bytes of the run in memory: tags.csv, summary.json
/// and rejects.jsonl, with quantile_score populations ranked over all users and identity merges
/// resolved before rows are partitioned. Tiny plans force many partitions and flushes.
/// </summary>
public sealed class SpillTests
{
    private static readonly SpillPlan[] Plans = [new(3, 500), new(7, 37)];

    public static TheoryData<string> ConformanceCases() => ConformanceTests.Cases();

    [Theory]
    [MemberData(nameof(ConformanceCases))]
    public void A_spilled_run_equals_the_run_in_memory_on_the_conformance_cases(string name)
    {
        var dir = RepositoryPaths.Of("tests", "conformance", name);
        var compilation = Compilation.Create(Workspace.Load(Path.Combine(dir, "workspace")));
        var data = Path.Combine(dir, "data");
        AssertSpilledRunsEqual(compilation, data, ConformanceTests.AsOfArgument(dir));
    }

    /// <summary>examples/retail: quantile_score (r_score, f_score) over all users, tags of tags in later phases, custom functions.</summary>
    [Fact]
    public void A_spilled_run_equals_the_run_in_memory_on_the_retail_example_with_quantiles()
    {
        var compilation = FunctionCompilation.Create(Workspace.Load(RepositoryPaths.Of("examples", "retail")));
        Assert.False(compilation.HasErrors, string.Join("\n", compilation.Diagnostics));
        Assert.Contains(compilation.Model.Outputs, o => o.Name == "r_score");
        using var data = new TempDir();
        RetailDataGenerator.Generate(data.Path, users: 500, days: 120, seed: 8);
        EventFileOrder.SortByTime(Path.Combine(data.Path, "events.jsonl"));
        AssertSpilledRunsEqual(compilation, data.Path, asOf: null);
    }

    [Fact]
    public void Rows_of_merged_profiles_go_to_the_partition_of_the_surviving_user()
    {
        // a1 and z9 share a member id: z9's events (and those of an unknown id naming that member id) belong to a1, the first user (partition 0).
        using var data = DataTestUtil.Dir(
            ("profiles.jsonl", string.Join("\n", Enumerable.Range(0, 40).Select(i => $"{{\"user_id\":\"u{i:00}\"}}")) +
                "\n{\"user_id\":\"z9\",\"member_id\":\"M\"}\n{\"user_id\":\"a1\",\"member_id\":\"M\"}\n"),
            ("events.jsonl", string.Join("\n", Enumerable.Range(0, 200).Select(i =>
                $"{{\"type\":\"e\",\"user_id\":\"{(i % 3 == 0 ? "z9" : i % 5 == 0 ? "ghost" : $"u{i % 40:00}")}\"," +
                $"\"ts\":\"2025-01-{1 + i % 28:00}T00:00:00Z\",\"n\":{i}" +
                (i % 5 == 0 ? ",\"member_id\":\"M\"" : "") + "}")) + "\n"));
        var schema = DataTestUtil.JsonPathSchema();
        var whole = DataImporter.Load(schema, data.Path, new ImportOptions());
        Assert.Single(whole.Report.IdentityMerges);
        using var spillRoot = new TempDir();
        var parts = DataImporter.LoadPartitioned(schema, data.Path,
            new ImportOptions { Spill = new SpillPlan(5, 7), SpillDirectory = spillRoot.Path });
        using var _ = parts;
        Assert.Equal(whole.UserIds, parts.Users.UserIds);
        Assert.Equal(whole.Report.EventsKept, parts.Users.Report.EventsKept);
        Assert.Equal(whole.Report.OrphanEvents, parts.Users.Report.OrphanEvents);
        Assert.Equal("a1", whole.UserIds[0]);
        Assert.True(whole.Events[0]!.UserStart[1] > 70, "z9's rows and the ghost's went to a1");
        var e = whole.Events[0]!;
        for (var p = 0; p < parts.Partitions; p++)
        {
            var part = parts.Load(p);
            var t = part.Events[0]!;
            var lo = parts.FirstUser(p);
            for (var u = 0; u < part.UserCount; u++)
            {
                Assert.Equal(e.Ts[e.UserStart[lo + u]..e.UserStart[lo + u + 1]], t.Ts[t.UserStart[u]..t.UserStart[u + 1]]);
                Assert.Equal(e.Line[e.UserStart[lo + u]..e.UserStart[lo + u + 1]], t.Line[t.UserStart[u]..t.UserStart[u + 1]]);
            }
        }
        Assert.NotEmpty(Directory.GetDirectories(spillRoot.Path));
        parts.Dispose();
        Assert.Empty(Directory.GetDirectories(spillRoot.Path));
    }

    [Fact]
    public void A_memory_limit_plans_partitions_only_when_the_import_would_not_fit()
    {
        Assert.Null(SpillPlan.For(2L << 30, 1L << 30, 5));
        var plan = SpillPlan.For(2L << 30, 20L << 30, 5)!;
        Assert.Equal(24, plan.Partitions);   // 12 GB estimated, 512 MB per partition
        Assert.InRange(plan.FlushRows, 1024, 1 << 24);
        Assert.Equal(SpillPlan.MaxPartitions, SpillPlan.For(1000, 20L << 30, 5)!.Partitions);
    }

    /// <summary>Runs in memory and under each plan; asserts the same bytes.</summary>
    private static void AssertSpilledRunsEqual(Compilation compilation, string data, DateTime? asOf)
    {
        using var memory = new TempDir();
        SimulationRunner.Run(compilation, data, memory.Path, asOf);
        foreach (var plan in Plans)
        {
            using var spilled = new TempDir();
            SimulationRunner.Run(compilation, data, spilled.Path, asOf, spill: plan);
            foreach (var file in new[] { "tags.csv", "summary.json", "rejects.jsonl" })
                Assert.True(File.ReadAllText(Path.Combine(memory.Path, file)) == File.ReadAllText(Path.Combine(spilled.Path, file)),
                    $"{file} differs with {plan.Partitions} partitions, flushes every {plan.FlushRows} rows");
        }
    }
}
