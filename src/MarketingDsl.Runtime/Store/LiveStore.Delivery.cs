using Microsoft.Data.Sqlite;

namespace MarketingDsl.Runtime;

/// <summary>An outbox action as the delivery loop sees it: its delivery status, attempts so far and when it may be tried next.</summary>
public sealed record OutboxEntry(string Key, string Channel, string Line, string Status, int Attempts, long NextAttemptAt, string? LastError,
    long Seq);

/// <summary>
/// The outbox: every action under its dedupe key, with its delivery status (channel adapters,
/// <see cref="OutboxDispatcher"/>). An action is `pending` until an adapter confirms it
/// (`delivered`) or it is parked (`failed`: attempts exhausted or refused by the receiver).
/// Nothing leaves the outbox: a parked action stays with its last error until it is requeued.
///
/// One row per action in `outbox`, keyed by sequence number, its dedupe key UNIQUE (a second
/// action under a key is refused by one index lookup). The pending actions and the counts per
/// status are kept in memory (the dispatcher reads them without the runtime's lock), rebuilt on
/// open, and changed only after the transaction that changed the file commits. A channel
/// file's delivery marks wait in memory for the next commit (<see cref="MarkDelivered(IReadOnlyList{OutboxEntry})"/>).
/// </summary>
public sealed partial class LiveStore
{
    public const string Pending = "pending";
    public const string DeliveredStatus = "delivered";
    public const string Failed = "failed";

    private readonly Lock _outboxGate = new();
    private readonly SortedDictionary<long, OutboxEntry> _outboxPending = [];
    /// <summary>
    /// The pending actions by (next attempt, seq): a delivery round and the loop's next wake read the
    /// due ones from its front. Scanning every pending action instead cost each round (up to a
    /// thousand a second) the whole queue, which grows by the hour while a receiver is down.
    /// </summary>
    private readonly SortedSet<(long Due, long Seq)> _pendingByDue = [];
    private readonly Dictionary<string, int> _outboxCounts = new(StringComparer.Ordinal) { [Pending] = 0, [DeliveredStatus] = 0, [Failed] = 0 };
    /// <summary>Changes to the in-memory outbox that wait for the open transaction to commit.</summary>
    private readonly List<Action> _afterCommit = [];
    /// <summary>Delivered actions (channel files) whose rows the next commit writes: seq → the delivered entry.</summary>
    private readonly Dictionary<long, OutboxEntry> _queuedMarks = [];
    /// <summary>The queued marks the open transaction's commit writes (negated: a mark that found its row no longer pending).</summary>
    private readonly List<long> _marksInCommit = [];

    private const string OutboxColumns = "key, channel, line, status, attempts, next_at, error, seq";

    private static OutboxEntry ToEntry(StoreRow r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt32(4), r.GetInt64(5), NullableString(r, 6), r.GetInt64(7));

    private void OpenOutbox()
    {
        foreach (var (status, count) in Rows("SELECT status, count(*) FROM outbox GROUP BY status", r => (r.GetString(0), r.GetInt32(1))))
            _outboxCounts[status] = count;
        foreach (var entry in Rows($"SELECT {OutboxColumns} FROM outbox WHERE status = $0", ToEntry, Pending)) SetPending(entry);
    }

    /// <summary>Under <see cref="_outboxGate"/>: the entry is pending (added, or its next attempt moved).</summary>
    private void SetPending(OutboxEntry entry)
    {
        RemovePending(entry.Seq, out _);
        _outboxPending[entry.Seq] = entry;
        _pendingByDue.Add((entry.NextAttemptAt, entry.Seq));
    }

    /// <summary>Under <see cref="_outboxGate"/>: the action leaves the pending queue; false when it was not in it.</summary>
    private bool RemovePending(long seq, out OutboxEntry? entry)
    {
        if (!_outboxPending.Remove(seq, out entry)) return false;
        _pendingByDue.Remove((entry.NextAttemptAt, seq));
        return true;
    }

    /// <summary>The action stored under <paramref name="key"/> (the open transaction's included), without a queued mark.</summary>
    private OutboxEntry? StoredEntry(string key) => Rows($"SELECT {OutboxColumns} FROM outbox WHERE key = $0", ToEntry, key).FirstOrDefault();

    private void WriteEntry(OutboxEntry e) =>
        Execute("UPDATE outbox SET status = $1, attempts = $2, next_at = $3, error = $4 WHERE seq = $0", e.Seq, e.Status, e.Attempts,
            e.NextAttemptAt, e.LastError);

    /// <summary>Applies <paramref name="change"/> to the in-memory outbox now, or when the open transaction of this thread commits.</summary>
    private void AfterCommit(Action change)
    {
        bool inTransaction;
        lock (_memo) inTransaction = _transactionThread == Environment.CurrentManagedThreadId;
        if (inTransaction) _afterCommit.Add(change);
        else lock (_outboxGate) change();
    }

    /// <summary>Inside <see cref="Commit"/>: the queued delivery marks ride on this transaction (no commit and fsync of their own).</summary>
    private void WriteQueuedMarks()
    {
        List<OutboxEntry> marks;
        lock (_outboxGate) marks = [.. _queuedMarks.Values];
        foreach (var entry in marks)
        {
            // A mark is final, but only over a pending row: a row a requeue or a failed attempt changed meanwhile keeps its own status.
            var written = Execute("UPDATE outbox SET status = $1, attempts = $2, error = NULL WHERE seq = $0 AND status = $3",
                entry.Seq, DeliveredStatus, entry.Attempts, Pending);
            _marksInCommit.Add(written == 1 ? entry.Seq : -entry.Seq);
        }
    }

    private void OutboxCommitted()
    {
        lock (_outboxGate)
        {
            foreach (var change in _afterCommit) change();
            foreach (var written in _marksInCommit)
            {
                _queuedMarks.Remove(Math.Abs(written));
                if (written < 0) continue;
                _outboxCounts[Pending]--;
                _outboxCounts[DeliveredStatus]++;
            }
        }
        ForgetPendingOutbox();
    }

    private void ForgetPendingOutbox()
    {
        _afterCommit.Clear();
        _marksInCommit.Clear();
    }

    /// <summary>Whether delivery marks wait for a commit.</summary>
    public bool HasQueuedMarks { get { lock (_outboxGate) return _queuedMarks.Count > 0; } }

    /// <summary>How many delivery marks wait for a commit (those in a commit under way included).</summary>
    public int QueuedMarkCount { get { lock (_outboxGate) return _queuedMarks.Count; } }

    /// <summary>Adds an action under its dedupe key (pending); false when the key is already there.</summary>
    public bool AddOutbox(string key, string channel, string line)
    {
        if (Scalar("SELECT 1 FROM outbox WHERE key = $0", key) is not null) return false;
        var entry = new OutboxEntry(key, channel, line, Pending, 0, 0, null, Next("outbox_seq"));
        Execute($"INSERT INTO outbox ({OutboxColumns}) VALUES ($0, $1, $2, $3, $4, $5, $6, $7)",
            entry.Key, entry.Channel, entry.Line, entry.Status, entry.Attempts, entry.NextAttemptAt, entry.LastError, entry.Seq);
        AfterCommit(() =>
        {
            SetPending(entry);
            _outboxCounts[Pending]++;
        });
        return true;
    }

    /// <summary>
    /// Pending actions whose next attempt is due at <paramref name="nowTicks"/> (wall clock), at most
    /// <paramref name="max"/>, those due longest first, in outbox order (memory only: safe without the runtime's lock).
    /// </summary>
    public List<OutboxEntry> DueForDelivery(long nowTicks, int max, Func<string, bool> routed)
    {
        var due = new List<OutboxEntry>();
        lock (_outboxGate)
            foreach (var (at, seq) in _pendingByDue)
            {
                if (at > nowTicks || due.Count >= max) break;
                if (_outboxPending[seq] is var entry && routed(entry.Channel)) due.Add(entry);
            }
        due.Sort((a, b) => a.Seq.CompareTo(b.Seq));
        return due;
    }

    /// <summary>The earliest next attempt among pending actions (wall-clock ticks), null when none is pending (memory only).</summary>
    public long? NextDeliveryDue(Func<string, bool> routed)
    {
        lock (_outboxGate)
            foreach (var (at, seq) in _pendingByDue)
                if (routed(_outboxPending[seq].Channel)) return at;
        return null;
    }

    /// <summary>Rewrites the action's row with <paramref name="change"/> applied; false when there is no such action (or the change refuses
    /// it).</summary>
    private bool Change(string key, Func<OutboxEntry, OutboxEntry?> change)
    {
        if (StoredEntry(key) is not { } before) return false;   // a delivered row is final: no change below turns it back
        if (change(before) is not { } after) return false;
        WriteEntry(after);
        var seq = before.Seq;
        AfterCommit(() =>
        {
            _outboxCounts[before.Status]--;
            _outboxCounts[after.Status]++;
            if (after.Status == Pending) SetPending(after);
            else RemovePending(seq, out _);
        });
        return true;
    }

    /// <summary>Records a failed attempt: pending again at <paramref name="nextAttemptAt"/>, or parked as failed.</summary>
    public void RecordFailedAttempt(string key, int attempts, long nextAttemptAt, string error, bool park) =>
        Change(key, e => e.Status == DeliveredStatus ? null : e with { Attempts = attempts, NextAttemptAt = nextAttemptAt, LastError = error,
            Status = park ? Failed : Pending });

    /// <summary>Marks an action delivered after <paramref name="attempts"/> attempts.</summary>
    public void MarkDelivered(string key, int attempts) =>
        Change(key, e => e.Status == DeliveredStatus ? null : e with { Status = DeliveredStatus, Attempts = attempts, LastError = null });

    /// <summary>
    /// Marks a channel file's share of a delivery round delivered (each after one more attempt)
    /// without a commit of its own: the actions leave the pending queue now, and their rows are
    /// written by the next commit (an ingest or timer transaction, or an empty one when the
    /// runtime is idle: <see cref="LiveRuntime"/>'s delivery round). Under load a round's marks
    /// cost no fsync. A crash before that commit leaves them pending; after the restart the file
    /// adapter finds their keys in the file and confirms them without writing a second line. The
    /// counts per status move when the marks are committed. Memory only: safe without the runtime's lock.
    /// </summary>
    public void MarkDelivered(IReadOnlyList<OutboxEntry> items)
    {
        lock (_outboxGate)
            foreach (var item in items)
                if (RemovePending(item.Seq, out var pending))
                    _queuedMarks[item.Seq] = pending! with { Status = DeliveredStatus, Attempts = item.Attempts + 1, LastError = null };
    }

    /// <summary>Puts a parked action back in the queue with a fresh attempt count; false when the key is not parked.</summary>
    public bool Requeue(string key, long nowTicks) =>
        Change(key, e => e.Status == Failed ? e with { Status = Pending, Attempts = 0, NextAttemptAt = nowTicks } : null);

    public OutboxEntry? OutboxEntryOf(string key) => StoredEntry(key) is { } e ? WithQueuedMark(e) : null;

    /// <summary>The entry with its queued delivery mark applied (written by the next commit).</summary>
    private OutboxEntry WithQueuedMark(OutboxEntry entry)
    {
        lock (_outboxGate) return _queuedMarks.GetValueOrDefault(entry.Seq) ?? entry;
    }

    /// <summary>Outbox actions, optionally of one status, oldest first.</summary>
    public List<OutboxEntry> OutboxEntries(string? status, int max)
    {
        if (status == Pending) lock (_outboxGate) return [.. _outboxPending.Values.Take(max)];
        var rows = status is null
            ? Rows($"SELECT {OutboxColumns} FROM outbox ORDER BY seq LIMIT $0", ToEntry, max)
            : Rows($"SELECT {OutboxColumns} FROM outbox WHERE status = $0 ORDER BY seq LIMIT $1", ToEntry, status, max);
        if (status == DeliveredStatus)
            lock (_outboxGate) rows = [.. rows.Concat(_queuedMarks.Values).OrderBy(e => e.Seq)];   // delivered, their rows written by the next commit
        return [.. rows.Select(WithQueuedMark).Take(max)];
    }

    /// <summary>How many outbox actions are in each status (from memory: /api/health calls this often).</summary>
    public Dictionary<string, int> OutboxCounts()
    {
        lock (_outboxGate) return new Dictionary<string, int>(_outboxCounts, StringComparer.Ordinal);
    }

    /// <summary>How many pending outbox actions are held in memory for delivery (the load benchmark's memory run shows it stays bounded).</summary>
    public int OutboxPendingInMemory { get { lock (_outboxGate) return _outboxPending.Count; } }
}
