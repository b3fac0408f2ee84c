using LiteDB;

namespace MarketingDsl.Runtime;

/// <summary>
/// The stored events: an append-only log in LiteDB plus per-user index documents, with an
/// in-memory directory of event ids (the design of Bitcask's key directory).
///
/// Why not one document per event: a LiteDB commit writes every page it dirtied, and an event
/// document with a random `_id` (type + id) and a `user` index dirtied about two random 8 KB
/// pages per event; a group commit of 800 events wrote megabytes and most of the ingest CPU was
/// LiteDB writing pages (profiled). Now a commit inserts ONE `event_log` record holding all its
/// events (a few sequential pages: measured 1–6 µs per event against 40–180 µs for a document
/// each) and also its journey-state changes, delivery marks and counters (LiveStore.Commit), in
/// the same transaction as the outbox actions the events caused, so an acknowledged event and its
/// consequences are durable together as before.
///
/// Reads: the dedupe check asks a directory of event ids (<see cref="KeyDirectory"/>): the most
/// recent exactly in memory (a 64-bit hash → sequence number, verified against the log on a hit,
/// so a hash collision never drops an event), older ones as sorted runs in LiteDB behind 2 bytes
/// of a Bloom filter each.
/// A user's history is its `user_events` documents plus its events not
/// yet indexed, kept in memory: at most <see cref="DefaultIndexBuffer"/> of them. When a commit
/// takes the buffer past that, the same commit writes the users who have waited longest (first
/// unindexed event oldest), one document per user with all its buffered events, so a document
/// holds about buffer ÷ active users events and a random index page is written per document,
/// not per event. Everything happens in the ingest transaction (LiteDB 5 corrupts pages under
/// concurrent write transactions, litedb-org/LiteDB#1503), and memory changes only after it
/// commits. On open the directory and the buffer are rebuilt from the log: the events from the
/// stored watermark on (the oldest buffered event at the last commit) whose user's last index
/// document does not already hold them.
/// </summary>
public sealed partial class LiveStore
{
    /// <summary>How many committed events may wait in memory for the per-user index (by default).</summary>
    public const int DefaultIndexBuffer = 100_000;
    private readonly int _indexBuffer;

    private ILiteCollection<BsonDocument> EventLog => _db.GetCollection("event_log");
    private ILiteCollection<BsonDocument> UserEvents => _db.GetCollection("user_events");

    private readonly Lock _eventsGate = new();
    /// <summary>The first sequence number of each `event_log` document, ascending (its `_id`).</summary>
    private readonly List<long> _logStarts = [];
    /// <summary>Committed events not yet in `user_events`, per user (as recorded), in sequence order.</summary>
    private readonly Dictionary<string, List<(long Seq, string Json)>> _unindexed = new(StringComparer.Ordinal);
    /// <summary>Users with buffered events, by their first buffered event: the head has waited longest.</summary>
    private readonly SortedDictionary<long, string> _indexQueue = [];
    private int _unindexedCount;
    /// <summary>Events added in the open transaction.</summary>
    private readonly List<LoggedEvent> _pendingEvents = [];
    private readonly HashSet<string> _pendingKeys = new(StringComparer.Ordinal);
    /// <summary>Users whose buffered events the open transaction's commit writes into `user_events`.</summary>
    private readonly List<string> _indexedInCommit = [];

    /// <summary>What <see cref="OpenEvents"/> found in commit records for <see cref="OpenStates"/> and <see cref="OpenOutbox"/>.</summary>
    private readonly List<(long LogSeq, BsonArray Changes)> _recoveredStates = [];
    private readonly List<BsonArray> _recoveredMarks = [];
    private readonly List<(long RecordId, BsonArray Actions)> _recoveredOutbox = [];

    private readonly record struct LoggedEvent(long Seq, string User, string Type, string? Id, long Ts, string Json);

    private static string EventKey(string type, string id) => type + "\u001F" + id;

    private void OpenEvents()
    {
        // The watermark: every event before it was indexed at the last commit.
        var from = Counter("index_from");
        var candidates = new List<LoggedEvent>();
        var statesFrom = Counter("states_from");
        foreach (var doc in EventLog.FindAll())
        {
            _logStarts.Add(doc["_id"].AsInt64);
            foreach (var e in doc["e"].AsArray.Select(Read))
            {
                RememberId(e);
                if (e.Seq >= from) candidates.Add(e);
            }
            // A record also holds its commit's state changes and delivery marks (LiveStore.Commit).
            if (doc.TryGetValue("sl", out var sl) && sl.AsInt64 >= statesFrom) _recoveredStates.Add((sl.AsInt64, doc["s"].AsArray));
            if (doc.TryGetValue("m", out var marks)) _recoveredMarks.Add(marks.AsArray);
            if (doc.TryGetValue("o", out var actions)) _recoveredOutbox.Add((doc["_id"].AsInt64, actions.AsArray));
        }
        // From the watermark on, an event is indexed when its user's last index document reaches it.
        var lastIndexed = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var e in candidates)
        {
            if (!lastIndexed.TryGetValue(e.User, out var last)) lastIndexed[e.User] = last = LastIndexedSeq(e.User);
            if (e.Seq > last) Buffer(e);
        }
    }

    private static BsonArray Write(LoggedEvent e) =>
        [e.Seq, e.User, e.Type, e.Id is null ? BsonValue.Null : new BsonValue(e.Id), e.Ts, e.Json];

    private static LoggedEvent Read(BsonValue value)
    {
        var a = value.AsArray;
        return new LoggedEvent(a[0].AsInt64, a[1].AsString, a[2].AsString, a[3].IsNull ? null : a[3].AsString, a[4].AsInt64, a[5].AsString);
    }

    private void RememberId(LoggedEvent e)
    {
        if (e.Id is { } id) _eventIds.Remember(EventKey(e.Type, id), e.Seq);
    }

    private void Buffer(LoggedEvent e)
    {
        if (!_unindexed.TryGetValue(e.User, out var list))
        {
            _unindexed[e.User] = list = [];
            _indexQueue[e.Seq] = e.User;
        }
        list.Add((e.Seq, e.Json));
        _unindexedCount++;
    }

    public bool HasEvent(string type, string id)
    {
        var key = EventKey(type, id);
        return _pendingKeys.Contains(key)
            || _eventIds.Find(key, seq => LoggedAt(seq) is { } stored && stored.Type == type && stored.Id == id) is not null;
    }

    /// <summary>The logged event with sequence number <paramref name="seq"/>, read from its `event_log` document.</summary>
    private LoggedEvent? LoggedAt(long seq)
    {
        long start;
        lock (_eventsGate)
        {
            var i = _logStarts.BinarySearch(seq);
            if (i < 0) i = ~i - 1;
            if (i < 0) return null;
            start = _logStarts[i];
        }
        if (EventLog.FindById(start) is not { } doc) return null;
        foreach (var e in doc["e"].AsArray)
            if (e.AsArray[0].AsInt64 == seq) return Read(e);
        return null;
    }

    /// <summary>Stores an event in the open transaction; returns its sequence number (the order of arrival).</summary>
    public long AddEvent(string type, string? id, string user, long ts, string json)
    {
        var seq = Next("event_seq");
        _pendingEvents.Add(new LoggedEvent(seq, user, type, id, ts, json));
        if (id is not null) _pendingKeys.Add(EventKey(type, id));
        return seq;
    }

    /// <summary>
    /// Inside <see cref="Commit"/>, before LiteDB's commit: the transaction's events as one log
    /// document, and, when the buffer would pass its bound, the index documents of the users
    /// who have waited longest; then the new watermark.
    /// </summary>
    private void WritePendingEvents()
    {
        if (_pendingEvents.Count == 0) return;
        // The record is inserted with the counters (LiveStore.WriteRecordAndCounters).
        _record!["_id"] = _pendingEvents[0].Seq;
        _record["e"] = new BsonArray(_pendingEvents.Select(e => (BsonValue)Write(e)));
        lock (_eventsGate)
        {
            var over = _unindexedCount + _pendingEvents.Count - _indexBuffer;
            // The transaction's own events join the buffer after the commit; a user indexed now
            // keeps them buffered (its document holds only what was buffered before).
            foreach (var (_, user) in _indexQueue)
            {
                if (over <= 0) break;
                var events = _unindexed[user];
                UserEvents.Insert(new BsonDocument
                {
                    ["_id"] = UserEventsKey(user, events[^1].Seq),
                    ["e"] = new BsonArray(events.Select(e => (BsonValue)new BsonArray { e.Seq, e.Json })),
                });
                _indexedInCommit.Add(user);
                over -= events.Count;
            }
            var watermark = _indexQueue.Keys.Skip(_indexedInCommit.Count).Cast<long?>().FirstOrDefault() ?? _pendingEvents[0].Seq;
            SetCounter("index_from", Math.Min(watermark, _pendingEvents[0].Seq));
        }
    }

    /// <summary>After LiteDB's commit succeeded: the events are durable; drop what the commit indexed and buffer the new events.</summary>
    private void EventsCommitted()
    {
        if (_pendingEvents.Count == 0) return;
        lock (_eventsGate)
        {
            foreach (var user in _indexedInCommit)
            {
                var events = _unindexed[user];
                _unindexed.Remove(user);
                _indexQueue.Remove(events[0].Seq);
                _unindexedCount -= events.Count;
            }
            _logStarts.Add(_pendingEvents[0].Seq);
            foreach (var e in _pendingEvents)
            {
                RememberId(e);
                Buffer(e);
            }
        }
        ForgetPendingEvents();
    }

    private void ForgetPendingEvents()
    {
        _pendingEvents.Clear();
        _pendingKeys.Clear();
        _indexedInCommit.Clear();
    }

    /// <summary>A user's index documents are keyed by the last sequence number they hold, so the last key tells how far the user is indexed.</summary>
    private static string UserEventsKey(string user, long lastSeq) =>
        user + "\u001F" + lastSeq.ToString("D19", System.Globalization.CultureInfo.InvariantCulture);

    private IEnumerable<BsonDocument> UserEventDocs(string user, bool descending = false)
    {
        var prefix = user + "\u001F";
        var query = UserEvents.Query().Where(BsonExpression.Create("_id BETWEEN @0 AND @1", prefix, prefix + "\u007F"));
        return (descending ? query.OrderByDescending("_id") : query.OrderBy("_id")).ToEnumerable()
            .Where(d => d["_id"].AsString.StartsWith(prefix, StringComparison.Ordinal));
    }

    private long LastIndexedSeq(string user) =>
        UserEventDocs(user, descending: true).FirstOrDefault() is { } doc
            ? long.Parse(doc["_id"].AsString.AsSpan(user.Length + 1), System.Globalization.CultureInfo.InvariantCulture)
            : 0;

    /// <summary>
    /// The user's events in arrival order: (seq, raw JSON); with the events of every user merged
    /// into it by an identity value (they stay recorded under their own id: a merge moves nothing).
    /// </summary>
    public List<(long Seq, string Json)> EventsOf(string user)
    {
        var owners = new List<string> { user };
        owners.AddRange(Aliases.Find(Eq("into", user)).Select(d => d["_id"].AsString));
        var events = new List<(long Seq, string Json)>();
        foreach (var owner in owners)
            foreach (var doc in UserEventDocs(owner))
                foreach (var e in doc["e"].AsArray) events.Add((e.AsArray[0].AsInt64, e.AsArray[1].AsString));
        lock (_eventsGate)
            foreach (var owner in owners)
                if (_unindexed.TryGetValue(owner, out var list)) events.AddRange(list);
        foreach (var e in _pendingEvents)
            if (owners.Contains(e.User, StringComparer.Ordinal)) events.Add((e.Seq, e.Json));
        events.Sort((a, b) => a.Seq.CompareTo(b.Seq));
        return events;
    }

    /// <summary>How many stored events <paramref name="user"/> has; a merge reports it (nothing moves: its events count as the survivor's, see <see cref="EventsOf"/>).</summary>
    public int EventCount(string user) => EventsOf(user).Count;

    /// <summary>How many committed events wait in memory for the per-user index.</summary>
    public int UnindexedEvents { get { lock (_eventsGate) return _unindexedCount; } }
}
