using System.Diagnostics;
using MarketingDsl.Core;
using MarketingDsl.Engine.Simulation;

namespace MarketingDsl.EngineBenchmarks;

/// <summary>
/// mdsl end to end on the rows grouped by user and in time order, alternately in one process (both orders see the same load);
/// beside wall times, the process's CPU seconds per run, which other load disturbs far less.
/// </summary>
public sealed record OrderReport(double[] UserEndToEnd, double[] TimeEndToEnd, double[] UserLoad, double[] TimeLoad, double CpuSeconds,
    double[] UserCpu, double[] TimeCpu);

public static class OrderMeasurement
{
    /// <param name="userDirectory">The rows as generated; the time-ordered copy is next to it (<see
    /// cref="BenchmarkOptions.DataDirectory(int, string)"/>).</param>
    public static OrderReport Run(string workspaceDirectory, string userDirectory, string outDirectory, int runs)
    {
        var endToEnd = new[] { new List<double>(), new List<double>() };
        var load = new[] { new List<double>(), new List<double>() };
        var cpu = new[] { new List<double>(), new List<double>() };
        string[] directories = [userDirectory, userDirectory + "-time"];
        for (var i = 0; i < runs; i++)
            for (var o = 0; o < 2; o++)
            {
                GC.Collect();
                var cpuBefore = Measurements.CpuSeconds();
                var clock = Stopwatch.StartNew();
                var directory = directories[o];
                load[o].Add(Measurements.FiguresOf(() => SimulationRunner.Run(RetailWorkspace.Compile(Workspace.Load(workspaceDirectory)),
                    directory, Path.Combine(outDirectory, o == 0 ? "user" : "time"), null), run => run.Timings.Load.TotalSeconds));
                endToEnd[o].Add(clock.Elapsed.TotalSeconds);
                cpu[o].Add(Measurements.CpuSeconds() - cpuBefore);
                Console.Error.WriteLine($"  mdsl {(o == 0 ? "user" : "time")} order, run {i + 1}/{runs}: {endToEnd[o][^1]:F2} s (load " +
                    $"{load[o][^1]:F2}, CPU {cpu[o][^1]:F2} s)");
            }
        return new OrderReport([.. endToEnd[0]], [.. endToEnd[1]], [.. load[0]], [.. load[1]], Measurements.CpuSeconds(), [.. cpu[0]], [.. cpu[1]]);
    }
}
