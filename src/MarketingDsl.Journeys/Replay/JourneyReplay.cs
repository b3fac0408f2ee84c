using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Journeys.Measurement;
using MarketingDsl.Engine.Scoring;

namespace MarketingDsl.Journeys.Replay;

/// <summary>Journey conditions over a <see cref="DataSet"/>: compiled, one user at one instant (events with ts ≤ it).</summary>
public sealed class DataSetConditions(ConditionEvaluator evaluator) : IJourneyConditions
{
    public bool Evaluate(BoundExpression condition, UserRef user, long atTicks) => evaluator.Evaluate(condition, user.Index, atTicks);
    public bool Matches(BoundExpression where, UserRef user, JourneyEvent e) => evaluator.Matches(e.Type, where, user.Index, e.Row, e.Ts);
    public IReadOnlyList<object?>? List(BoundExpression list, UserRef user, long atTicks) => evaluator.List(list, user.Index, atTicks);
}

/// <summary>
/// Replays every journey of a workspace on history (LANGUAGE.md §15.7): the events with
/// from &lt; ts ≤ to of every type and user in (ts, line) order, with a virtual clock that fires
/// timers (waits, deferred sends, `winner after` decisions, the daily segment check, schedule
/// triggers) in time order. At one instant, events go first (in line order), then timers:
/// waits and deferred sends in the order they were set, winner decisions, the segment check,
/// schedule triggers in declaration order. Only history decides goals.
/// </summary>
public sealed class JourneyReplay
{
    private enum TimerKind { Step = 0, Winner = 1, SegmentCheck = 2, Schedule = 3 }
    private abstract record Timer;
    private sealed record WaitTimer(int Journey, int User, int Token) : Timer;
    private sealed record DeferredTimer(int Journey, int User, BoundSend Send, long EntryAt) : Timer;
    private sealed record WinnerTimer(int Journey, BoundSplit Split) : Timer;
    private sealed record SegmentCheckTimer : Timer;
    private sealed record ScheduleTimer(int Journey) : Timer;

    private readonly SemanticModel _model;
    private readonly DataSet _data;
    private readonly long _from;
    private readonly long _to;
    private readonly JourneyMachine[] _machines;
    private readonly UserJourneyState?[][] _states;
    private readonly JourneyEnvironment _env;
    private readonly DataSetConditions _conditions;
    private readonly TimeZoneInfo _zone;
    private readonly PriorityQueue<Timer, (long At, int Kind, int Sub, long Seq)> _timers = new();
    private long _seq;
    private readonly List<JourneyAction> _actions = [];
    private readonly ReplayStatistics _stats;
    private readonly List<(SegmentSymbol Segment, BoundExpression Condition, bool[] Member)> _segments = [];

    private readonly Action<JourneyAction>? _observer;
    private readonly StepPaths[] _paths;
    /// <summary>The event being given to journeys (a conversion's revenue is read from it), and the entry of a deferred send that goes.</summary>
    private JourneyEvent? _currentEvent;
    private long? _deferredEntry;
    /// <summary>Channel feedback from the history's `message_*` events, by the live runtime's rule.</summary>
    private readonly FeedbackLedger _feedback = new();

    private JourneyReplay(SemanticModel model, DataSet data, DateTime fromUtc, DateTime toUtc, Action<JourneyAction>? observer, IModelScorer? scorer)
    {
        _observer = observer;
        _model = model;
        _data = data;
        _from = fromUtc.Ticks;
        _to = toUtc.Ticks;
        _machines = [.. model.Journeys.Where(j => j.Trigger is not null).Select(j => new JourneyMachine(j))];
        _states = [.. _machines.Select(_ => new UserJourneyState?[data.UserCount])];
        _paths = [.. _machines.Select(m => new StepPaths(m.Journey))];
        _zone = model.Schema.TimeZone is { } z ? TimeZoneInfo.FindSystemTimeZoneById(z) : TimeZoneInfo.Utc;
        _conditions = new DataSetConditions(new ConditionEvaluator(model, data, scorer));
        var quiet = new QuietZones(model.Schema, data);
        _env = new JourneyEnvironment(_conditions, new ChannelLedger(), quiet.ZoneOf, ReportSteps: true);
        _stats = new ReplayStatistics(_machines, _zone, fromUtc, toUtc, data.UserCount);
        foreach (var segment in _machines.Select(m => m.Journey.Trigger).OfType<BoundSegmentTrigger>().Select(t => t.Segment).Distinct())
            _segments.Add((segment, new BoundSymbolReference(segment), new bool[data.UserCount]));
    }

    /// <summary>
    /// Replays the journeys of <paramref name="model"/> on <paramref name="data"/>
    /// over (from, to]; <paramref name="observer"/> sees every action in order.
    /// </summary>
    /// <param name="scorer">Scores the models journey conditions read (the registry's, as for tags); without one their outputs are null.</param>
    /// <param name="progress">The share of the window's events replayed so far (a host's progress bar).</param>
    /// <param name="cancel">Stops the replay between events (<see cref="OperationCanceledException"/>).</param>
    public static ReplayStatistics Run(SemanticModel model, DataSet data, DateTime fromUtc, DateTime toUtc, Action<JourneyAction>? observer = null,
        IModelScorer? scorer = null, IProgress<double>? progress = null, CancellationToken cancel = default)
    {
        if (toUtc < fromUtc) throw new ArgumentException("the replay window ends before it starts");
        var replay = new JourneyReplay(model, data, fromUtc, toUtc, observer, scorer);
        replay.Execute(progress, cancel);
        return replay._stats;
    }

    private UserRef User(int index) => new(index, _data.UserIds[index]);

    private const int CheckEvery = 4096;

    private void Execute(IProgress<double>? progress, CancellationToken cancel)
    {
        // The first evaluation of the run establishes segment membership without firing (LANGUAGE.md §15.2).
        foreach (var (_, condition, member) in _segments)
            for (var u = 0; u < _data.UserCount; u++)
            {
                if (u % CheckEvery == 0) cancel.ThrowIfCancellationRequested();
                member[u] = _conditions.Evaluate(condition, User(u), _from);
            }
        if (_segments.Count > 0) Schedule(new SegmentCheckTimer(), Schedules.NextMidnight(_from, _zone), TimerKind.SegmentCheck, 0);
        for (var j = 0; j < _machines.Length; j++)
            if (Schedules.Next(_machines[j].Journey.Trigger!, _from, _zone) is { } first)
                Schedule(new ScheduleTimer(j), first, TimerKind.Schedule, j);

        var events = EventsInWindow();
        var next = 0;
        for (var step = 0L; ; step++)
        {
            if (step % CheckEvery == 0)
            {
                cancel.ThrowIfCancellationRequested();
                progress?.Report(events.Length == 0 ? 1 : (double)next / events.Length);
            }
            var hasTimer = _timers.TryPeek(out _, out var key) && key.At <= _to;
            if (next < events.Length && (!hasTimer || events[next].Ts <= key.At))
            {
                var (ts, _, type, row, user) = events[next++];
                _currentEvent = new JourneyEvent(_model.Schema.Events[type], ts, row);
                OnEvent(_currentEvent.Value, user);
                _currentEvent = null;
            }
            else if (hasTimer)
            {
                var timer = _timers.Dequeue();
                OnTimer(timer, key.At);
            }
            else break;
        }
        var measures = Feedback.Merge(_stats.Measures, _feedback.Events(_from, _to));
        _stats.Measures.Clear();
        _stats.Measures.AddRange(measures);
    }

    private (long Ts, long Line, int Type, int Row, int User)[] EventsInWindow()
    {
        var list = new List<(long, long, int, int, int)>();
        for (var e = 0; e < _model.Schema.Events.Length && e < _data.Events.Length; e++)
        {
            if (_data.Events[e] is not { } table) continue;
            for (var u = 0; u < _data.UserCount; u++)
            {
                int lo = table.UserStart[u], hi = table.UserStart[u + 1];
                for (var r = DataSet.UpperBound(table.Ts, lo, hi, _from); r < hi && table.Ts[r] <= _to; r++)
                    list.Add((table.Ts[r], table.Line[r], e, r, u));
            }
        }
        var array = list.ToArray();
        Array.Sort(array, (a, b) => a.Item1 != b.Item1 ? a.Item1.CompareTo(b.Item1) : a.Item2.CompareTo(b.Item2));
        return array;
    }

    private void OnEvent(JourneyEvent e, int userIndex)
    {
        var user = User(userIndex);
        // Feedback before journeys, as live: a send this very event makes is not the one it reports on.
        if (Feedback.StatusOf(e.Type) is not null && _data.Events[_model.Schema.Events.IndexOf(e.Type)] is { } table)
            _feedback.OnEvent(e.Type, user.Id, e.Ts, ordinal => table.Fields[ordinal]?.GetBoxed(e.Row));
        for (var j = 0; j < _machines.Length; j++)
        {
            var machine = _machines[j];
            if (_states[j][userIndex] is { } existing) machine.OnEvent(existing, user, e, _env, _actions);
            if (machine.Journey.Trigger is BoundEventTrigger trigger && ReferenceEquals(trigger.Event, e.Type)
                && (trigger.Where is null || _conditions.Matches(trigger.Where, user, e)))
                machine.OnTrigger(_states[j][userIndex] ??= new UserJourneyState(), user, e.Ts, _env, _actions);
            Apply(j, userIndex);
        }
        // Segment membership is re-evaluated after each event of the user (LANGUAGE.md §15.2).
        foreach (var segment in _segments) CheckSegment(segment, userIndex, e.Ts);
    }

    private void CheckSegment((SegmentSymbol Segment, BoundExpression Condition, bool[] Member) segment, int userIndex, long t)
    {
        var user = User(userIndex);
        var now = _conditions.Evaluate(segment.Condition, user, t);
        if (now == segment.Member[userIndex]) return;
        segment.Member[userIndex] = now;
        for (var j = 0; j < _machines.Length; j++)
        {
            if (_machines[j].Journey.Trigger is not BoundSegmentTrigger trigger
                || !ReferenceEquals(trigger.Segment, segment.Segment) || trigger.Enters != now) continue;
            _machines[j].OnTrigger(_states[j][userIndex] ??= new UserJourneyState(), user, t, _env, _actions);
            Apply(j, userIndex);
        }
    }

    private void OnTimer(Timer timer, long t)
    {
        switch (timer)
        {
            case WaitTimer w:
                if (_states[w.Journey][w.User] is { } state) _machines[w.Journey].OnWaitTimeout(state, User(w.User), t, w.Token, _env, _actions);
                Apply(w.Journey, w.User);
                break;
            case DeferredTimer d:
                JourneyMachine.OnDeferredSend(_machines[d.Journey].Journey, d.Send, User(d.User), t, _env, _actions);
                _deferredEntry = d.EntryAt;
                Apply(d.Journey, d.User);
                _deferredEntry = null;
                break;
            case WinnerTimer w:
                _machines[w.Journey].OnWinnerDue(w.Split, t, _actions);
                Apply(w.Journey, -1);
                break;
            case SegmentCheckTimer:
                for (var u = 0; u < _data.UserCount; u++)
                    foreach (var segment in _segments) CheckSegment(segment, u, t);
                Schedule(timer, Schedules.NextMidnight(t, _zone), TimerKind.SegmentCheck, 0);
                break;
            case ScheduleTimer s:
                var machine = _machines[s.Journey];
                for (var u = 0; u < _data.UserCount; u++)
                {
                    machine.OnTrigger(_states[s.Journey][u] ??= new UserJourneyState(), User(u), t, _env, _actions);
                    Apply(s.Journey, u);
                }
                if (Schedules.Next(machine.Journey.Trigger!, t, _zone) is { } next) Schedule(timer, next, TimerKind.Schedule, s.Journey);
                break;
        }
    }

    private void Apply(int journey, int user)
    {
        var state = user >= 0 ? _states[journey][user] : null;
        foreach (var action in _actions)
        {
            _stats.Record(action);
            var revenue = action is ConvertedAction && _currentEvent is { } e ? GoalValue(_machines[journey].Journey.Goal, e, user) : 0;
            if (MeasureEvents.From(action, _paths[journey], _deferredEntry ?? state?.EntryAt ?? 0, revenue) is { } measure)
            {
                _stats.Measures.Add(measure);
                if (measure.Kind == MeasureKind.Sent) _feedback.OnSent(measure);
            }
            _observer?.Invoke(action);
            switch (action)
            {
                case WaitStartedAction w:
                    Schedule(new WaitTimer(journey, user, w.Token), w.Until, TimerKind.Step, 0);
                    break;
                case SendAction { Outcome: SendOutcome.Deferred, DeferredUntil: { } until } send:
                    Schedule(new DeferredTimer(journey, user, send.Send, state?.EntryAt ?? 0), until, TimerKind.Step, 0);
                    break;
                case WinnerDueAction due:
                    Schedule(new WinnerTimer(journey, due.Split), due.Due, TimerKind.Winner, journey);
                    break;
            }
        }
        _actions.Clear();
    }

    /// <summary>The goal's `value` field of the goal event (a row of the user's events of that type), 0 when null or undeclared.</summary>
    private decimal GoalValue(BoundGoal? goal, JourneyEvent e, int user)
    {
        if (goal?.ValueField is not { } field || e.Row < 0) return 0;
        var ordinal = e.Type.OrdinalOf(field.Name);
        var table = _data.Events[_model.Schema.Events.IndexOf(e.Type)];
        return table?.Fields[ordinal] is { } column ? MeasureEvents.Revenue(goal, column.GetBoxed(e.Row)) : 0;
    }

    private void Schedule(Timer timer, long at, TimerKind kind, int sub)
    {
        if (at > _to) { if (timer is DeferredTimer) _stats.PendingDeferred++; return; }
        _timers.Enqueue(timer, (at, (int)kind, sub, _seq++));
    }
}
