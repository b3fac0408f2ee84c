using System.Diagnostics;
using System.Text;
using MarketingDsl.Core;
using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Core.Diagnostics.Catalogues;
using MarketingDsl.Core.Functions;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Core.Targets;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Engine.Scoring;

namespace MarketingDsl.Engine.Simulation;

public sealed record SimulationTimings(TimeSpan Compile, TimeSpan Load, TimeSpan Evaluate, TimeSpan Write);

/// <param name="Result">Every output's value for every user; null for a partitioned run, whose values went to tags.csv a partition
/// at a time and are not kept.</param>
public sealed record SimulationRun(EvaluationResult? Result, SimulationTimings Timings, IReadOnlyList<string> Warnings, SimulationSummary Summary)
{
    /// <summary>The run's users and import report (a partitioned run's: every user, without event rows).</summary>
    public DataSet Data
    {
        get => _data ?? Result?.Data ?? throw new InvalidOperationException("a run without its result names its data");
        init => _data = value;
    }

    private readonly DataSet? _data;
}

/// <summary>`mdsl simulate`: load history, evaluate every tag as of T, write tags.csv and summary.json.</summary>
public static class SimulationRunner
{
    /// <param name="scorer">Scores trained models (the CLI's registry); without one, model tags are empty.</param>
    /// <param name="modelWarnings">What the scorer says of untrained or stale models; without a scorer, every model is said to be untrained.</param>
    /// <param name="spill">
    /// Import and evaluate partition by partition (<see cref="SpillPlanFor"/>), for data that does
    /// not fit in memory; the outputs are the bytes of the run in memory. Null: in memory.
    /// </param>
    /// <param name="everyColumn">Read every column of a snapshot, not only those the plan reads (<see cref="CompiledPlan.Columns"/>):
    /// for a caller that reads the run's data set itself (the journey replay).</param>
    public static SimulationRun Run(Compilation compilation, string dataDirectory, string outDirectory, DateTime? asOfUtc,
        IProgress<ImportProgress>? importProgress = null, IProgress<int>? evalProgress = null, IModelScorer? scorer = null,
        IReadOnlyList<string>? modelWarnings = null, SpillPlan? spill = null, bool everyColumn = false) =>
        WritingRejects(outDirectory, rejects => Run(compilation, dataDirectory, outDirectory, rejects, asOfUtc, importProgress, evalProgress,
            scorer, modelWarnings, spill, everyColumn));

    /// <summary>The rejects file of a run's output folder.</summary>
    public const string RejectsFile = "rejects.jsonl";

    /// <summary>
    /// Runs <paramref name="run"/> with the rejects file of <paramref name="outDirectory"/> written under another name and moved
    /// into place once the run succeeded: a run that fails leaves the folder's rejects.jsonl as it was, never an empty or partial
    /// one that reads as what the data rejected.
    /// </summary>
    public static T WritingRejects<T>(string outDirectory, Func<string, T> run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var rejects = Path.Combine(outDirectory, RejectsFile);
        var partial = rejects + ".partial";
        try
        {
            var result = run(partial);
            if (File.Exists(partial)) File.Move(partial, rejects, overwrite: true);
            return result;
        }
        catch
        {
            try { File.Delete(partial); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    private static SimulationRun Run(Compilation compilation, string dataDirectory, string outDirectory, string rejects, DateTime? asOfUtc,
        IProgress<ImportProgress>? importProgress, IProgress<int>? evalProgress, IModelScorer? scorer, IReadOnlyList<string>? modelWarnings,
        SpillPlan? spill, bool everyColumn)
    {
        var model = compilation.Model;
        var clock = Stopwatch.StartNew();
        var plan = CompiledEngine.PlanFor(compilation);
        var compile = clock.Elapsed;

        clock.Restart();
        Directory.CreateDirectory(outDirectory);
        EvaluationResult? result = null;
        DataSet data;
        SimulationSummary summary;
        FunctionFailureLog failures;
        TimeSpan load, evaluate, write;
        if (spill is not null)
        {
            spill = spill with { KeptBytesPerUser = CompiledEngine.KeptBytesPerUser(plan) };
            // From a snapshot: the columns the plan reads, and every table's ts (events after the as-of instant are counted).
            using var parts = DataSource.LoadPartitioned(model.Schema, dataDirectory, ImportOptionsAt(rejects, spill: spill), importProgress,
                everyColumn ? null : plan.Columns.WithEveryTable(model.Schema));
            load = clock.Elapsed;
            CompiledEngine.ReleasePartition();   // the import's builders and flush buffers
            data = parts.Users;
            var asOf = ResolveAsOf(data, asOfUtc, dataDirectory);
            clock.Restart();
            // Each partition's rows of tags.csv are written, and its values counted for the summary, as the partition is
            // evaluated: partitions hold consecutive users in user order, so the rows land in the order of the run in memory.
            // A run that fails on the way leaves no tags.csv that looks whole: rows go to a file of another name until the last one.
            var writing = new Stopwatch();
            using var streamed = new StreamedSummary(model, parts.SpillDirectory);
            var tagsPath = Path.Combine(outDirectory, "tags.csv");
            var partialPath = tagsPath + ".partial";
            PartitionedOutcome outcome;
            try
            {
                using (var tags = new FileStream(partialPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
                {
                    SimulationOutput.WriteTagsCsvHeader(model, tags);
                    outcome = PartitionedEvaluation.Evaluate(plan, parts, asOf, partition =>
                    {
                        writing.Start();
                        SimulationOutput.WriteTagsCsvRows(partition, tags);
                        streamed.Add(partition);
                        writing.Stop();
                    }, evalProgress, scorer);
                }
                File.Move(partialPath, tagsPath, overwrite: true);
            }
            catch
            {
                File.Delete(partialPath);
                throw;
            }
            evaluate = clock.Elapsed - writing.Elapsed;
            clock.Restart();
            failures = outcome.FunctionFailures;
            summary = streamed.Finish(model, data, asOf, outcome.EventsAfterAsOf, failures);
            SimulationOutput.WriteSummaryJson(summary, outDirectory);
            write = writing.Elapsed + clock.Elapsed;
        }
        else
        {
            // Counting the events after an instant given reads the ts of every table; the default one is the latest.
            var columns = everyColumn ? null : asOfUtc is null ? plan.Columns : plan.Columns.WithEveryTable(model.Schema);
            data = LoadData(model.Schema, dataDirectory, rejects, importProgress, columns: columns);
            load = clock.Elapsed;
            var asOf = ResolveAsOf(data, asOfUtc, dataDirectory);
            clock.Restart();
            result = CompiledEngine.Evaluate(plan, data, asOf, evalProgress, scorer);
            evaluate = clock.Elapsed;
            clock.Restart();
            summary = SimulationOutput.WriteFiles(result, outDirectory);
            write = clock.Elapsed;
            failures = result.FunctionFailures;
        }

        string[] warnings =
        [
            .. data.Report.Warnings.Select(w => $"{w.Code}: {w.Message}"),
            .. modelWarnings ?? [.. Warnings(model)],
            .. FailureWarnings(failures),
        ];
        return new SimulationRun(result, new SimulationTimings(compile, load, evaluate, write), warnings, summary) { Data = data };
    }

    /// <summary>
    /// The load step on its own (the web editor keeps the data set to evaluate edits again). Events
    /// more than <see cref="FutureEvents.DefaultMaxSkew"/> after <paramref name="now"/> (default the
    /// wall clock) are rejected as the live runtime rejects them.
    /// </summary>
    /// <remarks>
    /// <paramref name="dataDirectory"/> may be an import snapshot (<c>mdsl import</c>); a data
    /// directory is read through <paramref name="cache"/> (<see cref="SnapshotCache.Default"/> when
    /// null is not asked for explicitly: pass <paramref name="useCache"/> false for none).
    /// </remarks>
    /// <param name="columns">The columns the caller reads (null: every column), see <see cref="DataSource.Load"/>.</param>
    public static DataSet LoadData(SchemaModel schema, string dataDirectory, string? rejectsPath, IProgress<ImportProgress>? importProgress = null,
        DateTimeOffset? now = null, bool useCache = true, SnapshotCache? cache = null, DataColumns? columns = null) =>
        DataSource.Load(schema, dataDirectory, ImportOptionsAt(rejectsPath, now), importProgress, useCache ? cache ?? SnapshotCache.Default : null,
            columns);

    /// <summary>
    /// How to split a data directory's import under a memory limit, or null when it fits (or is an
    /// import snapshot: see the overload taking the compilation): see <see cref="SpillPlan.For"/>.
    /// </summary>
    /// <exception cref="DataImportException">The limit is too small for the data (MD8015), or the spill
    /// files would not fit the free disk of <paramref name="spillDirectory"/> (default: the temp folder, MD8017).</exception>
    public static SpillPlan? SpillPlanFor(SchemaModel schema, string dataDirectory, long memoryLimitBytes, string? spillDirectory = null)
    {
        if (!Directory.Exists(dataDirectory) || ImportSnapshot.IsSnapshot(dataDirectory)) return null;
        var input = new DirectoryInfo(dataDirectory).EnumerateFiles().Sum(f => f.Length);
        var plan = SpillPlan.For(memoryLimitBytes, input, schema.Events.Length, dataDirectory);
        if (plan is not null) SpillPlan.CheckDisk(dataDirectory, input, spillDirectory ?? Path.GetTempPath());
        return plan;
    }

    /// <summary>
    /// As <see cref="SpillPlanFor(SchemaModel, string, long, string?)"/>, and for an import snapshot: null when the columns the
    /// plan reads (<see cref="ImportSnapshot.EstimateBytes"/>) and what is kept for every user fit the limit, else partitions of
    /// users read from the snapshot a window at a time (<see cref="SpillPlan.ForSnapshot"/>).
    /// </summary>
    /// <exception cref="DataImportException">MD8015–MD8017 as the other overload.</exception>
    public static SpillPlan? SpillPlanFor(Compilation compilation, string dataDirectory, long memoryLimitBytes, string? spillDirectory = null)
    {
        var schema = compilation.Model.Schema;
        if (!Directory.Exists(dataDirectory) || !ImportSnapshot.IsSnapshot(dataDirectory))
            return SpillPlanFor(schema, dataDirectory, memoryLimitBytes, spillDirectory);
        var plan = CompiledEngine.PlanFor(compilation);
        long needed;
        SnapshotManifest manifest;
        try
        {
            manifest = ImportSnapshot.ReadManifest(dataDirectory);
            needed = ImportSnapshot.EstimateBytes(schema, dataDirectory, plan.Columns)
                + (long)manifest.Users * (CompiledEngine.KeptBytesPerUser(plan) + CompiledEngine.ResultBytesPerUser(plan));
        }
        catch (SnapshotException)
        {
            return null;   // a damaged snapshot is said when it is read (MD6030)
        }
        if (needed <= memoryLimitBytes) return null;
        return SpillPlan.ForSnapshot(memoryLimitBytes, ImportSnapshot.EstimateBytes(schema, dataDirectory, plan.Columns.WithEveryTable(schema)),
            schema.Events.Length, dataDirectory);
    }

    /// <summary>The import options of a command run at wall clock <paramref name="now"/> (default: the machine's).</summary>
    public static ImportOptions ImportOptionsAt(string? rejectsPath, DateTimeOffset? now = null, SpillPlan? spill = null) => new()
    {
        RejectsPath = rejectsPath,
        Spill = spill,
        LatestEventTicks = FutureEvents.Limit(now ?? DateTimeOffset.UtcNow, FutureEvents.DefaultMaxSkew),
    };

    /// <summary>The as-of instant: the one given, else the latest event kept (never a rejected future one, see <see cref="LoadData"/>).</summary>
    /// <exception cref="DataImportException">No instant is given and the data holds no events.</exception>
    public static DateTime ResolveAsOf(DataSet data, DateTime? asOfUtc, string dataDirectory) =>
        asOfUtc ?? (data.MaxTimestampTicks is { } max ? new DateTime(max, DateTimeKind.Utc)
            : throw new DataImportException($"'{dataDirectory}' holds no events, so there is no default as-of instant; pass --as-of."));

    /// <summary>One line per custom function that failed (how often, and the first failure with its user and reason).</summary>
    public static IEnumerable<DiagnosticMessage> FailureMessages(FunctionFailureLog failures) =>
        failures.ByFunction.Select(f =>
        {
            var first = failures.Samples.First(s => s.Function == f.Key);
            return FunctionErrors.FailedForUsers(f.Key, f.Value, first.UserId, first.Reason);
        });

    /// <summary><see cref="FailureMessages"/> as the CLI prints warnings: code and English text.</summary>
    public static IEnumerable<string> FailureWarnings(FunctionFailureLog failures) =>
        FailureMessages(failures).Select(m => $"{m.Code}: {m.English}");

    /// <summary>What a run without trained models cannot do, said to the user alongside its results.</summary>
    public static IEnumerable<string> Warnings(SemanticModel model) =>
        model.Models.Select(m => TrainingErrors.NotTrained(m.Name)).Select(m => $"{m.Code}: {m.English}");
}
