using System.Runtime.CompilerServices;
using System.Text.Json;
using MarketingDsl.Engine.Simulation;

namespace MarketingDsl.EngineBenchmarks;

/// <summary>What the mdsl child process measured on one data set (seconds, bytes).</summary>
public sealed record MdslReport(
    long Users,
    long EventsKept,
    double[] EndToEnd,
    double[] Compile,
    double[] Load,
    double[] Evaluate,
    double[] Write,
    long PeakWorkingSetAfterFirstRun,
    double[] WarmEvaluate,
    double[] HandLoop,
    string? HandLoopDifference,
    double[] EditorRecompile,
    double[] EditorEvaluate,
    double[] EditorTotal,
    long EditorChangedUsers,
    long PeakWorkingSetAtEnd,
    double CpuSeconds);

/// <summary>What the DuckDB child process measured on one data set (seconds, bytes).</summary>
public sealed record DuckDbReport(double[] Load, double[] Compute, double[] Total, long PeakWorkingSet, double CpuSeconds);

public static class Measurements
{
    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static double Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>
    /// The median of the runs after a child's first: the first pays what a fresh process pays (the JIT, a cold
    /// read), is the slowest and is reported on its own: of three runs the plain median is the slower warm run, still tiering up.
    /// </summary>
    public static double WarmMedian(IReadOnlyList<double> values) => values.Count > 1 ? Median(values.Skip(1).ToArray()) : Median(values);

    /// <summary>
    /// Runs <paramref name="simulate"/> and keeps only <paramref name="figures"/> of its run: once this returns, the run's data set
    /// is garbage, so the collection before the next run frees it. A local in the caller's loop keeps it alive until it is assigned
    /// again, that is through the whole next run (tier-0 code reports every local slot live): about 200 MB more for the collector
    /// to mark at 200,000 users, which no user's process holds.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static T FiguresOf<T>(Func<SimulationRun> simulate, Func<SimulationRun, T> figures) => figures(simulate());

    public static void Write<T>(string path, T report) => File.WriteAllText(path, JsonSerializer.Serialize(report, Json));

    public static T Read<T>(string path) => JsonSerializer.Deserialize<T>(File.ReadAllText(path), Json)
        ?? throw new InvalidOperationException($"'{path}' holds no report");

    public static double CpuSeconds()
    {
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        return process.TotalProcessorTime.TotalSeconds;
    }

    /// <summary>Busy CPU seconds of the whole machine so far (Linux /proc/stat), or null elsewhere.</summary>
    public static double? MachineBusySeconds()
    {
        if (!File.Exists("/proc/stat")) return null;
        // "cpu  user nice system idle iowait irq softirq steal …" in USER_HZ (100 per second on Linux).
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long Field(int i) => long.Parse(fields[i], System.Globalization.CultureInfo.InvariantCulture);
        return (Field(1) + Field(2) + Field(3) + Field(6) + Field(7) + Field(8)) / 100.0;
    }

    public static long PeakWorkingSet()
    {
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        return process.PeakWorkingSet64;
    }
}
