using JsonSerializer = System.Text.Json.JsonSerializer;
using LiteDB;

namespace MarketingDsl.Runtime;

/// <summary>
/// Journey states, written behind. A state change is durable with the commit that made it: the
/// commit appends every state it changed to its commit record, or to one `state_log` document
/// when it has no events (sequential pages either way). The
/// `journey_states` collection (one document per journey and user, a random page each) is
/// written later and coalesced: a state changed fifty times between two writes is written
/// once. Until then the changed state is read from memory. A commit writes the states that have
/// waited longest when more than <see cref="DefaultDirtyStatesBound"/> wait or the oldest waited more
/// than <see cref="DefaultMaxStateLag"/> state-log documents (which bounds what a restart replays), then
/// moves the watermark `states_from` and deletes the state-log documents before it. On open
/// the state-log documents from the watermark on are replayed into memory, last change wins.
/// </summary>
public sealed partial class LiveStore
{
    public const int DefaultDirtyStatesBound = 50_000;
    public const int DefaultMaxStateLag = 2_000;
    private readonly int _dirtyStatesBound;
    private readonly int _maxStateLag;

    private ILiteCollection<BsonDocument> States => _db.GetCollection("journey_states");
    private ILiteCollection<BsonDocument> StateLog => _db.GetCollection("state_log");

    private readonly Lock _statesGate = new();
    /// <summary>Changed states not yet in `journey_states`: key → (the state-log document of its first unwritten change, JSON).</summary>
    private readonly Dictionary<string, (long Since, string Json)> _dirtyStates = new(StringComparer.Ordinal);
    /// <summary>The dirty keys by the state-log document of their first unwritten change: the head has waited longest.</summary>
    private readonly SortedSet<(long Since, string Key)> _dirtyOrder = new(Comparer<(long Since, string Key)>.Create(
        (a, b) => a.Since != b.Since ? a.Since.CompareTo(b.Since) : string.CompareOrdinal(a.Key, b.Key)));
    /// <summary>States set in the open transaction (last write wins).</summary>
    private readonly Dictionary<string, string> _txnStates = new(StringComparer.Ordinal);
    /// <summary>Keys the open transaction's commit writes into `journey_states`.</summary>
    private readonly HashSet<string> _statesWrittenInCommit = new(StringComparer.Ordinal);
    private long _stateLogSeq;

    private static string StateKey(string journey, string user) => journey + "\u001F" + user;

    private void OpenStates()
    {
        _stateLogSeq = Counter("state_log_seq");
        var from = Counter("states_from");
        // State-log entries live in `state_log` documents (commits without events) and in commit
        // records (OpenEvents collected those): replayed together in log order.
        var entries = _recoveredStates;
        entries.AddRange(StateLog.Find(BsonExpression.Create("_id >= @0", from)).Select(d => (d["_id"].AsInt64, d["s"].AsArray)));
        entries.Sort((a, b) => a.LogSeq.CompareTo(b.LogSeq));
        foreach (var (since, changes) in entries)
            foreach (var change in changes) MarkDirty(change.AsArray[0].AsString, change.AsArray[1].AsString, since);
        entries.Clear();
    }

    private void MarkDirty(string key, string json, long since)
    {
        if (_dirtyStates.TryGetValue(key, out var dirty)) since = dirty.Since;
        else _dirtyOrder.Add((since, key));
        _dirtyStates[key] = (since, json);
    }

    public StoredJourneyState? State(string journey, string user) =>
        StateJson(journey, user) is { } json ? JsonSerializer.Deserialize<StoredJourneyState>(json) : null;

    public void SetState(string journey, string user, StoredJourneyState state) => SetStateJson(journey, user, JsonSerializer.Serialize(state));

    /// <summary>A user's journey state as stored (JSON), or null.</summary>
    public string? StateJson(string journey, string user)
    {
        var key = StateKey(journey, user);
        if (_txnStates.TryGetValue(key, out var own)) return own;
        lock (_statesGate) if (_dirtyStates.TryGetValue(key, out var dirty)) return dirty.Json;
        return States.FindById(key)?["json"].AsString;
    }

    /// <summary>Sets a state in the open transaction (written to the state log by <see cref="Commit"/>).</summary>
    public void SetStateJson(string journey, string user, string json)
    {
        lock (_memo)
            if (_transactionThread != Environment.CurrentManagedThreadId) throw new InvalidOperationException("journey states are set inside a transaction");
        _txnStates[StateKey(journey, user)] = json;
    }

    /// <summary>Every stored journey state: (journey, user, state).</summary>
    public List<(string Journey, string User, StoredJourneyState State)> AllStates()
    {
        var all = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var d in States.FindAll()) all[d["_id"].AsString] = d["json"].AsString;
        lock (_statesGate) foreach (var (key, dirty) in _dirtyStates) all[key] = dirty.Json;
        foreach (var (key, json) in _txnStates) all[key] = json;
        return [.. all.Select(p =>
        {
            var cut = p.Key.IndexOf('\u001F', StringComparison.Ordinal);
            return (p.Key[..cut], p.Key[(cut + 1)..], JsonSerializer.Deserialize<StoredJourneyState>(p.Value)!);
        })];
    }

    public int ActiveStates() => AllStates().Count(s => s.State.Active);

    /// <summary>
    /// Inside <see cref="Commit"/>: the transaction's state changes as one state-log document;
    /// the states that waited longest into `journey_states` when the bounds say so; the watermark.
    /// </summary>
    private void WritePendingStates()
    {
        long logSeq = 0;
        if (_txnStates.Count > 0)
        {
            logSeq = _stateLogSeq + 1;
            var changes = new BsonArray(_txnStates.Select(p => (BsonValue)new BsonArray { p.Key, p.Value }));
            if (_record is not null)
            {
                _record["sl"] = logSeq;
                _record["s"] = changes;
            }
            else StateLog.Insert(new BsonDocument { ["_id"] = logSeq, ["s"] = changes });
            SetCounter("state_log_seq", logSeq);
        }
        var current = Math.Max(logSeq, _stateLogSeq);
        long? watermark;
        lock (_statesGate)
        {
            var over = _dirtyStates.Count + _txnStates.Keys.Count(k => !_dirtyStates.ContainsKey(k)) - _dirtyStatesBound;
            foreach (var (since, key) in _dirtyOrder)
            {
                if (over <= 0 && since >= current - _maxStateLag) break;
                // A key the transaction changed again is written with its newest value.
                var json = _txnStates.TryGetValue(key, out var newer) ? newer : _dirtyStates[key].Json;
                States.Upsert(new BsonDocument { ["_id"] = key, ["json"] = json });
                _statesWrittenInCommit.Add(key);
                over--;
            }
            if (_statesWrittenInCommit.Count == 0) return;
            watermark = _dirtyOrder.Skip(_statesWrittenInCommit.Count).Select(d => (long?)d.Since).FirstOrDefault();
        }
        // Changes of this transaction to keys just written stay dirty (their document in the log is logSeq).
        var from = Math.Min(watermark ?? long.MaxValue, logSeq > 0 ? logSeq : current + 1);
        SetCounter("states_from", from);
        StateLog.DeleteMany(BsonExpression.Create("_id < @0", from));
    }

    /// <summary>After the commit: written states leave memory, the transaction's changes become dirty.</summary>
    private void StatesCommitted()
    {
        lock (_statesGate)
        {
            foreach (var key in _statesWrittenInCommit)
                if (_dirtyStates.Remove(key, out var dirty)) _dirtyOrder.Remove((dirty.Since, key));
            if (_txnStates.Count > 0)
            {
                _stateLogSeq++;
                foreach (var (key, json) in _txnStates)
                    // A key written just now from this transaction's value is clean.
                    if (!_statesWrittenInCommit.Contains(key)) MarkDirty(key, json, _stateLogSeq);
            }
        }
        ForgetPendingStates();
    }

    private void ForgetPendingStates()
    {
        _txnStates.Clear();
        _statesWrittenInCommit.Clear();
    }

    /// <summary>How many changed journey states wait in memory for `journey_states`.</summary>
    public int DirtyStates { get { lock (_statesGate) return _dirtyStates.Count; } }
}
