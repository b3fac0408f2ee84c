using System.Collections.Immutable;
using System.Globalization;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Journeys;

namespace MarketingDsl.Runtime;

/// <summary>
/// What installing a workspace version (at start or by reload) did to the journeys in flight;
/// <see cref="Moved"/> of the <see cref="Continued"/> users continue at the equivalent wait at another step path.
/// </summary>
public sealed record ReloadReport(int Journeys, int Continued, IReadOnlyList<JourneyEnd> Ended, int Moved = 0);

/// <summary>
/// What a reload does with the users in flight of one journey: <see cref="Continue"/> (the
/// default) at the same or the equivalent step, ending only those whose step has no equivalent
/// (`step_changed`); <see cref="End"/> ends every one of them, and drops its deferred sends
/// (`ended_on_publish`), whether the journey changed or not.
/// </summary>
public enum InFlightPolicy { Continue, End }

/// <summary>
/// What a reload would do (<see cref="LiveRuntime.Preview"/>): the same counts and ends as its
/// <see cref="ReloadReport"/>, and the journeys (with triggers) added, removed and with changed waits or sends.
/// </summary>
public sealed record ReloadPreview(int Journeys, int Continued, IReadOnlyList<JourneyEnd> Ended,
    IReadOnlyList<string> Added, IReadOnlyList<string> Removed, IReadOnlyList<string> StepsChanged)
{
    /// <summary>Of <see cref="Continued"/>, the users who continue at the equivalent wait at another step path.</summary>
    public int Moved { get; init; }

    /// <summary>Users in flight (active states) per journey of the running version, before the reload.</summary>
    public IReadOnlyDictionary<string, int> InFlight { get; init; } = new Dictionary<string, int>();
}

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
                        var until = w.Until is { } e ? " until " + e.Name + (w.UntilWhere is null ? "" : " where") : "";
                        shape.Waits[Key(frames)] = enclosing + $"wait {w.DurationTicks}{until}";
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
                            Walk(split.Branches[b].Steps, frames, enclosing + $"split {split.Name}/{split.Branches.Length} > ", b,
                                path + "." + b.ToString(CultureInfo.InvariantCulture) + ".");
                        break;
                }
            }
        }
    }

    public static string Key(IEnumerable<StepFrame> frames) => string.Join('/', frames.Select(f => $"{f.Selector}:{f.Index}"));

    /// <summary>The frames of a <see cref="Key"/>.</summary>
    public static List<int[]> Frames(string key) =>
        key.Length == 0 ? [] : [.. key.Split('/').Select(f => f.Split(':').Select(n => int.Parse(n, CultureInfo.InvariantCulture)).ToArray())];

    /// <summary>
    /// The wait keys of this shape with the given description, in step order (depth first, `then`
    /// before `else`, split branches in order): the rank of a wait among equal waits.
    /// </summary>
    public List<string> WaitsLike(string description) =>
        [.. Waits.Where(w => w.Value == description).Select(w => w.Key).Order(StepOrder.Instance)];

    private sealed class StepOrder : IComparer<string>
    {
        public static readonly StepOrder Instance = new();

        public int Compare(string? x, string? y)
        {
            var a = Frames(x ?? "").SelectMany(f => f).ToArray();
            var b = Frames(y ?? "").SelectMany(f => f).ToArray();
            for (var i = 0; i < Math.Min(a.Length, b.Length); i++) if (a[i] != b[i]) return a[i].CompareTo(b[i]);
            return a.Length.CompareTo(b.Length);
        }
    }

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
/// tracking are re-armed (<see cref="JourneyExecutor.ArmTriggers"/>).
/// A user whose wait changed path (steps added or removed before it) continues at the equivalent
/// wait: the one with the same entry (enclosing kinds and wait) and the same rank among the waits
/// with that entry, when both versions have equally many such waits; the wait, its deadline and
/// timer are unchanged, only the stored position moves. The publisher may instead choose
/// <see cref="InFlightPolicy.End"/> for a journey: all its users in flight end (`ended_on_publish`).
/// </summary>
public sealed partial class LiveRuntime
{
    public const string EndJourneyRemoved = "journey_removed";
    public const string EndStepChanged = "step_changed";
    public const string EndDeferredSendChanged = "deferred_send_changed";
    public const string EndedOnPublish = "ended_on_publish";

    /// <summary>What installing the version the runtime started with did (states of a changed workspace ended at start).</summary>
    public ReloadReport? StartReport { get; private set; }

    /// <summary>
    /// Installs <paramref name="model"/> (already compiled without errors) in place of the running
    /// version; the journeys named in <paramref name="endInFlight"/> end their users in flight.
    /// </summary>
    public ReloadReport Reload(SemanticModel model, IReadOnlyCollection<string>? endInFlight = null)
    {
        lock (_gate)
        {
            var old = _version;
            try { return TransactionValue(() => Install(model, endInFlight ?? [])); }
            catch
            {
                // Cached users were shaped by the new version (schema, journey count): UseVersion drops them.
                UseVersion(old);
                throw;
            }
        }
    }

    private ReloadReport Install(SemanticModel model, IReadOnlyCollection<string> endInFlight)
    {
        var version = new WorkspaceVersion(model, ScorerOf);
        UseVersion(version);
        version.CompileConditions(_options.Clock.GetUtcNow().UtcTicks);
        return Reconcile(endInFlight);
    }

    /// <summary>Ends what no longer means the same in the installed version (see the class), stores its shapes, re-arms triggers.</summary>
    private ReloadReport Reconcile() => Reconcile([]);

    private ReloadReport Reconcile(IReadOnlyCollection<string> endInFlight)
    {
        var plan = PlanReconcile(_version.Machines.Select(m => m.Journey), endInFlight);
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
        foreach (var (journey, user, state, position) in plan.MovedStates)
        {
            state.Position = position;
            _store.SetState(journey, user, state);
            _users.Remove(user);
        }
        foreach (var id in plan.DroppedTimers) _store.DeleteTimer(id);
        foreach (var end in plan.Ended) _store.AddEnd(end);
        foreach (var name in plan.Stored.Keys.Where(n => !plan.Current.ContainsKey(n))) _store.DeleteJourneyShape(name);
        foreach (var (name, shape) in plan.Current)
            if (!plan.Stored.TryGetValue(name, out var was) || !was.SameAs(shape)) _store.SetJourneyShape(name, shape);
        _executor.ArmTriggers();
        return new ReloadReport(_version.Machines.Length, plan.Inspected ? plan.Continued : _store.ActiveStates(), plan.Ended,
            plan.MovedStates.Count);
    }

    /// <summary>
    /// What <see cref="Reload"/> of <paramref name="model"/> would do now, changing nothing: the
    /// same decisions over the same stored states, timers and shapes (one plan serves both), plus
    /// which journeys are added, removed (or lost their trigger) and have changed waits or sends.
    /// Events ingested between the preview and the reload can change the outcome.
    /// </summary>
    public ReloadPreview Preview(SemanticModel model, IReadOnlyCollection<string>? endInFlight = null)
    {
        lock (_gate)
        {
            var journeys = model.Journeys.Where(j => j.Trigger is not null).ToList();
            var plan = PlanReconcile(journeys, endInFlight ?? []);
            var running = _version.Machines.Select(m => m.Journey.Name).ToList();
            var next = journeys.Select(j => j.Name).ToList();
            var runningShapes = _version.Machines.ToDictionary(m => m.Journey.Name, m => JourneyShape.Of(m.Journey), StringComparer.Ordinal);
            return new ReloadPreview(
                journeys.Count,
                plan.Inspected ? plan.Continued : _store.ActiveStates(),
                plan.Ended,
                [.. next.Where(n => !runningShapes.ContainsKey(n))],
                [.. running.Where(n => !plan.Current.ContainsKey(n))],
                [.. next.Where(n => runningShapes.TryGetValue(n, out var was) && !was.SameAs(plan.Current[n]))])
            {
                Moved = plan.MovedStates.Count,
                InFlight = _store.AllStates().Where(s => s.State.Active).GroupBy(s => s.Journey, StringComparer.Ordinal)
                    .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
            };
        }
    }

    private sealed record ReconcilePlan(
        bool Inspected, int Continued, List<JourneyEnd> Ended, List<(string Journey, string User, StoredJourneyState State)> EndedStates,
        List<(string Journey, string User, StoredJourneyState State, List<int[]> Position)> MovedStates,
        List<long> DroppedTimers, Dictionary<string, JourneyShape> Stored, Dictionary<string, JourneyShape> Current);

    /// <summary>
    /// The decisions of <see cref="Reconcile"/> for a version with these (triggered) journeys, read
    /// from the store, nothing written.
    /// </summary>
    private ReconcilePlan PlanReconcile(IEnumerable<JourneySymbol> journeys, IReadOnlyCollection<string> endInFlight)
    {
        var stored = _store.JourneyShapes();
        var current = journeys.ToDictionary(j => j.Name, JourneyShape.Of, StringComparer.Ordinal);
        var ending = new HashSet<string>(endInFlight, StringComparer.Ordinal);
        // A store written before shapes were kept: treat its journeys as changed (every state is checked against the current version).
        var legacy = stored.Count == 0;
        var changed = new HashSet<string>(
            stored.Keys.Where(name => !current.TryGetValue(name, out var now) || !now.SameAs(stored[name])), StringComparer.Ordinal);
        var at = _store.Counter("clock");
        var ended = new List<JourneyEnd>();
        var endedStates = new List<(string, string, StoredJourneyState)>();
        var moved = new List<(string, string, StoredJourneyState, List<int[]>)>();
        var dropped = new List<long>();
        var continued = 0;
        if (!legacy && changed.Count == 0 && ending.Count == 0)
            return new ReconcilePlan(false, 0, ended, endedStates, moved, dropped, stored, current);
        foreach (var (journey, user, state) in _store.AllStates())
        {
            if (!state.Active) continue;
            var key = JourneyShape.Key(state.Position.Select(f => new StepFrame(f[0], f[1])));
            var now = current.GetValueOrDefault(journey)?.Waits.GetValueOrDefault(key);
            var before = stored.TryGetValue(journey, out var was) ? was.Waits.GetValueOrDefault(key) : now;
            if (ending.Contains(journey) && current.ContainsKey(journey))
            {
                ended.Add(new JourneyEnd(journey, user, at, EndedOnPublish,
                    $"waiting at {key}: {before ?? "?"}; the publication ended the journey's users in flight"));
                endedStates.Add((journey, user, state));
                continue;
            }
            if (!legacy && !changed.Contains(journey)) { continued++; continue; }
            var reason = !current.ContainsKey(journey) ? EndJourneyRemoved : before is null || before != now ? EndStepChanged : null;
            if (reason == EndStepChanged && was is not null && before is not null && Equivalent(was, current[journey], key, before) is { } equivalent)
            {
                moved.Add((journey, user, state, JourneyShape.Frames(equivalent)));
                reason = null;
            }
            if (reason is null) { continued++; continue; }
            ended.Add(new JourneyEnd(journey, user, at, reason, $"waiting at {key}: {before ?? "?"}"));
            endedStates.Add((journey, user, state));
        }
        foreach (var timer in _store.AllTimers().Where(t => t.Kind == LiveStore.DeferredTimer
                     && (legacy || changed.Contains(t.Journey) || (ending.Contains(t.Journey) && current.ContainsKey(t.Journey)))))
        {
            var now = current.GetValueOrDefault(timer.Journey)?.Sends.GetValueOrDefault(timer.Path);
            var before = stored.TryGetValue(timer.Journey, out var was) ? was.Sends.GetValueOrDefault(timer.Path) : now;
            var endedByChoice = ending.Contains(timer.Journey);
            if (!endedByChoice && now is not null && before == now) continue;
            dropped.Add(timer.Id);
            ended.Add(new JourneyEnd(timer.Journey, timer.User, at, endedByChoice ? EndedOnPublish : EndDeferredSendChanged,
                $"deferred send at step {timer.Path} due {new DateTime(timer.Due, DateTimeKind.Utc).ToString("O", CultureInfo.InvariantCulture)}: "
                + (before ?? "?")));
        }
        return new ReconcilePlan(true, continued, ended, endedStates, moved, dropped, stored, current);
    }

    /// <summary>
    /// The key of the wait in <paramref name="next"/> equivalent to the one at <paramref name="key"/>
    /// in <paramref name="previous"/> (described <paramref name="description"/>): the same rank among
    /// the waits with that description, when both versions have equally many; else null.
    /// </summary>
    private static string? Equivalent(JourneyShape previous, JourneyShape next, string key, string description)
    {
        var before = previous.WaitsLike(description);
        var after = next.WaitsLike(description);
        var rank = before.IndexOf(key);
        return rank >= 0 && before.Count == after.Count ? after[rank] : null;
    }
}
