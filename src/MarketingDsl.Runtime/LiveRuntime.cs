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
}

/// <summary>
/// The live runtime (LANGUAGE.md §15.7): every journey runs on incoming events and timers
/// through the same <see cref="JourneyMachine"/> as replay, on event time (schedule and segment
/// triggers: LiveRuntime.Triggers.cs; delivery: LiveRuntime.Delivery.cs; new versions:
/// LiveRuntime.Versions.cs). State lives in
/// <see cref="LiveStore"/>; in memory there are only caches (per-user data sets, machines'
/// split states) that are rebuilt from the store after a failed batch or a restart.
/// One request (or one timer round) is one LiteDB transaction: an event is acknowledged only
/// when it and every consequence (journey states, timers, ledger, outbox) are committed.
/// Calls are serialised by one lock.
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
    private readonly Dictionary<string, UserView?> _views = new(StringComparer.Ordinal);
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
        LoadSplits();
        lock (_gate) StartReport = TransactionValue(Reconcile);
    }

    public SemanticModel Model => _model;
    public LiveStore Store => _store;

    /// <summary>The virtual clock: the latest event time seen (UTC ticks), 0 before any event.</summary>
    public long Clock { get { lock (_gate) return _store.Counter("clock"); } }

    // ------------------------------------------------------------------ ingest

    public IReadOnlyList<IngestResult> IngestEvents(JsonElement array)
    {
        var items = Items(array);
        var results = new IngestResult[items.Count];
        lock (_gate)
        {
            Transaction(() =>
            {
                var seenInBatch = new HashSet<string>(StringComparer.Ordinal);
                for (var i = 0; i < items.Count; i++)
                {
                    var parsed = _validation.ParseEvent(items[i], out var reason);
                    if (parsed is null) { results[i] = new IngestResult(i, IngestResult.Rejected, reason); continue; }
                    if (parsed.Id is { } id && (_store.HasEvent(parsed.Type.Name, id) || !seenInBatch.Add(parsed.Type.Name + "\u001F" + id)))
                    { results[i] = new IngestResult(i, IngestResult.Duplicate); continue; }
                    results[i] = Accept(parsed, items[i].GetRawText(), i);
                }
            });
        }
        Deliver();
        return results;
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
                    _store.SetProfile(key!, json);
                    _views.Remove(key!);
                    OnProfileStored(key!);
                    results[i] = new IngestResult(i, IngestResult.Accepted);
                }
            });
        }
        return results;
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
        var seq = _store.AddEvent(e.Type.Name, e.Id, e.User, e.Ts, json);
        if (e.Ts > _store.Counter("clock")) _store.SetCounter("clock", e.Ts);
        _views.Remove(e.User);
        if (View(e.User) is not { } view)
            return new IngestResult(index, IngestResult.Accepted, "no profile for this user yet: stored, not given to journeys");
        var user = new UserRef(0, e.User);
        var journeyEvent = new JourneyEvent(e.Type, e.Ts, view.RowOf(e.Type, seq));
        for (var j = 0; j < _machines.Length; j++)
        {
            var machine = _machines[j];
            var stored = _store.State(machine.Journey.Name, e.User);
            var state = stored is null ? null : Restore(j, stored);
            if (state is not null) machine.OnEvent(state, user, journeyEvent, _env, _actions);
            if (machine.Journey.Trigger is BoundEventTrigger trigger && ReferenceEquals(trigger.Event, e.Type)
                && (trigger.Where is null || _env.Conditions.Matches(trigger.Where, user, journeyEvent)))
                machine.OnTrigger(state ??= new UserJourneyState(), user, e.Ts, _env, _actions);
            Apply(j, e.User, state, entryOverride: null);
        }
        CheckSegments(e.User, e.Ts);
        return new IngestResult(index, IngestResult.Accepted);
    }

    // ------------------------------------------------------------------ timers

    /// <summary>The timer loop's round: fires every timer with now ≥ due + grace, in due order. Returns how many fired.</summary>
    public int FireDueTimers()
    {
        var limit = _options.Clock.GetUtcNow().UtcTicks - _options.Grace.Ticks;
        int fired;
        lock (_gate) fired = TransactionValue(() => FireTimers(limit));
        Deliver();
        return fired;
    }

    private int FireTimers(long maxDue)
    {
        var fired = 0;
        while (_store.FirstTimer(maxDue) is { } timer)
        {
            _store.DeleteTimer(timer.Id);
            fired++;
            if (timer.Kind == LiveStore.SegmentCheckTimer) { FireSegmentCheck(timer.Due); continue; }
            if (!_journeyIndex.TryGetValue(timer.Journey, out var j)) continue;   // the workspace changed: the journey is gone
            var machine = _machines[j];
            switch (timer.Kind)
            {
                case LiveStore.WaitTimer:
                    if (_store.State(timer.Journey, timer.User) is not { } stored) break;
                    var state = Restore(j, stored);
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
                    FireSchedule(j, timer.Due);
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
                    var line = JsonSerializer.Serialize(new Dictionary<string, object?>
                    {
                        ["key"] = key, ["channel"] = s.Send.Channel.Name, ["journey"] = journey, ["user_id"] = user,
                        ["template"] = s.Send.Template, ["offer"] = s.Send.Offer, ["at"] = Iso(s.At),
                        ["entry_at"] = Iso(entry), ["step"] = path, ["was_deferred"] = s.WasDeferred,
                    });
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
        if (state is not null) _store.SetState(journey, user, Save(state));
        if (splitsChanged) SaveSplits(j);
    }

    private static string Iso(long ticks) => new DateTime(ticks, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    // ------------------------------------------------------------------ transactions

    private void Transaction(Action body) => TransactionValue(() => { body(); return 0; });

    private T TransactionValue<T>(Func<T> body)
    {
        _store.Begin();
        try
        {
            var result = body();
            _store.Commit();
            return result;
        }
        catch
        {
            _store.Rollback();
            // In-memory caches may hold uncommitted changes: rebuild them from the store.
            _views.Clear();
            _actions.Clear();
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

    // ------------------------------------------------------------------ per-user views (conditions, tags)

    /// <summary>
    /// One user's stored profile and events as a one-user <see cref="DataSet"/> (built by
    /// <see cref="InMemoryData.Build"/>, the importer of batch runs), so conditions and tags are
    /// evaluated as of any instant over exactly the stored events, windows included. Cached until
    /// the user's next event or profile. Null when the user has no profile (an orphan, as in batch).
    /// </summary>
    private UserView? View(string user)
    {
        if (_views.TryGetValue(user, out var cached)) return cached;
        UserView? view = null;
        if (_store.Profile(user) is { } profileJson)
        {
            using var profileDoc = JsonDocument.Parse(profileJson);
            var profile = _validation.ParseProfile(profileDoc.RootElement, out _, out _);
            if (profile is not null)
            {
                var events = new List<(EventTypeSymbol, object?[])>();
                var lines = new Dictionary<long, long>();
                foreach (var (seq, json) in _store.EventsOf(user))
                {
                    using var doc = JsonDocument.Parse(json);
                    if (_validation.ParseEvent(doc.RootElement, out _) is not { } e) continue;   // the schema changed since
                    events.Add((e.Type, e.Values));
                    lines[seq] = events.Count;
                }
                var data = InMemoryData.Build(_model.Schema, [profile], events);
                if (data.UserCount == 1) view = new UserView(data, new ConditionEvaluator(_model, data), lines, new QuietZones(_model.Schema, data));
            }
        }
        return _views[user] = view;
    }

    private TimeZoneInfo ZoneOf(UserRef user) => View(user.Id) is { } v ? v.Zones.ZoneOf(new UserRef(0, user.Id)) : TimeZoneInfo.Utc;

    /// <summary>Every tag, segment and segmentation of the user as of <paramref name="asOfUtc"/>, by the compiled engine over the user's stored events; null for an unknown user.</summary>
    public IReadOnlyDictionary<string, object?>? Tags(string user, DateTime asOfUtc)
    {
        lock (_gate)
        {
            if (View(user) is not { } view) return null;
            var result = CompiledEngine.Evaluate(CompiledEngine.PlanFor(_model), view.Data, asOfUtc);
            return result.Columns.ToDictionary(c => c.Symbol.Name, c => c.Get(0), StringComparer.Ordinal);
        }
    }

    private sealed record UserView(DataSet Data, ConditionEvaluator Evaluator, Dictionary<long, long> Lines, QuietZones Zones)
    {
        /// <summary>The row of the event with sequence number <paramref name="seq"/> in its type's table.</summary>
        public int RowOf(EventTypeSymbol type, long seq)
        {
            var ordinal = Data.Schema.Events.IndexOf(type);
            if (!Lines.TryGetValue(seq, out var line) || ordinal < 0 || Data.Events[ordinal] is not { } table) return -1;
            return Array.IndexOf(table.Line, line);
        }
    }

    private sealed class LiveConditions(LiveRuntime runtime) : IJourneyConditions
    {
        public bool Evaluate(BoundExpression condition, UserRef user, long atTicks) =>
            runtime.View(user.Id) is { } v && v.Evaluator.Evaluate(condition, 0, atTicks);

        public bool Matches(BoundExpression where, UserRef user, JourneyEvent e) =>
            e.Row >= 0 && runtime.View(user.Id) is { } v && v.Evaluator.Matches(e.Type, where, 0, e.Row, e.Ts);
    }

    private sealed class LiveLedger(LiveStore store) : IChannelLedger
    {
        public int DeliveredBetween(UserRef user, ChannelSymbol channel, long fromExclusive, long toInclusive) =>
            store.DeliveredBetween(user.Id, channel.Name, fromExclusive, toInclusive);
        public void RecordDelivered(UserRef user, ChannelSymbol channel, long at) => store.RecordDelivered(user.Id, channel.Name, at);
    }

    public void Dispose()
    {
        _dispatcher.Dispose();
        lock (_gate) _store.Dispose();
    }
}
