using System.Collections.Immutable;
using System.Globalization;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Journeys;

namespace MarketingDsl.Runtime;

/// <summary>What installing a workspace version (at start or by reload) did to the journeys in flight.</summary>
public sealed record ReloadReport(int Journeys, int Continued, IReadOnlyList<JourneyEnd> Ended);

/// <summary>
/// What a reload would do (<see cref="LiveRuntime.Preview"/>): the same counts and ends as its
/// <see cref="ReloadReport"/>, and the journeys (with triggers) added, removed and with changed waits or sends.
/// </summary>
public sealed record ReloadPreview(int Journeys, int Continued, IReadOnlyList<JourneyEnd> Ended,
    IReadOnlyList<string> Added, IReadOnlyList<string> Removed, IReadOnlyList<string> StepsChanged);

/// <summary>
/// What a journey's stored positions mean in one workspace version: per wait position (frames as
/// `selector:index/…`) the kinds of the enclosing steps (splits by name) and the wait (duration and
/// `until` event); per send path the send (channel, template, offer). Stored per journey, so a later
/// version, installed by reload or by a restart, can tell which states still mean the same.
/// </summary>
public sealed class JourneyShape
{
    public Dictionary<string, string> Waits { get; set; } = new(StringComparer.Ordinal);
    public Dictionary<string, string> Sends { get; set; } = new(StringComparer.Ordinal);

    public static JourneyShape Of(JourneySymbol journey)
    {
        var shape = new JourneyShape();
        Walk(journey.Steps, [], "", -1, "");
        return shape;

        void Walk(ImmutableArray<BoundStep> steps, List<StepFrame> parent, string enclosing, int selector, string pathPrefix)
        {
            for (var i = 0; i < steps.Length; i++)
            {
                List<StepFrame> frames = [.. parent, new StepFrame(selector, i)];
                var path = pathPrefix + i.ToString(CultureInfo.InvariantCulture);
                switch (steps[i])
                {
                    case BoundWait w:
                        shape.Waits[Key(frames)] = enclosing + $"wait {w.DurationTicks}{(w.Until is { } e ? " until " + e.Name + (w.UntilWhere is null ? "" : " where") : "")}";
                        break;
                    case BoundSend send:
                        shape.Sends[path] = SendSignature(send);
                        break;
                    case BoundIf x:
                        Walk(x.Then, frames, enclosing + $"if/{(x.Else.IsEmpty ? 1 : 2)} > ", 0, path + ".0.");
                        Walk(x.Else, frames, enclosing + $"if/{(x.Else.IsEmpty ? 1 : 2)} > ", 1, path + ".1.");
                        break;
                    case BoundSplit split:
                        for (var b = 0; b < split.Branches.Length; b++)
                            Walk(split.Branches[b].Steps, frames, enclosing + $"split {split.Name}/{split.Branches.Length} > ", b, path + "." + b.ToString(CultureInfo.InvariantCulture) + ".");
                        break;
                }
            }
        }
    }

    public static string Key(IEnumerable<StepFrame> frames) => string.Join('/', frames.Select(f => $"{f.Selector}:{f.Index}"));

    public static string SendSignature(BoundSend send) => send.Text["send ".Length..];

    public bool SameAs(JourneyShape other) =>
        Waits.Count == other.Waits.Count && Sends.Count == other.Sends.Count
        && Waits.All(p => other.Waits.GetValueOrDefault(p.Key) == p.Value) && Sends.All(p => other.Sends.GetValueOrDefault(p.Key) == p.Value);
}

/// <summary>
/// Publishing a new workspace version to the runtime (LANGUAGE.md §15.7), by reload or by
/// restarting on a changed workspace: the new version replaces the old in one transaction, and
/// users in flight keep their state where it still means the same thing. An active user (always
/// waiting at a `wait`) continues when the wait at their stored position has the same
/// <see cref="JourneyShape"/> entry in both versions; otherwise their state is ended
/// (`step_changed`). Users of a journey that is gone, or no longer has a trigger, are ended
/// (`journey_removed`). A deferred send whose step is gone or now another send is dropped
/// (`deferred_send_changed`). Each end is recorded with the instant (the clock) and the step; goal
/// watches of users who finished the steps go on under the new goal. Schedules and segment
/// tracking are re-armed (<see cref="ArmTriggers"/>).
/// </summary>
public sealed partial class LiveRuntime
{
    public const string EndJourneyRemoved = "journey_removed";
    public const string EndStepChanged = "step_changed";
    public const string EndDeferredSendChanged = "deferred_send_changed";

    /// <summary>What installing the version the runtime started with did (states of a changed workspace ended at start).</summary>
    public ReloadReport? StartReport { get; private set; }

    /// <summary>Installs <paramref name="model"/> (already compiled without errors) in place of the running version.</summary>
    public ReloadReport Reload(SemanticModel model)
    {
        lock (_gate)
        {
            var old = (_model, _validation, _machines, _paths, _journeyIndex);
            try { return TransactionValue(() => Install(model)); }
            catch
            {
                (_model, _validation, _machines, _paths, _journeyIndex) = old;
                // Cached users were shaped by the new version (schema, journey count): drop them.
                _users.Clear();
                LoadSplits();
                throw;
            }
        }
    }

    private ReloadReport Install(SemanticModel model)
    {
        _model = model;
        _validation = new Validation(model.Schema);
        _machines = [.. model.Journeys.Where(j => j.Trigger is not null).Select(j => new JourneyMachine(j))];
        _paths = [.. _machines.Select(m => new StepPaths(m.Journey))];
        _journeyIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var j = 0; j < _machines.Length; j++) _journeyIndex[_machines[j].Journey.Name] = j;
        // The user cache holds rows of the old schema and states per old journey index.
        _users.Clear();
        LoadSplits();
        return Reconcile();
    }

    /// <summary>Ends what no longer means the same in the installed version (see the class), stores its shapes, re-arms triggers.</summary>
    private ReloadReport Reconcile()
    {
        var plan = PlanReconcile(_machines.Select(m => m.Journey));
        foreach (var (journey, user, state) in plan.EndedStates)
        {
            var removed = !plan.Current.ContainsKey(journey);
            state.Active = false;
            state.Position.Clear();
            state.WaitStart = state.WaitUntil = null;
            state.WaitToken = null;
            if (removed) state.GoalUntil = null;
            _store.SetState(journey, user, state);
            _users.Remove(user);   // written past the cache: its copy of the user's states is stale
        }
        foreach (var id in plan.DroppedTimers) _store.DeleteTimer(id);
        foreach (var end in plan.Ended) _store.AddEnd(end);
        foreach (var name in plan.Stored.Keys.Where(n => !plan.Current.ContainsKey(n))) _store.DeleteJourneyShape(name);
        foreach (var (name, shape) in plan.Current) if (!plan.Stored.TryGetValue(name, out var was) || !was.SameAs(shape)) _store.SetJourneyShape(name, shape);
        ArmTriggers();
        return new ReloadReport(_machines.Length, plan.Inspected ? plan.Continued : _store.ActiveStates(), plan.Ended);
    }

    /// <summary>
    /// What <see cref="Reload"/> of <paramref name="model"/> would do now, changing nothing: the
    /// same decisions over the same stored states, timers and shapes (one plan serves both), plus
    /// which journeys are added, removed (or lost their trigger) and have changed waits or sends.
    /// Events ingested between the preview and the reload can change the outcome.
    /// </summary>
    public ReloadPreview Preview(SemanticModel model)
    {
        lock (_gate)
        {
            var journeys = model.Journeys.Where(j => j.Trigger is not null).ToList();
            var plan = PlanReconcile(journeys);
            var running = _machines.Select(m => m.Journey.Name).ToList();
            var next = journeys.Select(j => j.Name).ToList();
            var runningShapes = _machines.ToDictionary(m => m.Journey.Name, m => JourneyShape.Of(m.Journey), StringComparer.Ordinal);
            return new ReloadPreview(
                journeys.Count,
                plan.Inspected ? plan.Continued : _store.ActiveStates(),
                plan.Ended,
                [.. next.Where(n => !runningShapes.ContainsKey(n))],
                [.. running.Where(n => !plan.Current.ContainsKey(n))],
                [.. next.Where(n => runningShapes.TryGetValue(n, out var was) && !was.SameAs(plan.Current[n]))]);
        }
    }

    private sealed record ReconcilePlan(
        bool Inspected, int Continued, List<JourneyEnd> Ended, List<(string Journey, string User, StoredJourneyState State)> EndedStates,
        List<long> DroppedTimers, Dictionary<string, JourneyShape> Stored, Dictionary<string, JourneyShape> Current);

    /// <summary>The decisions of <see cref="Reconcile"/> for a version with these (triggered) journeys, read from the store, nothing written.</summary>
    private ReconcilePlan PlanReconcile(IEnumerable<JourneySymbol> journeys)
    {
        var stored = _store.JourneyShapes();
        var current = journeys.ToDictionary(j => j.Name, JourneyShape.Of, StringComparer.Ordinal);
        // A store written before shapes were kept: treat its journeys as changed (every state is checked against the current version).
        var legacy = stored.Count == 0;
        var changed = new HashSet<string>(stored.Keys.Where(name => !current.TryGetValue(name, out var now) || !now.SameAs(stored[name])), StringComparer.Ordinal);
        var at = _store.Counter("clock");
        var ended = new List<JourneyEnd>();
        var endedStates = new List<(string, string, StoredJourneyState)>();
        var dropped = new List<long>();
        var continued = 0;
        if (!legacy && changed.Count == 0) return new ReconcilePlan(false, 0, ended, endedStates, dropped, stored, current);
        foreach (var (journey, user, state) in _store.AllStates())
        {
            if (!state.Active) continue;
            if (!legacy && !changed.Contains(journey)) { continued++; continue; }
            var key = JourneyShape.Key(state.Position.Select(f => new StepFrame(f[0], f[1])));
            var now = current.GetValueOrDefault(journey)?.Waits.GetValueOrDefault(key);
            var before = stored.TryGetValue(journey, out var was) ? was.Waits.GetValueOrDefault(key) : now;
            var reason = !current.ContainsKey(journey) ? EndJourneyRemoved : before is null || before != now ? EndStepChanged : null;
            if (reason is null) { continued++; continue; }
            ended.Add(new JourneyEnd(journey, user, at, reason, $"waiting at {key}: {before ?? "?"}"));
            endedStates.Add((journey, user, state));
        }
        foreach (var timer in _store.AllTimers().Where(t => t.Kind == LiveStore.DeferredTimer && (legacy || changed.Contains(t.Journey))))
        {
            var now = current.GetValueOrDefault(timer.Journey)?.Sends.GetValueOrDefault(timer.Path);
            var before = stored.TryGetValue(timer.Journey, out var was) ? was.Sends.GetValueOrDefault(timer.Path) : now;
            if (now is not null && before == now) continue;
            dropped.Add(timer.Id);
            ended.Add(new JourneyEnd(timer.Journey, timer.User, at, EndDeferredSendChanged,
                $"deferred send at step {timer.Path} due {new DateTime(timer.Due, DateTimeKind.Utc).ToString("O", CultureInfo.InvariantCulture)}: {before ?? "?"}"));
        }
        return new ReconcilePlan(true, continued, ended, endedStates, dropped, stored, current);
    }
}
