using System.Text.Json;

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
    long PeakWorkingSetAtEnd);

/// <summary>What the DuckDB child process measured on one data set (seconds, bytes).</summary>
public sealed record DuckDbReport(double[] Load, double[] Compute, double[] Total, long PeakWorkingSet);

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

    public static void Write<T>(string path, T report) => File.WriteAllText(path, JsonSerializer.Serialize(report, Json));

    public static T Read<T>(string path) => JsonSerializer.Deserialize<T>(File.ReadAllText(path), Json)
        ?? throw new InvalidOperationException($"'{path}' holds no report");

    public static long PeakWorkingSet()
    {
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        return process.PeakWorkingSet64;
    }
}
