using System.Collections.Concurrent;
using MarketingDsl.Core;
using MarketingDsl.Engine.Data;
using MarketingDsl.Journeys.Replay;
using MarketingDsl.Web.Storage;

namespace MarketingDsl.Web.Simulations;

/// <summary>
/// One journey replay of the working copy: its window, state, progress, and when done the
/// `journeys.json` of `mdsl simulate --from --to`.
/// </summary>
public sealed class ReplayRun
{
    private readonly Lock _lock = new();

    public int Id { get; init; }
    public string Folder { get; init; } = "";
    public DateTime FromUtc { get; init; }
    public DateTime ToUtc { get; init; }
    public string Author { get; init; } = "";
    public DateTime StartedUtc { get; init; }
    public List<string> Buffers { get; init; } = [];
    public CancellationTokenSource Cancel { get; } = new();

    public string Status { get; private set; } = RunStatus.Queued;
    public string Phase { get; private set; } = RunStatus.Queued;
    public double Fraction { get; private set; }
    public string? Error { get; private set; }
    public DateTime? FinishedUtc { get; private set; }
    /// <summary>journeys.json, byte for byte what `mdsl simulate --from --to` writes for the same workspace, data and window.</summary>
    public string? JourneysJson { get; private set; }

    public void Set(string phase, double fraction)
    {
        lock (_lock) (Status, Phase, Fraction) = (RunStatus.Running, phase, Math.Clamp(fraction, 0, 1));
    }

    public void Finish(string status, DateTime now, string? error = null, string? json = null)
    {
        lock (_lock) (Status, Error, JourneysJson, FinishedUtc, Fraction) = (status, error, json, now, status == RunStatus.Done ? 1 : Fraction);
    }

    public object Snapshot(bool withResult)
    {
        lock (_lock)
            return new
            {
                Id, Folder, FromUtc, ToUtc, Author, StartedUtc, FinishedUtc, Buffers, Status, Phase, Fraction, Error,
                journeys = withResult && JourneysJson is { } json
                    ? System.Text.Json.JsonDocument.Parse(json).RootElement : (System.Text.Json.JsonElement?)null,
            };
    }
}

/// <summary>
/// Journey replays of the working copy from the Simulation page, in the background and in turn
/// with simulations (<see cref="SimulationJobs.Exclusive{T}"/>): load the data folder (the same
/// cached data set), then <see cref="JourneyReplay.Run"/> over (from, to] with the registry's
/// model scorer — the code `mdsl simulate --from --to` runs — and keep its journeys.json. Runs can
/// be cancelled between events; the last <see cref="Kept"/> runs are kept in memory (a restart
/// forgets them; `mdsl simulate --from --to --out` writes a file that lasts).
/// </summary>
public sealed class ReplayJobs(SimulationJobs simulations, ModelTraining.ModelRegistryAccess models, TimeProvider time, ILogger<ReplayJobs> log)
{
    public const int Kept = 20;
    private readonly ConcurrentDictionary<int, ReplayRun> _runs = new();
    private int _lastId;

    public ReplayRun? Find(int id) => _runs.GetValueOrDefault(id);

    public IEnumerable<ReplayRun> Recent() => _runs.Values.OrderByDescending(r => r.Id);

    public ReplayRun Start(Compilation compilation, string folderName, string folderPath, DateTime from, DateTime to, string author,
        List<string> buffers)
    {
        var run = new ReplayRun
        {
            Id = Interlocked.Increment(ref _lastId), Folder = folderName, FromUtc = from, ToUtc = to, Author = author,
            StartedUtc = time.GetUtcNow().UtcDateTime, Buffers = buffers,
        };
        _runs[run.Id] = run;
        foreach (var old in _runs.Keys.Where(id => id <= run.Id - Kept)) _runs.TryRemove(old, out _);
        _ = Task.Run(() => simulations.Exclusive(() => Execute(run, compilation, folderPath)));
        return run;
    }

    private bool Execute(ReplayRun run, Compilation compilation, string folderPath)
    {
        try
        {
            run.Cancel.Token.ThrowIfCancellationRequested();
            run.Set("loading", 0);
            var scorer = models.ScorerFor(compilation);
            var (data, _) = simulations.Cache.Get(compilation.Model.Schema, folderPath, new Loading(run));
            run.Set("replaying", 0);
            var statistics = JourneyReplay.Run(compilation.Model, data, run.FromUtc, run.ToUtc, scorer: scorer, progress: new Replaying(run),
                cancel: run.Cancel.Token);
            run.Finish(RunStatus.Done, time.GetUtcNow().UtcDateTime, json: statistics.ToJson());
        }
        catch (OperationCanceledException)
        {
            run.Finish(RunStatus.Cancelled, time.GetUtcNow().UtcDateTime, "Cancelled.");
        }
        catch (DataImportException ex)
        {
            run.Finish(RunStatus.Failed, time.GetUtcNow().UtcDateTime, ex.Message);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Anything else is a bug; the run says so instead of staying "running" for ever.
            log.LogError(ex, "Replay {Id} failed", run.Id);
            run.Finish(RunStatus.Failed, time.GetUtcNow().UtcDateTime, $"The replay failed unexpectedly: {ex.Message}");
        }
        return true;
    }

    private sealed class Loading(ReplayRun run) : IProgress<ImportProgress>
    {
        public void Report(ImportProgress value) => run.Set("loading", value.FileBytes > 0 ? (double)value.FileBytesRead / value.FileBytes : 0);
    }

    private sealed class Replaying(ReplayRun run) : IProgress<double>
    {
        public void Report(double value) => run.Set("replaying", value);
    }
}
