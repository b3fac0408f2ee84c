using System.Text.Json;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Journeys;

namespace MarketingDsl.Runtime;

/// <summary>
/// Per-user state as the journeys need it, in front of the store: the cached profile, events as a
/// growing <see cref="UserHistory"/>, journey states and the conditions evaluated over them
/// (<see cref="Conditions"/>), with a <see cref="UserCache"/> bounding what stays in memory. The
/// store holds everything (the cache writes through); what is here is rebuilt from it after
/// <see cref="Clear"/> (a failed transaction, a new version). Depends on the store and the installed
/// <see cref="WorkspaceVersion"/> (<see cref="Install"/>); used under the runtime's lock only.
/// </summary>
internal sealed partial class UserStates
{
    private readonly LiveStore _store;
    private readonly UserCache _cache;
    private WorkspaceVersion _version;
    private ConditionEvaluator? _oneUser;
    /// <summary>The evaluators of fan-out batches, by their count of users (<see cref="BatchEvaluator"/>).</summary>
    private readonly Dictionary<int, ConditionEvaluator> _batchEvaluators = [];
    /// <summary>The history a `where:` over an event alone runs on (LiveConditions.Matches); of the installed version's schema.</summary>
    private UserHistory? _whereScratch;

    public UserStates(LiveStore store, WorkspaceVersion version, int cachedUsers, int cachedEvents, long cacheBytes)
    {
        _store = store;
        _version = version;
        _cache = new UserCache(Math.Max(1, cachedUsers), Math.Max(0, cachedEvents), Math.Max(0, cacheBytes))
        {
            SharedString = version.Validation.SharedString,
        };
        Conditions = new LiveConditions(this);
    }

    /// <summary>The journeys' conditions over these users (<see cref="JourneyEnvironment.Conditions"/>).</summary>
    public IJourneyConditions Conditions { get; }

    /// <summary>Uses <paramref name="version"/> from now on: the cached users hold rows of the old schema and states per old journey index.</summary>
    public void Install(WorkspaceVersion version)
    {
        _version = version;
        _oneUser = null;
        _batchEvaluators.Clear();
        _whereScratch = null;
        Clear();
        _cache.SharedString = version.Validation.SharedString;
    }

    /// <summary>Empties the cache (the store keeps everything); a failed transaction may have left uncommitted changes in it.</summary>
    public void Clear()
    {
        _cache.Clear();
        _fanOutBatch = null;
    }

    /// <summary>How many users the cache holds, how many of them with their events loaded, how many events, and their estimated bytes.</summary>
    public (int Users, int Loaded, long Events, long Bytes) CacheSize => (_cache.Count, _cache.Loaded, _cache.Events, _cache.Bytes);

    /// <summary>Forgets the user's cached entry: it was written past the cache (its copy is stale) or merged away.</summary>
    public void Remove(string id) => _cache.Remove(id);

    /// <summary>
    /// The cached entry of a user whose profile was just stored. Memberships are stored only for
    /// users with a profile (and a merged-away id never gets one again), so a user without a
    /// profile before this one has none: its memberships start as "not evaluated" without a look-up.
    /// </summary>
    public void AddStored(string id, object?[] profile, bool hadProfile)
    {
        var live = new LiveUser(id, profile, _version.Machines.Length);
        if (!hadProfile)
        {
            live.Members = new bool?[_version.Tracked.Length];
            live.MembersAt = new long[_version.Tracked.Length];
            Array.Fill(live.MembersAt, long.MinValue);
        }
        _cache.Add(live);
    }

    /// <summary>
    /// The user's cached entry, read from the store on a miss: the profile row (null: no profile
    /// yet, an orphan as in batch) and its <see cref="UserHistory"/>. The events of a type are read only
    /// when a condition, a `where:` or a tag reads them (<see cref="EnsureEvents"/>); from then on
    /// each new event of that type is appended, so evaluation never rebuilds a data set per event.
    /// </summary>
    public LiveUser User(string id)
    {
        if (_cache.Get(id, promote: !_fanOut) is { } cached) return cached;
        if (_fanOutBatch is { } batch && batch.Users.TryGetValue(id, out var batched)) return batched;
        object?[]? profile = null;
        if (_store.Profile(id) is { } profileJson) profile = _version.Validation.ParseProfile(profileJson, out _, out _);
        var user = new LiveUser(id, profile, _version.Machines.Length);
        _cache.Add(user, cold: _fanOut);
        return user;
    }

    /// <summary>
    /// Appends an event just stored to the user's history when its type's events are loaded; returns its
    /// row (-1: not loaded: the store has it, and loading the type reads them all, this one included).
    /// </summary>
    public int AddEvent(LiveUser user, ParsedEvent e, long seq)
    {
        if (!user.HasLoaded(_version.TypeBit(e.Type))) return -1;
        var row = user.History!.Add(e.Type, e.Values, seq);
        _cache.Resized(user);
        return row;
    }

    /// <summary>The user, sequence number and values of the event being handed to journeys (for its row, loaded on demand).</summary>
    public (LiveUser? User, long Seq, object?[]? Values) Current { get; set; }

    /// <summary>
    /// Set while a fan-out visits users in turn (a schedule's instant, the 00:00 segment check, arming):
    /// users it reads join the cache at the cold end and users it reads again are not promoted, so
    /// one pass over more users than the cache holds does not push out the users events are
    /// arriving for (a plain LRU would miss on every user of every pass).
    /// </summary>
    private bool _fanOut;

    /// <summary>Runs a fan-out over users (see <see cref="_fanOut"/>).</summary>
    public void FanOut(Action body)
    {
        var outer = _fanOut;
        _fanOut = true;
        try { body(); }
        finally { _fanOut = outer; }
    }

    /// <summary>
    /// Loads the user's stored events of the <paramref name="types"/> (WorkspaceVersion.TypeBit) its history does not hold yet,
    /// each type's in arrival order: the line of an event is its sequence number, and the history's table of each type is all
    /// that order matters to, so a type loaded later joins the others as if read with them.
    /// </summary>
    public UserHistory EnsureEvents(LiveUser user, ulong types)
    {
        var history = HistoryOf(user);
        var missing = types & ~user.TypesLoaded;
        if (missing == 0) return history;
        var validation = _version.Validation;
        var schema = _version.Model.Schema;
        var names = schema.Events.Where(t => (_version.TypeBit(t) & missing) != 0).Select(t => t.Name).ToList();
        // A store that reads every type for a long list hands over the others too: only the missing types join the history.
        _store.ForEachEventOf(user.Id, names, (seq, json) =>
        {
            if (validation.ParseEvent(json, out _) is { } e && (_version.TypeBit(e.Type) & missing) != 0)
                history.Add(e.Type, e.Values, seq);   // else the schema changed since, or a type loaded already
        });
        user.TypesLoaded |= missing;
        _cache.Resized(user);
        return history;
    }

    /// <summary>The one-user evaluator, pointed at <paramref name="user"/>'s history with the events <paramref name="expression"/> reads.</summary>
    private ConditionEvaluator EvaluatorOf(LiveUser user, BoundExpression expression) =>
        OneUserEvaluator(EnsureEvents(user, _version.TypesRead(expression)).Data);

    /// <summary>
    /// The evaluator of every one-user data set (users' histories), pointed at <paramref name="data"/>:
    /// an evaluator's context holds an array per computed symbol of the workspace and its compiled
    /// conditions' scratch, too much to make per user or per history that grew.
    /// </summary>
    private ConditionEvaluator OneUserEvaluator(DataSet data)
    {
        if (_oneUser is null) _oneUser = _version.NewEvaluator(data);
        else _oneUser.Rebind(data);
        return _oneUser;
    }

    /// <summary>
    /// The evaluator of a fan-out batch, pointed at <paramref name="data"/>: one per count of users, kept with the version. A new
    /// evaluator per batch of 64 users made an array per computed symbol of the workspace each time, an eighth of what a
    /// schedule's fan-out allocated. A batch lives for one slice, so no two batches of one size are in use at once.
    /// </summary>
    private ConditionEvaluator BatchEvaluator(DataSet data)
    {
        if (!_batchEvaluators.TryGetValue(data.UserCount, out var evaluator))
            return _batchEvaluators[data.UserCount] = _version.NewEvaluator(data);
        evaluator.Rebind(data);
        return evaluator;
    }

    /// <summary>
    /// The stored histories of <paramref name="users"/> as one data set, row u for users[u], read
    /// with one statement per chunk of users: a batch evaluates many users over columns, as `simulate` does.
    /// With <paramref name="types"/> (names), only events of those types: what the batch evaluates reads no other. Of those in
    /// <paramref name="timeOnly"/>, what it reads is only the events' times: they are read from the store's index (no row, no
    /// JSON) and come with every declared field null.
    /// </summary>
    public DataSet StoredHistories(IReadOnlyList<(string Id, object?[] Profile)> users, IReadOnlyList<string>? types = null,
        IReadOnlyList<string>? timeOnly = null)
    {
        // One list for every batch: grown by doubling per batch, it was 76 of the 2,149 MB a trace sampled in a latency part.
        var events = _storedEvents;
        var validation = _version.Validation;
        try
        {
            var ids = users.Select(u => u.Id).ToArray();
            if (types is not null && timeOnly is { Count: > 0 })
            {
                var schema = _version.Model.Schema;
                var symbols = timeOnly.Select(name => schema.FindEvent(name)!).ToArray();
                _store.ForEachEventTimeOf(ids, timeOnly, (u, seq, type, ts) =>
                {
                    var values = new object?[symbols[type].Fields.Length];
                    values[0] = ids[u];
                    values[1] = new DateTime(ts, DateTimeKind.Utc);
                    events.Add((u, symbols[type], values, seq));
                    FanOutEventTimesOnly++;
                });
                types = [.. types.Except(timeOnly, StringComparer.Ordinal)];
            }
            _store.ForEachEventOf(ids, types, (u, seq, json) =>
            {
                if (validation.ParseEvent(json, out _) is { } e) events.Add((u, e.Type, e.Values, seq));   // else the schema changed since
            });
            return UserHistory.Combine(_version.Model.Schema, users, events);
        }
        finally
        {
            events.Clear();
            if (events.Capacity > KeptStoredEvents) events.Capacity = KeptStoredEvents;   // after a rare large batch (profiles)
        }
    }

    private const int KeptStoredEvents = 1 << 16;

    private readonly List<(int User, EventTypeSymbol Type, object?[] Values, long Line)> _storedEvents = [];

    /// <summary>Tests: how many times a user's journey states were read from the store (one statement each).</summary>
    public long StateReads { get; private set; }

    /// <summary>
    /// The user's state in journey <paramref name="j"/> (read from the store once, then cached), or
    /// null. The machines change it in place: every change goes through <see cref="SetState"/>
    /// (the executor's Apply) in the same transaction, and a failed transaction empties the cache.
    /// </summary>
    public UserJourneyState? StateOf(LiveUser user, int j)
    {
        if (!user.StateLoaded[j]) LoadStates(user);
        if (user.StateLive[j] is { } live) return live;
        return user.StateParsed[j] is { } stored ? user.StateLive[j] = Restore(j, stored) : null;
    }

    /// <summary>
    /// Reads every journey state of the user not loaded yet with one statement: a user read back on a cache miss (most
    /// events at 200,000 users) is asked for the states of several journeys, most of them absent (a statement per journey
    /// was 0.94 statements per ingested event there). A state loaded before is kept: the machines may have changed it.
    /// </summary>
    private void LoadStates(LiveUser user)
    {
        StateReads++;
        var names = _version.JourneyNames;
        var stored = _store.StatesOfUser(user.Id, names);
        for (var j = 0; j < names.Length; j++)
        {
            if (user.StateLoaded[j]) continue;
            user.StateParsed[j] = ParseState(stored.GetValueOrDefault(names[j]));
            user.StateLoaded[j] = true;
        }
        _cache.Resized(user);
    }

    /// <summary>
    /// A stored state's JSON parsed at once: the cache keeps the parsed state (what <see cref="SetState"/> compares with),
    /// not its text too, one object fewer per user and journey for the collector.
    /// </summary>
    internal static StoredJourneyState? ParseState(string? json) =>
        json is null ? null : JsonSerializer.Deserialize(json, StoredStateJson.Default.StoredJourneyState);

    /// <summary>Writes the state when it differs from the stored one (an event that changes nothing costs no write).</summary>
    public void SetState(LiveUser user, int j, UserJourneyState state)
    {
        // Most transitions a schedule's fan-out or an event makes leave the state as it was (a
        // suppressed trigger, an event no wait is for): compared with the stored state field by
        // field, they cost no copy and no serialisation either. A state that differs is one whose JSON differs.
        if (user.StateLoaded[j] && user.StateParsed[j] is { } cached && SameState(cached, state))
        {
            user.StateLive[j] = state;
            return;
        }
        var saved = Save(state, user.StateParsed[j]);
        _store.SetStateJson(_version.Machines[j].Journey.Name, user.Id, JsonSerializer.Serialize(saved, StoredStateJson.Default.StoredJourneyState));
        user.StateParsed[j] = saved;
        user.StateLive[j] = state;
        user.StateLoaded[j] = true;
        _cache.Resized(user);
    }

    /// <summary>Whether <paramref name="state"/> would be stored as <paramref name="stored"/> (<see cref="Save"/> would give equal JSON).</summary>
    private static bool SameState(StoredJourneyState stored, UserJourneyState state)
    {
        if (stored.Active != state.Active || stored.Entries != state.Entries || stored.EntryAt != state.EntryAt
            || stored.HeldOut != state.HeldOut || stored.GoalUntil != state.GoalUntil || stored.Token != state.Token
            || stored.WaitStart != state.Wait?.Start || stored.WaitUntil != state.Wait?.Until || stored.WaitToken != state.Wait?.Token
            || stored.Position.Count != state.Position.Count || stored.Branches.Count != state.Branches.Count) return false;
        for (var i = 0; i < stored.Position.Count; i++)
            if (stored.Position[i] is not [var selector, var index] || selector != state.Position[i].Selector
                || index != state.Position[i].Index) return false;
        // Serialised in insertion order: equal JSON needs the same pairs in the same order.
        using var x = stored.Branches.GetEnumerator();
        using var y = state.Branches.GetEnumerator();
        while (x.MoveNext() && y.MoveNext())
            if (x.Current.Key != y.Current.Key || x.Current.Value != y.Current.Value) return false;
        return true;
    }

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
            var wait = _version.Paths[j].StepAt(s.Position) as BoundWait
                ?? throw new InvalidOperationException(
                    $"stored state of journey '{_version.Machines[j].Journey.Name}' waits at a step that is not a wait (the workspace changed?)");
            s.Wait = new PendingWait(start, until, wait.Until, wait.UntilWhere, token);
        }
        return s;
    }

    /// <summary>
    /// The state as stored, written over <paramref name="into"/> when the user has one (its cached stored state, no
    /// longer current): a new object per transition would be promoted with the cached user, and each write of one into
    /// an old user is a card the next collection scans.
    /// </summary>
    private static StoredJourneyState Save(UserJourneyState s, StoredJourneyState? into)
    {
        var saved = into ?? new StoredJourneyState();
        saved.Active = s.Active;
        saved.Entries = s.Entries;
        saved.EntryAt = s.EntryAt;
        saved.HeldOut = s.HeldOut;
        saved.GoalUntil = s.GoalUntil;
        saved.Token = s.Token;
        saved.WaitStart = s.Wait?.Start;
        saved.WaitUntil = s.Wait?.Until;
        saved.WaitToken = s.Wait?.Token;
        var position = saved.Position;
        for (var i = 0; i < s.Position.Count; i++)
        {
            var (selector, index) = (s.Position[i].Selector, s.Position[i].Index);
            if (i == position.Count) position.Add([selector, index]);
            else if (position[i] is { Length: 2 } frame) (frame[0], frame[1]) = (selector, index);
            else position[i] = [selector, index];
        }
        if (position.Count > s.Position.Count) position.RemoveRange(s.Position.Count, position.Count - s.Position.Count);
        // Cleared and filled in the live state's order: a dictionary enumerates entries added after Clear in that order.
        saved.Branches.Clear();
        foreach (var (name, branch) in s.Branches) saved.Branches[name] = branch;
        return saved;
    }

    /// <summary>The user's one-user data set, made on first need (most cached users only need their profile and states).</summary>
    private UserHistory HistoryOf(LiveUser user)
    {
        if (user.History is { } history) return history;
        user.History = history = new UserHistory(_version.Model.Schema, user.Id, user.Profile!, _version.Validation.SharedString);
        _cache.Resized(user);
        return history;
    }

    /// <summary>The user's time zone for quiet hours (<see cref="JourneyEnvironment"/>): UTC without a profile.</summary>
    public TimeZoneInfo ZoneOf(UserRef user)
    {
        var live = User(user.Id);
        if (live.Profile is null) return TimeZoneInfo.Utc;
        if (live.Zones is null)
        {
            live.Zones = new QuietZones(_version.Model.Schema, HistoryOf(live).Data);
            _cache.Resized(live);
        }
        return live.Zones.ZoneOf(new UserRef(0, user.Id));
    }

    /// <summary>Every tag, segment and segmentation of the user as of <paramref name="asOfUtc"/>, by the compiled engine over the
    /// user's stored events; null for an unknown user.</summary>
    public IReadOnlyDictionary<string, object?>? Tags(string user, DateTime asOfUtc)
    {
        var live = User(user);
        if (live.Profile is null) return null;
        var model = _version.Model;
        var result = CompiledEngine.Evaluate(CompiledEngine.PlanFor(model), EnsureEvents(live, _version.EveryType).Data, asOfUtc, null,
            _version.Scorer);
        return result.Columns.ToDictionary(c => c.Symbol.Name, c => c.Get(0), StringComparer.Ordinal);
    }

    private sealed class LiveConditions(UserStates users) : IJourneyConditions
    {
        public IReadOnlyList<object?>? List(BoundExpression list, UserRef user, long atTicks)
        {
            var live = users.User(user.Id);
            if (live.Profile is null) return null;
            return users.BatchRowOf(live, list) is var (batch, row)
                ? batch.List(list, row, atTicks)
                : users.EvaluatorOf(live, list).List(list, 0, atTicks);
        }

        public bool Evaluate(BoundExpression condition, UserRef user, long atTicks)
        {
            var live = users.User(user.Id);
            if (live.Profile is null) return false;
            return users.BatchRowOf(live, condition) is var (batch, row)
                ? batch.Evaluate(condition, row, atTicks)
                : users.EvaluatorOf(live, condition).Evaluate(condition, 0, atTicks);
        }

        public bool Matches(BoundExpression where, UserRef user, JourneyEvent e)
        {
            var live = users.User(user.Id);
            if (live.Profile is null) return false;
            var current = users.Current;
            // A `where:` sees only the event's own fields, now() and literals (LANGUAGE.md §6), so
            // the event being handled needs no history: reading a user's stored events costs about
            // a millisecond (a cold index seek in the store), most events' predicates are false, and an
            // audience that does need them still loads them.
            var typeBit = users._version.TypeBit(e.Type);
            if (e.Row < 0 && !live.HasLoaded(typeBit) && ReferenceEquals(current.User, live) && current.Values is { } values)
            {
                // Most events are of a type few conditions read (views): their `where:` runs over a scratch history of
                // the event alone, made once, not a history per event.
                var alone = users._whereScratch ??= new UserHistory(users._version.Model.Schema, "",
                    new object?[users._version.Model.Schema.ProfileFields.Length]);
                alone.Clear();
                var aloneRow = alone.Add(e.Type, values, current.Seq);
                return users.OneUserEvaluator(alone.Data).Matches(e.Type, where, 0, aloneRow, e.Ts);
            }
            var evaluator = users.OneUserEvaluator(users.EnsureEvents(live, users._version.TypesRead(where) | typeBit).Data);
            // The event being handled got no row when the user's events were not loaded yet: find it now.
            var row = e.Row >= 0 ? e.Row : ReferenceEquals(current.User, live) ? live.History!.RowOf(e.Type, current.Seq) : -1;
            return row >= 0 && evaluator.Matches(e.Type, where, 0, row, e.Ts);
        }
    }
}
