using System.Text.Json;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Journeys;

namespace MarketingDsl.Runtime;

/// <summary>Per-user state as the journeys need it: the cached profile, events, evaluator and journey states (<see cref="UserCache"/>).</summary>
public sealed partial class LiveRuntime
{
    /// <summary>
    /// The user's cached entry, read from the store on a miss: the profile row (null: no profile
    /// yet, an orphan as in batch) and its <see cref="UserHistory"/>. The events are read only
    /// when a condition, a `where:` or a tag needs them (<see cref="EnsureEvents"/>); from then on
    /// each new event is appended, so evaluation never rebuilds a data set per event.
    /// </summary>
    private LiveUser User(string id)
    {
        if (_users.Get(id, promote: !_fanOut) is { } cached) return cached;
        if (_fanOutBatch is { } batch && batch.Users.TryGetValue(id, out var batched)) return batched;
        object?[]? profile = null;
        if (_store.Profile(id) is { } profileJson) profile = _validation.ParseProfile(profileJson, out _, out _);
        var user = new LiveUser(id, profile, _machines.Length);
        _users.Add(user, cold: _fanOut);
        return user;
    }

    /// <summary>
    /// Set while a fan-out visits users in turn (a schedule's instant, the 00:00 segment check, arming):
    /// users it reads join the cache at the cold end and users it reads again are not promoted, so
    /// one pass over more users than the cache holds does not push out the users events are
    /// arriving for (a plain LRU would miss on every user of every pass).
    /// </summary>
    private bool _fanOut;

    /// <summary>Runs a fan-out over users (see <see cref="_fanOut"/>).</summary>
    private void FanOut(Action body)
    {
        var outer = _fanOut;
        _fanOut = true;
        try { body(); }
        finally { _fanOut = outer; }
    }

    /// <summary>Loads the user's stored events into its history (in arrival order: the line of an event is its sequence number).</summary>
    private UserHistory EnsureEvents(LiveUser user)
    {
        var history = HistoryOf(user);
        if (user.EventsLoaded) return history;
        foreach (var (seq, json) in _store.EventsOf(user.Id))
        {
            if (_validation.ParseEvent(json, out _) is not { } e) continue;   // the schema changed since
            history.Add(e.Type, e.Values, seq);
        }
        user.EventsLoaded = true;
        _users.Resized(user);
        return history;
    }

    /// <summary>The one-user evaluator, pointed at <paramref name="user"/>'s history (its events loaded).</summary>
    private ConditionEvaluator EvaluatorOf(LiveUser user) => OneUserEvaluator(EnsureEvents(user).Data);

    private ConditionEvaluator? _oneUser;
    private SemanticModel? _oneUserFor;

    /// <summary>
    /// The evaluator of every one-user data set (users' histories), pointed at <paramref name="data"/>:
    /// an evaluator's context holds an array per computed symbol of the workspace and its compiled
    /// conditions' scratch, too much to make per user or per history that grew.
    /// </summary>
    private ConditionEvaluator OneUserEvaluator(DataSet data)
    {
        if (_oneUser is null || !ReferenceEquals(_oneUserFor, _model))
        {
            _oneUser = NewEvaluator(data);
            _oneUserFor = _model;
        }
        else _oneUser.Rebind(data);
        return _oneUser;
    }

    /// <summary>An evaluator of journey conditions over <paramref name="data"/> (one user's history, or a batch of users).</summary>
    private ConditionEvaluator NewEvaluator(DataSet data) => new(_model, data, ScorerOf(_model));

    /// <summary>
    /// The stored histories of <paramref name="users"/> as one data set, row u for users[u], read
    /// with one statement per chunk of users: a batch evaluates many users over columns, as `simulate` does.
    /// </summary>
    private DataSet StoredHistories(IReadOnlyList<(string Id, object?[] Profile)> users)
    {
        var stored = _store.EventsOf([.. users.Select(u => u.Id)]);
        var events = new List<(int User, EventTypeSymbol Type, object?[] Values, long Line)>();
        for (var u = 0; u < users.Count; u++)
            foreach (var (seq, json) in stored[users[u].Id])
            {
                if (_validation.ParseEvent(json, out _) is not { } e) continue;   // the schema changed since
                events.Add((u, e.Type, e.Values, seq));
            }
        return UserHistory.Combine(_model.Schema, users, events);
    }

    /// <summary>
    /// The user's state in journey <paramref name="j"/> (read from the store once, then cached), or
    /// null. The machines change it in place: every change goes through <see cref="SetState"/>
    /// (Apply) in the same transaction, and a failed transaction empties the cache.
    /// </summary>
    private UserJourneyState? StateOf(LiveUser user, int j)
    {
        if (!user.StateLoaded[j])
        {
            user.StateJson[j] = _store.StateJson(_machines[j].Journey.Name, user.Id);
            user.StateLoaded[j] = true;
            _users.Resized(user);
        }
        if (user.StateLive[j] is { } live) return live;
        if (user.StateJson[j] is not { } json) return null;
        var stored = user.StateParsed[j] ??= JsonSerializer.Deserialize(json, StoredStateJson.Default.StoredJourneyState);
        return stored is null ? null : user.StateLive[j] = Restore(j, stored);
    }

    /// <summary>Writes the state when it differs from the stored one (an event that changes nothing costs no write).</summary>
    private void SetState(LiveUser user, int j, UserJourneyState state)
    {
        // Most transitions a schedule's fan-out or an event makes leave the state as it was (a
        // suppressed trigger, an event no wait is for): compared with the stored state field by
        // field, they cost no copy and no serialisation either.
        if (user.StateLoaded[j] && user.StateJson[j] is { } storedJson
            && (user.StateParsed[j] ??= JsonSerializer.Deserialize(storedJson, StoredStateJson.Default.StoredJourneyState)) is { } cached
            && SameState(cached, state))
        {
            user.StateLive[j] = state;
            return;
        }
        var saved = Save(state);
        var json = JsonSerializer.Serialize(saved, StoredStateJson.Default.StoredJourneyState);
        if (!user.StateLoaded[j] || user.StateJson[j] != json) _store.SetStateJson(_machines[j].Journey.Name, user.Id, json);
        user.StateJson[j] = json;
        user.StateParsed[j] = saved;
        user.StateLive[j] = state;
        user.StateLoaded[j] = true;
        _users.Resized(user);
    }

    /// <summary>Whether <paramref name="state"/> would be stored as <paramref name="stored"/> (<see cref="Save"/> would give equal JSON).</summary>
    private static bool SameState(StoredJourneyState stored, UserJourneyState state)
    {
        if (stored.Active != state.Active || stored.Entries != state.Entries || stored.EntryAt != state.EntryAt || stored.HeldOut != state.HeldOut
            || stored.GoalUntil != state.GoalUntil || stored.Token != state.Token || stored.WaitStart != state.Wait?.Start
            || stored.WaitUntil != state.Wait?.Until || stored.WaitToken != state.Wait?.Token
            || stored.Position.Count != state.Position.Count || stored.Branches.Count != state.Branches.Count) return false;
        for (var i = 0; i < stored.Position.Count; i++)
            if (stored.Position[i] is not [var selector, var index] || selector != state.Position[i].Selector || index != state.Position[i].Index) return false;
        // Serialised in insertion order: equal JSON needs the same pairs in the same order.
        using var x = stored.Branches.GetEnumerator();
        using var y = state.Branches.GetEnumerator();
        while (x.MoveNext() && y.MoveNext())
            if (x.Current.Key != y.Current.Key || x.Current.Value != y.Current.Value) return false;
        return true;
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

    private sealed class LiveConditions(LiveRuntime runtime) : IJourneyConditions
    {
        public IReadOnlyList<object?>? List(BoundExpression list, UserRef user, long atTicks)
        {
            var live = runtime.User(user.Id);
            if (live.Profile is null) return null;
            return runtime.BatchRowOf(live) is var (batch, row) ? batch.List(list, row, atTicks) : runtime.EvaluatorOf(live).List(list, 0, atTicks);
        }

        public bool Evaluate(BoundExpression condition, UserRef user, long atTicks)
        {
            var live = runtime.User(user.Id);
            if (live.Profile is null) return false;
            return runtime.BatchRowOf(live) is var (batch, row) ? batch.Evaluate(condition, row, atTicks) : runtime.EvaluatorOf(live).Evaluate(condition, 0, atTicks);
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
                return runtime.OneUserEvaluator(alone.Data).Matches(e.Type, where, 0, aloneRow, e.Ts);
            }
            var evaluator = runtime.EvaluatorOf(live);
            // The event being handled got no row when the user's events were not loaded yet: find it now.
            var row = e.Row >= 0 ? e.Row : ReferenceEquals(runtime._current.User, live) ? live.History!.RowOf(e.Type, runtime._current.Seq) : -1;
            return row >= 0 && evaluator.Matches(e.Type, where, 0, row, e.Ts);
        }
    }
}
