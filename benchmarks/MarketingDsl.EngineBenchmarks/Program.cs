using MarketingDsl.EngineBenchmarks;

// End-to-end benchmark of mdsl against DuckDB and a hand-written C# loop; see benchmarks/README.md.
BenchmarkOptions options;
try
{
    options = BenchmarkOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

// Parsing runs measure parsing: no import cache (children inherit this); snapshot runs name their snapshot.
Environment.SetEnvironmentVariable(MarketingDsl.Engine.Data.SnapshotCache.DirectoryVariable, "off");

switch (options.Child)
{
    case "mdsl":
        Measurements.Write(options.ChildReport!, MdslMeasurement.Run(options.Workspace, options.ChildData!, options.ChildOut!, null, options.Runs));
        return 0;
    case "mdsl-orders":
        Measurements.Write(options.ChildReport!, OrderMeasurement.Run(options.Workspace, options.ChildData!, options.ChildOut!, options.Runs));
        return 0;
    case "mdsl-snapshot":
        Measurements.Write(options.ChildReport!, SnapshotMeasurement.RunMdsl(options.Workspace, options.ChildData!, options.ChildOut!,
            options.DataRoot, options.Runs));
        return 0;
    case "mdsl-limited":
        Measurements.Write(options.ChildReport!, SpillMeasurement.Run(options.Workspace, options.ChildData!, options.ChildOut!,
            options.MemoryLimit!.Value, options.Runs));
        return 0;
    case "duckdb-native":
        Measurements.Write(options.ChildReport!, SnapshotMeasurement.RunDuckDb(options.ChildData!, options.ChildOut!, options.DataRoot,
            options.Runs));
        return 0;
    case "duckdb":
        Measurements.Write(options.ChildReport!, DuckDbMeasurement.Run(options.ChildData!, options.ChildOut!, options.DataRoot, options.Runs));
        return 0;
    case null:
        return options.Validate ? Validation.Run(options.DataRoot) : BenchmarkSuite.Run(options);
    default:
        Console.Error.WriteLine($"unknown --child '{options.Child}'");
        return 2;
}
