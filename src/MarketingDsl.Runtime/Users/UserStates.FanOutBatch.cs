using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Journeys;

namespace MarketingDsl.Runtime;

/// <summary>
/// A schedule's fan-out over users the cache has no room for: rather than reading each user's
/// profile, state and events with statements of their own, building a history and an evaluator
/// per user and pushing them through the cache (where the next user of the pass evicts them), the
/// next users of the pass are read together (LiveStore.Batches.cs) and the audience is evaluated
/// over one data set of them all with one evaluator (<see cref="UserHistory.Combine"/>, as a batch
/// of new profiles is). The data set holds each user's stored events of the types the journey's
/// expressions read (<see cref="WorkspaceVersion.ReadTypes"/>: a daily audience over logins and
/// orders skips the views that are most of a history, found by the index on (user, type, ts) without
/// reading their rows) as their own history would, so every condition the firing evaluates has
/// the value it has for the user alone. The batch lives for one slice of the fan-out, which
/// changes no event: its users stay out of the cache.
/// </summary>
internal sealed partial class UserStates
{
    private sealed class FanOutBatch(Dictionary<string, LiveUser> users, Dictionary<string, int> rows, ConditionEvaluator? evaluator,
        ulong timeOnly)
    {
        /// <summary>The batch's users not in the cache (a cached user stays the cache's, so its state has one copy).</summary>
        public Dictionary<string, LiveUser> Users { get; } = users;
        /// <summary>Users whose audience the batch evaluates, by their row in the data set.</summary>
        public Dictionary<string, int> Rows { get; } = rows;
        public ConditionEvaluator? Evaluator { get; } = evaluator;
        /// <summary>The event types of which the data set holds only the times (a mask): what reads their fields is not evaluated over it.</summary>
        public ulong TimeOnly { get; } = timeOnly;
        /// <summary>The users of the pass the batch was made for (the next batch starts after the last).</summary>
        public HashSet<string> Covered { get; } = new(StringComparer.Ordinal);
    }

    private FanOutBatch? _fanOutBatch;

    /// <summary>The state of a user not in a journey, for reading only (JourneyMachine.ReachesAudience): one, not one per user of a pass.</summary>
    private static readonly UserJourneyState NoState = new();

    /// <summary>Tests: users of a fan-out per batch (0: every user alone, through the cache).</summary>
    public int FanOutBatchSize { get; set; } = LiveStore.UsersPerRead;

    /// <summary>Tests and the load benchmark: users whose audience a fan-out evaluated in a batch.</summary>
    public long FanOutBatchUsers { get; private set; }

    /// <summary>Tests and the load benchmark: events a batch read as their time alone, from the store's index
    /// (<see cref="WorkspaceVersion.ReadTimeOnlyTypes"/>).</summary>
    public long FanOutEventTimesOnly { get; private set; }

    /// <summary>Whether the fan-out of journey <paramref name="j"/> reads <paramref name="user"/> in a batch: the audience needs their
    /// events, which are not loaded, and the cache is full.</summary>
    public bool NeedsFanOutBatch(int j, string user) =>
        FanOutBatchSize > 0 && _version.Machines[j].Journey.Audience is not null && _fanOutBatch?.Covered.Contains(user) != true
        && _cache.IsFull && !(_cache.Peek(user) is { } cached && cached.HasLoaded(_version.ReadMasks[j]));

    /// <summary>
    /// Makes the batch of <paramref name="ids"/>[<paramref name="from"/>…] (at most
    /// <see cref="FanOutBatchSize"/> users, no more than <paramref name="room"/>, what the slice has
    /// room for) for a firing of journey <paramref name="j"/> at <paramref name="t"/>: profiles and
    /// states of the users not cached, then events of those the firing will evaluate the audience of.
    /// </summary>
    public void MakeFanOutBatch(List<string> ids, int from, int j, long t, int room)
    {
        _fanOutBatch = null;
        var machine = _version.Machines[j];
        var count = Math.Min(Math.Min(FanOutBatchSize, ids.Count - from), Math.Max(1, room));
        var pass = ids.GetRange(from, count);
        var users = new Dictionary<string, LiveUser>(StringComparer.Ordinal);
        var uncached = pass.Where(id => _cache.Peek(id) is null).ToList();
        var validation = _version.Validation;
        var profiles = new Dictionary<string, object?[]?>(StringComparer.Ordinal);
        _store.ForEachProfileOf(uncached, (id, json) => profiles[id] = validation.ParseProfile(json, out _, out _));
        var states = _store.StatesOf(machine.Journey.Name, uncached);
        foreach (var id in uncached)
        {
            var live = users[id] = new LiveUser(id, profiles.GetValueOrDefault(id), _version.Machines.Length);
            live.StateParsed[j] = ParseState(states.GetValueOrDefault(id));
            live.StateLoaded[j] = true;
        }
        _fanOutBatch = new FanOutBatch(users, new Dictionary<string, int>(StringComparer.Ordinal), null, 0);
        // Only users the firing will evaluate: not in the journey, and re-entry allows them.
        var evaluated = pass.Where(id => User(id) is { Profile: not null } live && !live.HasLoaded(_version.ReadMasks[j])
                && machine.ReachesAudience(StateOf(live, j) ?? NoState, t))
            .Order(CodePointComparer.Instance).ToList();
        var rows = new Dictionary<string, int>(StringComparer.Ordinal);
        ConditionEvaluator? evaluator = null;
        if (evaluated.Count > 0)
        {
            for (var u = 0; u < evaluated.Count; u++) rows[evaluated[u]] = u;
            evaluator = BatchEvaluator(StoredHistories([.. evaluated.Select(id => (id, User(id).Profile!))], _version.ReadTypes[j],
                _version.ReadTimeOnlyTypes[j]));
            FanOutBatchUsers += evaluated.Count;
        }
        _fanOutBatch = new FanOutBatch(users, rows, evaluator, _version.ReadTimeOnlyMasks[j]);
        _fanOutBatch.Covered.UnionWith(pass);
    }

    /// <summary>The fan-out the batch was made for has ended (its slice): its users are read through the cache again.</summary>
    public void EndFanOutBatch() => _fanOutBatch = null;

    /// <summary>
    /// The evaluator and row of <paramref name="live"/> in the current fan-out batch for <paramref name="expression"/>, when it is
    /// there: a user is there when its own history lacked a type the journey reads, and the batch holds every such type of the
    /// user's stored events (a slice stores no event, so the two would give the same values); of the types the audience reads
    /// no field of, only their times, so an expression that reads such a field (a step's condition over the few users let in)
    /// is evaluated over the user's own history instead.
    /// </summary>
    private (ConditionEvaluator Evaluator, int Row)? BatchRowOf(LiveUser live, BoundExpression expression) =>
        _fanOutBatch is { Evaluator: { } evaluator } batch && batch.Rows.TryGetValue(live.Id, out var row)
        && (batch.TimeOnly == 0 || (_version.FieldsRead(expression) & batch.TimeOnly) == 0) ? (evaluator, row) : null;
}
