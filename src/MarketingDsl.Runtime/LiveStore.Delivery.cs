using LiteDB;

namespace MarketingDsl.Runtime;

/// <summary>An outbox action as the delivery loop sees it: its delivery status, attempts so far and when it may be tried next.</summary>
public sealed record OutboxEntry(string Key, string Channel, string Line, string Status, int Attempts, long NextAttemptAt, string? LastError, long Seq);

/// <summary>
/// The outbox: every action under its dedupe key, with its delivery status (channel adapters,
/// <see cref="OutboxDispatcher"/>). An action is `pending` until an adapter confirms it
/// (`delivered`) or it is parked (`failed`: attempts exhausted or refused by the receiver).
/// Nothing leaves the outbox: a parked action stays with its last error until it is requeued.
///
/// Layout, for the same reason as the event log (LiveStore.Events.cs): a commit's new actions
/// are an array in its commit record, and its delivery marks another (an `outbox` or
/// `outbox_marks` document only for a commit without events); an action gets an `outbox`
/// document of its own, keyed by its sequence number, when its status changes other than by a
/// mark (a failed attempt, parking, a requeue, a webhook delivery), and that document overrides
/// the record. A random dedupe key as `_id` and a `delivered` index had dirtied two random pages
/// per action and per mark. The dedupe keys (<see cref="KeyDirectory"/>: hash → sequence number,
/// verified against the stored action on a hit; older ones in runs), the pending actions, the marks (a bit per sequence number) and the counts
/// per status are kept in memory, rebuilt on open, and changed only after the transaction that
/// changed the file commits.
/// </summary>
public sealed partial class LiveStore
{
    public const string Pending = "pending";
    public const string DeliveredStatus = "delivered";
    public const string Failed = "failed";

    private ILiteCollection<BsonDocument> Outbox => _db.GetCollection("outbox");

    private readonly Lock _outboxGate = new();
    private readonly SortedDictionary<long, OutboxEntry> _outboxPending = [];
    private readonly Dictionary<string, int> _outboxCounts = new(StringComparer.Ordinal) { [Pending] = 0, [DeliveredStatus] = 0, [Failed] = 0 };
    /// <summary>Actions added in the open transaction, by key, and in order (written by <see cref="Commit"/>).</summary>
    private readonly Dictionary<string, long> _txnOutbox = new(StringComparer.Ordinal);
    private readonly List<OutboxEntry> _txnOutboxEntries = [];
    /// <summary>Commit records that hold new actions: (first action's seq, the record's `_id`), ascending.</summary>
    private readonly List<(long FirstSeq, long RecordId)> _outboxRecords = [];
    private (long FirstSeq, long RecordId)? _outboxRecordInCommit;
    /// <summary>Changes to the in-memory outbox that wait for the open transaction to commit.</summary>
    private readonly List<Action> _afterCommit = [];
    /// <summary>Delivered actions (channel files) whose documents the next commit writes: seq → the delivered entry.</summary>
    private readonly Dictionary<long, OutboxEntry> _queuedMarks = [];
    /// <summary>The queued marks the open transaction's commit writes.</summary>
    private readonly List<long> _marksInCommit = [];
    /// <summary>Sequence numbers delivered by a committed mark (one bit each), and their attempts when not 1.</summary>
    private readonly List<ulong> _markedBits = [];
    private readonly Dictionary<long, int> _markedAttempts = [];

    private ILiteCollection<BsonDocument> OutboxMarks => _db.GetCollection("outbox_marks");

    private bool IsMarked(long seq) => seq >> 6 < _markedBits.Count && (_markedBits[(int)(seq >> 6)] & (1UL << (int)(seq & 63))) != 0;

    private void SetMarked(long seq, int attempts)
    {
        var word = (int)(seq >> 6);
        while (_markedBits.Count <= word) _markedBits.Add(0);
        _markedBits[word] |= 1UL << (int)(seq & 63);
        if (attempts != 1) _markedAttempts[seq] = attempts;
        else _markedAttempts.Remove(seq);
    }

    /// <summary>The entry as stored, with its committed delivery mark applied (the mark wins over the document's status).</summary>
    private OutboxEntry Effective(OutboxEntry stored) =>
        IsMarked(stored.Seq)
            ? stored with { Status = DeliveredStatus, Attempts = _markedAttempts.GetValueOrDefault(stored.Seq, 1), LastError = null }
            : stored;

    private void OpenOutbox()
    {
        // Marks live in `outbox_marks` documents (commits without events) and in commit records (OpenEvents collected those).
        foreach (var marks in OutboxMarks.FindAll().Select(d => d["m"].AsArray).Concat(_recoveredMarks))
            for (var i = 0; i + 1 < marks.Count; i += 2) SetMarked(marks[i].AsInt64, marks[i + 1].AsInt32);
        _recoveredMarks.Clear();
        // New actions live in commit records (OpenEvents collected those) and as `outbox`
        // documents (commits without events); a document also overrides a record's action once
        // its status changed other than by a mark.
        var entries = new SortedDictionary<long, OutboxEntry>();
        foreach (var (recordId, actions) in _recoveredOutbox)
        {
            _outboxRecords.Add((actions[0].AsArray[0].AsInt64, recordId));
            foreach (var action in actions) entries[action.AsArray[0].AsInt64] = FromRecord(action.AsArray);
        }
        _recoveredOutbox.Clear();
        _outboxRecords.Sort();
        foreach (var doc in Outbox.FindAll()) entries[doc["_id"].AsInt64] = ToEntry(doc);
        foreach (var stored in entries.Values)
        {
            var entry = Effective(stored);
            RememberKey(entry.Key, entry.Seq);
            _outboxCounts[entry.Status]++;
            if (entry.Status == Pending) _outboxPending[entry.Seq] = entry;
        }
    }

    private static BsonArray ToRecord(OutboxEntry e) => [e.Seq, e.Key, e.Channel, e.Line];

    private static OutboxEntry FromRecord(BsonArray a) => new(a[1].AsString, a[2].AsString, a[3].AsString, Pending, 0, 0, null, a[0].AsInt64);

    /// <summary>The action as stored (its `outbox` document, else its commit record, else the open transaction), without marks.</summary>
    private OutboxEntry? StoredEntry(long seq)
    {
        if (Outbox.FindById(seq) is { } doc) return ToEntry(doc);
        foreach (var own in _txnOutboxEntries)
            if (own.Seq == seq) return own;
        long recordId;
        lock (_outboxGate)
        {
            var i = _outboxRecords.BinarySearch((seq, long.MaxValue));
            if (i < 0) i = ~i - 1;
            if (i < 0) return null;
            recordId = _outboxRecords[i].RecordId;
        }
        if (EventLog.FindById(recordId) is not { } record || !record.TryGetValue("o", out var actions)) return null;
        foreach (var action in actions.AsArray)
            if (action.AsArray[0].AsInt64 == seq) return FromRecord(action.AsArray);
        return null;
    }

    private static OutboxEntry ToEntry(BsonDocument d) => new(
        d["key"].AsString, d["channel"].AsString, d["line"].AsString, d["status"].AsString, d["attempts"].AsInt32,
        d["next_at"].AsInt64, d["error"].IsString ? d["error"].AsString : null, d["_id"].AsInt64);

    private static BsonDocument ToDocument(OutboxEntry e) => new()
    {
        ["_id"] = e.Seq, ["key"] = e.Key, ["channel"] = e.Channel, ["line"] = e.Line, ["status"] = e.Status,
        ["attempts"] = e.Attempts, ["next_at"] = e.NextAttemptAt, ["error"] = e.LastError is null ? BsonValue.Null : new BsonValue(e.LastError),
    };

    private void RememberKey(string key, long seq) => _outboxKeys.Remember(key, seq);

    /// <summary>The sequence number of the action stored under <paramref name="key"/>, or null.</summary>
    private long? OutboxSeqOf(string key) =>
        _txnOutbox.TryGetValue(key, out var own) ? own : _outboxKeys.Find(key, seq => StoredEntry(seq)?.Key == key);

    /// <summary>Applies <paramref name="change"/> to the in-memory outbox now, or when the open transaction of this thread commits.</summary>
    private void AfterCommit(Action change)
    {
        bool inTransaction;
        lock (_memo) inTransaction = _transactionThread == Environment.CurrentManagedThreadId;
        if (inTransaction) _afterCommit.Add(change);
        else lock (_outboxGate) change();
    }

    /// <summary>
    /// Inside <see cref="Commit"/>: the queued delivery marks ride on this transaction (no commit
    /// and fsync of their own) as one array of (seq, attempts) pairs, in the commit record (or an
    /// `outbox_marks` document when the commit has no events): rewriting
    /// each action's document cost about 50 µs per send in the commit (profiled); a mark wins
    /// over the document's status when read (<see cref="Effective"/>).
    /// </summary>
    private void WriteQueuedMarks()
    {
        List<OutboxEntry> marks;
        lock (_outboxGate) marks = [.. _queuedMarks.Values];
        if (marks.Count == 0) return;
        var pairs = new BsonArray();
        foreach (var entry in marks)
        {
            pairs.Add(entry.Seq);
            pairs.Add(entry.Attempts);
            _marksInCommit.Add(entry.Seq);
        }
        if (_record is not null) _record["m"] = pairs;
        else OutboxMarks.Insert(new BsonDocument { ["_id"] = Next("outbox_mark_seq"), ["m"] = pairs });
    }

    /// <summary>
    /// Inside <see cref="Commit"/>, after the events: the transaction's new actions go into the
    /// commit record when there is one (no document and no index page of their own: one
    /// collection less per commit), else one `outbox` document each.
    /// </summary>
    private void WriteTxnOutbox()
    {
        if (_txnOutboxEntries.Count == 0) return;
        if (_record is not null)
        {
            _record["o"] = new BsonArray(_txnOutboxEntries.Select(e => (BsonValue)ToRecord(e)));
            _outboxRecordInCommit = (_txnOutboxEntries[0].Seq, _record["_id"].AsInt64);
        }
        else foreach (var entry in _txnOutboxEntries) Outbox.Insert(ToDocument(entry));
    }

    private void OutboxCommitted()
    {
        lock (_outboxGate)
        {
            if (_outboxRecordInCommit is { } record) _outboxRecords.Add(record);
            foreach (var change in _afterCommit) change();
            foreach (var seq in _marksInCommit)
            {
                if (_queuedMarks.Remove(seq, out var delivered)) SetMarked(seq, delivered.Attempts);
                _outboxCounts[Pending]--;
                _outboxCounts[DeliveredStatus]++;
            }
        }
        ForgetPendingOutbox();
    }

    private void ForgetPendingOutbox()
    {
        _afterCommit.Clear();
        _txnOutbox.Clear();
        _txnOutboxEntries.Clear();
        _outboxRecordInCommit = null;
        _marksInCommit.Clear();
    }

    /// <summary>Whether delivery marks wait for a commit.</summary>
    public bool HasQueuedMarks { get { lock (_outboxGate) return _queuedMarks.Count > 0; } }

    /// <summary>How many delivery marks wait for a commit (those in a commit under way included).</summary>
    public int QueuedMarkCount { get { lock (_outboxGate) return _queuedMarks.Count; } }

    /// <summary>Adds an action under its dedupe key (pending); false when the key is already there.</summary>
    public bool AddOutbox(string key, string channel, string line)
    {
        if (OutboxSeqOf(key) is not null) return false;
        var entry = new OutboxEntry(key, channel, line, Pending, 0, 0, null, Next("outbox_seq"));
        _txnOutbox[key] = entry.Seq;
        _txnOutboxEntries.Add(entry);
        AfterCommit(() =>
        {
            RememberKey(key, entry.Seq);
            _outboxPending[entry.Seq] = entry;
            _outboxCounts[Pending]++;
        });
        return true;
    }

    /// <summary>Pending actions whose next attempt is due at <paramref name="nowTicks"/> (wall clock), oldest first (memory only: safe without the runtime's lock).</summary>
    public List<OutboxEntry> DueForDelivery(long nowTicks, int max, Func<string, bool> routed)
    {
        lock (_outboxGate)
            return [.. _outboxPending.Values.Where(e => e.NextAttemptAt <= nowTicks && routed(e.Channel)).Take(max)];
    }

    /// <summary>The earliest next attempt among pending actions (wall-clock ticks), null when none is pending (memory only).</summary>
    public long? NextDeliveryDue(Func<string, bool> routed)
    {
        lock (_outboxGate)
            return _outboxPending.Values.Where(e => routed(e.Channel)).Select(e => (long?)e.NextAttemptAt).Min();
    }

    /// <summary>Rewrites the action's document with <paramref name="change"/> applied; false when there is no such action (or the change refuses it).</summary>
    private bool Change(string key, Func<OutboxEntry, OutboxEntry?> change)
    {
        if (OutboxSeqOf(key) is not { } seq || StoredEntry(seq) is not { } stored) return false;
        OutboxEntry before;
        lock (_outboxGate) before = Effective(stored);   // a delivered mark is final: no change turns it back
        if (change(before) is not { } after) return false;
        Outbox.Upsert(ToDocument(after));   // a document of its own overrides the action in its commit record
        AfterCommit(() =>
        {
            _outboxCounts[before.Status]--;
            _outboxCounts[after.Status]++;
            if (after.Status == Pending) _outboxPending[seq] = after;
            else _outboxPending.Remove(seq);
        });
        return true;
    }

    /// <summary>Records a failed attempt: pending again at <paramref name="nextAttemptAt"/>, or parked as failed.</summary>
    public void RecordFailedAttempt(string key, int attempts, long nextAttemptAt, string error, bool park) =>
        Change(key, e => e with { Attempts = attempts, NextAttemptAt = nextAttemptAt, LastError = error, Status = park ? Failed : Pending });

    /// <summary>Marks an action delivered after <paramref name="attempts"/> attempts.</summary>
    public void MarkDelivered(string key, int attempts) =>
        Change(key, e => e with { Status = DeliveredStatus, Attempts = attempts, LastError = null });

    /// <summary>
    /// Marks a channel file's share of a delivery round delivered (each after one more attempt)
    /// without a commit of its own: the actions leave the pending queue now, and their documents
    /// are written by the next commit (an ingest or timer transaction, or an empty one when the
    /// runtime is idle: <see cref="LiveRuntime"/>'s delivery round). Under load a round's marks
    /// cost no fsync. A crash before that commit leaves them pending; after the restart the file
    /// adapter finds their keys in the file and confirms them without writing a second line. The
    /// counts per status move when the marks are committed. Memory only: safe without the runtime's lock.
    /// </summary>
    public void MarkDelivered(IReadOnlyList<OutboxEntry> items)
    {
        lock (_outboxGate)
            foreach (var item in items)
                if (_outboxPending.Remove(item.Seq, out var pending))
                    _queuedMarks[item.Seq] = pending with { Status = DeliveredStatus, Attempts = item.Attempts + 1, LastError = null };
    }

    /// <summary>Puts a parked action back in the queue with a fresh attempt count; false when the key is not parked.</summary>
    public bool Requeue(string key, long nowTicks) =>
        Change(key, e => e.Status == Failed ? e with { Status = Pending, Attempts = 0, NextAttemptAt = nowTicks } : null);

    public OutboxEntry? OutboxEntryOf(string key) => OutboxSeqOf(key) is { } seq && StoredEntry(seq) is { } e ? WithQueuedMark(e) : null;


    /// <summary>The entry with its delivery mark applied: queued (written by the next commit) or committed.</summary>
    private OutboxEntry WithQueuedMark(OutboxEntry entry)
    {
        lock (_outboxGate) return _queuedMarks.GetValueOrDefault(entry.Seq) ?? Effective(entry);
    }

    /// <summary>Outbox actions, optionally of one status, oldest first.</summary>
    public List<OutboxEntry> OutboxEntries(string? status, int max)
    {
        if (status == Pending) lock (_outboxGate) return [.. _outboxPending.Values.Take(max)];
        // Every action: those in commit records, overridden by `outbox` documents (an admin listing: reads them all).
        var all = new SortedDictionary<long, OutboxEntry>();
        List<long> records;
        lock (_outboxGate) records = [.. _outboxRecords.Select(r => r.RecordId)];
        foreach (var id in records)
            if (EventLog.FindById(id) is { } record && record.TryGetValue("o", out var actions))
                foreach (var action in actions.AsArray) all[action.AsArray[0].AsInt64] = FromRecord(action.AsArray);
        foreach (var doc in Outbox.FindAll()) all[doc["_id"].AsInt64] = ToEntry(doc);
        return [.. all.Values.Select(WithQueuedMark).Where(e => status is null || e.Status == status).Take(max)];
    }

    /// <summary>How many outbox actions are in each status (from memory: /api/health calls this often).</summary>
    public Dictionary<string, int> OutboxCounts()
    {
        lock (_outboxGate) return new Dictionary<string, int>(_outboxCounts, StringComparer.Ordinal);
    }
}
