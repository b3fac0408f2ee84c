using MarketingDsl.Core;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Engine.Simulation;

namespace MarketingDsl.EngineBenchmarks;

/// <summary>
/// <c>--validate</c>: on each conformance case with the retail-core tags, mdsl must reproduce the
/// expected tags.csv (sanity), DuckDB's tags.csv must equal mdsl's, and the hand-written loop must
/// equal the engine's values.
/// </summary>
public static class Validation
{
    public static readonly string[] Cases = ["retail-core", "retail-core-as-of"];

    public static int Run(string scratchRoot)
    {
        var failures = 0;
        foreach (var name in Cases)
        {
            var caseDir = RetailWorkspace.ConformanceCase(name);
            var asOf = AsOfArgument(caseDir);
            var outDir = Path.Combine(scratchRoot, "validate", name);
            Directory.CreateDirectory(outDir);
            Console.WriteLine($"{name}{(asOf is null ? "" : $" (as of {asOf:O})")}");

            var compilation = RetailWorkspace.Compile(Workspace.Load(Path.Combine(caseDir, "workspace")));
            var mdsl = SimulationRunner.Run(compilation, Path.Combine(caseDir, "data"), Path.Combine(outDir, "mdsl"), asOf);
            var mdslCsv = Path.Combine(outDir, "mdsl", "tags.csv");
            failures += Check("mdsl tags.csv = expected/tags.csv, byte for byte",
                CsvComparison.Difference(Path.Combine(caseDir, "expected", "tags.csv"), mdslCsv), acceptEqualByValue: false);

            var duckCsv = Path.Combine(outDir, "duckdb-tags.csv");
            DuckDbTags.Run(Path.Combine(caseDir, "data"), duckCsv, asOf, Path.Combine(scratchRoot, "duckdb-spill"));
            failures += Check("DuckDB tags.csv = mdsl tags.csv", CsvComparison.Difference(mdslCsv, duckCsv), acceptEqualByValue: true);

            var hand = HandWrittenTags.Compute(mdsl.Data, mdsl.Summary.AsOfUtc);
            failures += Check("hand-written loop = engine, every value of every column", hand.FirstDifference(mdsl.Result!),
                acceptEqualByValue: false);
        }
        Console.WriteLine(failures == 0 ? "validation passed" : $"validation FAILED ({failures} checks)");
        return failures == 0 ? 0 : 1;
    }

    private static int Check(string what, string? difference, bool acceptEqualByValue)
    {
        var ok = difference is null || (acceptEqualByValue && CsvComparison.IsEqualByValue(difference));
        Console.WriteLine($"  {(ok ? "ok  " : "FAIL")} {what}{(difference is null ? "" : "\n" + difference)}");
        return ok ? 0 : 1;
    }

    /// <summary>The case's <c>args</c> file may hold <c>--as-of ISO</c>.</summary>
    private static DateTime? AsOfArgument(string caseDir)
    {
        var argsPath = Path.Combine(caseDir, "args");
        if (!File.Exists(argsPath)) return null;
        var words = File.ReadAllText(argsPath).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var at = Array.IndexOf(words, "--as-of");
        return at >= 0 && at + 1 < words.Length
            ? DateTimeOffset.Parse(words[at + 1], System.Globalization.CultureInfo.InvariantCulture).UtcDateTime
            : null;
    }
}
