namespace MarketingDsl.EngineBenchmarks;

/// <summary>Runs in a child process of its own: DuckDB's peak working set (native memory included) without mdsl's.</summary>
public static class DuckDbMeasurement
{
    public static DuckDbReport Run(string dataDirectory, string outDirectory, string dataRoot, int runs)
    {
        Directory.CreateDirectory(outDirectory);
        var load = new double[runs];
        var compute = new double[runs];
        var total = new double[runs];
        for (var i = 0; i < runs; i++)
        {
            var timings = DuckDbTags.Run(dataDirectory, Path.Combine(outDirectory, "tags.csv"), null, Path.Combine(dataRoot, "duckdb-spill"));
            load[i] = timings.Load.TotalSeconds;
            compute[i] = timings.Compute.TotalSeconds;
            total[i] = timings.Total.TotalSeconds;
            Console.Error.WriteLine($"  DuckDB run {i + 1}/{runs}: {total[i]:F2} s (load {load[i]:F2}, compute and write {compute[i]:F2})");
        }
        return new DuckDbReport(load, compute, total, Measurements.PeakWorkingSet(), Measurements.CpuSeconds());
    }
}
