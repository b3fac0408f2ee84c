using System.Diagnostics;
using MarketingDsl.Core;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Engine.Simulation;

namespace MarketingDsl.EngineBenchmarks;

/// <summary>
/// Runs in a child process of its own, so that its peak working set is mdsl's alone:
/// end-to-end simulations (as <c>mdsl simulate</c> does them), then, on the last run's loaded
/// data, the warm engine, the hand-written loop (checked against the engine) and the editor's case.
/// </summary>
public static class MdslMeasurement
{
    public static MdslReport Run(string workspaceDirectory, string dataDirectory, string outDirectory, DateTime? asOfUtc, int runs)
    {
        var endToEnd = new List<double>();
        var compile = new List<double>();
        var load = new List<double>();
        var evaluate = new List<double>();
        var write = new List<double>();
        long peakAfterFirstRun = 0;
        SimulationRun? last = null;
        for (var i = 0; i < runs; i++)
        {
            last = null;
            GC.Collect(); // the previous run's data set is garbage: do not let it inflate this run
            var clock = Stopwatch.StartNew();
            var compilation = RetailWorkspace.Compile(Workspace.Load(workspaceDirectory));
            var checkTime = clock.Elapsed;
            last = SimulationRunner.Run(compilation, dataDirectory, outDirectory, asOfUtc);
            endToEnd.Add(clock.Elapsed.TotalSeconds);
            // "compile" = the check (Compilation.Create) + lowering to expression trees.
            compile.Add((checkTime + last.Timings.Compile).TotalSeconds);
            load.Add(last.Timings.Load.TotalSeconds);
            evaluate.Add(last.Timings.Evaluate.TotalSeconds);
            write.Add(last.Timings.Write.TotalSeconds);
            if (i == 0) peakAfterFirstRun = Measurements.PeakWorkingSet();
            Console.Error.WriteLine($"  mdsl run {i + 1}/{runs}: {endToEnd[^1]:F2} s (load {load[^1]:F2}, evaluate {evaluate[^1]:F2}, " +
                $"write {write[^1]:F2})");
        }

        var result = last!.Result!;   // a run in memory keeps its result
        var data = result.Data;
        var asOf = result.AsOfUtc;
        var plan = CompiledEngine.PlanFor(result.Model);

        var difference = HandWrittenTags.Compute(data, asOf).FirstDifference(result);
        // Interleaved (engine, hand, engine, hand, …): on a shared machine both see the same load.
        var (warmEvaluate, handLoop) = RepeatInterleaved(runs, () => CompiledEngine.Evaluate(plan, data, asOf), () =>
            HandWrittenTags.Compute(data, asOf));
        Console.Error.WriteLine($"  engine (warm) {Measurements.Median(warmEvaluate):F3} s, hand loop {Measurements.Median(handLoop):F3} " +
            $"s, {difference ?? "same values"}");

        var (recompile, editorEvaluate, editorTotal, changed) = EditorCase(Workspace.Load(workspaceDirectory), result, asOf, runs);
        Console.Error.WriteLine($"  editor: check {Measurements.Median(recompile):F3} s + plan and evaluate " +
            $"{Measurements.Median(editorEvaluate):F3} s; annual_spend changed for {changed:N0} users");

        return new MdslReport(data.UserCount, data.Report.EventsKept, [.. endToEnd], [.. compile], [.. load], [.. evaluate], [.. write],
            peakAfterFirstRun, warmEvaluate, handLoop, difference, recompile, editorEvaluate, editorTotal, changed,
                Measurements.PeakWorkingSet(), Measurements.CpuSeconds());
    }

    /// <summary>
    /// Data loaded; annual_spend's text edited (365d → 90d); what the editor pays to show new
    /// values: <c>Compilation.Create</c> of the edited workspace, then <c>CompiledEngine.Evaluate</c>
    /// (which lowers the new model to expression trees first).
    /// </summary>
    private static (double[] Recompile, double[] Evaluate, double[] Total, long ChangedUsers) EditorCase(Workspace workspace,
        EvaluationResult original, DateTime asOf, int runs)
    {
        var data = original.Data;
        var editedWorkspace = RetailWorkspace.WithEditedAnnualSpend(workspace);
        var recompile = new List<double>();
        var evaluate = new List<double>();
        var total = new List<double>();
        EvaluationResult? edited = null;
        for (var i = 0; i < Math.Max(runs, 5); i++)
        {
            var clock = Stopwatch.StartNew();
            var compilation = RetailWorkspace.Compile(editedWorkspace);
            var check = clock.Elapsed;
            edited = new CompiledEngine().Evaluate(compilation.Model, data, asOf);
            total.Add(clock.Elapsed.TotalSeconds);
            recompile.Add(check.TotalSeconds);
            evaluate.Add((clock.Elapsed - check).TotalSeconds);
        }

        // Proof that the edit took effect: annual_spend now differs for users with older orders.
        var before = original.Column(RetailWorkspace.EditedTag);
        var after = edited!.Column(RetailWorkspace.EditedTag);
        long changed = 0;
        for (var u = 0; u < data.UserCount; u++) if (!Equals(before.Get(u), after.Get(u))) changed++;
        return ([.. recompile], [.. evaluate], [.. total], changed);
    }

    /// <summary>Two sub-second in-memory measurements, warmed up, then taken alternately at least 15 times each.</summary>
    private static (double[] A, double[] B) RepeatInterleaved(int runs, Func<object> a, Func<object> b)
    {
        for (var i = 0; i < 3; i++) { a(); b(); }
        runs = Math.Max(runs, 15);
        var (timesA, timesB) = (new double[runs], new double[runs]);
        for (var i = 0; i < runs; i++)
        {
            var clock = Stopwatch.StartNew();
            GC.KeepAlive(a());
            timesA[i] = clock.Elapsed.TotalSeconds;
            clock.Restart();
            GC.KeepAlive(b());
            timesB[i] = clock.Elapsed.TotalSeconds;
        }
        return (timesA, timesB);
    }

    /// <summary>Sub-second in-memory measurements: warmed up, and repeated at least 7 times.</summary>
    private static double[] Repeat(int runs, Func<object> action)
    {
        for (var i = 0; i < 3; i++) action(); // warm-up: JIT tiers, first touch of the data set's pages
        runs = Math.Max(runs, 7);
        var times = new double[runs];
        for (var i = 0; i < runs; i++)
        {
            var clock = Stopwatch.StartNew();
            GC.KeepAlive(action());
            times[i] = clock.Elapsed.TotalSeconds;
        }
        return times;
    }
}
