using LiteDB;

namespace MarketingDsl.Runtime;

/// <summary>
/// The stored events: an append-only log in LiteDB plus per-user index documents written in the
/// background, with an in-memory directory of event ids (the design of Bitcask's key directory).
///
/// Why not one document per event: a LiteDB commit writes every page it dirtied, and an event
/// document with a random `_id` (type + id) and a `user` index dirtied about two random 8 KB
/// pages per event; a group commit of 800 events wrote megabytes and most of the ingest CPU was
/// LiteDB writing pages (profiled). Now a commit inserts ONE `event_log` document holding all its
/// events (a few sequential pages: measured 1–6 µs per event against 40–180 µs for a document
/// each), in the same transaction as the journey states and outbox the events caused, so an
/// acknowledged event and its consequences are durable together as before.
///
/// Reads: the dedupe check asks an in-memory directory of every stored event id (a 64-bit hash →
/// sequence number, ≈ 30 bytes per event, verified against the log on a hit, so a hash collision
/// never drops an event); a user's history is the `user_events` documents the indexer wrote (one
/// per user per index round) plus the events committed since (kept in memory, at most about
/// <see cref="DefaultIndexBatch"/> of them). The indexer runs on its own thread in its own LiteDB
/// transaction (it writes only `user_events` and `event_index`, which no ingest transaction
/// writes, so the two never wait on each other's collection locks); the events it indexed leave
/// memory at the next <see cref="Begin"/>, so a transaction that started before the index commit
/// (and reads the older snapshot) still finds them in memory. On open the directory and the
/// unindexed tail are rebuilt from the log.
/// </summary>
public sealed partial class LiveStore
{
    /// <summary>Committed events that are not yet in `user_events` before the indexer runs (by default).</summary>
    public const int DefaultIndexBatch = 20_000;
    private readonly int _indexBatch;

    private ILiteCollection<BsonDocument> EventLog => _db.GetCollection("event_log");
    private ILiteCollection<BsonDocument> UserEvents => _db.GetCollection("user_events");
    private ILiteCollection<BsonDocument> EventIndexMeta => _db.GetCollection("event_index");

    private readonly Lock _eventsGate = new();
    /// <summary>Every stored event id: FNV-1a 64 of "type␟id" → the event's sequence number.</summary>
    private readonly Dictionary<ulong, long> _idDirectory = [];
    /// <summary>Ids whose hash collided with another id's (exact keys; expected empty).</summary>
    private readonly Dictionary<string, long> _idOverflow = new(StringComparer.Ordinal);
    /// <summary>The first sequence number of each `event_log` document, ascending (its `_id`).</summary>
    private readonly List<long> _logStarts = [];
    /// <summary>Committed events not yet handed over to `user_events`, per user (as recorded), in sequence order.</summary>
    private readonly Dictionary<string, List<(long Seq, string Json)>> _unindexed = new(StringComparer.Ordinal);
    private int _unindexedCount;
    /// <summary>Every event with seq ≤ this is in `user_events` (committed by the indexer).</summary>
    private long _indexedUpTo;
    /// <summary>Set by the indexer after its commit: the next <see cref="Begin"/> drops these events from memory.</summary>
    private long _handOffUpTo;
    /// <summary>Events added in the open transaction.</summary>
    private readonly List<LoggedEvent> _pendingEvents = [];
    private readonly HashSet<string> _pendingKeys = new(StringComparer.Ordinal);

    private Thread? _indexer;
    private readonly SemaphoreSlim _indexWake = new(0, 1);
    private volatile bool _stopIndexer;
    /// <summary>The indexer's last failure (it retries at the next wake); null when it last succeeded.</summary>
    public string? IndexerError { get; private set; }

    private readonly record struct LoggedEvent(long Seq, string User, string Type, string? Id, long Ts, string Json);

    private static string EventKey(string type, string id) => type + "\u001F" + id;

    private static ulong Fnv1a(string key)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in key)
        {
            hash = (hash ^ (byte)c) * 1099511628211UL;
            hash = (hash ^ (byte)(c >> 8)) * 1099511628211UL;
        }
        return hash;
    }

    private void OpenEvents()
    {
        _indexedUpTo = EventIndexMeta.FindById("indexed_upto")?["value"].AsInt64 ?? 0;
        foreach (var doc in EventLog.FindAll())
        {
            _logStarts.Add(doc["_id"].AsInt64);
            foreach (var e in doc["e"].AsArray.Select(Read)) Remember(e);
        }
        _logStarts.Sort();
        _indexer = new Thread(IndexLoop) { IsBackground = true, Name = "mdsl event indexer" };
        _indexer.Start();
    }

    private static BsonArray Write(LoggedEvent e) =>
        [e.Seq, e.User, e.Type, e.Id is null ? BsonValue.Null : new BsonValue(e.Id), e.Ts, e.Json];

    private static LoggedEvent Read(BsonValue value)
    {
        var a = value.AsArray;
        return new LoggedEvent(a[0].AsInt64, a[1].AsString, a[2].AsString, a[3].IsNull ? null : a[3].AsString, a[4].AsInt64, a[5].AsString);
    }

    /// <summary>Adds a committed event to the id directory and, when not yet indexed, to the unindexed tail (caller holds the lock or owns the store).</summary>
    private void Remember(LoggedEvent e)
    {
        if (e.Id is { } id)
        {
            var key = EventKey(e.Type, id);
            if (!_idDirectory.TryAdd(Fnv1a(key), e.Seq)) _idOverflow.TryAdd(key, e.Seq);
        }
        if (e.Seq <= _indexedUpTo) return;
        if (!_unindexed.TryGetValue(e.User, out var list)) _unindexed[e.User] = list = [];
        list.Add((e.Seq, e.Json));
        _unindexedCount++;
    }

    public bool HasEvent(string type, string id)
    {
        var key = EventKey(type, id);
        if (_pendingKeys.Contains(key)) return true;
        long seq;
        lock (_eventsGate)
        {
            if (_idOverflow.ContainsKey(key)) return true;
            if (!_idDirectory.TryGetValue(Fnv1a(key), out seq)) return false;
        }
        // A hit: the same id, or (about once in 2^64 / events) another id with the same hash.
        return LoggedAt(seq) is { } stored && stored.Type == type && stored.Id == id;
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

    /// <summary>Inside <see cref="Commit"/>, before LiteDB's commit: the transaction's events as one log document.</summary>
    private void WritePendingEvents()
    {
        if (_pendingEvents.Count == 0) return;
        EventLog.Insert(new BsonDocument { ["_id"] = _pendingEvents[0].Seq, ["e"] = new BsonArray(_pendingEvents.Select(e => (BsonValue)Write(e))) });
    }

    /// <summary>After LiteDB's commit succeeded: the events are durable; remember them and wake the indexer when enough wait.</summary>
    private void EventsCommitted()
    {
        if (_pendingEvents.Count == 0) return;
        bool wake;
        lock (_eventsGate)
        {
            _logStarts.Add(_pendingEvents[0].Seq);
            foreach (var e in _pendingEvents) Remember(e);
            wake = _unindexedCount >= _indexBatch;
        }
        ForgetPendingEvents();
        if (wake) WakeIndexer();
    }

    private void ForgetPendingEvents()
    {
        _pendingEvents.Clear();
        _pendingKeys.Clear();
    }

    /// <summary>At the start of a transaction: drop from memory what the indexer has committed (see the class comment).</summary>
    private void HandOffIndexed()
    {
        lock (_eventsGate)
        {
            if (_handOffUpTo <= _indexedUpTo) return;
            _indexedUpTo = _handOffUpTo;
            foreach (var user in _unindexed.Keys.ToList())
            {
                var list = _unindexed[user];
                var removed = list.RemoveAll(e => e.Seq <= _indexedUpTo);
                _unindexedCount -= removed;
                if (list.Count == 0) _unindexed.Remove(user);
            }
        }
    }

    private void WakeIndexer()
    {
        try { if (_indexWake.CurrentCount == 0) _indexWake.Release(); }
        catch (SemaphoreFullException) { }
        catch (ObjectDisposedException) { }
    }

    private void IndexLoop()
    {
        while (!_stopIndexer)
        {
            _indexWake.Wait(TimeSpan.FromSeconds(30));
            if (_stopIndexer) return;
            try
            {
                IndexOnce();
                IndexerError = null;
            }
            catch (Exception ex) when (ex is LiteException or IOException or InvalidOperationException)
            {
                // The events stay in memory and in the log; the next round indexes them.
                IndexerError = ex.Message;
            }
        }
    }

    /// <summary>
    /// One index round on the indexer's thread: every unindexed committed event goes into one
    /// `user_events` document per user, and `indexed_upto` moves, in one transaction.
    /// </summary>
    public void IndexOnce()
    {
        List<(string User, List<(long Seq, string Json)> Events)> batch;
        long upTo;
        lock (_eventsGate)
        {
            if (_unindexedCount == 0) return;
            upTo = _indexedUpTo;
            batch = [];
            foreach (var (user, list) in _unindexed)
            {
                var fresh = list.Where(e => e.Seq > _handOffUpTo).ToList();
                if (fresh.Count == 0) continue;
                batch.Add((user, fresh));
                upTo = Math.Max(upTo, fresh[^1].Seq);
            }
        }
        if (batch.Count == 0) return;
        _db.BeginTrans();
        try
        {
            var docs = UserEvents;
            foreach (var (user, events) in batch)
                docs.Insert(new BsonDocument
                {
                    ["_id"] = UserEventsKey(user, events[0].Seq),
                    ["e"] = new BsonArray(events.Select(e => (BsonValue)new BsonArray { e.Seq, e.Json })),
                });
            EventIndexMeta.Upsert(new BsonDocument { ["_id"] = "indexed_upto", ["value"] = upTo });
            _db.Commit();
        }
        catch
        {
            _db.Rollback();
            throw;
        }
        lock (_eventsGate) _handOffUpTo = upTo;
    }

    private static string UserEventsKey(string user, long firstSeq) =>
        user + "\u001F" + firstSeq.ToString("D19", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// The user's events in arrival order: (seq, raw JSON); with the events of every user merged
    /// into it by an identity value (they stay recorded under their own id: a merge moves nothing).
    /// </summary>
    public List<(long Seq, string Json)> EventsOf(string user)
    {
        var owners = new List<string> { user };
        owners.AddRange(Aliases.Find(Eq("into", user)).Select(d => d["_id"].AsString));
        var events = new List<(long Seq, string Json)>();
        // Memory before the index documents: events handed over in between are then found twice
        // (dropped below), never missed.
        lock (_eventsGate)
            foreach (var owner in owners)
                if (_unindexed.TryGetValue(owner, out var list)) events.AddRange(list);
        foreach (var e in _pendingEvents)
            if (owners.Contains(e.User, StringComparer.Ordinal)) events.Add((e.Seq, e.Json));
        foreach (var owner in owners)
        {
            var prefix = owner + "\u001F";
            foreach (var doc in UserEvents.Find(BsonExpression.Create("_id BETWEEN @0 AND @1", prefix, prefix + "\u007F")))
            {
                if (!doc["_id"].AsString.StartsWith(prefix, StringComparison.Ordinal)) continue;
                foreach (var e in doc["e"].AsArray) events.Add((e.AsArray[0].AsInt64, e.AsArray[1].AsString));
            }
        }
        events.Sort((a, b) => a.Seq.CompareTo(b.Seq));
        // Drop the doubles (same seq) left by a hand-over.
        var write = 0;
        for (var read = 0; read < events.Count; read++)
            if (write == 0 || events[write - 1].Seq != events[read].Seq) events[write++] = events[read];
        events.RemoveRange(write, events.Count - write);
        return events;
    }

    /// <summary>How many stored events <paramref name="from"/> has (a merge into another user: they now count as that user's, see <see cref="EventsOf"/>).</summary>
    public int MoveEvents(string from, string to) => EventsOf(from).Count;

    /// <summary>How many committed events are not yet in the per-user index (memory the indexer has yet to free).</summary>
    public int UnindexedEvents { get { lock (_eventsGate) return _unindexedCount; } }

    private void StopIndexer()
    {
        _stopIndexer = true;
        WakeIndexer();
        _indexer?.Join(TimeSpan.FromSeconds(30));
        _indexWake.Dispose();
    }
}
