using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
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
/// The class is one partial per part, in the folder of its stage:
/// Ingest/ (LiveRuntime.Ingest.cs: validation, de-duplication, the size bound; LiveRuntime.GroupCommit.cs:
/// the committer and answering threads; LiveRuntime.Profiles.cs: profiles and identity merges);
/// Users/ (LiveRuntime.Users.cs and UserCache.cs: the per-user cache and condition evaluation);
/// Journeys/ (LiveRuntime.Executor.cs: an event and due timers through the machines, persisting
/// what they did; LiveRuntime.Triggers.cs: schedule and segment triggers); Delivery/ (the outbox
/// to channel adapters); LiveRuntime.Versions.cs (a new workspace version); this file: the state
/// every part shares, transactions and shutdown. The store is Store/, the HTTP host Hosting/.
/// </summary>
public sealed partial class LiveRuntime : IDisposable
{
    private readonly object _gate = new();
    // The workspace version: replaced as a whole by Reload (LiveRuntime.Versions.cs).
    private SemanticModel _model;
    private readonly LiveOptions _options;
    private readonly LiveStore _store;
    private Validation _validation;
    private JourneyMachine[] _machines;
    private StepPaths[] _paths;
    private Dictionary<string, int> _journeyIndex = new(StringComparer.Ordinal);
    private readonly UserCache _users;
    private readonly List<IngestRequest> _queue = [];
    private bool _committing;
    private bool _disposed;
    /// <summary>The user, sequence number and values of the event being handed to journeys (for its row, loaded on demand).</summary>
    private (LiveUser? User, long Seq, object?[]? Values) _current;
    private readonly JourneyEnvironment _env;
    private readonly List<JourneyAction> _actions = [];

    public LiveRuntime(SemanticModel model, LiveOptions options)
    {
        _model = model;
        _options = options;
        _store = new LiveStore(options.DbPath);
        _validation = new Validation(model.Schema);
        _machines = [.. model.Journeys.Where(j => j.Trigger is not null).Select(j => new JourneyMachine(j))];
        _paths = [.. _machines.Select(m => new StepPaths(m.Journey))];
        for (var j = 0; j < _machines.Length; j++) _journeyIndex[_machines[j].Journey.Name] = j;
        _env = new JourneyEnvironment(new LiveConditions(this), new LiveLedger(_store), ZoneOf, ReportSteps: true);
        _dispatcher = new OutboxDispatcher(this, options);
        _users = new UserCache(Math.Max(1, options.CachedUsers), Math.Max(0, options.CachedEvents), Math.Max(0, options.CacheBytes));
        LoadSplits();
        CompileConditions();
        lock (_gate) StartReport = TransactionValue(Reconcile);
        StartCommitter();
    }

    public SemanticModel Model => _model;
    public LiveStore Store => _store;

    /// <summary>How many users the per-user cache holds, how many of them with their events loaded, how many events, and their estimated bytes (the load benchmark's memory run reports them).</summary>
    public (int Users, int Loaded, long Events, long Bytes) CacheSize { get { lock (_gate) return (_users.Count, _users.Loaded, _users.Events, _users.Bytes); } }

    /// <summary>Tests: empties the per-user cache (the store keeps everything).</summary>
    internal void DropUserCache() { lock (_gate) _users.Clear(); }

    /// <summary>The virtual clock: the latest event time seen (UTC ticks), 0 before any event.</summary>
    public long Clock { get { lock (_gate) return _store.Counter("clock"); } }

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
            _actions.Clear();
            ForgetTriggerCaches();
            LoadSplits();
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
        try { _commitWake.Release(); } catch (SemaphoreFullException) { }
        _committer?.Join(TimeSpan.FromSeconds(30));
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
