using System.Diagnostics;
using System.Text;
using MarketingDsl.Core;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;

namespace MarketingDsl.Engine.Simulation;

public sealed record SimulationTimings(TimeSpan Compile, TimeSpan Load, TimeSpan Evaluate, TimeSpan Write);

public sealed record SimulationRun(EvaluationResult Result, SimulationTimings Timings, IReadOnlyList<string> Warnings);

/// <summary>`mdsl simulate`: load history, evaluate every tag as of T, write tags.csv and summary.json.</summary>
public static class SimulationRunner
{
    public static SimulationRun Run(Compilation compilation, string dataDirectory, string outDirectory, DateTime? asOfUtc, IProgress<ImportProgress>? importProgress = null, IProgress<int>? evalProgress = null)
    {
        var model = compilation.Model;
        var clock = Stopwatch.StartNew();
        var plan = CompiledEngine.PlanFor(compilation);
        var compile = clock.Elapsed;

        clock.Restart();
        Directory.CreateDirectory(outDirectory);
        var data = DataImporter.Load(model.Schema, dataDirectory, new ImportOptions { RejectsPath = Path.Combine(outDirectory, "rejects.jsonl") }, importProgress);
        var load = clock.Elapsed;

        var asOf = asOfUtc ?? (data.MaxTimestampTicks is { } max ? new DateTime(max, DateTimeKind.Utc)
            : throw new DataImportException($"'{dataDirectory}' holds no events, so there is no default as-of instant; pass --as-of."));

        clock.Restart();
        var result = CompiledEngine.Evaluate(plan, data, asOf, evalProgress);
        var evaluate = clock.Elapsed;

        clock.Restart();
        using (var writer = new StreamWriter(Path.Combine(outDirectory, "tags.csv"), false, new UTF8Encoding(false), 1 << 16))
            SimulationOutput.WriteTagsCsv(result, writer);
        File.WriteAllText(Path.Combine(outDirectory, "summary.json"), SimulationOutput.SummaryJson(result) + "\n", new UTF8Encoding(false));
        var write = clock.Elapsed;

        var warnings = new List<string>();
        foreach (var m in model.Models)
            warnings.Add($"model '{m.Name}' is not trained (training is not implemented yet): tags that read it are empty.");
        return new SimulationRun(result, new SimulationTimings(compile, load, evaluate, write), warnings);
    }
}
