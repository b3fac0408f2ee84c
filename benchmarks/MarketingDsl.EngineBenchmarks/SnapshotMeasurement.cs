using System.Diagnostics;
using MarketingDsl.Core;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Simulation;

namespace MarketingDsl.EngineBenchmarks;

/// <summary>What the snapshot children measured: mdsl from an import snapshot, DuckDB from its own database file.</summary>
public sealed record SnapshotReport(double? PrepareOnce, long PreparedBytes, double[] EndToEnd, double[] Load, long PeakWorkingSet,
    double CpuSeconds);

/// <summary>
/// Repeated simulations without parsing, each in a child process of its own: mdsl reads an import
/// snapshot (<c>mdsl import</c>, written once, timed once), DuckDB opens a database file holding
/// its own tables (loaded once from the JSON, timed once) and computes the same tags.
/// </summary>
public static class SnapshotMeasurement
{
    public static SnapshotReport RunMdsl(string workspaceDirectory, string dataDirectory, string outDirectory, string dataRoot, int runs)
    {
        var snapshot = Path.Combine(dataRoot, "snapshots", Path.GetFileName(dataDirectory));
        double? prepare = null;
        if (!ImportSnapshot.IsSnapshot(snapshot))
        {
            var compilation = RetailWorkspace.Compile(Workspace.Load(workspaceDirectory));
            var once = Stopwatch.StartNew();
            DataSource.Import(compilation.Model.Schema, dataDirectory, snapshot, SimulationRunner.ImportOptionsAt(null));
            prepare = once.Elapsed.TotalSeconds;
            Console.Error.WriteLine($"  mdsl import: {prepare:F2} s");
            GC.Collect();
        }
        var endToEnd = new double[runs];
        var load = new double[runs];
        for (var i = 0; i < runs; i++)
        {
            GC.Collect();
            var clock = Stopwatch.StartNew();
            (load[i], var fromSnapshot) = Measurements.FiguresOf(
                () => SimulationRunner.Run(RetailWorkspace.Compile(Workspace.Load(workspaceDirectory)), snapshot, outDirectory, null),
                run => (run.Timings.Load.TotalSeconds, run.Data.Report.FromSnapshot is not null));
            endToEnd[i] = clock.Elapsed.TotalSeconds;
            if (!fromSnapshot) throw new InvalidOperationException("the run did not read the snapshot");
            Console.Error.WriteLine($"  mdsl from snapshot run {i + 1}/{runs}: {endToEnd[i]:F2} s (load {load[i]:F2})");
        }
        var bytes = new DirectoryInfo(snapshot).EnumerateFiles().Sum(f => f.Length);
        return new SnapshotReport(prepare, bytes, endToEnd, load, Measurements.PeakWorkingSet(), Measurements.CpuSeconds());
    }

    public static SnapshotReport RunDuckDb(string dataDirectory, string outDirectory, string dataRoot, int runs)
    {
        Directory.CreateDirectory(outDirectory);
        var database = Path.Combine(dataRoot, "snapshots", Path.GetFileName(dataDirectory) + ".duckdb");
        Directory.CreateDirectory(Path.GetDirectoryName(database)!);
        double? prepare = null;
        var total = new double[runs];
        for (var i = 0; i < runs; i++)
        {
            var (loadOnce, compute) = DuckDbTags.RunNative(dataDirectory, database, Path.Combine(outDirectory, "tags.csv"),
                Path.Combine(dataRoot, "duckdb-spill"));
            if (loadOnce is { } l) prepare = l.TotalSeconds;
            total[i] = compute.TotalSeconds;
            Console.Error.WriteLine($"  DuckDB on its tables run {i + 1}/{runs}: {total[i]:F2} " +
                $"s{(loadOnce is null ? "" : $" (loaded the file once: {prepare:F2} s)")}");
        }
        return new SnapshotReport(prepare, new FileInfo(database).Length, total, new double[runs], Measurements.PeakWorkingSet(),
            Measurements.CpuSeconds());
    }
}

/// <summary>mdsl under a memory limit that splits the run into partitions (<c>simulate --memory-limit</c>), in a child process of its own.</summary>
public static class SpillMeasurement
{
    public static SnapshotReport Run(string workspaceDirectory, string dataDirectory, string outDirectory, long memoryLimit, int runs)
    {
        var endToEnd = new double[runs];
        var load = new double[runs];
        SpillPlan? plan = null;
        for (var i = 0; i < runs; i++)
        {
            GC.Collect();
            var clock = Stopwatch.StartNew();
            var compilation = RetailWorkspace.Compile(Workspace.Load(workspaceDirectory));
            plan = SimulationRunner.SpillPlanFor(compilation.Model.Schema, dataDirectory, memoryLimit)
                ?? throw new InvalidOperationException($"the data fits under {memoryLimit:N0} bytes: nothing to partition");
            var spill = plan;
            load[i] = Measurements.FiguresOf(() => SimulationRunner.Run(compilation, dataDirectory, outDirectory, null, spill: spill),
                run => run.Timings.Load.TotalSeconds);
            endToEnd[i] = clock.Elapsed.TotalSeconds;
            Console.Error.WriteLine($"  mdsl in {plan.Partitions} partitions run {i + 1}/{runs}: {endToEnd[i]:F2} s (import {load[i]:F2})");
        }
        return new SnapshotReport(plan!.Partitions, memoryLimit, endToEnd, load, Measurements.PeakWorkingSet(), Measurements.CpuSeconds());
    }
}
