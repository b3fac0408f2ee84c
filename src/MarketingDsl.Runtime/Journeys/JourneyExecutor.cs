using System.Globalization;
using System.Text.Json;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Journeys;
using MarketingDsl.Journeys.Measurement;

namespace MarketingDsl.Runtime;

/// <summary>
/// The share of timer work the current transaction may still do: the runtime's slice
/// (LiveRuntime.TimerSlices.cs), which the executor's timers and fan-outs take unit by unit.
/// </summary>
internal interface ITimerBudget
{
    /// <summary>Takes one unit; false once the slice is used up (the caller leaves the rest for later).</summary>
    bool Take();

    /// <summary>The units left in the slice.</summary>
    int Left { get; }

    /// <summary>Every timer due before the latest event has fired: no work is left over.</summary>
    void CaughtUp();
}

/// <summary>
/// The journey executor: an accepted event and due timers through every journey's
/// <see cref="JourneyMachine"/> (the same machines as replay, on event time), and what the
/// transitions did, persisted in the caller's transaction: states (through <see cref="UserStates"/>),
/// timers, outbox lines, the measurement log, split states. Schedule and segment triggers are its
/// other half (JourneyExecutor.Triggers.cs). Depends on the store, the users' states, the installed
/// <see cref="WorkspaceVersion"/> and the <see cref="ITimerBudget"/> of the transaction; it opens no
/// transaction and takes no lock: the runtime calls it inside its own.
/// </summary>
internal sealed partial class JourneyExecutor
{
    private readonly LiveStore _store;
    private readonly UserStates _users;
    private readonly LiveOptions _options;
    private readonly ITimerBudget _budget;
    private readonly JourneyEnvironment _env;
    private readonly List<JourneyAction> _actions = [];
    private WorkspaceVersion _version;

    public JourneyExecutor(LiveStore store, UserStates users, WorkspaceVersion version, LiveOptions options, ITimerBudget budget)
    {
        _store = store;
        _users = users;
        _version = version;
        _options = options;
        _budget = budget;
        _env = new JourneyEnvironment(users.Conditions, new LiveLedger(store), users.ZoneOf, ReportSteps: true);
        LoadSplits();
    }

    /// <summary>Runs <paramref name="version"/>'s journeys from now on, their split states read from the store.</summary>
    public void Install(WorkspaceVersion version)
    {
        _version = version;
        LoadSplits();
    }

    /// <summary>A failed transaction: what the executor keeps in memory is read from the store again.</summary>
    public void Forget()
    {
        _actions.Clear();
        _firstChecks = null;
        _blankState = null;   // a firing that failed half way may have changed it
        LoadSplits();
    }

    /// <summary>
    /// Gives an event just stored (sequence number <paramref name="seq"/>, its user resolved) to
    /// every journey in declaration order: first as an event of the journey the user is in (goal,
    /// `wait … until`), then to the trigger; then the segments it may change. False when the user
    /// has no profile yet (the event is only stored).
    /// </summary>
    public bool OnEvent(ParsedEvent e, long seq)
    {
        var live = _users.User(e.User);
        // Events join the cached history only once their type is loaded (a condition or tag read it);
        // until then the store has them and loading the type reads them all, this one included.
        var row = _users.AddEvent(live, e, seq);
        if (live.Profile is null) return false;
        _users.Current = (live, seq, e.Values);
        var user = new UserRef(0, e.User);
        var journeyEvent = new JourneyEvent(e.Type, e.Ts, row);
        var machines = _version.Machines;
        var typeBit = _version.TypeBit(e.Type);
        for (var j = 0; j < machines.Length; j++)
        {
            var machine = machines[j];
            // Most events (views) are of a type no state waits for and trigger nothing: the user's states, read from the store
            // on a cache miss, are not read for them.
            var waitedFor = (_version.WaitedForMasks[j] & typeBit) != 0;
            var triggers = machine.Journey.Trigger is BoundEventTrigger trigger && ReferenceEquals(trigger.Event, e.Type)
                && (trigger.Where is null || _env.Conditions.Matches(trigger.Where, user, journeyEvent));
            if (!waitedFor && !triggers) continue;
            var state = _users.StateOf(live, j);
            if (state is not null && waitedFor) machine.OnEvent(state, user, journeyEvent, _env, _actions);
            if (triggers) machine.OnTrigger(state ??= new UserJourneyState(), user, e.Ts, _env, _actions);
            Apply(j, e.User, state, entryOverride: null);
        }
        _users.Current = default;
        CheckSegments(e.User, e.Ts, e.Type);
        return true;
    }

    /// <summary>Fires the stored timers due at or before <paramref name="maxDue"/>, in due order, while the slice lasts. Returns how
    /// many fired.</summary>
    public int FireTimers(long maxDue)
    {
        var fired = 0;
        while (true)
        {
            if (_store.FirstTimer(maxDue) is not { } timer)
            {
                if (maxDue >= _store.Counter("clock") - 1) _budget.CaughtUp();
                break;
            }
            if (!_budget.Take()) break;
            _store.DeleteTimer(timer.Id);
            fired++;
            if (timer.Kind == LiveStore.SegmentCheckTimer) { FireSegmentCheck(timer); continue; }
            if (!_version.JourneyIndex.TryGetValue(timer.Journey, out var j)) continue;   // the workspace changed: the journey is gone
            var machine = _version.Machines[j];
            switch (timer.Kind)
            {
                case LiveStore.WaitTimer:
                    if (_users.StateOf(_users.User(timer.User), j) is not { } state) break;
                    machine.OnWaitTimeout(state, new UserRef(0, timer.User), timer.Due, timer.Token, _env, _actions);
                    Apply(j, timer.User, state, null);
                    break;
                case LiveStore.DeferredTimer:
                    if (_version.Paths[j].SendAt(timer.Path) is not { } send) break;
                    JourneyMachine.OnDeferredSend(machine.Journey, send, new UserRef(0, timer.User), timer.Due, _env, _actions);
                    Apply(j, timer.User, null, timer.EntryAt);
                    break;
                case LiveStore.WinnerTimer:
                    if (SplitNamed(machine, timer.Split) is not { } split) break;
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

    /// <summary>
    /// The journey's split of that name, or null. A loop rather than a lambda: a lambda capturing
    /// the timer would cost a closure on every pass of <see cref="FireTimers"/>'s loop, of any kind.
    /// </summary>
    private static BoundSplit? SplitNamed(JourneyMachine machine, string? name)
    {
        foreach (var split in JourneyMachine.Splits(machine.Journey.Steps))
            if (split.Name == name) return split;
        return null;
    }

    /// <summary>Persists what a transition did: the user's state, new timers, deliveries into the outbox, split states.</summary>
    private void Apply(int j, string user, UserJourneyState? state, long? entryOverride)
    {
        var journey = _version.Machines[j].Journey.Name;
        var splitsChanged = false;
        foreach (var action in _actions)
        {
            RecordMeasure(j, user, state, entryOverride, action);
            switch (action)
            {
                case WaitStartedAction w:
                    _store.AddTimer(w.Until, LiveStore.WaitTimer, journey, user, token: w.Token);
                    break;
                case SendAction { Outcome: SendOutcome.Deferred, DeferredUntil: { } until } d:
                    _store.AddTimer(until, LiveStore.DeferredTimer, journey, user, path: _version.Paths[j].PathOf(d.Send),
                        entryAt: state?.EntryAt ?? 0);
                    break;
                case SendAction { Outcome: SendOutcome.Delivered } s:
                    var entry = entryOverride ?? state?.EntryAt ?? 0;
                    var path = _version.Paths[j].PathOf(s.Send);
                    var key = Feedback.SendKey(journey, user, entry, path);
                    var line = SendLine(key, s.Send.Channel.Name, journey, user, s.Send.Template, s.Send.Offer, s.At, entry, path,
                        s.WasDeferred, s.Items);
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
        if (state is not null) _users.SetState(_users.User(user), j, state);
        if (splitsChanged) SaveSplits(j);
    }

    /// <summary>
    /// A send's outbox line: {"key", "channel", "journey", "user_id", "template", "offer", "at",
    /// "entry_at", "step", "was_deferred"} and, for a send with `items:`, "items" (the list as of the send, null
    /// when null), written straight to UTF-8: the line is made inside the commit for every send,
    /// where a dictionary through the serialiser would cost more per send. One buffer and writer
    /// serve every line (sends are made under the runtime's lock, one at a time).
    /// </summary>
    private string SendLine(string key, string channel, string journey, string user, string template, string? offer,
        long at, long entryAt, string step, bool wasDeferred, IReadOnlyList<object?>? items)
    {
        var buffer = _sendLineBuffer;
        buffer.ResetWrittenCount();
        var w = _sendLineWriter ??= new Utf8JsonWriter(buffer);
        w.Reset(buffer);
        w.WriteStartObject();
        w.WriteString(SendLineNames.Key, key);
        w.WriteString(SendLineNames.Channel, channel);
        w.WriteString(SendLineNames.Journey, journey);
        w.WriteString(SendLineNames.UserId, user);
        w.WriteString(SendLineNames.Template, template);
        w.WriteString(SendLineNames.Offer, offer);
        WriteIso(w, SendLineNames.At, at);
        WriteIso(w, SendLineNames.EntryAt, entryAt);
        w.WriteString(SendLineNames.Step, step);
        w.WriteBoolean(SendLineNames.WasDeferred, wasDeferred);
        if (items is not null)
        {
            w.WriteStartArray(SendLineNames.Items);
            foreach (var item in items)
                switch (item)
                {
                    case null: w.WriteNullValue(); break;
                    case string text: w.WriteStringValue(text); break;
                    case long l: w.WriteNumberValue(l); break;
                    case decimal d: w.WriteNumberValue(d); break;
                    case bool b: w.WriteBooleanValue(b); break;
                    case DateTime dt: w.WriteStringValue(Iso(dt.Ticks)); break;
                    case DateOnly day: w.WriteStringValue(day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)); break;
                    case TimeSpan span: w.WriteStringValue(Core.Text.DurationText.Format(span.Ticks)); break;
                    default: w.WriteStringValue(Convert.ToString(item, CultureInfo.InvariantCulture)); break;
                }
            w.WriteEndArray();
        }
        w.WriteEndObject();
        w.Flush();
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private readonly System.Buffers.ArrayBufferWriter<byte> _sendLineBuffer = new(512);
    private Utf8JsonWriter? _sendLineWriter;

    private static class SendLineNames
    {
        public static readonly JsonEncodedText Key = JsonEncodedText.Encode("key"), Channel = JsonEncodedText.Encode("channel"),
            Journey = JsonEncodedText.Encode("journey"), UserId = JsonEncodedText.Encode("user_id"), Template = JsonEncodedText.Encode("template"),
            Offer = JsonEncodedText.Encode("offer"), At = JsonEncodedText.Encode("at"), EntryAt = JsonEncodedText.Encode("entry_at"),
            Step = JsonEncodedText.Encode("step"), WasDeferred = JsonEncodedText.Encode("was_deferred"), Items = JsonEncodedText.Encode("items");
    }

    private const string IsoFormat = "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'";

    /// <summary>An instant as <see cref="Iso"/> writes it, formatted on the stack.</summary>
    private static void WriteIso(Utf8JsonWriter w, JsonEncodedText name, long ticks)
    {
        Span<char> text = stackalloc char[40];
        if (!new DateTime(ticks, DateTimeKind.Utc).TryFormat(text, out var length, IsoFormat, CultureInfo.InvariantCulture))
            throw new InvalidOperationException("an instant longer than its format allows");
        w.WriteString(name, text[..length]);
    }

    private static string Iso(long ticks) => new DateTime(ticks, DateTimeKind.Utc).ToString(IsoFormat, CultureInfo.InvariantCulture);

    /// <summary>Logs the measurement event of one action (inside the transaction of <see cref="Apply"/>).</summary>
    private void RecordMeasure(int j, string user, UserJourneyState? state, long? entryOverride, JourneyAction action)
    {
        var entry = entryOverride ?? state?.EntryAt ?? 0;
        var revenue = 0m;
        if (action is ConvertedAction && _version.Machines[j].Journey.Goal is { ValueField: { } field } goal && _users.Current.Values is { } values)
        {
            var ordinal = goal.Event.OrdinalOf(field.Name);
            revenue = MeasureEvents.Revenue(goal, ordinal >= 0 && ordinal < values.Length ? values[ordinal] : null);
        }
        if (MeasureEvents.From(action, _version.Paths[j], entry, revenue) is not { } measure) return;
        var key = measure.Kind == MeasureKind.Sent ? Feedback.SendKey(measure.Journey, user, entry, measure.Step!) : null;
        _store.AddMeasure(measure, key);
    }

    private void LoadSplits()
    {
        foreach (var machine in _version.Machines)
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
        _store.SetSplitStates(_version.Machines[j].Journey.Name, _version.Machines[j].SplitStates.ToDictionary(p => p.Key, p => new StoredSplitState
        {
            FirstArrival = p.Value.FirstArrival, Winner = p.Value.Winner, WinnerAt = p.Value.WinnerAt,
            Entered = [.. p.Value.Entered], Converted = [.. p.Value.Converted],
        }));

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
}
