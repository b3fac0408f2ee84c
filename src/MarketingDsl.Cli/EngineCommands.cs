using System.Globalization;
using MarketingDsl.Core;
using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Simulation;
using MarketingDsl.Functions.Loading;

namespace MarketingDsl.Cli;

/// <summary>Commands that run the engine: simulate, test, generate-data, demo.</summary>
public static class EngineCommands
{
    public static Task<int>? TryRun(string command, Options options, TextWriter stdout, TextWriter stderr) => command switch
    {
        "simulate" => Task.FromResult(Simulate(options, stdout, stderr)),
        "test" => Task.FromResult(TestCommand.Run(options, stdout, stderr)),
        "generate-data" => Task.FromResult(GenerateData(options, stdout)),
        "demo" => Task.FromResult(Demo(options, stdout, stderr)),
        "train" => Task.FromResult(TrainCommand.Run(options, stdout, stderr)),
        _ => null,
    };

    private static int Simulate(Options options, TextWriter stdout, TextWriter stderr)
    {
        var dataDir = options.Require("--data");
        var outDir = options.Require("--out");
        var asOfText = options.Get("--as-of");
        var fromText = options.Get("--from");
        var toText = options.Get("--to");
        var quiet = options.Flag("--quiet");
        var engine = options.Get("--engine") ?? "inprocess";
        var memoryLimit = options.Get("--memory-limit") is { } limit ? MemoryLimitOption.Parse(limit) : MemoryLimitOption.Default;
        var workspace = options.Workspace("simulate");
        options.RejectUnknown();
        if (engine is not ("inprocess" or "duckdb")) throw new UsageException($"--engine must be inprocess or duckdb, not '{engine}'");
        var asOf = ParseInstant("--as-of", asOfText);
        var from = ParseInstant("--from", fromText);
        var to = ParseInstant("--to", toText);
        if ((from is null) != (to is null)) throw new UsageException("--from and --to go together: the journey replay window is from < ts ≤ to");
        if (from is { } f && to is { } t && t <= f) throw new UsageException("--to must be later than --from");
        if (engine == "duckdb")
            return from is null ? SimulateDuckDbCommand.Run(workspace, dataDir, outDir, asOf, quiet, stdout, stderr)
                : throw new UsageException("--engine duckdb computes tags only; replay journeys (--from, --to) with the in-process engine");
        return RunSimulation(workspace, dataDir, outDir, asOf, quiet, stdout, stderr, from is null ? null : (from.Value, to!.Value), memoryLimit: memoryLimit);
    }

    internal static DateTime? ParseInstant(string option, string? text)
    {
        if (text is null) return null;
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
            throw new UsageException($"{option} must be an ISO-8601 instant such as 2025-06-30T00:00:00Z, not '{text}'");
        return new DateTime(parsed.UtcTicks - parsed.UtcTicks % 10, DateTimeKind.Utc);
    }

    private static int RunSimulation(string workspace, string dataDir, string outDir, DateTime? asOf, bool quiet, TextWriter stdout, TextWriter stderr,
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
            spill = memoryLimit is { } limit ? SimulationRunner.SpillPlanFor(compilation.Model.Schema, dataDir, limit) : null;
        }
        catch (DataImportException ex)
        {
            stderr.WriteLine($"mdsl: {ex.Message}");
            return CommandLine.Usage;
        }
        if (spill is not null && replay is not null)
            throw new UsageException("the journey replay (--from/--to) needs the whole history in memory, and this data does not fit under --memory-limit: raise the limit");
        if (spill is not null && !quiet)
            stderr.WriteLine($"the data does not fit under the memory limit: importing and evaluating in {spill.Partitions} partitions of users");
        Engine.Scoring.IModelScorer? scorer;
        try
        {
            using var progress = quiet ? null : new ProgressLine(stderr);
            (scorer, var modelWarnings) = TrainCommand.ScorerFor(compilation, registryDirectory ?? workspace);
            run = SimulationRunner.Run(compilation, dataDir, outDir, asOf, progress?.Import, progress?.Evaluation, scorer, modelWarnings, spill);
        }
        catch (DataImportException ex)
        {
            stderr.WriteLine($"mdsl: {ex.Message}");
            return CommandLine.Usage;
        }
        if (!quiet) SimulationReport.Write(run, outDir, stdout);
        if (replay is { } window)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var statistics = Journeys.Replay.JourneyReplay.Run(compilation.Model, run.Result.Data, window.From, window.To, scorer: scorer);
            var path = Path.Combine(outDir, "journeys.json");
            File.WriteAllText(path, statistics.ToJson() + "\n", new System.Text.UTF8Encoding(false));
            if (!quiet) JourneyReport.Write(statistics, path, clock.Elapsed, stdout);
        }
        foreach (var warning in run.Warnings) stderr.WriteLine($"warning: {warning}");
        return CommandLine.Ok;
    }

    private static int GenerateData(Options options, TextWriter stdout)
    {
        var users = options.RequireInt("--users", 1, 50_000_000);
        var days = options.RequireInt("--days", 1, 3650);
        var seed = options.RequireInt("--seed", 0, int.MaxValue);
        var outDir = options.Require("--out");
        var order = options.Get("--order") ?? "time";
        var coPurchaseText = options.Get("--co-purchase");
        options.RejectUnknown();
        var coPurchase = 0.0;
        if (coPurchaseText is not null && (!double.TryParse(coPurchaseText, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out coPurchase)
                                           || coPurchase is < 0 or > 1))
            throw new UsageException($"--co-purchase must be a probability from 0 to 1 (how often an order brings its planted partner sku), not '{coPurchaseText}'");
        if (order is not ("time" or "user")) throw new UsageException($"--order must be time (events in ts order, as real exports) or user (each user's events together), not '{order}'");
        var result = RetailDataGenerator.Generate(outDir, users, days, seed, coPurchase: coPurchase);
        if (order == "time") EventFileOrder.SortByTime(result.EventsPath);
        stdout.WriteLine($"wrote {result.Profiles:N0} profiles and {result.Events:N0} events ({order} order) to {outDir}");
        return CommandLine.Ok;
    }

    /// <summary>The README's main job: generate a retail history (once) and simulate examples/retail on it.</summary>
    private static int Demo(Options options, TextWriter stdout, TextWriter stderr)
    {
        var users = options.Get("--users") is null ? 20_000 : options.RequireInt("--users", 1, 50_000_000);
        var workspace = options.Get("--workspace") ?? "examples/retail";
        var outDir = options.Get("--out") ?? "out/demo";
        options.RejectUnknown();
        if (options.Positional.Count > 0) throw new UsageException("'demo' takes no positional arguments");
        var dataDir = Path.Combine(outDir, $"data-{users}");
        if (!File.Exists(Path.Combine(dataDir, "events.jsonl")))
        {
            stdout.WriteLine($"generating a retail history of {users:N0} users × 180 days into {dataDir} …");
            var generated = RetailDataGenerator.Generate(dataDir, users, 180, seed: 7);
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
