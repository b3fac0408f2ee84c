using System.Globalization;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Journeys;

namespace MarketingDsl.Runtime;

/// <summary>What a reload did to the journeys in flight.</summary>
public sealed record ReloadReport(int Journeys, int Continued, IReadOnlyList<JourneyEnd> Ended);

/// <summary>
/// Publishing a new workspace version to a running runtime (LANGUAGE.md §15.7). The new version
/// replaces the old at once, in one transaction, and users in flight keep their state where it
/// still means the same thing: an active user (always waiting at a `wait`) continues when the step
/// at their stored path in the new version is the same wait (same duration and `until` event) inside
/// the same kinds of enclosing steps; otherwise their state is ended (`step_changed`). Users of a
/// journey that is gone, or no longer has a trigger, are ended (`journey_removed`). A deferred send
/// whose step is gone or now another send is dropped (`deferred_send_changed`). Each end is
/// recorded with the instant (the clock) and the step; goal watches of users who finished the steps
/// go on under the new goal. Schedules and segment tracking are re-armed (<see cref="ArmTriggers"/>).
/// </summary>
public sealed partial class LiveRuntime
{
    public const string EndJourneyRemoved = "journey_removed";
    public const string EndStepChanged = "step_changed";
    public const string EndDeferredSendChanged = "deferred_send_changed";

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
                _views.Clear();
                LoadSplits();
                throw;
            }
        }
    }

    private ReloadReport Install(SemanticModel model)
    {
        var oldPaths = _paths.ToDictionary(p => p.Journey.Name, StringComparer.Ordinal);
        _model = model;
        _validation = new Validation(model.Schema);
        _machines = [.. model.Journeys.Where(j => j.Trigger is not null).Select(j => new JourneyMachine(j))];
        _paths = [.. _machines.Select(m => new StepPaths(m.Journey))];
        _journeyIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var j = 0; j < _machines.Length; j++) _journeyIndex[_machines[j].Journey.Name] = j;
        _views.Clear();
        LoadSplits();

        var at = _store.Counter("clock");
        var ended = new List<JourneyEnd>();
        var continued = 0;
        foreach (var (journey, user, state) in _store.AllStates())
        {
            if (!state.Active) continue;
            var position = state.Position.Select(f => new StepFrame(f[0], f[1])).ToList();
            var before = oldPaths.TryGetValue(journey, out var o) ? Signature(o, position) : null;
            string? reason = null;
            if (!_journeyIndex.TryGetValue(journey, out var j)) reason = EndJourneyRemoved;
            else if (before is null || before != Signature(_paths[j], position)) reason = EndStepChanged;
            if (reason is null) { continued++; continue; }
            var step = string.Join('.', position.Skip(1).SelectMany(f => new[] { f.Selector, f.Index }).Prepend(position.Count > 0 ? position[0].Index : -1));
            ended.Add(new JourneyEnd(journey, user, at, reason, $"at step {step}: {before ?? "?"}"));
            state.Active = false;
            state.Position.Clear();
            state.WaitStart = state.WaitUntil = null;
            state.WaitToken = null;
            if (reason == EndJourneyRemoved) state.GoalUntil = null;
            _store.SetState(journey, user, state);
        }
        foreach (var timer in _store.AllTimers().Where(t => t.Kind == LiveStore.DeferredTimer))
        {
            var was = oldPaths.TryGetValue(timer.Journey, out var o) ? o.SendAt(timer.Path) : null;
            var now = _journeyIndex.TryGetValue(timer.Journey, out var j) ? _paths[j].SendAt(timer.Path) : null;
            if (now is not null && was is not null && SendSignature(was) == SendSignature(now)) continue;
            _store.DeleteTimer(timer.Id);
            ended.Add(new JourneyEnd(timer.Journey, timer.User, at, EndDeferredSendChanged,
                $"deferred send at step {timer.Path} due {new DateTime(timer.Due, DateTimeKind.Utc).ToString("O", CultureInfo.InvariantCulture)}: {(was is null ? "?" : SendSignature(was))}"));
        }
        foreach (var end in ended) _store.AddEnd(end);
        ArmTriggers();
        return new ReloadReport(_machines.Length, continued, ended);
    }

    /// <summary>
    /// What a stored position means in one version: the kinds of the steps along the path (splits
    /// by name) and the step it points at (a wait by duration and `until` event); null when the
    /// path does not exist.
    /// </summary>
    private static string? Signature(StepPaths paths, IReadOnlyList<StepFrame> position)
    {
        if (position.Count == 0) return null;
        var parts = new List<string>();
        for (var depth = 1; depth <= position.Count; depth++)
        {
            var step = paths.StepAt([.. position.Take(depth)]);
            if (step is null) return null;
            parts.Add(step switch
            {
                BoundWait w => $"wait {w.DurationTicks}{(w.Until is { } e ? " until " + e.Name + (w.UntilWhere is null ? "" : " where") : "")}",
                BoundSplit s => $"split {s.Name}/{s.Branches.Length}",
                BoundIf i => $"if/{(i.Else.IsEmpty ? 1 : 2)}",
                BoundSend s => "send " + SendSignature(s),
                _ => step.GetType().Name,
            });
        }
        return string.Join(" > ", parts);
    }

    private static string SendSignature(BoundSend send) => $"{send.Channel.Name} \"{send.Template}\"{(send.Offer is { } o ? $" offer \"{o}\"" : "")}";
}
