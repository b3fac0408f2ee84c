using MarketingDsl.Core;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;
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
    }

    [Fact]
    public void A_limit_that_would_need_more_partitions_than_can_be_kept_open_is_refused_with_the_smallest_limit_that_fits()
    {
        // 20 GB of input under 64 MB: 12 GB in partitions of 16 MB would be 768 partitions (a plan capped at 256 held 48 MB each).
        var e = Assert.Throws<DataImportException>(() => SpillPlan.For(64L << 20, 20L << 30, 5, "/data/history"));
        Assert.StartsWith("MD8015: '/data/history' holds 20.0 GB of input: under a memory limit of 64m", e.Message);
        var smallest = System.Text.RegularExpressions.Regex.Match(e.Message, @"raise --memory-limit to at least (\d+)m").Groups[1].Value;
        Assert.Equal("192", smallest);
        Assert.Equal(SpillPlan.MaxPartitions, SpillPlan.For(192L << 20, 20L << 30, 5)!.Partitions);
        Assert.Throws<DataImportException>(() => SpillPlan.For(191L << 20, 20L << 30, 5));
    }

    [Fact]
    public void What_is_kept_for_every_user_comes_off_the_limit_before_partitions_are_sized()
    {
        // 800,000 users under 2g, 1,432 bytes kept per user besides ids and profiles: 1.3 GB stays for the whole run.
        var plan = SpillPlan.For(2L << 30, 18L << 30, 5)! with { KeptBytesPerUser = 1432 };
        Assert.Equal(22, plan.Partitions);
        var sized = plan.ForUsers(800_000, profileBytesPerUser: 208);
        var kept = 800_000L * (1432 + 208);
        var room = (2L << 30) - kept;
        Assert.True(sized.Partitions * (room / 4) >= plan.EstimateBytes, "the partitions cover the estimate");
        Assert.True((long)(sized.Partitions - 1) * (room / 4) < plan.EstimateBytes, "and are no more than needed");
        Assert.True(sized.Partitions > plan.Partitions);
        Assert.Equal(room / 8, sized.HeapHeadroom);
        Assert.True(sized.FlushRows < plan.FlushRows);
        Assert.Equal(1432, sized.KeptBytesPerUser);
        // A plan given directly (tests) and a few users (kept within the runtime's overhead) are left as they are.
        Assert.Same(Plans[1], Plans[1].ForUsers(800_000, 208));
        Assert.Same(plan, plan.ForUsers(500, 208));
    }

    [Fact]
    public void Users_whose_results_leave_no_room_under_the_limit_are_refused_naming_the_data_and_the_limit()
    {
        var plan = SpillPlan.For(2L << 30, 18L << 30, 5, "/data/history")! with { KeptBytesPerUser = 1432 };
        var e = Assert.Throws<DataImportException>(() => plan.ForUsers(1_200_000, 208, "/data/history"));
        Assert.StartsWith("MD8016: '/data/history' has 1,200,000 users", e.Message);
        Assert.Contains("under a memory limit of 2g", e.Message);
        Assert.Contains("raise --memory-limit to at least 2.1g", e.Message);
    }

    [Fact]
    public void Spill_files_that_would_not_fit_the_disk_are_refused_before_the_import()
    {
        var e = Assert.Throws<DataImportException>(() => SpillPlan.CheckDisk("/data/history", 18L << 30, "/scratch", freeBytes: 4L << 30));
        Assert.Equal("MD8017: the spill files of '/data/history' under the memory limit need about 9.0 GB in '/scratch', which has 4.0 GB " +
            "free. (free disk space there, point TMPDIR at a larger disk, or raise --memory-limit so that the data fits in memory)", e.Message);
        SpillPlan.CheckDisk("/data/history", 1L << 30, "/scratch", freeBytes: 4L << 30);
    }

    [Fact]
    public void A_run_whose_users_take_part_of_the_limit_still_writes_the_bytes_of_the_run_in_memory()
    {
        var compilation = FunctionCompilation.Create(Workspace.Load(RepositoryPaths.Of("examples", "retail")));
        using var data = new TempDir();
        RetailDataGenerator.Generate(data.Path, users: 1500, days: 60, seed: 9);
        EventFileOrder.SortByTime(Path.Combine(data.Path, "events.jsonl"));
        var input = new DirectoryInfo(data.Path).EnumerateFiles().Sum(f => f.Length);
        var limit = input / 2;   // the import (0.6 of the input) does not fit; 1,500 users keep about 3 MB of it
        var plan = SimulationRunner.SpillPlanFor(compilation.Model.Schema, data.Path, limit)!;
        var kept = CompiledEngine.KeptBytesPerUser(CompiledEngine.PlanFor(compilation));
        Assert.True((plan with { KeptBytesPerUser = kept }).ForUsers(1500, 208).Partitions > plan.Partitions, $"{kept} bytes per user");
        using var memory = new TempDir();
        using var spilled = new TempDir();
        SimulationRunner.Run(compilation, data.Path, memory.Path, asOfUtc: null);
        SimulationRunner.Run(compilation, data.Path, spilled.Path, asOfUtc: null, spill: plan);
        foreach (var file in new[] { "tags.csv", "summary.json", "rejects.jsonl" })
            Assert.True(File.ReadAllText(Path.Combine(memory.Path, file)) == File.ReadAllText(Path.Combine(spilled.Path, file)), $"{file} differs");
    }

    /// <summary>
    /// Results of earlier phases wait in the partition's file, and a partition's final results are handed on and dropped:
    /// the evaluation never holds more users' results than the largest partition has, and hands on every user once, in order.
    /// </summary>
    [Fact]
    public void A_partitioned_evaluation_holds_the_results_of_one_partition_at_a_time()
    {
        var compilation = FunctionCompilation.Create(Workspace.Load(RepositoryPaths.Of("examples", "retail")));
        var plan = CompiledEngine.PlanFor(compilation);
        Assert.True(plan.Phases.Length > 1, "tags of tags and quantile_score make later phases");
        using var data = new TempDir();
        RetailDataGenerator.Generate(data.Path, users: 700, days: 60, seed: 10);
        using var spillRoot = new TempDir();
        using var parts = DataImporter.LoadPartitioned(compilation.Model.Schema, data.Path,
            new ImportOptions { Spill = new SpillPlan(9, 300), SpillDirectory = spillRoot.Path });
        var asOf = new DateTime(parts.Users.MaxTimestampTicks!.Value, DateTimeKind.Utc);
        var handed = new List<string>();
        var outcome = PartitionedEvaluation.Evaluate(plan, parts, asOf, part =>
        {
            Assert.Equal(compilation.Model.Outputs.Length, part.Columns.Length);
            handed.AddRange(part.Data.UserIds);
        });
        var largest = Enumerable.Range(0, parts.Partitions).Max(p => parts.FirstUser(p + 1) - parts.FirstUser(p));
        Assert.Equal(largest, outcome.MostResultRowsHeld);
        Assert.True(outcome.MostResultRowsHeld * 8 < parts.Users.UserCount, $"{outcome.MostResultRowsHeld} of {parts.Users.UserCount} users");
        Assert.Equal(parts.Users.UserIds, handed);
        var memory = CompiledEngine.Evaluate(plan, DataImporter.Load(compilation.Model.Schema, data.Path, new ImportOptions()), asOf);
        Assert.Equal(memory.EventsAfterAsOf ?? memory.Data.CountEventsAfter(asOf.Ticks), outcome.EventsAfterAsOf);
    }

    /// <summary>
    /// Runs in memory and under each plan, from the data directory and from its import snapshot (written in small batches and
    /// parts, so partitions' windows of the tables start and end inside batches and parts); asserts the same bytes, and the
    /// same statistics the CLI prints (median, p90).
    /// </summary>
    private static void AssertSpilledRunsEqual(Compilation compilation, string data, DateTime? asOf)
    {
        using var memory = new TempDir();
        var inMemory = SimulationRunner.Run(compilation, data, memory.Path, asOf);
        using var snapshot = new TempDir();
        WriteSnapshot(compilation.Model.Schema, data, snapshot.Path);
        foreach (var (plan, source) in Plans.SelectMany(p => new[] { (p, data), (p, snapshot.Path) }))
        {
            using var spilled = new TempDir();
            var run = SimulationRunner.Run(compilation, source, spilled.Path, asOf, spill: plan);
            Assert.Null(run.Result);
            Assert.Equal(source == snapshot.Path ? Path.GetFullPath(snapshot.Path) : null, run.Data.Report.FromSnapshot);
            foreach (var file in new[] { "tags.csv", "summary.json", "rejects.jsonl" })
                Assert.True(File.ReadAllText(Path.Combine(memory.Path, file)) == File.ReadAllText(Path.Combine(spilled.Path, file)),
                    $"{file} differs with {plan.Partitions} partitions, flushes every {plan.FlushRows} rows, from {source}");
            foreach (var (expected, actual) in inMemory.Summary.Outputs.Zip(run.Summary.Outputs))
            {
                var name = expected.Symbol.Name;
                Assert.Equal((expected.Min, expected.Median, expected.P90, expected.Max), (actual.Min, actual.Median, actual.P90, actual.Max));
                Assert.True((expected.NonNull, expected.Empty, expected.True, expected.False, expected.Sum) ==
                    (actual.NonNull, actual.Empty, actual.True, actual.False, actual.Sum), name);
                Assert.Equal(expected.Values, actual.Values);
            }
            Assert.Equal(inMemory.Summary.Segments, run.Summary.Segments);
            Assert.Equal(inMemory.Summary.Quality.EventsAfterAsOf, run.Summary.Quality.EventsAfterAsOf);
        }
    }

    /// <summary>The import snapshot of a data directory (as `mdsl import` writes it), in batches of 7 rows and parts of 2 KB.</summary>
    private static void WriteSnapshot(Core.Semantics.SchemaModel schema, string data, string snapshot)
    {
        using var rejects = new TempDir();
        var rejectsPath = Path.Combine(rejects.Path, "rejects.jsonl");
        var source = Path.GetFullPath(data);
        var inputs = DataFingerprint.Inputs(source);
        var imported = DataImporter.Load(schema, source, SimulationRunner.ImportOptionsAt(rejectsPath));
        ImportSnapshot.Write(imported, snapshot, source, inputs, rejectsPath, batchRows: 7, partBytes: 2048);
    }

    /// <summary>
    /// A partitioned run from a snapshot reads each partition's rows as a window of each table: the windows of all partitions
    /// are the tables, user by user, as the snapshot read whole has them; only the columns asked for are read.
    /// </summary>
    [Fact]
    public void A_snapshot_read_a_partition_at_a_time_gives_each_partition_its_users_rows()
    {
        var compilation = FunctionCompilation.Create(Workspace.Load(RepositoryPaths.Of("examples", "retail")));
        var schema = compilation.Model.Schema;
        using var data = new TempDir();
        RetailDataGenerator.Generate(data.Path, users: 300, days: 40, seed: 12, order: EventOrder.Time);
        using var snapshot = new TempDir();
        WriteSnapshot(schema, data.Path, snapshot.Path);
        var whole = ImportSnapshot.Read(schema, snapshot.Path);
        // Its files are mapped while read, and their pages count in resident memory: the estimate that decides whether it fits counts them.
        var files = new DirectoryInfo(snapshot.Path).EnumerateFiles("*.arrows").Sum(f => f.Length);
        Assert.True(ImportSnapshot.EstimateBytes(schema, snapshot.Path, columns: null) > files + whole.Events.Sum(t => 16L * t!.RowCount));
        var columns = CompiledEngine.PlanFor(compilation).Columns.WithEveryTable(schema);
        using var spillRoot = new TempDir();
        using var parts = PartitionedData.FromSnapshot(schema, new SpillPlan(6, 100), snapshot.Path, columns, spillRoot.Path);
        Assert.Equal(whole.UserIds, parts.Users.UserIds);
        Assert.Equal(whole.Report.EventsKept, parts.Users.Report.EventsKept);
        Assert.Equal(whole.MaxTimestampTicks, parts.Users.MaxTimestampTicks);
        for (var p = 0; p < parts.Partitions; p++)
        {
            var part = parts.Load(p);
            var lo = parts.FirstUser(p);
            Assert.Equal(whole.UserIds[lo..parts.FirstUser(p + 1)], part.UserIds);
            for (var e = 0; e < schema.Events.Length; e++)
            {
                var (w, t) = (whole.Events[e]!, part.Events[e]!);
                Assert.Equal(w.UserStart[parts.FirstUser(p + 1)] - w.UserStart[lo], t.RowCount);
                for (var u = 0; u < part.UserCount; u++)
                {
                    var rows = w.UserStart[lo + u]..w.UserStart[lo + u + 1];
                    Assert.Equal(w.Ts[rows], t.Ts[t.UserStart[u]..t.UserStart[u + 1]]);
                    for (var f = 2; f < t.Fields.Length; f++)
                    {
                        Assert.Equal(columns.ReadsField(e, f), t.Fields[f] is not null);
                        if (t.Fields[f] is not { } field) continue;
                        for (var r = 0; r < t.UserStart[u + 1] - t.UserStart[u]; r++)
                            Assert.Equal(w.Fields[f]!.GetBoxed(rows.Start.Value + r), field.GetBoxed(t.UserStart[u] + r));
                    }
                }
            }
        }
        Assert.NotEmpty(Directory.GetDirectories(spillRoot.Path));
        parts.Dispose();
        Assert.Empty(Directory.GetDirectories(spillRoot.Path));
    }

    /// <summary>A snapshot whose data files changed since its import is not read: the files are imported in partitions, with the warning.</summary>
    [Fact]
    public void A_partitioned_run_from_a_snapshot_whose_files_changed_imports_the_files_instead()
    {
        var compilation = FunctionCompilation.Create(Workspace.Load(RepositoryPaths.Of("examples", "retail")));
        using var data = new TempDir();
        RetailDataGenerator.Generate(data.Path, users: 200, days: 30, seed: 13);
        using var snapshot = new TempDir();
        WriteSnapshot(compilation.Model.Schema, data.Path, snapshot.Path);
        File.AppendAllText(Path.Combine(data.Path, "events.jsonl"),
            "{\"type\":\"login\",\"user_id\":\"u0000001\",\"ts\":\"2025-09-30T12:00:00Z\",\"platform\":\"web\"}\n");
        using var memory = new TempDir();
        using var spilled = new TempDir();
        SimulationRunner.Run(compilation, data.Path, memory.Path, asOfUtc: null);
        var run = SimulationRunner.Run(compilation, snapshot.Path, spilled.Path, asOfUtc: null, spill: Plans[1]);
        Assert.Null(run.Data.Report.FromSnapshot);
        Assert.Contains(run.Warnings, w => w.StartsWith("MD6031", StringComparison.Ordinal));
        foreach (var file in new[] { "tags.csv", "summary.json", "rejects.jsonl" })
            Assert.True(File.ReadAllText(Path.Combine(memory.Path, file)) == File.ReadAllText(Path.Combine(spilled.Path, file)), $"{file} differs");
    }
}
