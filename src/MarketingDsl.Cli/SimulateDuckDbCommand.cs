using MarketingDsl.Core;
using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Functions.Loading;
using MarketingDsl.Sql.Execution;

namespace MarketingDsl.Cli;

/// <summary>`mdsl simulate … --engine duckdb`: the workspace compiled to SQL and run in embedded DuckDB, writing the same files.</summary>
public static class SimulateDuckDbCommand
{
    public static int Run(string workspace, string dataDir, string outDir, DateTime? asOf, bool quiet, TextWriter stdout, TextWriter stderr)
    {
        var compilation = FunctionCompilation.Create(Workspace.Load(workspace));
        if (compilation.HasErrors)
        {
            stderr.Write(DiagnosticWriter.ToText(compilation.Diagnostics.Where(d => d.IsError), [.. compilation.Workspace.AllFiles]));
            stderr.WriteLine("mdsl: the workspace has errors; fix them before simulating (see 'mdsl check').");
            return CommandLine.Problems;
        }
        try
        {
            var (run, sql) = DuckDbSimulation.Run(compilation, dataDir, outDir, asOf);
            if (run is null)
            {
                stderr.Write(DiagnosticWriter.ToText(sql.Diagnostics, [.. compilation.Workspace.AllFiles]));
                stderr.WriteLine("mdsl: the workspace cannot run in DuckDB (see above); simulate without --engine to use the in-process engine.");
                return CommandLine.Problems;
            }
            if (!quiet) SimulationReport.Write(run, outDir, stdout);
            return CommandLine.Ok;
        }
        catch (DataImportException ex)
        {
            stderr.WriteLine($"mdsl: {ex.Message}");
            return CommandLine.Usage;
        }
    }
}
