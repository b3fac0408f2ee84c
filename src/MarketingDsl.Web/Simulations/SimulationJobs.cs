using System.Collections.Concurrent;
using System.Diagnostics;
using MarketingDsl.Core;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Engine.Simulation;
using MarketingDsl.Web.Storage;

namespace MarketingDsl.Web.Simulations;

/// <summary>How far a running simulation is: the phase, a fraction of it, and a line of detail.</summary>
public sealed class RunProgress
{
    private readonly Lock _lock = new();
    private string _phase = RunStatus.Queued;
    private double _fraction;
    private string _detail = "";

    public void Set(string phase, double fraction, string detail)
    {
        lock (_lock) (_phase, _fraction, _detail) = (phase, Math.Clamp(fraction, 0, 1), detail);
    }

    public (string Phase, double Fraction, string Detail) Snapshot()
    {
        lock (_lock) return (_phase, _fraction, _detail);
    }
}

/// <summary>
/// Runs simulations of the working copy in the background, one at a time (the machine's cores
/// go to the engine's own parallel loops): compile (done by the caller, so compile errors are
/// answered at once), load the data folder (or take it from <see cref="DataSetCache"/>),
/// evaluate with the compiled engine as `mdsl simulate` does, summarise, store in LiteDB.
/// Progress lives in memory while a run is under way; the stored record is the result.
/// </summary>
public sealed class SimulationJobs(EditorStore store, DataSetCache cache, ModelTraining.ModelRegistryAccess models, TimeProvider time,
    ILogger<SimulationJobs> log)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ConcurrentDictionary<int, RunProgress> _progress = new();

    public DataSetCache Cache => cache;

    /// <summary>Stores a queued record and starts the run; returns its id at once (the record itself belongs to the run from here on).</summary>
    public int Start(Compilation compilation, string folderName, string folderPath, DateTime? asOf, string? asOfText, string author,
        List<string> buffers)
    {
        var record = store.AddSimulation(new SimulationRecord
        {
            Folder = folderName, AsOfRequested = asOfText, AsOfUtc = asOf, Author = author, StartedUtc = time.GetUtcNow().UtcDateTime,
            Status = RunStatus.Queued, Buffers = buffers, ContentHash = compilation.ContentHash,
        });
        var progress = _progress[record.Id] = new RunProgress();
        _ = Task.Run(async () =>
        {
            await _gate.WaitAsync();
            try
            {
                Run(record, compilation, folderPath, asOf, progress);
            }
            finally
            {
                _gate.Release();
                _progress.TryRemove(record.Id, out _);
            }
        });
        return record.Id;
    }

    public RunProgress? Progress(int id) => _progress.GetValueOrDefault(id);

    /// <summary>Runs other engine work (the audience diff) in turn with simulations.</summary>
    public async Task<T> Exclusive<T>(Func<T> work)
    {
        await _gate.WaitAsync();
        try
        {
            return await Task.Run(work);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Evaluates a compiled workspace on a data folder as of an instant (the same steps as `mdsl simulate`, the data set possibly
    /// cached).</summary>
    public EvaluationResult Evaluate(Compilation compilation, string folderPath, DateTime? asOf, RunProgress? progress, out bool fromCache,
        out TimeSpan load, out TimeSpan evaluate) =>
        Evaluate(compilation, folderPath, asOf, progress, out fromCache, out load, out evaluate, out _);

    /// <param name="scorer">The registry's scorer of the models (null: the workspace has none); its warnings name untrained and stale models.</param>
    public EvaluationResult Evaluate(Compilation compilation, string folderPath, DateTime? asOf, RunProgress? progress, out bool fromCache,
        out TimeSpan load, out TimeSpan evaluate, out MarketingDsl.Models.Scoring.RegistryScorer? scorer)
    {
        // Model tags are scored from the workspace's registry, as `mdsl simulate` scores them.
        scorer = models.ScorerFor(compilation);
        var clock = Stopwatch.StartNew();
        var plan = CompiledEngine.PlanFor(compilation);
        progress?.Set("loading", 0, "");
        var (data, cached) = cache.Get(compilation.Model.Schema, folderPath, progress is null ? null : new ImportReporter(progress));
        fromCache = cached;
        load = clock.Elapsed;
        var asOfUtc = SimulationRunner.ResolveAsOf(data, asOf, Path.GetFileName(folderPath));
        clock.Restart();
        var total = Math.Max(1L, (long)data.UserCount * plan.Phases.Length);
        var result = CompiledEngine.Evaluate(plan, data, asOfUtc, progress is null ? null : new EvaluationReporter(progress, total), scorer);
        evaluate = clock.Elapsed;
        return result;
    }

    private void Run(SimulationRecord record, Compilation compilation, string folderPath, DateTime? asOf, RunProgress progress)
    {
        try
        {
            record.Status = RunStatus.Running;
            store.UpdateSimulation(record);
            var result = Evaluate(compilation, folderPath, asOf, progress, out var fromCache, out var load, out var evaluate, out var scorer);
            progress.Set("summarising", 1, "");
            var clock = Stopwatch.StartNew();
            ResultSummary.Fill(record, result);
            record.SummariseMs = clock.Elapsed.TotalMilliseconds;
            DescribeModels(record, compilation, scorer, models.Summaries(compilation.Model));
            record.DataFromCache = fromCache;
            record.LoadMs = load.TotalMilliseconds;
            record.EvaluateMs = evaluate.TotalMilliseconds;
            var failures = SimulationRunner.FailureMessages(result.FunctionFailures).ToList();
            // What was found about the data's source (a damaged or out-of-date snapshot) and the models, in both UI languages.
            var diagnostics = result.Data.Report.Warnings.Concat(scorer?.Warnings ?? []).ToList();
            record.Warnings = [.. diagnostics.Select(d => $"{d.Code}: {d.Message}"), .. failures.Select(m => $"{m.Code}: {m.English}")];
            record.WarningsZh = [.. diagnostics.Select(d => $"{d.Code}: {d.MessageIn(Localization.UiText.Chinese)}"),
                .. failures.Select(m => $"{m.Code}: {m.Chinese}")];
            record.Status = RunStatus.Done;
        }
        catch (DataImportException ex)
        {
            record.Status = RunStatus.Failed;
            record.Error = ex.Message;
            record.ErrorZh = ex.Diagnostic?.Chinese;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Anything else is a bug; the run says so instead of staying "running" for ever.
            log.LogError(ex, "Simulation {Id} failed", record.Id);
            record.Status = RunStatus.Failed;
            record.Error = $"The simulation failed unexpectedly: {ex.Message}";
        }
        record.FinishedUtc = time.GetUtcNow().UtcDateTime;
        try
        {
            try
            {
                store.UpdateSimulation(record);
            }
            catch (LiteDB.LiteException ex)
            {
                // The result could not be stored (e.g. a document over LiteDB's size limit): say so rather than stay "running".
                log.LogError(ex, "Simulation {Id} could not be stored", record.Id);
                var failed = new SimulationRecord
                {
                    Id = record.Id, Folder = record.Folder, AsOfRequested = record.AsOfRequested, AsOfUtc = record.AsOfUtc, Author = record.Author,
                    StartedUtc = record.StartedUtc, FinishedUtc = record.FinishedUtc, Buffers = record.Buffers, ContentHash = record.ContentHash,
                    Status = RunStatus.Failed, Error = $"The result could not be stored: {ex.Message}",
                };
                store.UpdateSimulation(failed);
            }
        }
        catch (ObjectDisposedException)
        {
            // The editor is shutting down; the record is marked interrupted at the next start.
        }
    }

    /// <summary>
    /// Each tag that reads models gets their registry report (AUC or R², when trained), so the
    /// chart shows the model's quality beside its scores; a tag that reads an untrained or stale
    /// model is empty for everyone, and says why instead of showing 100% empty.
    /// </summary>
    private static void DescribeModels(SimulationRecord record, Compilation compilation, MarketingDsl.Models.Scoring.RegistryScorer? scorer,
        IReadOnlyDictionary<string, MarketingDsl.LanguageService.TrainedModelSummary> summaries)
    {
        if (scorer is null) return;
        var tags = compilation.Model.Tags.ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (var histogram in record.Tags)
        {
            if (!tags.TryGetValue(histogram.Name, out var tag)) continue;
            var read = BoundTree.Descendants(tag.Body).OfType<BoundModelOutput>().Select(o => o.Model.Name).Distinct(StringComparer.Ordinal).ToList();
            foreach (var name in read)
            {
                var state = scorer.States.GetValueOrDefault(name) switch
                {
                    MarketingDsl.Models.Scoring.ModelState.Fresh => "trained",
                    MarketingDsl.Models.Scoring.ModelState.Stale => "stale",
                    _ => "untrained",
                };
                var summary = summaries.GetValueOrDefault(name);
                histogram.Models.Add(new TagModel
                {
                    Name = name, State = state, Metric = summary?.Metric ?? "",
                    Value = summary?.Value is { } v && double.IsFinite(v) ? v : null,
                    TrainedAtUtc = summary?.TrainedAtUtc, TrainedBy = summary?.TrainedBy,
                });
            }
            var unscored = histogram.Models.FirstOrDefault(m => m.State != "trained");
            if (unscored is null) continue;
            histogram.NotScoredModel = unscored.Name;
            histogram.NotScoredState = unscored.State;
        }
    }

    private sealed class ImportReporter(RunProgress progress) : IProgress<ImportProgress>
    {
        public void Report(ImportProgress value) => progress.Set("loading", value.FileBytes > 0 ? (double)value.FileBytesRead / value.FileBytes : 0,
            $"{Path.GetFileName(value.File)}: {value.RowsRead:N0} rows");
    }

    private sealed class EvaluationReporter(RunProgress progress, long total) : IProgress<int>
    {
        private long _done;

        public void Report(int value)
        {
            var done = Interlocked.Add(ref _done, value);
            progress.Set("evaluating", (double)done / total, $"{done:N0} / {total:N0}");
        }
    }
}
