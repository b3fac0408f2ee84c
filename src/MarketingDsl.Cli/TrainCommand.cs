using System.Text;
using MarketingDsl.Core;
using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Functions.Loading;
using MarketingDsl.Engine.Simulation;
using MarketingDsl.Models.Registry;
using MarketingDsl.Models.Scoring;
using MarketingDsl.Models.Training;

namespace MarketingDsl.Cli;

/// <summary>`mdsl train WORKSPACE --data DIR [--as-of ISO] [--report FILE]`: trains every model into the workspace's registry.</summary>
public static class TrainCommand
{
    public sealed class Syntax : System.CommandLine.Command
    {
        public readonly System.CommandLine.Argument<string> Workspace = OptionValues.Workspace();
        public readonly System.CommandLine.Option<string> Data = OptionValues.Required("--data", "DIR",
            "the history to train on: a data folder or an import snapshot");
        public readonly System.CommandLine.Option<DateTime?> AsOf = OptionValues.Instant("--as-of",
            "the training instant (default: the latest event); the time split of LANGUAGE.md §13 is taken before it");
        public readonly System.CommandLine.Option<string?> Report = OptionValues.Text("--report", "FILE",
            "also write the models' reports as JSON to FILE");

        public Syntax() : base("train", "trains every model and clusters into WORKSPACE/.mdsl/models.db and prints each one's quality")
        {
            Add(Workspace);
            Add(Data);
            Add(AsOf);
            Add(Report);
            this.SetRun(Run);
        }
    }

    public static int Run(Options options, TextWriter stdout, TextWriter stderr)
    {
        var syntax = options.Bind<Syntax>();
        var dataDir = options.Value(syntax.Data);
        var reportPath = options.Value(syntax.Report);
        var workspace = options.Value(syntax.Workspace);
        var asOf = options.Value(syntax.AsOf);
        var compilation = FunctionCompilation.Create(Workspace.Load(workspace));
        if (compilation.HasErrors)
        {
            stderr.Write(DiagnosticWriter.ToText(compilation.Diagnostics.Where(d => d.IsError), compilation.Workspace.Files));
            stderr.WriteLine("mdsl: the workspace has errors; fix them before training (see 'mdsl check').");
            return CommandLine.Problems;
        }
        DataSet data;
        try { data = SimulationRunner.LoadData(compilation.Model.Schema, dataDir, null); }
        catch (DataImportException ex) { stderr.WriteLine($"mdsl: {ex.Message}"); return CommandLine.Usage; }
        DateTime instant;
        try { instant = SimulationRunner.ResolveAsOf(data, asOf, dataDir); }
        catch (DataImportException ex) { stderr.WriteLine($"mdsl: {ex.Message}"); return CommandLine.Usage; }
        return Train(compilation, data, instant, RegistryDirectory(workspace), reportPath, stdout, stderr);
    }

    /// <summary>The directory whose .mdsl/models.db holds a workspace's models (a single-file workspace: its folder).</summary>
    public static string RegistryDirectory(string workspace) =>
        File.Exists(workspace) ? Path.GetDirectoryName(Path.GetFullPath(workspace))! : workspace;

    internal static int Train(Compilation compilation, DataSet data, DateTime asOf, string registryDirectory, string? reportPath,
        TextWriter stdout, TextWriter stderr)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // Opened first: a damaged registry is said before minutes of training, not after.
        using var registry = new ModelRegistry(ModelRegistry.PathFor(registryDirectory));
        var result = ModelTrainer.Train(compilation, data, asOf, Environment.UserName);
        foreach (var model in result.Models) registry.Save(model);
        stdout.WriteLine($"trained {result.Models.Count} of {compilation.Model.Models.Length} models as of {asOf:yyyy-MM-dd'T'HH:mm:ss'Z'} " +
                         $"in {clock.Elapsed.TotalSeconds:0.0} s " +
                         $"→ {Path.Combine(registryDirectory, ".mdsl", "models.db")}");
        foreach (var report in result.Reports) WriteReport(report, stdout);
        if (result.Diagnostics.Count > 0) stderr.Write(DiagnosticWriter.ToText(result.Diagnostics, compilation.Workspace.Files));
        if (reportPath is not null)
        {
            var json = "[\n" + string.Join(",\n", result.Reports.Select(r => r.ToJson())) + "\n]\n";
            File.WriteAllText(reportPath, json, new UTF8Encoding(false));
        }
        return result.Diagnostics.Any(d => d.IsError) ? CommandLine.Problems : CommandLine.Ok;
    }

    public static void WriteReport(ModelReport report, TextWriter stdout)
    {
        stdout.WriteLine($"  {report.Headline}");
        if (report.Importance.Count > 0)
            stdout.WriteLine("    importance: " +
                string.Join(", ", report.Importance.Take(5).Select(i => $"{i.Feature} {i.Drop:+0.000;-0.000;0.000}")));
        if (report.Recommendations is { } recommendations)
            foreach (var quality in recommendations) stdout.WriteLine($"    {quality.Line}");
        if (report.Classifier is { } c)
            stdout.WriteLine("    calibration (predicted → observed by decile): " +
                string.Join("  ", c.Calibration.Select(b => $"{b.MeanPredicted:0.00}→{b.ObservedRate:0.00}")));
        if (report.Regression is { } r)
            stdout.WriteLine("    deciles (predicted → actual): " +
                string.Join("  ", r.Deciles.Select(d => $"{d.MeanPredicted:0}→{d.MeanActual:0}")));
        if (report.Clusters is { } k)
            for (var i = 0; i < k.Centroids.Count; i++)
            {
                var centroid = string.Join(", ", k.Centroids[i].Select(v => v.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)));
                stdout.WriteLine($"    cluster {i + 1}: {k.Sizes[i],8:N0} users, centroid ({centroid})");
            }
        foreach (var note in report.Notes) stdout.WriteLine($"    note: {note}");
    }

    /// <summary>The live runtime's scorer of a (re)compiled workspace: untrained and stale models are said on stderr once.</summary>
    public static RegistryScorer? ScorerFor(Core.Semantics.SemanticModel model, string workspace, TextWriter stderr)
    {
        if (model.Models.IsEmpty) return null;
        using var registry = ModelRegistry.OpenExisting(RegistryDirectory(workspace));
        var scorer = new RegistryScorer(model, registry?.All() ?? []);
        foreach (var warning in scorer.Warnings) stderr.WriteLine($"warning: {warning.Code}: {warning.Message}");
        return scorer;
    }

    /// <summary>The scorer over a workspace's registry, and its warnings as text (simulate, demo).</summary>
    public static (RegistryScorer? Scorer, IReadOnlyList<string>? Warnings) ScorerFor(Compilation compilation, string workspace)
    {
        if (compilation.Model.Models.IsEmpty) return (null, null);
        using var registry = ModelRegistry.OpenExisting(RegistryDirectory(workspace));
        var scorer = new RegistryScorer(compilation.Model, registry?.All() ?? []);
        return (scorer, [.. scorer.Warnings.Select(d => $"{d.Code}: {d.Message}")]);
    }
}
