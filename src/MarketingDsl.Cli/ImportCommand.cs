using MarketingDsl.Core;
using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Simulation;
using MarketingDsl.Functions.Loading;

namespace MarketingDsl.Cli;

/// <summary>
/// `mdsl import WORKSPACE --data DIR --out SNAPSHOT`: parses a data directory once under the
/// workspace's schema and writes an import snapshot (Apache Arrow IPC) that `simulate`, `train`
/// and the editor read as `--data SNAPSHOT` without parsing.
/// </summary>
public static class ImportCommand
{
    public sealed class Syntax : System.CommandLine.Command
    {
        public readonly System.CommandLine.Argument<string> Workspace = OptionValues.Workspace();
        public readonly System.CommandLine.Option<string> Data = OptionValues.Required("--data", "DIR",
            "the data folder (profiles and events as JSON lines, CSV or Parquet)");
        public readonly System.CommandLine.Option<string> Out = OptionValues.Required("--out", "SNAPSHOT",
            "the snapshot folder to write: Arrow IPC columns, snapshot.json and rejects.jsonl");
        public readonly System.CommandLine.Option<bool> Quiet = OptionValues.Flag("--quiet", "print no progress and no summary");

        public Syntax() : base("import",
            "parses the data once under the workspace's schema into a snapshot that simulate, train and the editor read as --data")
        {
            Add(Workspace);
            Add(Data);
            Add(Out);
            Add(Quiet);
            this.SetRun(Run);
        }
    }

    public static int Run(Options options, TextWriter stdout, TextWriter stderr)
    {
        var syntax = options.Bind<Syntax>();
        var dataDir = options.Value(syntax.Data);
        var outDir = options.Value(syntax.Out);
        var quiet = options.Value(syntax.Quiet);
        var workspace = options.Value(syntax.Workspace);

        var compilation = FunctionCompilation.Create(Workspace.Load(workspace));
        if (compilation.HasErrors)
        {
            stderr.Write(DiagnosticWriter.ToText(compilation.Diagnostics.Where(d => d.IsError), [.. compilation.Workspace.AllFiles]));
            stderr.WriteLine("mdsl: the workspace has errors; fix them before importing (see 'mdsl check').");
            return CommandLine.Problems;
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        DataSet data;
        try
        {
            using var progress = quiet ? null : new ProgressLine(stderr);
            data = DataSource.Import(compilation.Model.Schema, dataDir, outDir, SimulationRunner.ImportOptionsAt(null), progress?.Import);
        }
        catch (DataImportException ex)
        {
            stderr.WriteLine($"mdsl: {ex.Message}");
            return CommandLine.Usage;
        }
        var report = data.Report;
        var bytes = new DirectoryInfo(outDir).EnumerateFiles().Sum(f => f.Length);
        if (!quiet)
            stdout.WriteLine($"wrote {outDir}: {data.UserCount:N0} users, {report.EventsKept:N0} events, {report.RejectedCount:N0} rejected, " +
                $"{bytes / 1e6:N1} MB in {clock.Elapsed.TotalSeconds:N1} s");
        if (report.FutureRejects > 0)
            stderr.WriteLine($"warning: {report.FutureRejects:N0} row(s) were rejected for a ts in the future; they stay rejected in " +
                $"this snapshot until it is imported again.");
        return CommandLine.Ok;
    }
}
