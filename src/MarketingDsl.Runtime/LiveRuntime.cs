using System.Globalization;
using System.Text.Json;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Journeys;

namespace MarketingDsl.Runtime;

/// <summary>The result of one item of an ingest request.</summary>
public sealed record IngestResult(int Index, string Status, string? Reason = null)
{
    public const string Accepted = "accepted";
    public const string Duplicate = "duplicate";
    public const string Rejected = "rejected";
}

/// <summary>Settings of the live runtime.</summary>
public sealed partial class LiveOptions
{
    public required string DbPath { get; init; }
    /// <summary>Where the file adapter appends `CHANNEL.jsonl`; null: actions stay in the outbox.</summary>
    public string? OutboxDir { get; init; }
    /// <summary>The wall clock of the timer loop (tests pin it).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;
    /// <summary>A timer fires by wall clock when now ≥ due + grace (room for late events at the due instant).</summary>
    public TimeSpan Grace { get; init; } = TimeSpan.Zero;
    /// <summary>
    /// How far ahead of <see cref="Clock"/> an event's ts may be; a later event is rejected (its
    /// ts would move the runtime's clock and fire every timer up to it): <see cref="FutureEvents"/>.
    /// </summary>
    public TimeSpan MaxFutureSkew { get; init; } = FutureEvents.DefaultMaxSkew;
    /// <summary>How many users' profiles, events and journey states stay in memory (least recently used leave first).</summary>
    public int CachedUsers { get; init; } = DefaultCachedUsers;
    public const int DefaultCachedUsers = 100_000;
    /// <summary>How many events the cached users may hold in memory in all (a bound on memory: long histories leave first by recency).</summary>
    public int CachedEvents { get; init; } = DefaultCachedEvents;
    public const int DefaultCachedEvents = 1_000_000;
    /// <summary>
    /// How much memory the cached users may hold in all, by an estimate per user (profile, journey
    /// states, loaded events at their arrays' capacity, evaluator): the bound that keeps the
    /// process's memory flat whatever mix of users the traffic brings.
    /// </summary>
    public long CacheBytes { get; init; } = (long)DefaultCacheMegabytes << 20;
    public const int DefaultCacheMegabytes = 128;
}

/// <summary>
/// The live runtime (LANGUAGE.md §15.7): every journey runs on incoming events and timers
/// through the same <see cref="JourneyMachine"/> as replay, on event time (schedule and segment
/// triggers: LiveRuntime.Triggers.cs; delivery: LiveRuntime.Delivery.cs; new versions:
/// LiveRuntime.Versions.cs). State lives in <see cref="LiveStore"/>; in memory there are only caches (per user: profile, events as a
/// growing <see cref="UserHistory"/>, journey states; machines' split states) that are rebuilt
/// from the store after a failed batch, a reload or a restart (the cache writes through: the
/// store always holds every committed state).
/// Requests that arrive while a transaction runs are committed together in the next one (group
/// commit): an event is acknowledged only when it and every consequence (journey states, timers,
/// ledger, outbox) are committed. Calls are serialised by one lock.
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
        _env = new JourneyEnvironment(new LiveConditions(this), new LiveLedger(_store), ZoneOf);
        _dispatcher = new OutboxDispatcher(this, options);
        _users = new UserCache(Math.Max(1, options.CachedUsers), Math.Max(0, options.CachedEvents), Math.Max(0, options.CacheBytes));
        LoadSplits();
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

    // ------------------------------------------------------------------ ingest

    /// <summary>Ingests events and delivers what they caused before returning (tests, tools).</summary>
    public IReadOnlyList<IngestResult> IngestEvents(JsonElement array)
    {
        var results = IngestEventsAsync(array).GetAwaiter().GetResult();
        Deliver();
        return results;
    }

    /// <summary>
    /// Ingests events: completes when they and their consequences are committed (durable), without
    /// holding a thread meanwhile (the HTTP path); delivery of the sends they caused follows in the
    /// background. Requests that queue while a transaction runs share the next one (group commit).
    /// </summary>
    public Task<IReadOnlyList<IngestResult>> IngestEventsAsync(JsonElement array)
    {
        var items = Items(array);
        // Validation needs only the schema: it runs before the queue, in parallel with other requests.
        var request = new IngestRequest(items);
        request.Validate(_validation, LatestEventTicks());
        lock (_queue)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _queue.Add(request);
            if (_committing) return request.Completion.Task;
            _committing = true;
        }
        try { _commitWake.Release(); }
        catch (SemaphoreFullException) { }   // already woken
        return request.Completion.Task;
    }

    // The committer is a thread of its own, not a thread-pool work item: a commit blocks (SQLite's
    // writes, the fsync), and under thousands of single-event requests per second a blocked pool
    // thread starved the requests' continuations until the pool added threads (p99 ≈ 200 ms at
    // 3,000 requests/s against 27 ms with enough threads, measured).
    private readonly SemaphoreSlim _commitWake = new(0, 1);
    private Thread? _committer;
    private volatile bool _stopCommitter;

    private void StartCommitter()
    {
        _committer = new Thread(() =>
        {
            while (true)
            {
                // No group for IdleCheckpointAfter: ingest has paused (not merely "the queue is empty
                // right after a commit", which under closed-loop clients is always true: they wait
                // for the answers of the group just committed), so a small checkpoint costs no one.
                if (!_commitWake.Wait(IdleCheckpointAfter))
                {
                    if (_stopCommitter) return;
                    Checkpoint(idle: true);
                    _commitWake.Wait();
                }
                if (_stopCommitter) return;
                CommitLoop();
            }
        }) { IsBackground = true, Name = "mdsl committer" };
        _committer.Start();
        _answerer = new Thread(AnswerLoop) { IsBackground = true, Name = "mdsl answerer" };
        _answerer.Start();
    }

    /// <summary>One committer at a time: commits the queued requests group by group until the queue is empty.</summary>
    private void CommitLoop()
    {
        while (true)
        {
            List<IngestRequest> group;
            lock (_queue)
            {
                if (_queue.Count == 0)
                {
                    if (!_timerBacklog || _disposed) { _committing = false; return; }
                    group = [];
                }
                else
                {
                    group = [.. _queue];
                    _queue.Clear();
                }
            }
            // No request waits but due timer work is left: one slice of it, then look at the queue again.
            if (group.Count == 0) { FireBacklogSlice(); continue; }
            lock (_gate) CommitGroup(group);
            // The group is committed and on disk: the answering thread completes its requests
            // while this thread already takes the next group.
            _answerQueue.Add(group);
            Checkpoint(idle: false);
        }
    }

    private readonly System.Collections.Concurrent.BlockingCollection<List<IngestRequest>> _answerQueue = [];
    private Thread? _answerer;

    /// <summary>
    /// Answers the requests of committed groups (their commit returned: they are on disk), in
    /// commit order, off the committer's thread.
    /// </summary>
    private void AnswerLoop()
    {
        var groups = new List<List<IngestRequest>>();
        foreach (var first in _answerQueue.GetConsumingEnumerable())
        {
            groups.Add(first);
            while (_answerQueue.TryTake(out var more)) groups.Add(more);
            Volatile.Write(ref _lastIngestCommit, Environment.TickCount64);
            foreach (var request in groups.SelectMany(g => g))
            {
                if (request.Error is { } error) request.Completion.TrySetException(error);
                else request.Completion.TrySetResult(request.Results);
            }
            groups.Clear();
            // Delivery runs outside ingest: wake the delivery loop (the sync IngestEvents delivers itself).
            _wakeDelivery?.Invoke();
        }
    }

    /// <summary>How long the committer has had no group before it checkpoints a small write-ahead log.</summary>
    public static readonly TimeSpan IdleCheckpointAfter = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Between two groups (<paramref name="idle"/> false: only a large log) or after ingest has
    /// paused (true): SQLite's checkpoint runs when due (LiveStore.CheckpointIfDue), here rather
    /// than inside a commit that a group waits for. Requests arriving meanwhile queue for the next
    /// group as during a commit.
    /// </summary>
    private void Checkpoint(bool idle)
    {
        try
        {
            lock (_gate)
            {
                var start = System.Diagnostics.Stopwatch.GetTimestamp();
                if (_store.CheckpointIfDue(idle)) Timings.Checkpoint(System.Diagnostics.Stopwatch.GetTimestamp() - start);
            }
        }
        // A failed checkpoint loses nothing (the log still holds every commit; it is tried again
        // after the next group); it must not stop the committer.
        catch (Exception ex) when (ex is IOException or Microsoft.Data.Sqlite.SqliteException) { }
    }

    /// <summary>
    /// Group commit: every request of the group in one transaction. When it fails, each request runs
    /// again in a transaction of its own, so one failing request fails no other.
    /// </summary>
    private void CommitGroup(List<IngestRequest> group)
    {
        try
        {
            var start = System.Diagnostics.Stopwatch.GetTimestamp();
            var cpu = CommitTimings.ThreadCpuNanos();
            Transaction(() => { foreach (var request in group) Process(request); });
            Timings.Group(group.Sum(r => r.Results.Length), _bodyEnded - start, System.Diagnostics.Stopwatch.GetTimestamp() - _bodyEnded,
                cpu < 0 ? -1 : CommitTimings.ThreadCpuNanos() - cpu);
        }
        catch (Exception) when (group.Count > 1)
        {
            foreach (var request in group)
            {
                try { Transaction(() => Process(request)); }
                catch (Exception ex) { request.Error = ex; }
            }
        }
        catch (Exception ex)
        {
            group[0].Error = ex;
        }
    }

    /// <summary>The latest ts an event may have now (the wall clock plus <see cref="LiveOptions.MaxFutureSkew"/>).</summary>
    private long LatestEventTicks() => FutureEvents.Limit(_options.Clock.GetUtcNow(), _options.MaxFutureSkew);

    private void Process(IngestRequest request)
    {
        // Validated against a version a reload has replaced since: validate again (event types are the new version's symbols).
        if (!ReferenceEquals(request.ValidatedBy, _validation)) request.Validate(_validation, LatestEventTicks());
        var seenInBatch = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < request.Results.Length; i++)
        {
            var (parsed, json) = request.Events[i];
            if (parsed is null) { request.Results[i] = request.Rejected[i]!; continue; }
            if (System.Text.Encoding.UTF8.GetByteCount(json) > LiveStore.MaxEventBytes)
            {
                request.Results[i] = new IngestResult(i, IngestResult.Rejected, $"the event is larger than {LiveStore.MaxEventBytes:N0} bytes, the largest one event may be");
                continue;
            }
            if (parsed.Id is { } id && (!seenInBatch.Add(parsed.Type.Name + "\u001F" + id) || _store.HasEvent(parsed.Type.Name, id)))
            { request.Results[i] = new IngestResult(i, IngestResult.Duplicate); continue; }
            request.Results[i] = Accept(parsed, json, i);
        }
    }

    /// <summary>One POST of events waiting for (or done with) its group's transaction.</summary>
    private sealed class IngestRequest(List<JsonElement> items)
    {
        public readonly IngestResult?[] Rejected = new IngestResult?[items.Count];
        public readonly (ParsedEvent? Event, string Json)[] Events = new (ParsedEvent?, string)[items.Count];
        public readonly IngestResult[] Results = new IngestResult[items.Count];
        public readonly TaskCompletionSource<IReadOnlyList<IngestResult>> Completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public Exception? Error;
        public Validation? ValidatedBy;

        public void Validate(Validation validation, long latestTs)
        {
            for (var i = 0; i < items.Count; i++)
            {
                var parsed = validation.ParseEvent(items[i], out var reason);
                if (parsed is not null && FutureEvents.Reason(parsed.Ts, latestTs) is { } future) { parsed = null; reason = future; }
                Rejected[i] = parsed is null ? new IngestResult(i, IngestResult.Rejected, reason) : null;
                Events[i] = (parsed, parsed is null ? "" : items[i].GetRawText());
            }
            ValidatedBy = validation;
        }
    }

    public IReadOnlyList<IngestResult> IngestProfiles(JsonElement array)
    {
        var items = Items(array);
        var results = new IngestResult[items.Count];
        lock (_gate)
        {
            Transaction(() =>
            {
                for (var i = 0; i < items.Count; i++)
                {
                    var values = _validation.ParseProfile(items[i], out var key, out var reason);
                    if (values is null) { results[i] = new IngestResult(i, IngestResult.Rejected, reason); continue; }
                    var json = items[i].GetRawText();
                    if (_store.Profile(key!) == json) { results[i] = new IngestResult(i, IngestResult.Duplicate); continue; }
                    if (_store.MergedInto(key!) is { } into)
                    {
                        results[i] = new IngestResult(i, IngestResult.Rejected,
                            $"user '{key}' was merged into '{into}' by an identity value: send the profile of '{into}'");
                        continue;
                    }
                    var identities = _validation.IdentityValues(items[i], out _)!;
                    _store.SetProfile(key!, json);
                    var survivor = LinkIdentities(key!, identities, out var merged);
                    _users.Remove(key!);
                    // Unmerged, the stored profile is the row just parsed: cache it rather than read it back.
                    if (merged is null) _users.Add(new LiveUser(key!, values, _machines.Length));
                    OnProfileStored(survivor);
                    results[i] = new IngestResult(i, IngestResult.Accepted, merged);
                }
            });
        }
        return results;
    }

    /// <summary>The reason of a journey state ended because its user was merged into another.</summary>
    public const string EndMerged = "merged";

    /// <summary>
    /// Records the stored profile's identity values; when one already belongs to another user,
    /// merges the users as the batch importer does (§15.7): the smallest id in code point order
    /// survives; the others' profiles, in the order they were first stored, fill only its null
    /// fields; their events move to it; their journey states end (reason `merged`), their timers
    /// go; the survivor's states continue. Returns the survivor; <paramref name="merged"/> says
    /// what merged (null: nothing).
    /// </summary>
    private string LinkIdentities(string user, string?[] identities, out string? merged)
    {
        merged = null;
        var keys = _model.Schema.IdentityKeys;
        var links = new List<(string Owner, string Key, string Value)>();
        for (var k = 0; k < identities.Length; k++)
        {
            if (identities[k] is not { } value) continue;
            var owner = _store.IdentityOwner(keys[k], value);
            if (owner is null) _store.SetIdentityOwner(keys[k], value, user);
            else if (owner != user && links.All(l => l.Owner != owner)) links.Add((owner, keys[k], value));
        }
        if (links.Count == 0) return user;
        var group = links.Select(l => l.Owner).Append(user).ToList();
        var survivor = group.Min(CodePointComparer.Instance)!;
        var at = _store.Counter("clock");
        var notes = new List<string>();
        var profile = System.Text.Json.Nodes.JsonNode.Parse(_store.Profile(survivor)!)!.AsObject();
        foreach (var other in group.Where(g => g != survivor).OrderBy(_store.ProfileSeq).ToList())
        {
            var (key, value) = links.FirstOrDefault(l => l.Owner == other) is { Owner: not null } l ? (l.Key, l.Value) : (links[0].Key, links[0].Value);
            var otherProfile = System.Text.Json.Nodes.JsonNode.Parse(_store.Profile(other)!)!.AsObject();
            foreach (var field in _model.Schema.ProfileFields)
            {
                if (field.Name == _model.Schema.KeyField) continue;
                if (profile[field.Name] is null && otherProfile[field.Name] is { } filler) profile[field.Name] = filler.DeepClone();
            }
            var events = _store.EventCount(other);
            var ended = 0;
            foreach (var machine in _machines)
            {
                if (_store.State(machine.Journey.Name, other) is not { Active: true } state) continue;
                state.Active = false;
                state.Position.Clear();
                state.WaitStart = state.WaitUntil = null;
                state.WaitToken = null;
                _store.SetState(machine.Journey.Name, other, state);
                _store.AddEnd(new JourneyEnd(machine.Journey.Name, other, at, EndMerged, $"merged into '{survivor}' by {key} '{value}'"));
                ended++;
            }
            _store.DeleteTimersOf(other);
            _store.DeleteProfile(other);
            _store.RecordMerge(new IdentityMergeRecord(survivor, other, key, value, at, events, ended));
            _users.Remove(other);
            notes.Add($"merged user '{other}' into '{survivor}' by identity key '{key}'");
        }
        _store.SetProfile(survivor, profile.ToJsonString());
        _users.Remove(survivor);
        for (var k = 0; k < identities.Length; k++)
            if (identities[k] is { } value) _store.SetIdentityOwner(keys[k], value, survivor);
        merged = string.Join("; ", notes);
        return survivor;
    }

    /// <summary>
    /// The user an event belongs to, as the batch importer resolves it: its user_id when that user
    /// has a profile, else the owner of its first identity value (in the order of the schema's
    /// identity keys) known from a profile, else its user_id (an orphan until a profile comes).
    /// </summary>
    private (string User, string? By) ResolveUser(ParsedEvent e)
    {
        if (User(e.User).Profile is not null) return (e.User, null);
        if (_store.MergedInto(e.User) is { } survivor) return (survivor, "merged");
        for (var k = 0; k < e.Identities.Length; k++)
            if (e.Identities[k] is { } value && _store.IdentityOwner(_model.Schema.IdentityKeys[k], value) is { } owner)
                return (owner, _model.Schema.IdentityKeys[k]);
        return (e.User, null);
    }

    private static List<JsonElement> Items(JsonElement array)
    {
        if (array.ValueKind != JsonValueKind.Array) throw new FormatException("the body must be a JSON array");
        return [.. array.EnumerateArray()];
    }

    /// <summary>
    /// Fires the timers due before the event (due &lt; ts: at one instant events go first, §15.7),
    /// stores the event, then gives it to every journey in declaration order: first as an event of
    /// the journey the user is in (goal, `wait … until`), then to the trigger.
    /// </summary>
    private IngestResult Accept(ParsedEvent e, string json, int index)
    {
        FireTimers(e.Ts - 1);
        string? attributed = null;
        if (ResolveUser(e) is (var owner, { } by))
        {
            var values = (object?[])e.Values.Clone();
            values[0] = owner;
            attributed = by == "merged"
                ? $"attributed to user '{owner}': '{e.User}' was merged into it"
                : $"attributed to user '{owner}' by identity key '{by}'";
            e = e with { User = owner, Values = values };
        }
        var seq = _store.AddEvent(e.Type.Name, e.Id, e.User, e.Ts, json);
        if (e.Ts > _store.Counter("clock")) _store.SetCounter("clock", e.Ts);
        var live = User(e.User);
        // Events join the cached history only once it is loaded (a condition or tag needed it);
        // until then the store has them and loading reads them all, this one included.
        var row = -1;
        if (live.EventsLoaded)
        {
            row = live.History!.Add(e.Type, e.Values, seq);
            _users.Resized(live);
        }
        if (live.Profile is null)
            return new IngestResult(index, IngestResult.Accepted, "no profile for this user yet: stored, not given to journeys");
        _current = (live, seq, e.Values);
        var user = new UserRef(0, e.User);
        var journeyEvent = new JourneyEvent(e.Type, e.Ts, row);
        for (var j = 0; j < _machines.Length; j++)
        {
            var machine = _machines[j];
            var state = StateOf(live, j);
            if (state is not null) machine.OnEvent(state, user, journeyEvent, _env, _actions);
            if (machine.Journey.Trigger is BoundEventTrigger trigger && ReferenceEquals(trigger.Event, e.Type)
                && (trigger.Where is null || _env.Conditions.Matches(trigger.Where, user, journeyEvent)))
                machine.OnTrigger(state ??= new UserJourneyState(), user, e.Ts, _env, _actions);
            Apply(j, e.User, state, entryOverride: null);
        }
        _current = default;
        CheckSegments(e.User, e.Ts, e.Type);
        return new IngestResult(index, IngestResult.Accepted, attributed);
    }

    // ------------------------------------------------------------------ timers

    /// <summary>The timer loop's round: fires every timer with now ≥ due + grace, in due order. Returns how many fired.</summary>
    public int FireDueTimers()
    {
        var limit = _options.Clock.GetUtcNow().UtcTicks - _options.Grace.Ticks;
        var fired = 0;
        while (true)
        {
            bool more;
            lock (_gate)
            {
                fired += TransactionValue(() => FireTimers(limit));
                more = SliceUsedUp && !_disposed;
            }
            if (!more) break;
            Thread.Yield();   // between slices, requests waiting for the lock go first
        }
        Deliver();
        return fired;
    }

    private int FireTimers(long maxDue)
    {
        var fired = 0;
        while (true)
        {
            if (_store.FirstTimer(maxDue) is not { } timer)
            {
                if (maxDue >= _store.Counter("clock") - 1) _timerBacklog = false;
                break;
            }
            if (!TakeTimerWork()) break;
            _store.DeleteTimer(timer.Id);
            fired++;
            if (timer.Kind == LiveStore.SegmentCheckTimer) { FireSegmentCheck(timer.Due); continue; }
            if (!_journeyIndex.TryGetValue(timer.Journey, out var j)) continue;   // the workspace changed: the journey is gone
            var machine = _machines[j];
            switch (timer.Kind)
            {
                case LiveStore.WaitTimer:
                    if (StateOf(User(timer.User), j) is not { } state) break;
                    machine.OnWaitTimeout(state, new UserRef(0, timer.User), timer.Due, timer.Token, _env, _actions);
                    Apply(j, timer.User, state, null);
                    break;
                case LiveStore.DeferredTimer:
                    if (_paths[j].SendAt(timer.Path) is not { } send) break;
                    JourneyMachine.OnDeferredSend(machine.Journey, send, new UserRef(0, timer.User), timer.Due, _env, _actions);
                    Apply(j, timer.User, null, timer.EntryAt);
                    break;
                case LiveStore.WinnerTimer:
                    if (JourneyMachine.Splits(machine.Journey.Steps).FirstOrDefault(s => s.Name == timer.Split) is not { } split) break;
                    machine.OnWinnerDue(split, timer.Due, _actions);
                    Apply(j, "", null, null);
                    break;
                case LiveStore.ScheduleTimer:
                    FireSchedule(j, timer.Due, timer.User);
                    break;
            }
        }
        return fired;
    }

    /// <summary>Persists what a transition did: the user's state, new timers, deliveries into the outbox, split states.</summary>
    private void Apply(int j, string user, UserJourneyState? state, long? entryOverride)
    {
        var journey = _machines[j].Journey.Name;
        var splitsChanged = false;
        foreach (var action in _actions)
        {
            switch (action)
            {
                case WaitStartedAction w:
                    _store.AddTimer(w.Until, LiveStore.WaitTimer, journey, user, token: w.Token);
                    break;
                case SendAction { Outcome: SendOutcome.Deferred, DeferredUntil: { } until } d:
                    _store.AddTimer(until, LiveStore.DeferredTimer, journey, user, path: _paths[j].PathOf(d.Send), entryAt: state?.EntryAt ?? 0);
                    break;
                case SendAction { Outcome: SendOutcome.Delivered } s:
                    var entry = entryOverride ?? state?.EntryAt ?? 0;
                    var path = _paths[j].PathOf(s.Send);
                    var key = string.Join('|', journey, user, Iso(entry), path);
                    var line = SendLine(key, s.Send.Channel.Name, journey, user, s.Send.Template, s.Send.Offer, Iso(s.At), Iso(entry), path, s.WasDeferred);
                    _store.AddOutbox(key, s.Send.Channel.Name, line);
                    break;
                case WinnerDueAction due:
                    _store.AddTimer(due.Due, LiveStore.WinnerTimer, journey, split: due.Split.Name);
                    splitsChanged = true;
                    break;
                case SplitAssignedAction or ConvertedAction or WinnerChosenAction:
                    splitsChanged = true;
                    break;
            }
        }
        _actions.Clear();
        if (state is not null) SetState(User(user), j, Save(state));
        if (splitsChanged) SaveSplits(j);
    }

    /// <summary>
    /// A send's outbox line: {"key", "channel", "journey", "user_id", "template", "offer", "at",
    /// "entry_at", "step", "was_deferred"}, written straight to UTF-8 (the line is made inside the
    /// commit for every send: a dictionary through the serialiser cost several µs more each).
    /// </summary>
    private static string SendLine(string key, string channel, string journey, string user, string template, string? offer,
        string at, string entryAt, string step, bool wasDeferred)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("key", key);
            w.WriteString("channel", channel);
            w.WriteString("journey", journey);
            w.WriteString("user_id", user);
            w.WriteString("template", template);
            w.WriteString("offer", offer);
            w.WriteString("at", at);
            w.WriteString("entry_at", entryAt);
            w.WriteString("step", step);
            w.WriteBoolean("was_deferred", wasDeferred);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string Iso(long ticks) => new DateTime(ticks, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

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

    // ------------------------------------------------------------------ delivery

    // Deliver(): LiveRuntime.Delivery.cs

    // ------------------------------------------------------------------ state (de)serialisation

    private UserJourneyState Restore(int j, StoredJourneyState stored)
    {
        var s = new UserJourneyState
        {
            Active = stored.Active, Entries = stored.Entries, EntryAt = stored.EntryAt, HeldOut = stored.HeldOut,
            GoalUntil = stored.GoalUntil, Token = stored.Token,
        };
        foreach (var frame in stored.Position) s.Position.Add(new StepFrame(frame[0], frame[1]));
        foreach (var (name, branch) in stored.Branches) s.Branches[name] = branch;
        if (stored.WaitStart is { } start && stored.WaitUntil is { } until && stored.WaitToken is { } token)
        {
            var wait = _paths[j].StepAt(s.Position) as BoundWait
                ?? throw new InvalidOperationException($"stored state of journey '{_machines[j].Journey.Name}' waits at a step that is not a wait (the workspace changed?)");
            s.Wait = new PendingWait(start, until, wait.Until, wait.UntilWhere, token);
        }
        return s;
    }

    private static StoredJourneyState Save(UserJourneyState s) => new()
    {
        Active = s.Active, Entries = s.Entries, EntryAt = s.EntryAt, HeldOut = s.HeldOut, GoalUntil = s.GoalUntil, Token = s.Token,
        Position = [.. s.Position.Select(f => new[] { f.Selector, f.Index })],
        WaitStart = s.Wait?.Start, WaitUntil = s.Wait?.Until, WaitToken = s.Wait?.Token,
        Branches = new Dictionary<string, int>(s.Branches, StringComparer.Ordinal),
    };

    private void LoadSplits()
    {
        foreach (var machine in _machines)
        {
            var stored = _store.SplitStates(machine.Journey.Name);
            foreach (var (name, state) in machine.SplitStates)
            {
                var saved = stored.GetValueOrDefault(name);
                state.FirstArrival = saved?.FirstArrival;
                state.Winner = saved?.Winner;
                state.WinnerAt = saved?.WinnerAt;
                for (var b = 0; b < state.Entered.Length; b++)
                {
                    state.Entered[b] = saved is not null && b < saved.Entered.Length ? saved.Entered[b] : 0;
                    state.Converted[b] = saved is not null && b < saved.Converted.Length ? saved.Converted[b] : 0;
                }
            }
        }
    }

    private void SaveSplits(int j) =>
        _store.SetSplitStates(_machines[j].Journey.Name, _machines[j].SplitStates.ToDictionary(p => p.Key, p => new StoredSplitState
        {
            FirstArrival = p.Value.FirstArrival, Winner = p.Value.Winner, WinnerAt = p.Value.WinnerAt,
            Entered = [.. p.Value.Entered], Converted = [.. p.Value.Converted],
        }));

    // ------------------------------------------------------------------ per-user cache (profile, events, journey states)

    /// <summary>
    /// The user's cached entry, read from the store on a miss: the profile row (null: no profile
    /// yet, an orphan as in batch) and its <see cref="UserHistory"/>. The events are read only
    /// when a condition, a `where:` or a tag needs them (<see cref="EnsureEvents"/>); from then on
    /// each new event is appended, so evaluation never rebuilds a data set per event.
    /// </summary>
    private LiveUser User(string id)
    {
        if (_users.Get(id) is { } cached) return cached;
        object?[]? profile = null;
        if (_store.Profile(id) is { } profileJson)
        {
            using var profileDoc = JsonDocument.Parse(profileJson);
            profile = _validation.ParseProfile(profileDoc.RootElement, out _, out _);
        }
        var user = new LiveUser(id, profile, _machines.Length);
        _users.Add(user);
        return user;
    }

    /// <summary>Loads the user's stored events into its history (in arrival order: the line of an event is its sequence number).</summary>
    private UserHistory EnsureEvents(LiveUser user)
    {
        var history = HistoryOf(user);
        if (user.EventsLoaded) return history;
        foreach (var (seq, json) in _store.EventsOf(user.Id))
        {
            using var doc = JsonDocument.Parse(json);
            if (_validation.ParseEvent(doc.RootElement, out _) is not { } e) continue;   // the schema changed since
            history.Add(e.Type, e.Values, seq);
        }
        user.EventsLoaded = true;
        _users.Resized(user);
        return history;
    }

    private ConditionEvaluator EvaluatorOf(LiveUser user)
    {
        var history = EnsureEvents(user);
        if (user.Evaluator is null || user.EvaluatorLayout != history.Layout)
        {
            var first = user.Evaluator is null;
            user.Evaluator = new ConditionEvaluator(_model, history.Data, ScorerOf(_model));
            user.EvaluatorLayout = history.Layout;
            if (first) _users.Resized(user);
        }
        return user.Evaluator;
    }

    /// <summary>The user's state in journey <paramref name="j"/> (read from the store once, then cached), or null.</summary>
    private UserJourneyState? StateOf(LiveUser user, int j)
    {
        if (!user.StateLoaded[j])
        {
            user.StateJson[j] = _store.StateJson(_machines[j].Journey.Name, user.Id);
            user.StateLoaded[j] = true;
            _users.Resized(user);
        }
        return user.StateJson[j] is { } json && JsonSerializer.Deserialize(json, StoredStateJson.Default.StoredJourneyState) is { } stored ? Restore(j, stored) : null;
    }

    /// <summary>Writes the state when it changed (an event that changes nothing costs no write).</summary>
    private void SetState(LiveUser user, int j, StoredJourneyState state)
    {
        var json = JsonSerializer.Serialize(state, StoredStateJson.Default.StoredJourneyState);
        if (user.StateLoaded[j] && user.StateJson[j] == json) return;
        _store.SetStateJson(_machines[j].Journey.Name, user.Id, json);
        user.StateJson[j] = json;
        user.StateLoaded[j] = true;
        _users.Resized(user);
    }

    /// <summary>The user's one-user data set, made on first need (most cached users only need their profile and states).</summary>
    private UserHistory HistoryOf(LiveUser user)
    {
        if (user.History is { } history) return history;
        user.History = history = new UserHistory(_model.Schema, user.Id, user.Profile!);
        _users.Resized(user);
        return history;
    }

    private TimeZoneInfo ZoneOf(UserRef user)
    {
        var live = User(user.Id);
        if (live.Profile is null) return TimeZoneInfo.Utc;
        if (live.Zones is null)
        {
            live.Zones = new QuietZones(_model.Schema, HistoryOf(live).Data);
            _users.Resized(live);
        }
        return live.Zones.ZoneOf(new UserRef(0, user.Id));
    }

    /// <summary>Every tag, segment and segmentation of the user as of <paramref name="asOfUtc"/>, by the compiled engine over the user's stored events; null for an unknown user.</summary>
    public IReadOnlyDictionary<string, object?>? Tags(string user, DateTime asOfUtc)
    {
        lock (_gate)
        {
            var live = User(user);
            if (live.Profile is null) return null;
            var result = CompiledEngine.Evaluate(CompiledEngine.PlanFor(_model), EnsureEvents(live).Data, asOfUtc, null, ScorerOf(_model));
            return result.Columns.ToDictionary(c => c.Symbol.Name, c => c.Get(0), StringComparer.Ordinal);
        }
    }

    private sealed class LiveUser(string id, object?[]? profile, int journeys)
    {
        public string Id { get; } = id;
        public object?[]? Profile { get; } = profile;
        /// <summary>Made on first need (never without a profile); its events are there once <see cref="EventsLoaded"/>.</summary>
        public UserHistory? History { get; set; }
        public bool EventsLoaded { get; set; }
        public ConditionEvaluator? Evaluator { get; set; }
        public int EvaluatorLayout { get; set; }
        public QuietZones? Zones { get; set; }
        /// <summary>Per tracked segment, the last evaluated membership (LiveRuntime.Triggers.cs), once loaded.</summary>
        public bool?[]? Members { get; set; }
        /// <summary>Per tracked segment, the instant it was last evaluated at (long.MinValue: not since the user was cached).</summary>
        public long[]? MembersAt { get; set; }
        /// <summary>Per journey: the stored state's JSON (null: none) once loaded.</summary>
        public string?[] StateJson { get; } = new string?[journeys];
        public bool[] StateLoaded { get; } = new bool[journeys];
        public LinkedListNode<LiveUser>? Node { get; set; }
        /// <summary>The events the cache counts for this user.</summary>
        public int CountedEvents { get; set; }
        /// <summary>The bytes the cache counts for this user (<see cref="EstimatedBytes"/> when last counted).</summary>
        public long CountedBytes { get; set; }

        // An estimate (64-bit runtime, rounded up): this object, its dictionary entry, list node
        // and per-journey arrays; a condition evaluator (its context and the compiled conditions'
        // scratch); quiet-hour zones. Strings and the history are counted by their size.
        private const int UserBytes = 320;
        private const int EvaluatorBytes = 2048;
        private const int ZonesBytes = 256;

        /// <summary>What this user holds in memory, estimated: the live runtime's cache bound counts it.</summary>
        public long EstimatedBytes()
        {
            long bytes = UserBytes + UserHistory.StringBytes(Id) + 9L * StateJson.Length;
            if (Profile is not null)
            {
                bytes += 24 + 8L * Profile.Length;
                foreach (var v in Profile) bytes += v is string s ? UserHistory.StringBytes(s) : v is null ? 0 : 24;
            }
            foreach (var json in StateJson) if (json is not null) bytes += UserHistory.StringBytes(json);
            if (History is not null) bytes += History.EstimatedBytes;
            if (Evaluator is not null) bytes += EvaluatorBytes;
            if (Zones is not null) bytes += ZonesBytes;
            return bytes;
        }
    }

    /// <summary>
    /// The cached users: at most <c>capacity</c> users holding at most <c>eventCapacity</c> loaded
    /// events and <c>byteCapacity</c> estimated bytes in all; the least recently used leave first
    /// (the store has everything). The most recent user always stays, however long its history.
    /// </summary>
    private sealed class UserCache(int capacity, int eventCapacity, long byteCapacity)
    {
        private readonly Dictionary<string, LiveUser> _byId = new(StringComparer.Ordinal);
        private readonly LinkedList<LiveUser> _order = new();
        private long _events, _bytes;

        public int Count => _byId.Count;
        public long Events => _events;
        public long Bytes => _bytes;
        public int Loaded => _byId.Values.Count(u => u.EventsLoaded);

        /// <summary>Accounts for the user's loaded events and memory after they changed.</summary>
        public void Resized(LiveUser user)
        {
            var events = user.EventsLoaded ? user.History!.EventCount : 0;
            var bytes = user.EstimatedBytes();
            if (user.Node?.List is not null)
            {
                _events += events - user.CountedEvents;
                _bytes += bytes - user.CountedBytes;
            }
            user.CountedEvents = events;
            user.CountedBytes = bytes;
            Evict();
        }

        private void Evict()
        {
            while (_byId.Count > 1 && (_byId.Count > capacity || _events > eventCapacity || _bytes > byteCapacity))
            {
                var last = _order.Last!.Value;
                Remove(last.Id);
            }
        }

        public LiveUser? Get(string id)
        {
            if (!_byId.TryGetValue(id, out var user)) return null;
            _order.Remove(user.Node!);
            _order.AddFirst(user.Node!);
            return user;
        }

        public void Add(LiveUser user)
        {
            user.Node = _order.AddFirst(user);
            _byId[user.Id] = user;
            user.CountedBytes = user.EstimatedBytes();
            _events += user.CountedEvents;
            _bytes += user.CountedBytes;
            Evict();
        }

        public void Remove(string id)
        {
            if (!_byId.Remove(id, out var user)) return;
            _order.Remove(user.Node!);
            _events -= user.CountedEvents;
            _bytes -= user.CountedBytes;
        }

        public void Clear()
        {
            _byId.Clear();
            _order.Clear();
            _events = 0;
            _bytes = 0;
        }
    }

    private sealed class LiveConditions(LiveRuntime runtime) : IJourneyConditions
    {
        public bool Evaluate(BoundExpression condition, UserRef user, long atTicks)
        {
            var live = runtime.User(user.Id);
            return live.Profile is not null && runtime.EvaluatorOf(live).Evaluate(condition, 0, atTicks);
        }

        public bool Matches(BoundExpression where, UserRef user, JourneyEvent e)
        {
            var live = runtime.User(user.Id);
            if (live.Profile is null) return false;
            // A `where:` sees only the event's own fields, now() and literals (LANGUAGE.md §6), so
            // the event being handled needs no history: reading a user's stored events costs about
            // a millisecond (a cold index seek in the store), most events' predicates are false, and an
            // audience that does need them still loads them.
            if (e.Row < 0 && !live.EventsLoaded && ReferenceEquals(runtime._current.User, live) && runtime._current.Values is { } values)
            {
                var alone = new UserHistory(runtime._model.Schema, live.Id, live.Profile);
                var aloneRow = alone.Add(e.Type, values, runtime._current.Seq);
                return new ConditionEvaluator(runtime._model, alone.Data).Matches(e.Type, where, 0, aloneRow, e.Ts);
            }
            var evaluator = runtime.EvaluatorOf(live);
            // The event being handled got no row when the user's events were not loaded yet: find it now.
            var row = e.Row >= 0 ? e.Row : ReferenceEquals(runtime._current.User, live) ? live.History!.RowOf(e.Type, runtime._current.Seq) : -1;
            return row >= 0 && evaluator.Matches(e.Type, where, 0, row, e.Ts);
        }
    }

    /// <summary>
    /// The channel ledger in the store. Only a `cap:` reads it, so deliveries are recorded only on
    /// channels with a cap (a write saved per send elsewhere); a cap added to a channel later counts
    /// the deliveries from then on.
    /// </summary>
    private sealed class LiveLedger(LiveStore store) : IChannelLedger
    {
        public int DeliveredBetween(UserRef user, ChannelSymbol channel, long fromExclusive, long toInclusive) =>
            store.DeliveredBetween(user.Id, channel.Name, fromExclusive, toInclusive);

        public void RecordDelivered(UserRef user, ChannelSymbol channel, long at)
        {
            if (channel.CapCount is not null) store.RecordDelivered(user.Id, channel.Name, at);
        }
    }

    public void Dispose()
    {
        lock (_queue) _disposed = true;
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
