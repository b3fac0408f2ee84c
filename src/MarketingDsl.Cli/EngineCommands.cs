using System.CommandLine;
using System.Globalization;
using MarketingDsl.Core;
using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Simulation;
using MarketingDsl.Functions.Loading;

namespace MarketingDsl.Cli;

/// <summary>Commands that run the engine: simulate, generate-data, demo.</summary>
public static class EngineCommands
{
    public sealed class SimulateSyntax : Command
    {
        public readonly Argument<string> Workspace = OptionValues.Workspace();
        public readonly Option<string> Data = OptionValues.Required("--data", "DIR",
            "the history: a data folder (profiles and events) or an import snapshot");
        public readonly Option<string> Out = OptionValues.Required("--out", "DIR",
            "the folder for tags.csv, summary.json, rejects.jsonl (and journeys.json with --from/--to)");
        public readonly Option<DateTime?> AsOf = OptionValues.Instant("--as-of",
            "evaluate as of this instant (default: the latest event; events more than 5 minutes after the wall clock are rejected)");
        public readonly Option<DateTime?> From = OptionValues.Instant("--from",
            "with --to: also replay every journey on the events with from < ts ≤ to and write journeys.json (LANGUAGE.md §15.7)");
        public readonly Option<DateTime?> To = OptionValues.Instant("--to", "the end of the journey replay window (with --from)");
        public readonly Option<string> Engine = OptionValues.Choice("--engine",
            "inprocess: the compiled engine; duckdb: the workspace compiled to SQL and run in embedded DuckDB (tags only)",
            "inprocess", "inprocess", "duckdb");
        public readonly Option<long?> MemoryLimit = OptionValues.Size("--memory-limit",
            "SIZE such as 2g or 512m (default three quarters of the machine's or container's memory): a history that would not fit "
            + "is imported and evaluated in partitions of users, with the same outputs (not with --from/--to)");
        public readonly Option<bool> Quiet = OptionValues.Flag("--quiet", "print no progress and no report");

        public SimulateSyntax() : base("simulate",
            "evaluates every tag, segment and segmentation as of an instant and writes tags.csv and summary.json")
        {
            Add(Workspace);
            Add(Data);
            Add(Out);
            Add(AsOf);
            Add(From);
            Add(To);
            Add(Engine);
            Add(MemoryLimit);
            Add(Quiet);
            this.SetRun(Simulate);
        }
    }

    public sealed class GenerateDataSyntax : Command
    {
        public readonly Option<int> Users = OptionValues.WholeNumber("--users", "N", "how many users", 1, 50_000_000);
        public readonly Option<int> Days = OptionValues.WholeNumber("--days", "D", "how many days of history", 1, 3650);
        public readonly Option<int> Seed = OptionValues.WholeNumber("--seed", "S", "the random seed: the same seed, the same files",
            0, int.MaxValue);
        public readonly Option<string> Out = OptionValues.Required("--out", "DIR", "the folder for profiles.jsonl and events.jsonl");
        public readonly Option<string> Order = OptionValues.Choice("--order",
            "time: events sorted by ts as real exports are (ties in generation order, sorted as written, in bounded memory); "
            + "user: each user's events together", "time", "time", "user");
        public readonly Option<double> CoPurchase = OptionValues.Parsed("--co-purchase", "P",
            "how often an order also brings its planted partner sku, from 0 to 1 (for recommenders; default 0)", ParseProbability);

        public GenerateDataSyntax() : base("generate-data", "writes a deterministic synthetic retail history")
        {
            Add(Users);
            Add(Days);
            Add(Seed);
            Add(Out);
            Add(Order);
            Add(CoPurchase);
            this.SetRun((options, stdout, _) => GenerateData(options, stdout));
        }

        private static double ParseProbability(string text) =>
            double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var p) && p is >= 0 and <= 1
                ? p
                : throw new UsageException(
                    $"--co-purchase must be a probability from 0 to 1 (how often an order brings its planted partner sku), not '{text}'");
    }

    public sealed class DemoSyntax : Command
    {
        public readonly Option<int> Users = OptionValues.WholeNumber("--users", "N", "users in the generated history", 1, 50_000_000,
            20_000);
        public readonly Option<string> Workspace = OptionValues.Text("--workspace", "DIR", "the workspace to train and simulate",
            "examples/retail");
        public readonly Option<string> Out = OptionValues.Text("--out", "DIR",
            "the folder for the data (kept for the next run), .mdsl/models.db and simulation/", "out/demo");

        public DemoSyntax() : base("demo",
            "the main job: generates a retail history of 180 days (once), trains the workspace's models and simulates it")
        {
            Add(Users);
            Add(Workspace);
            Add(Out);
            this.SetRun(Demo);
        }
    }

    private static int Simulate(Options options, TextWriter stdout, TextWriter stderr)
    {
        var syntax = options.Bind<SimulateSyntax>();
        var dataDir = options.Value(syntax.Data);
        var outDir = options.Value(syntax.Out);
        var quiet = options.Value(syntax.Quiet);
        var engine = options.Value(syntax.Engine);
        var memoryLimit = options.Value(syntax.MemoryLimit) ?? MemoryLimitOption.Default;
        var workspace = options.Value(syntax.Workspace);
        var asOf = options.Value(syntax.AsOf);
        var from = options.Value(syntax.From);
        var to = options.Value(syntax.To);
        if ((from is null) != (to is null)) throw new UsageException("--from and --to go together: the journey replay window is from < ts ≤ to");
        if (from is { } f && to is { } t && t <= f) throw new UsageException("--to must be later than --from");
        if (engine == "duckdb")
            return from is null ? SimulateDuckDbCommand.Run(workspace, dataDir, outDir, asOf, quiet, stdout, stderr)
                : throw new UsageException("--engine duckdb computes tags only; replay journeys (--from, --to) with the in-process engine");
        return RunSimulation(workspace, dataDir, outDir, asOf, quiet, stdout, stderr, from is null ? null : (from.Value, to!.Value),
            memoryLimit: memoryLimit);
    }

    private static int RunSimulation(string workspace, string dataDir, string outDir, DateTime? asOf, bool quiet, TextWriter stdout,
        TextWriter stderr,
        (DateTime From, DateTime To)? replay = null, string? registryDirectory = null, long? memoryLimit = null)
    {
        var compilation = FunctionCompilation.Create(Workspace.Load(workspace));
        if (compilation.HasErrors)
        {
            stderr.Write(DiagnosticWriter.ToText(compilation.Diagnostics.Where(d => d.IsError), [.. compilation.Workspace.AllFiles]));
            stderr.WriteLine("mdsl: the workspace has errors; fix them before simulating (see 'mdsl check').");
            return CommandLine.Problems;
        }
        SimulationRun run;
        SpillPlan? spill;
        try
        {
            spill = memoryLimit is { } limit ? SimulationRunner.SpillPlanFor(compilation, dataDir, limit) : null;
        }
        catch (DataImportException ex)
        {
            stderr.WriteLine($"mdsl: {ex.Message}");
            return CommandLine.Usage;
        }
        if (spill is not null && replay is not null)
            throw new UsageException($"the journey replay (--from/--to) needs the whole history in memory, about " +
                $"{SpillPlan.SizeText(spill.EstimateBytes)} for this data, which does not fit under --memory-limit " +
                $"{SpillPlan.LimitText(memoryLimit!.Value)}: give --memory-limit {SpillPlan.LimitText(spill.EstimateBytes)} or more");
        if (spill is not null && !quiet)
            stderr.WriteLine($"the data does not fit under the memory limit: {(ImportSnapshot.IsSnapshot(dataDir) ? "reading the snapshot" :
                "importing")} and evaluating in {spill.Partitions} partitions of users (more when what is kept for every user leaves less room)");
        Engine.Scoring.IModelScorer? scorer;
        try
        {
            using var progress = quiet ? null : new ProgressLine(stderr);
            (scorer, var modelWarnings) = TrainCommand.ScorerFor(compilation, registryDirectory ?? workspace);
            run = SimulationRunner.Run(compilation, dataDir, outDir, asOf, progress?.Import, progress?.Evaluation, scorer, modelWarnings, spill,
                everyColumn: replay is not null);
        }
        catch (DataImportException ex)
        {
            stderr.WriteLine($"mdsl: {ex.Message}");
            return CommandLine.Usage;
        }
        catch (SnapshotException ex) when (spill is not null)
        {
            // The run's own spill files, removed or damaged under it (a temporary folder cleaned while it ran).
            stderr.WriteLine($"mdsl: a spill file of this run could not be read (was its temporary folder removed?): {ex.Message}");
            return CommandLine.Usage;
        }
        if (!quiet) SimulationReport.Write(run, outDir, stdout);
        if (replay is { } window)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var statistics = Journeys.Replay.JourneyReplay.Run(compilation.Model, run.Data, window.From, window.To, scorer: scorer);
            var path = Path.Combine(outDir, "journeys.json");
            File.WriteAllText(path, statistics.ToJson() + "\n", new System.Text.UTF8Encoding(false));
            if (!quiet) JourneyReport.Write(statistics, path, clock.Elapsed, stdout);
        }
        foreach (var warning in run.Warnings) stderr.WriteLine($"warning: {warning}");
        return CommandLine.Ok;
    }

    private static int GenerateData(Options options, TextWriter stdout)
    {
        var syntax = options.Bind<GenerateDataSyntax>();
        var users = options.Value(syntax.Users);
        var days = options.Value(syntax.Days);
        var seed = options.Value(syntax.Seed);
        var outDir = options.Value(syntax.Out);
        var order = options.Value(syntax.Order);
        var coPurchase = options.Value(syntax.CoPurchase);
        var result = RetailDataGenerator.Generate(outDir, users, days, seed, coPurchase: coPurchase,
            order: order == "time" ? EventOrder.Time : EventOrder.User);
        stdout.WriteLine($"wrote {result.Profiles:N0} profiles and {result.Events:N0} events ({order} order) to {outDir}");
        return CommandLine.Ok;
    }

    /// <summary>How often a demo order brings its planted partner sku.</summary>
    private const double DemoCoPurchase = 0.3;

    /// <summary>The README's main job: generate a retail history (once) and simulate examples/retail on it.</summary>
    private static int Demo(Options options, TextWriter stdout, TextWriter stderr)
    {
        var syntax = options.Bind<DemoSyntax>();
        var users = options.Value(syntax.Users);
        var workspace = options.Value(syntax.Workspace);
        var outDir = options.Value(syntax.Out);
        var dataDir = Path.Combine(outDir, $"data-{users}-co");
        if (!File.Exists(Path.Combine(dataDir, "events.jsonl")))
        {
            stdout.WriteLine($"generating a retail history of {users:N0} users × 180 days into {dataDir} …");
            // Planted co-purchase (Data README), so the recommender's report shows what it finds beyond the baselines.
            var generated = RetailDataGenerator.Generate(dataDir, users, 180, seed: 7, coPurchase: DemoCoPurchase);
            stdout.WriteLine($"  {generated.Profiles:N0} profiles, {generated.Events:N0} events");
        }
        var compilation = FunctionCompilation.Create(Workspace.Load(workspace));
        if (!compilation.HasErrors && !compilation.Model.Models.IsEmpty)
        {
            // Train into the demo's own folder, so the example workspace stays as it is in git.
            stdout.WriteLine($"training the models of {workspace} on {dataDir} …");
            var data = SimulationRunner.LoadData(compilation.Model.Schema, dataDir, null);
            var asOf = SimulationRunner.ResolveAsOf(data, null, dataDir);
            TrainCommand.Train(compilation, data, asOf, outDir, null, stdout, stderr);
        }
        return RunSimulation(workspace, dataDir, Path.Combine(outDir, "simulation"), null, false, stdout, stderr, registryDirectory: outDir);
    }
}
