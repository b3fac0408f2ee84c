using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Journeys;

namespace MarketingDsl.Runtime;

/// <summary>
/// Schedule and `enters`/`leaves segment` triggers live (LANGUAGE.md §15.7), with replay's
/// outcome: a schedule fires for every user with a profile at each of its instants; a segment's
/// membership changes are noticed after the user's events and at each 00:00 in the workspace
/// zone, and a change fires the journeys that trigger on it. Both are stored timers (kinds
/// `schedule`, `segment_check`), so they fire like waits: when an event with a later `ts` arrives
/// or the wall clock reaches due + grace, and they survive restarts.
/// Incrementally, not by re-evaluating every segment of every user: after an event only the
/// segments that read its type (<see cref="SegmentInputs"/>) are evaluated; the 00:00 check
/// visits only the users in the due index whose next possible change by time alone
/// (<see cref="SegmentInputs.NextChange"/>: a window edge, a late event entering the view) has
/// come. Replay evaluates everything at the same instants; a segment whose inputs did not change
/// has the same value, so both see the same changes at the same instants.
/// A batch of profiles evaluates its new users' first memberships together (<see cref="RunFirstChecks"/>).
/// Timer work is done in slices of <see cref="LiveOptions.TimerSlice"/> per transaction.
/// </summary>
internal sealed partial class JourneyExecutor
{
    /// <summary>
    /// The instant from which newly added triggers run (replay's start F): the clock (the latest
    /// event) once there is one; in a store without events yet, the wall clock. Not the wall clock
    /// less grace: a long grace would start schedules far in the past and fire every instant since.
    /// </summary>
    private long ArmInstant() => _store.Counter("clock") is > 0 and var clock ? clock : _options.Clock.GetUtcNow().UtcTicks;

    private SegmentInputs[] Tracked => _version.Tracked;

    private long _segmentEvaluations;

    /// <summary>How many segment memberships were evaluated since the start (tests show the incremental path by it).</summary>
    public long SegmentEvaluations => _segmentEvaluations;

    // ------------------------------------------------------------------ arming

    /// <summary>
    /// Brings the stored trigger timers and segment tracking in line with the current journeys (at
    /// start and after a reload; runs in a transaction): a schedule keeps its pending instant (and
    /// how far its fan-out got) while its trigger is unchanged, a new or changed schedule starts at
    /// <see cref="ArmInstant"/>; membership of a newly tracked segment is established for every
    /// user as of that instant without firing (replay: as of F), and so is every user's next due
    /// re-check; a segment no longer tracked is forgotten.
    /// </summary>
    public void ArmTriggers()
    {
        var start = ArmInstant();
        var zone = _version.Zone;
        var pending = _store.TimersOfKind(LiveStore.ScheduleTimer).ToDictionary(t => t.Journey, StringComparer.Ordinal);
        for (var j = 0; j < _version.Machines.Length; j++)
        {
            var trigger = _version.Machines[j].Journey.Trigger!;
            if (trigger is not (BoundCalendarTrigger or BoundIntervalTrigger)) continue;
            var signature = trigger.ToString();
            var same = pending.Remove(_version.Machines[j].Journey.Name, out var kept) && kept.Path == signature;
            var due = same ? kept!.Due : Schedules.Next(trigger, start, zone);
            if (kept is not null) _store.DeleteTimer(kept.Id);
            if (due is { } d)
                _store.AddTimer(d, LiveStore.ScheduleTimer, _version.Machines[j].Journey.Name, user: same ? kept!.User : "", token: j,
                    path: signature);
        }
        foreach (var stale in pending.Values) _store.DeleteTimer(stale.Id);

        var tracked = Tracked;
        var armed = _store.Armed();
        foreach (var name in armed.Where(a => tracked.All(s => s.Segment.Name != a))) _store.Disarm(name);
        var fresh = tracked.Where(s => !armed.Contains(s.Segment.Name)).ToList();
        // Dues are computed for every user when a segment starts being tracked (its due joins the
        // others), and once in a store that tracked segments before it had a due index.
        var rebuild = tracked.Length > 0 && (fresh.Count > 0 || _store.Counter(DueIndexBuilt) == 0);
        if (rebuild)
        {
            _store.ClearSegmentDues();
            _users.FanOut(() =>
            {
                for (var page = _store.ProfileIdsAfter("", ProfilePage); page.Count > 0; page = _store.ProfileIdsAfter(page[^1], ProfilePage))
                    foreach (var user in page)
                    {
                        var live = _users.User(user);
                        if (live.Profile is null) continue;
                        foreach (var segment in fresh)
                            _store.SetMembership(segment.Segment.Name, user,
                                _env.Conditions.Evaluate(segment.Condition, new UserRef(0, user), start));
                        live.Members = null;
                        live.MembersAt = null;
                        _store.SetSegmentDue(user, live.Due = NextSegmentChange(live, start));
                    }
            });
            foreach (var segment in fresh) _store.Arm(segment.Segment.Name);
            _store.SetCounter(DueIndexBuilt, 1);
        }
        else if (tracked.Length == 0) _store.SetCounter(DueIndexBuilt, 0);
        var checks = _store.TimersOfKind(LiveStore.SegmentCheckTimer);
        if (tracked.Length == 0) foreach (var t in checks) _store.DeleteTimer(t.Id);
        else if (checks.Count == 0) _store.AddTimer(Schedules.NextMidnight(start, zone), LiveStore.SegmentCheckTimer, "");
    }

    private const string DueIndexBuilt = "segment_due_index";

    // ------------------------------------------------------------------ schedules

    /// <summary>The most users a fan-out or a rebuild of the due index reads per query.</summary>
    private const int ProfilePage = 1_000;

    /// <summary>
    /// A fan-out's slice: pages of users read by <paramref name="read"/> (at most the count it is given: one more than the units
    /// left, as the timer's own unit paid for the first user, so a firing always makes progress), each user handed to
    /// <paramref name="reach"/> (the page and the user's place in it) while the slice lasts. True when the slice ran out before
    /// the users did; a page shorter than asked for was the last.
    /// </summary>
    private bool ReachInPages<T>(Func<int, List<T>> read, Action<List<T>, int> reach)
    {
        for (var first = true; ;)
        {
            var asked = (int)Math.Min(_budget.Left + 1L, ProfilePage);
            var page = read(asked);
            for (var i = 0; i < page.Count; i++, first = false)
            {
                if (!first && !_budget.Take()) return true;
                reach(page, i);
            }
            if (page.Count < asked) return false;
        }
    }

    /// <summary>The state a schedule's firing gives a user without one (never changed by a firing that lets nobody in).</summary>
    private UserJourneyState? _blankState;

    /// <summary>
    /// A schedule instant: the trigger fires for every user with a profile, in code point order; a
    /// used-up slice leaves the timer at the same instant with the last user reached (its `user`),
    /// and the next slice continues after it. Once every user is reached, the next instant is set.
    /// </summary>
    private void FireSchedule(int j, long t, string after) => _users.FanOut(() =>
    {
        try { FireScheduleSlice(j, t, after); }
        finally { _users.EndFanOutBatch(); }
    });

    private void FireScheduleSlice(int j, long t, string after)
    {
        var machine = _version.Machines[j];
        // Users by the profiles' key, after the last one reached.
        var more = ReachInPages(asked => _store.ProfileIdsAfter(after, asked), (ids, i) =>
        {
            var user = ids[i];
            if (_users.NeedsFanOutBatch(j, user)) _users.MakeFanOutBatch(ids, i, j, t, room: _budget.Left + 1);
            after = user;
            if (_users.User(user) is not { Profile: not null } live) return;
            var stored = _users.StateOf(live, j);
            // Most users a schedule reaches were never in the journey and are not let in: they share
            // one blank state, which a suppressed trigger leaves as it was; a user who enters keeps it.
            var state = stored ?? (_blankState ??= new UserJourneyState());
            machine.OnTrigger(state, new UserRef(0, user), t, _env, _actions);
            // A firing that entered nobody new leaves no state behind for users never in the journey.
            var entered = stored is null && state.Entries > 0;
            if (entered) _blankState = null;
            Apply(j, user, stored is null && !entered ? null : state, null);
        });
        var signature = machine.Journey.Trigger!.ToString();
        if (more) _store.AddTimer(t, LiveStore.ScheduleTimer, machine.Journey.Name, user: after, token: j, path: signature);
        else if (Schedules.Next(machine.Journey.Trigger!, t, _version.Zone) is { } next)
            _store.AddTimer(next, LiveStore.ScheduleTimer, machine.Journey.Name, token: j, path: signature);
    }

    // ------------------------------------------------------------------ segments

    // The due index: per user, the earliest instant at which a tracked segment can change by time
    // alone; stored (LiveStore.SegmentDue.cs), where the 00:00 check finds the users whose due has
    // come by its index on the instant. A cached user holds its own (LiveUser.Due) for the check after each event.

    private long DueOf(LiveUser live) => live.Due != LiveUser.DueUnknown ? live.Due : live.Due = _store.SegmentDueOf(live.Id);

    private void SetDue(LiveUser live, long due)
    {
        if (DueOf(live) == due) return;
        live.Due = due;
        _store.SetSegmentDue(live.Id, due);
    }

    /// <summary>The earliest instant after <paramref name="t"/> at which one of the user's tracked segments can change by time alone.</summary>
    /// <remarks>The user's data is <paramref name="data"/>'s user <paramref name="index"/> when given, else its own history.</remarks>
    private long NextSegmentChange(LiveUser live, long t, DataSet? data = null, int index = 0)
    {
        var next = long.MaxValue;
        var tracked = Tracked;
        for (var s = 0; s < tracked.Length; s++)
        {
            if (tracked[s].ReadsClock) return t + 1;
            if (tracked[s].Events.Count == 0) continue;
            next = Math.Min(next, tracked[s].NextChange(data ?? _users.EnsureEvents(live, _version.TrackedMasks[s]).Data, index, t));
        }
        return next;
    }

    /// <summary>
    /// The daily segment check at 00:00 in the workspace zone: the users whose due has come, in
    /// (due, user) order, in slices; then the next midnight.
    /// </summary>
    private void FireSegmentCheck(StoredTimer timer) => _users.FanOut(() => FireSegmentCheckSlice(timer));

    /// <summary>
    /// A slice of the check at the timer's instant: pages of the due index from where the last slice stopped (the timer's user and,
    /// in its entry field, that user's due), one more than the units left. A user the check reaches gets a due after the instant,
    /// so it leaves the range; the cursor keeps a user whose due does not move from being reached twice. A user whose due comes
    /// before the cursor while the check runs waits for the next midnight.
    /// </summary>
    private void FireSegmentCheckSlice(StoredTimer timer)
    {
        var t = timer.Due;
        if (Tracked.Length == 0) return;
        (long Due, string User)? cursor = timer.User.Length > 0 ? (timer.EntryAt, timer.User) : null;
        var more = ReachInPages(asked => _store.UsersDueBy(t, cursor, asked), (due, i) =>
        {
            cursor = (due[i].Due, due[i].User);
            CheckSegments(due[i].User, t, cause: null);
        });
        if (more) _store.AddTimer(t, LiveStore.SegmentCheckTimer, "", user: cursor!.Value.User, entryAt: cursor.Value.Due);
        else _store.AddTimer(Schedules.NextMidnight(t, _version.Zone), LiveStore.SegmentCheckTimer, "");
    }

    /// <summary>
    /// The user's last evaluated membership of each tracked segment (null: not evaluated yet), read
    /// from the store once per cached user.
    /// </summary>
    private bool?[] MembersOf(LiveUser live)
    {
        if (live.Members is { } members) return members;
        var tracked = Tracked;
        live.Members = members = new bool?[tracked.Length];
        live.MembersAt = new long[tracked.Length];
        Array.Fill(live.MembersAt, long.MinValue);
        for (var s = 0; s < tracked.Length; s++) members[s] = _store.Membership(tracked[s].Segment.Name, live.Id);
        return members;
    }

    /// <summary>
    /// Re-evaluates the user's membership of the tracked segments as of <paramref name="t"/> that
    /// can have changed since their last evaluation: every one when <paramref name="all"/> (a
    /// profile change); else those that read <paramref name="cause"/>'s type (an event) and those
    /// whose next change by time alone has come — known per segment while the user is cached,
    /// else bounded by the user's due. A change fires the journeys triggered by entering
    /// (false → true) or leaving (true → false) it, in declaration order. A user's first
    /// evaluation only establishes membership. Then the user's due is set anew.
    /// </summary>
    private void CheckSegments(string user, long t, EventTypeSymbol? cause, bool all = false)
    {
        var tracked = Tracked;
        if (tracked.Length == 0) return;
        var live = _users.User(user);
        if (live.Profile is null) { SetDue(live, long.MaxValue); return; }
        var userDue = DueOf(live);
        var members = MembersOf(live);
        var at = live.MembersAt!;
        var userRef = new UserRef(0, user);
        var evaluated = false;
        for (var s = 0; s < tracked.Length; s++)
        {
            var segment = tracked[s].Segment;
            var due = all || (cause is not null && tracked[s].Reads(cause))
                || (at[s] == long.MinValue
                    ? userDue <= t
                    : tracked[s].NextChange(_users.EnsureEvents(live, _version.TrackedMasks[s]).Data, 0, at[s]) <= t);
            if (!due) continue;
            evaluated = true;
            _segmentEvaluations++;
            var now = _env.Conditions.Evaluate(tracked[s].Condition, userRef, t);
            at[s] = t;
            var before = members[s];
            if (before == now) continue;
            _store.SetMembership(segment.Name, user, now);
            members[s] = now;
            if (before is null) continue;
            for (var j = 0; j < _version.Machines.Length; j++)
            {
                if (_version.Machines[j].Journey.Trigger is not BoundSegmentTrigger trigger || !ReferenceEquals(trigger.Segment, segment)
                    || trigger.Enters != now) continue;
                var state = _users.StateOf(live, j) ?? new UserJourneyState();
                _version.Machines[j].OnTrigger(state, userRef, t, _env, _actions);
                Apply(j, user, state, null);
            }
        }
        if (evaluated || userDue <= t)
        {
            // The journeys fired above may have let the user go from the cache: the cached one now.
            live = _users.User(user);
            SetDue(live, NextSegmentChange(live, t));
        }
    }

    /// <summary>
    /// A new or changed profile: a new user's membership is established as of the clock (the wall
    /// clock while the store holds no event, never year 1; no firing, as for every user at the start
    /// of replay); a changed profile is a change of the user's data like an event, so membership is
    /// re-evaluated as of the clock and may fire.
    /// </summary>
    public void OnProfileStored(string user)
    {
        var tracked = Tracked;
        if (tracked.Length == 0) return;
        var live = _users.User(user);
        // A user's first evaluation fires nothing: within a batch of profiles it waits and runs
        // with the batch's other first evaluations (RunFirstChecks).
        if (_firstChecks is not null && live.Profile is not null && MembersOf(live).All(m => m is null))
        {
            _firstChecks[user] = ArmInstant();
            return;
        }
        CheckSegments(user, ArmInstant(), cause: null, all: true);
    }

    /// <summary>
    /// The users of the profile batch being ingested whose first segment evaluation waits, with
    /// its instant (null: no batch). Such an evaluation only writes the user's own memberships
    /// and due, which nothing else in the batch reads, so it can run at the batch's end — unless
    /// the batch changes the user again (another profile, a merge): then it runs just before.
    /// </summary>
    private Dictionary<string, long>? _firstChecks;

    /// <summary>A batch of profiles begins: users' first evaluations wait for its end (<see cref="RunFirstChecks"/>).</summary>
    public void BeginProfileBatch() => _firstChecks = [];

    /// <summary>Runs <paramref name="user"/>'s waiting first evaluation now (the batch is about to change its data).</summary>
    public void RunFirstCheck(string user)
    {
        if (_firstChecks is null || !_firstChecks.Remove(user, out var t)) return;
        CheckSegments(user, t, cause: null, all: true);
    }

    /// <summary>
    /// The batch's waiting first evaluations, together: one data set of their users' profiles and
    /// events and one evaluator (the engine evaluates many users over columnar data, as `simulate`
    /// does), with the memberships and dues <see cref="CheckSegments"/> would give each alone.
    /// </summary>
    public void RunFirstChecks()
    {
        var waiting = _firstChecks;
        _firstChecks = null;
        if (waiting is null || waiting.Count == 0) return;
        var tracked = Tracked;
        var ids = waiting.Keys.Order(CodePointComparer.Instance).ToList();
        var lives = ids.Select(_users.User).ToArray();
        var data = _users.StoredHistories([.. lives.Select(l => (l.Id, l.Profile!))]);
        var evaluator = _version.NewEvaluator(data);
        for (var u = 0; u < ids.Count; u++)
        {
            var live = lives[u];
            var t = waiting[live.Id];
            // The cache may have let the user go meanwhile: MembersOf reads the (still empty) memberships again.
            var members = MembersOf(live);
            var at = live.MembersAt!;
            for (var s = 0; s < tracked.Length; s++)
            {
                _segmentEvaluations++;
                var now = evaluator.Evaluate(tracked[s].Condition, u, t);
                at[s] = t;
                _store.SetMembership(tracked[s].Segment.Name, live.Id, now);
                members[s] = now;
            }
            SetDue(live, NextSegmentChange(live, t, data, u));
        }
    }
}
