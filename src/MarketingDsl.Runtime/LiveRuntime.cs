using System.Runtime.CompilerServices;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Scoring;
using MarketingDsl.Journeys;

namespace MarketingDsl.Runtime;

/// <summary>
/// The live runtime (LANGUAGE.md §15.7): every journey runs on incoming events and timers
/// through the same <see cref="JourneyMachine"/> as replay, on event time. State lives in
/// <see cref="LiveStore"/>; in memory there are only caches (per user: profile, events as a
/// growing <see cref="UserHistory"/>, journey states; machines' split states) that are rebuilt
/// from the store after a failed batch, a reload or a restart (the cache writes through: the
/// store always holds every committed state).
/// Requests that arrive while a transaction runs are committed together in the next one (group
/// commit): an event is acknowledged only when it and every consequence (journey states, timers,
/// ledger, outbox) are committed. Calls are serialised by one lock.
/// This class is the ingest and group-commit core, which owns the lock, the transactions and the
/// installed version, and composes the parts (src/MarketingDsl.Runtime/README.md):
/// <see cref="WorkspaceVersion"/> (the published version, replaced whole by
/// <see cref="Reload"/>, LiveRuntime.Versions.cs); <see cref="UserStates"/> (Users/: the per-user
/// cache and condition evaluation); <see cref="JourneyExecutor"/> (Journeys/: events and due timers
/// through the machines, schedule and segment triggers, what they did persisted); the
/// <see cref="OutboxDispatcher"/> (Delivery/). Its own partials: Ingest/ (validation,
/// de-duplication, the size bound; the committer and answering threads; timer slices; profiles and
/// identity merges), results and feedback, the user view, the operators' reads. The store is
/// Store/, the HTTP host Hosting/ (which uses only this class's public members).
/// </summary>
public sealed partial class LiveRuntime : IDisposable
{
    private readonly object _gate = new();
    // The workspace version: replaced as a whole by Reload (LiveRuntime.Versions.cs), with the parts' copies (UseVersion).
    private WorkspaceVersion _version;
    private readonly LiveOptions _options;
    private readonly LiveStore _store;
    private readonly UserStates _users;
    private readonly JourneyExecutor _executor;
    private readonly ConditionalWeakTable<SemanticModel, StrongBox<IModelScorer?>> _scorers = new();
    private readonly List<IngestRequest> _queue = [];
    private bool _committing;
    private bool _disposed;

    public LiveRuntime(SemanticModel model, LiveOptions options)
    {
        _options = options;
        _store = new LiveStore(options.DbPath);
        _version = new WorkspaceVersion(model, ScorerOf);
        _users = new UserStates(_store, _version, options.CachedUsers, options.CachedEvents, options.CacheBytes);
        _executor = new JourneyExecutor(_store, _users, _version, options, this);
        _dispatcher = OutboxDispatcher.For(this, options);
        _version.CompileConditions(_options.Clock.GetUtcNow().UtcTicks);
        lock (_gate) StartReport = TransactionValue(Reconcile);
        StartCommitter();
    }

    /// <summary>The scorer of <paramref name="model"/>'s trained models, asked of <see cref="LiveOptions.ModelScorer"/> once per model.</summary>
    private IModelScorer? ScorerOf(SemanticModel model) =>
        _options.ModelScorer is { } factory ? _scorers.GetValue(model, m => new StrongBox<IModelScorer?>(factory(m))).Value : null;

    /// <summary>Runs <paramref name="version"/> from now on, in every part (their caches of the previous one dropped).</summary>
    private void UseVersion(WorkspaceVersion version)
    {
        _version = version;
        _users.Install(version);
        _executor.Install(version);
    }

    public SemanticModel Model => _version.Model;
    public LiveStore Store => _store;

    /// <summary>
    /// How many users the per-user cache holds, how many of them with their events loaded, how many
    /// events, and their estimated bytes (the load benchmark's memory run reports them).
    /// </summary>
    public (int Users, int Loaded, long Events, long Bytes) CacheSize { get { lock (_gate) return _users.CacheSize; } }

    /// <summary>Tests: the runtime's lock, held to show what never waits for it (/api/health).</summary>
    internal object Gate => _gate;

    /// <summary>Tests: empties the per-user cache (the store keeps everything).</summary>
    internal void DropUserCache() { lock (_gate) _users.Clear(); }

    /// <summary>Tests: users of a fan-out per batch (0: every user alone, through the cache).</summary>
    internal int FanOutBatchSize { get => _users.FanOutBatchSize; set => _users.FanOutBatchSize = value; }

    /// <summary>Tests and the load benchmark: users whose audience a fan-out evaluated in a batch.</summary>
    internal long FanOutBatchUsers => _users.FanOutBatchUsers;

    /// <summary>Tests: how many times a user's journey states were read from the store.</summary>
    internal long StateReads { get { lock (_gate) return _users.StateReads; } }

    /// <summary>Tests: events a fan-out batch read as their time alone, from the store's index.</summary>
    internal long FanOutEventTimesOnly => _users.FanOutEventTimesOnly;

    /// <summary>The virtual clock: the latest event time seen (UTC ticks), 0 before any event; committed (a counter read from memory:
    /// /api/health asks without the runtime's lock).</summary>
    public long Clock => _store.Counter("clock");

    // ------------------------------------------------------------------ transactions

    /// <summary>When the last transaction's body ended (its commit began).</summary>
    private long _bodyEnded;

    /// <summary>Where the committer's time goes (the load benchmark prints it).</summary>
    public CommitTimings Timings { get; } = new();

    /// <summary>Runs <paramref name="body"/> in one store transaction; when it returns, what the body wrote is durable.</summary>
    private void Transaction(Action body) => TransactionValue(() => { body(); return 0; });

    private T TransactionValue<T>(Func<T> body)
    {
        _store.Begin();
        StartTimerSlice();
        try
        {
            var result = body();
            _bodyEnded = System.Diagnostics.Stopwatch.GetTimestamp();
            _store.Commit();
            return result;
        }
        catch
        {
            _store.Rollback();
            // In-memory caches may hold uncommitted changes: rebuild them from the store.
            _users.Clear();
            _executor.Forget();
            _timerBacklog = false;
            throw;
        }
    }

    public void Dispose()
    {
        lock (_queue)
        {
            _disposed = true;
            Monitor.PulseAll(_queue);   // a committer waiting for a request to carry timer work stops waiting
        }
        // Requests already queued are committed first; then nothing touches the store.
        SpinWait.SpinUntil(() => { lock (_queue) return !_committing; }, TimeSpan.FromSeconds(30));
        _stopCommitter = true;
        _commitWake.Set();
        if (_committer?.Join(TimeSpan.FromSeconds(30)) != false) _commitWake.Dispose();
        // The answering thread answers what the committer handed it, then ends.
        _answerQueue.CompleteAdding();
        _answerer?.Join(TimeSpan.FromSeconds(30));
        _dispatcher.Dispose();
        lock (_gate)
        {
            // Delivery marks still queued: commit them, so a clean stop repeats no file line check.
            try { if (_store.HasQueuedMarks) Transaction(() => { }); }
            finally { _store.Dispose(); }
        }
    }
}
