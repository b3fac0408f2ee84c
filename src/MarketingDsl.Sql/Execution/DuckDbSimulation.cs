using System.Diagnostics;
using System.Text;
using MarketingDsl.Core;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Simulation;
using MarketingDsl.Sql.Dialects;

namespace MarketingDsl.Sql.Execution;

/// <summary>
/// `mdsl simulate … --engine duckdb`: the same load as the in-process engine, the values computed
/// by the compiled DuckDB query, and the same writers (tags.csv, the one <see cref="SimulationSummary"/>).
/// </summary>
public static class DuckDbSimulation
{
    /// <summary>Compiles to DuckDB first: with errors (a construct SQL cannot compute) nothing runs and <c>Run</c> is null.</summary>
    public static (SimulationRun? Run, SqlCompilation Sql) Run(Compilation compilation, string dataDirectory, string outDirectory, DateTime? asOfUtc,
        IProgress<ImportProgress>? importProgress = null)
    {
        var clock = Stopwatch.StartNew();
        var sql = SqlCompilation.Create(compilation, SqlTarget.DuckDb);
        if (sql.HasErrors) return (null, sql);
        var compile = clock.Elapsed;

        clock.Restart();
        Directory.CreateDirectory(outDirectory);
        return (SimulationRunner.WritingRejects(outDirectory, rejects =>
        {
            var data = SimulationRunner.LoadData(compilation.Model.Schema, dataDirectory, rejects, importProgress);
            var load = clock.Elapsed;
            var asOf = SimulationRunner.ResolveAsOf(data, asOfUtc, dataDirectory);

            clock.Restart();
            var result = DuckDbEngine.EvaluateAll(sql, data, asOf);
            var evaluate = clock.Elapsed;

            clock.Restart();
            var summary = SimulationOutput.WriteFiles(result, outDirectory);
            var write = clock.Elapsed;
            return new SimulationRun(result, new SimulationTimings(compile, load, evaluate, write), [], summary);
        }), sql);
    }
}
