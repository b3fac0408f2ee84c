using System.Collections.Concurrent;
using MarketingDsl.Core;
using MarketingDsl.Core.Semantics;
using MarketingDsl.LanguageService;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Simulation;
using MarketingDsl.Models.Registry;
using MarketingDsl.Models.Scoring;
using MarketingDsl.Models.Training;
using MarketingDsl.Web.Simulations;
using MarketingDsl.Web.Storage;

namespace MarketingDsl.Web.ModelTraining;

/// <summary>One training run of the Models page: its progress while it runs, then what it trained and what stopped it.</summary>
public sealed class TrainingRun
{
    private readonly Lock _lock = new();

    public int Id { get; init; }
    public string Folder { get; init; } = "";
    public string? AsOfRequested { get; init; }
    public string Author { get; init; } = "";
    public DateTime StartedUtc { get; init; }
    public int Total { get; init; }
    public string Status { get; private set; } = RunStatus.Queued;
    public string Phase { get; private set; } = RunStatus.Queued;
    public int Done { get; private set; }
    public string Current { get; private set; } = "";
    public DateTime? AsOfUtc { get; set; }
    public DateTime? FinishedUtc { get; set; }
    public List<string> Trained { get; } = [];
    public List<RunDiagnostic> Diagnostics { get; } = [];
    public string? Error { get; set; }

    public void Set(string status, string phase) { lock (_lock) (Status, Phase) = (status, phase); }

    /// <summary>The trainer says "training NAME …" as it starts each model: the one before it is done.</summary>
    public void Starting(string model)
    {
        lock (_lock)
        {
            if (Current.Length > 0) Done++;
            (Phase, Current) = ("training", model);
        }
    }

    public void Finish(string status)
    {
        lock (_lock) (Status, Phase, Done, Current) = (status, status, status == RunStatus.Done ? Total : Done, "");
    }

    public object Snapshot()
    {
        lock (_lock)
            return new { Id, Folder, AsOfRequested, AsOfUtc, Author, StartedUtc, FinishedUtc, Status, Phase, Done, Total, Current, Trained,
                Diagnostics, Error };
    }
}

/// <summary>
/// The workspace's model registry as the editor uses it (Models page, hovers, the simulation's
/// scorer, training). The file is opened for each use and never by two threads at once: LiteDB's
/// direct mode holds the file while it is open.
/// </summary>
public sealed class ModelRegistryAccess(WorkspaceFolder workspace, ILogger<ModelRegistryAccess> log)
{
    private readonly Lock _lock = new();
    private (DateTime Written, long Length, IReadOnlyList<HoverEntry> Entries)? _hoverCache;

    private sealed record HoverEntry(TrainedModel Entry, TrainedModelSummary Summary);

    public string Path => ModelRegistry.PathFor(workspace.Root);

    /// <summary>
    /// What hovers say of each trained model of <paramref name="model"/> (its AUC, R² or silhouette and training date),
    /// read again only when the registry file changes: a hover must not open LiteDB and load every zip.
    /// </summary>
    public IReadOnlyDictionary<string, TrainedModelSummary> Summaries(SemanticModel model)
    {
        var result = new Dictionary<string, TrainedModelSummary>(StringComparer.Ordinal);
        if (model.Models.IsEmpty) return result;
        IReadOnlyList<HoverEntry> entries;
        try { entries = HoverEntries(); }
        catch (IOException) { return result; }
        foreach (var m in model.Models)
        {
            var known = entries.FirstOrDefault(e => e.Entry.Name == m.Name);
            if (known is null) continue;
            var state = RegistryScorer.StateOf(m, known.Entry, out _);
            result[m.Name] = known.Summary with { State = state == ModelState.Fresh ? "trained" : "stale" };
        }
        return result;
    }

    private IReadOnlyList<HoverEntry> HoverEntries()
    {
        var file = new FileInfo(Path);
        if (!file.Exists) return [];
        lock (_lock)
        {
            if (_hoverCache is { } c && c.Written == file.LastWriteTimeUtc && c.Length == file.Length) return c.Entries;
        }
        var entries = Entries().Select(e =>
        {
            var report = ModelReport.FromJson(e.ReportJson);
            var (metric, value) = e.Kind switch
            {
                "classifier" => ("AUC", report?.Classifier?.Auc),
                "regression" => ("R²", report?.Regression?.RSquared),
                _ => ("silhouette", report?.Clusters?.Silhouette),
            };
            return new HoverEntry(e, new TrainedModelSummary("trained", metric, value, e.TrainedAtUtc, e.TrainedBy));
        }).ToList();
        lock (_lock) _hoverCache = (file.LastWriteTimeUtc, file.Length, entries);
        return entries;
    }

    /// <summary>The registry's entries (empty when nothing was trained yet).</summary>
    /// <exception cref="IOException">The registry file is damaged.</exception>
    public IReadOnlyList<TrainedModel> Entries()
    {
        lock (_lock)
        {
            using var registry = ModelRegistry.OpenExisting(workspace.Root);
            return registry?.All() ?? [];
        }
    }

    public void Save(IEnumerable<TrainedModel> models)
    {
        lock (_lock)
        {
            using var registry = new ModelRegistry(Path);
            foreach (var model in models) registry.Save(model);
        }
    }

    /// <summary>The scorer `mdsl simulate` builds for a compiled workspace (null without models; untrained or stale models warn).</summary>
    public RegistryScorer? ScorerFor(Compilation compilation)
    {
        if (compilation.Model.Models.IsEmpty) return null;
        IReadOnlyList<TrainedModel> entries;
        try { entries = Entries(); }
        catch (IOException ex)
        {
            log.LogWarning(ex, "The model registry cannot be read; models are scored as not trained");
            entries = [];
        }
        return new RegistryScorer(compilation.Model, entries);
    }
}

/// <summary>
/// Trains a workspace's models in the background with the trainer and registry of `mdsl train`,
/// one run at a time and in turn with simulations (both fill the machine's cores). Runs live in
/// memory; what they trained lives in the registry.
/// </summary>
public sealed class ModelJobs(ModelRegistryAccess registry, SimulationJobs simulations, TimeProvider time, ILogger<ModelJobs> log)
{
    private readonly ConcurrentDictionary<int, TrainingRun> _runs = new();
    private int _lastId;

    public TrainingRun? Find(int id) => _runs.GetValueOrDefault(id);

    public IReadOnlyList<TrainingRun> Recent() => [.. _runs.Values.OrderByDescending(r => r.Id).Take(20)];

    /// <summary>Queues a training run of a compiled workspace on a data folder; returns at once.</summary>
    public TrainingRun Start(Compilation compilation, string folderName, string folderPath, DateTime? asOf, string? asOfText, string author)
    {
        var run = new TrainingRun
        {
            Id = Interlocked.Increment(ref _lastId), Folder = folderName, AsOfRequested = asOfText, Author = author,
            StartedUtc = time.GetUtcNow().UtcDateTime, Total = compilation.Model.Models.Length,
        };
        _runs[run.Id] = run;
        _ = simulations.Exclusive(() => { Run(run, compilation, folderPath, asOf); return true; });
        return run;
    }

    private void Run(TrainingRun run, Compilation compilation, string folderPath, DateTime? asOf)
    {
        try
        {
            run.Set(RunStatus.Running, "loading");
            var (data, _) = simulations.Cache.Get(compilation.Model.Schema, folderPath, null);
            var instant = SimulationRunner.ResolveAsOf(data, asOf, Path.GetFileName(folderPath));
            run.AsOfUtc = instant;
            var progress = new Progress(run);
            var result = ModelTrainer.Train(compilation, data, instant, run.Author, progress);
            registry.Save(result.Models);
            run.Trained.AddRange(result.Models.Select(m => m.Name));
            run.Diagnostics.AddRange(result.Diagnostics.Select(d => new RunDiagnostic
            {
                Path = d.FilePath, Line = d.Start.Line, Column = d.Start.Column, Code = d.Code, Message = d.Message,
                MessageZh = d.MessageIn(Localization.UiText.Chinese),
            }));
            run.FinishedUtc = time.GetUtcNow().UtcDateTime;
            run.Finish(RunStatus.Done);
        }
        catch (Exception ex) when (ex is DataImportException or IOException)
        {
            run.Error = ex.Message;
            run.FinishedUtc = time.GetUtcNow().UtcDateTime;
            run.Finish(RunStatus.Failed);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Anything else is a bug; the run says so instead of staying "running" for ever.
            log.LogError(ex, "Training run {Id} failed", run.Id);
            run.Error = $"Training failed unexpectedly: {ex.Message}";
            run.FinishedUtc = time.GetUtcNow().UtcDateTime;
            run.Finish(RunStatus.Failed);
        }
    }

    private sealed class Progress(TrainingRun run) : IProgress<string>
    {
        private const string Prefix = "training ";

        public void Report(string value)
        {
            var name = value.StartsWith(Prefix, StringComparison.Ordinal) ? value[Prefix.Length..].TrimEnd('…', ' ') : value;
            run.Starting(name);
        }
    }
}
