using JsonSerializer = System.Text.Json.JsonSerializer;
using LiteDB;
using MarketingDsl.Journeys;

namespace MarketingDsl.Runtime;

/// <summary>A user's journey state as stored (JSON in LiteDB): <see cref="UserJourneyState"/> without symbol references.</summary>
public sealed class StoredJourneyState
{
    public bool Active { get; set; }
    public int Entries { get; set; }
    public long? EntryAt { get; set; }
    public bool HeldOut { get; set; }
    public long? GoalUntil { get; set; }
    public List<int[]> Position { get; set; } = [];
    public long? WaitStart { get; set; }
    public long? WaitUntil { get; set; }
    public int? WaitToken { get; set; }
    public Dictionary<string, int> Branches { get; set; } = [];
    public int Token { get; set; }
}

/// <summary>Source-generated JSON of <see cref="StoredJourneyState"/>: the same text as the reflection serialiser, with less work per state (once or twice per event and journey).</summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(StoredJourneyState))]
internal sealed partial class StoredStateJson : System.Text.Json.Serialization.JsonSerializerContext;

/// <summary>A split's journey-wide state as stored.</summary>
public sealed class StoredSplitState
{
    public long? FirstArrival { get; set; }
    public int? Winner { get; set; }
    public long? WinnerAt { get; set; }
    public int[] Entered { get; set; } = [];
    public int[] Converted { get; set; } = [];
}

/// <summary>A pending timer: the end of a wait, a deferred send, a `winner after` decision.</summary>
public sealed record StoredTimer(long Id, long Due, string Kind, string Journey, string User, int Token, string Path, long EntryAt, string Split);

/// <summary>Two live users made one by a profile sharing an identity value: the survivor, the merged-away id, the linking (key, value), the clock at the merge, what moved and ended.</summary>
public sealed record IdentityMergeRecord(string Survivor, string Merged, string Key, string Value, long At, int EventsMoved, int JourneysEnded);

/// <summary>
/// The live runtime's durable state in one LiteDB file (exclusive: one `mdsl serve` per file):
/// events (raw JSON, for evaluating tags as of an instant: a log, see LiveStore.Events.cs), profiles, journey states,
/// split states, pending timers, the channel ledger, the outbox, and counters. Every write of
/// one request or timer round goes through <see cref="Begin"/>/<see cref="Commit"/>.
/// Reads a request would repeat per event are answered from memory: counters (written once per
/// commit; other threads see only committed values) and the earliest timer's due instant; a
/// rollback forgets what the transaction changed, so nothing in memory runs ahead of the file.
/// </summary>
public sealed partial class LiveStore : IDisposable
{
    public const string WaitTimer = "wait";
    public const string DeferredTimer = "deferred";
    public const string WinnerTimer = "winner";
    public const string SegmentCheckTimer = "segment_check";
    /// <summary>A schedule trigger's next firing; its token is the journey's declaration index (ties go in declaration order).</summary>
    public const string ScheduleTimer = "schedule";

    private readonly LiteDatabase _db;
    private readonly Lock _memo = new();
    /// <summary>Committed counter values read or written so far.</summary>
    private readonly Dictionary<string, long> _counters = new(StringComparer.Ordinal);
    /// <summary>Counter values set in the open transaction (written to the file by <see cref="Commit"/>).</summary>
    private readonly Dictionary<string, long> _dirtyCounters = new(StringComparer.Ordinal);
    /// <summary>The thread of the open transaction (LiteDB's transactions are per thread); 0: none.</summary>
    private int _transactionThread;
    /// <summary>The earliest pending due instant (long.MaxValue: none); null: unknown, read it from the file.</summary>
    private long? _minDue;
    /// <summary>The pending timers at <see cref="_minDue"/> in firing order, consumed from the front; null: unknown.</summary>
    private Queue<StoredTimer>? _dueGroup;

    /// <param name="indexBuffer">Events kept in memory for the per-user index (LiveStore.Events.cs).</param>
    /// <param name="dirtyStatesBound">Changed journey states kept in memory before they are written (LiveStore.States.cs).</param>
    /// <param name="maxStateLag">State-log documents a changed state may wait before it is written.</param>
    /// <param name="recentIds">Event ids (and outbox keys) the dedupe directories hold exactly; older ones go to runs in the file (LiveStore.IdRuns.cs).</param>
    public LiveStore(string path, int indexBuffer = DefaultIndexBuffer, int dirtyStatesBound = DefaultDirtyStatesBound, int maxStateLag = DefaultMaxStateLag,
        int recentIds = DefaultRecentIds)
    {
        _indexBuffer = Math.Max(0, indexBuffer);
        _dirtyStatesBound = Math.Max(0, dirtyStatesBound);
        _maxStateLag = Math.Max(0, maxStateLag);
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var mapper = new BsonMapper { TrimWhitespace = false, EmptyStringToNull = false };
        // Ordinal collation: user ids and event ids that differ only in case are different ids
        // (LiteDB's default collation ignores case, so "Ab" and "ab" shared one profile).
        try
        {
            // The same two files LiteDB opens for a file name (NAME.db and NAME-log.db), opened
            // here so that the store decides when the log is fsynced (LiteDbFile). FileShare.Read
            // as LiteDB's direct mode: one writer process.
            _dataFile = new LiteDbFile(new FileStream(Path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 1), fsyncOnFlush: true);
            _logFile = new LiteDbFile(new FileStream(LogPath(Path), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 1), fsyncOnFlush: false);
            _db = new LiteDatabase(new LiteDB.Engine.LiteEngine(new LiteDB.Engine.EngineSettings
            {
                DataStream = _dataFile, LogStream = _logFile,
                Collation = new Collation(System.Globalization.CultureInfo.InvariantCulture.LCID, System.Globalization.CompareOptions.Ordinal),
            }), mapper);
        }
        catch (LiteException ex) when (ex.Message.Contains("collation", StringComparison.OrdinalIgnoreCase))
        {
            DisposeFiles();
            throw OlderFormat(1);   // files of format 1 used LiteDB's default collation
        }
        catch
        {
            DisposeFiles();
            throw;
        }
        CheckFormat();
        _waitForLogWrites = LogWriterWait(_db);
        // LiteDB checkpoints (copies the log into the data file, then fsyncs it) inside the commit
        // that takes the log past its checkpoint size: at the default 1,000 pages that commit took
        // tens of ms and every request of its group and the next waited. The runtime checkpoints
        // between groups instead (CheckpointIfDue); LiteDB's own stays as a backstop far above.
        _db.CheckpointSize = BackstopCheckpointPages;
        LoadCounters();
        Timers.EnsureIndex("due");
        Ledger.EnsureIndex("uc");
        Identities.EnsureIndex("user");
        Aliases.EnsureIndex("into");
        OpenKeyDirectories(recentIds);
        OpenEvents();
        OpenStates();
        OpenOutbox();
    }

    public string Path { get; }

    // Queries with the value as a parameter. LiteDB's Query.EQ(field, value) writes the value into
    // the expression's text, and LiteDB compiles every distinct text to IL (≈1.7 ms, measured) and
    // keeps it in a static cache forever: a per-user query cost a JIT compile per new user and
    // grew the heap without bound. A parameterised text is parsed and compiled once.
    private static BsonExpression Eq(string field, BsonValue value) => BsonExpression.Create(field + " = @0", value);
    private static BsonExpression Lte(string field, BsonValue value) => BsonExpression.Create(field + " <= @0", value);

    private ILiteCollection<BsonDocument> Profiles => _db.GetCollection("profiles");
    private ILiteCollection<BsonDocument> Splits => _db.GetCollection("split_states");
    private ILiteCollection<BsonDocument> Timers => _db.GetCollection("timers");
    private ILiteCollection<BsonDocument> Ledger => _db.GetCollection("ledger");
    private ILiteCollection<BsonDocument> Meta => _db.GetCollection("meta");
    private ILiteCollection<BsonDocument> Identities => _db.GetCollection("identity");
    private ILiteCollection<BsonDocument> Aliases => _db.GetCollection("identity_aliases");
    private ILiteCollection<BsonDocument> Merges => _db.GetCollection("identity_merges");

    /// <summary>The layout of the file this version writes (events in a log, outbox keyed by sequence number, ordinal ids).</summary>
    public const int Format = 2;

    /// <summary>Refuses a file written in an older layout (read as this one it would lose events); marks a new file with this one.</summary>
    private void CheckFormat()
    {
        var format = Meta.FindById("format")?["value"].AsInt32;
        if (format == Format) return;
        if (format is null && !_db.GetCollectionNames().Any()) { Meta.Insert(new BsonDocument { ["_id"] = "format", ["value"] = Format }); return; }
        _db.Dispose();
        throw OlderFormat(format ?? 1);
    }

    private InvalidOperationException OlderFormat(int format) => new(
        $"{Path}: this live store was written by an older version of mdsl (format {format}, this version reads format {Format}); " +
        "start with a new file (--db) and send the profiles and events again");

    public void Begin()
    {
        _db.BeginTrans();
        lock (_memo) _transactionThread = Environment.CurrentManagedThreadId;
    }

    /// <param name="flush">false: the caller fsyncs later with <see cref="FlushLog"/> before it acknowledges anything of this commit (the committer's pipeline).</param>
    public void Commit(bool flush = true)
    {
        // A commit with events writes ONE record (the events, the state changes, the delivery
        // marks and the counters) into `event_log`: LiteDB's commit costs about 0.5 ms more per
        // collection it touches (probe: 0.5–0.7 ms for one, 2.2 ms for five), and a commit's
        // latency is what every request of the group waits for. The parts below set counters
        // (sequence numbers, watermarks), so the counters go last.
        _record = _pendingEvents.Count > 0 ? new BsonDocument() : null;
        WritePendingStates();
        WriteQueuedMarks();
        WritePendingEvents();
        WriteTxnOutbox();
        WriteRecordAndCounters();
        _db.Commit();
        EventsCommitted();
        StatesCommitted();
        OutboxCommitted();
        lock (_memo)
        {
            foreach (var (name, value) in _dirtyCounters) _counters[name] = value;
            _dirtyCounters.Clear();
            _transactionThread = 0;
        }
        // Last, once memory follows the file: a failed fsync fails the request (its client sends
        // it again and finds its events duplicates) but never makes memory forget a commit.
        if (flush) FlushCommitToDisk();
    }

    public void Rollback()
    {
        _db.Rollback();
        _record = null;
        ForgetPendingEvents();
        ForgetPendingOutbox();
        ForgetPendingStates();
        lock (_memo)
        {
            _dirtyCounters.Clear();
            _transactionThread = 0;
        }
        _minDue = null;
        _dueGroup = null;
    }

    // ------------------------------------------------------------------ counters

    public long Counter(string name)
    {
        lock (_memo)
        {
            if (_transactionThread == Environment.CurrentManagedThreadId && _dirtyCounters.TryGetValue(name, out var pending)) return pending;
            return _counters.GetValueOrDefault(name);
        }
    }

    // All counters live in one `meta` document ("counters"), read once on open and written once
    // per commit that changed any: a document per counter cost one upsert per counter per commit.
    private const string CountersDocument = "counters";

    /// <summary>The commit record being built (a commit with events), null otherwise.</summary>
    private BsonDocument? _record;

    /// <summary>The counters as of the last commit: from the `meta` document or the last commit record, whichever is newer (by `commit_seq`).</summary>
    private void LoadCounters()
    {
        var stored = Meta.FindById(CountersDocument);
        var last = EventLog.Query().OrderByDescending("_id").Limit(1).FirstOrDefault()?["c"];
        if (last is { IsDocument: true } c && (stored is null || CommitSeqOf(c.AsDocument) > CommitSeqOf(stored))) stored = c.AsDocument;
        if (stored is null) return;
        foreach (var (name, value) in stored)
            if (name != "_id") _counters[name] = value.AsInt64;
    }

    private static long CommitSeqOf(BsonDocument counters) => counters.TryGetValue("commit_seq", out var v) ? v.AsInt64 : 0;

    /// <summary>Writes the counters: inside the commit record when there is one (then inserts it), else the `meta` document.</summary>
    private void WriteRecordAndCounters()
    {
        if (_dirtyCounters.Count == 0 && _record is null) return;
        SetCounter("commit_seq", Counter("commit_seq") + 1);
        var doc = new BsonDocument();
        lock (_memo)
        {
            foreach (var (name, value) in _counters) doc[name] = value;
            foreach (var (name, value) in _dirtyCounters) doc[name] = value;
        }
        if (_record is null)
        {
            doc["_id"] = CountersDocument;
            Meta.Upsert(doc);
            return;
        }
        _record["c"] = doc;
        EventLog.Insert(_record);
        _record = null;
    }

    /// <summary>Sets a counter in memory; <see cref="Commit"/> writes it (the caller is inside a transaction).</summary>
    public void SetCounter(string name, long value)
    {
        lock (_memo)
        {
            if (_transactionThread != Environment.CurrentManagedThreadId) throw new InvalidOperationException("counters are set inside a transaction");
            _dirtyCounters[name] = value;
        }
    }
    public long Next(string name)
    {
        var n = Counter(name) + 1;
        SetCounter(name, n);
        return n;
    }

    // ------------------------------------------------------------------ events and profiles

    public string? Profile(string user) => Profiles.FindById(user)?["json"].AsString;
    /// <summary>Stores a profile; a new one gets the next profile sequence number (its place in "file order" for identity merges).</summary>
    public void SetProfile(string user, string json)
    {
        var seq = Profiles.FindById(user)?["seq"] is { IsInt64: true } s ? s.AsInt64 : Next("profile_seq");
        Profiles.Upsert(new BsonDocument { ["_id"] = user, ["json"] = json, ["seq"] = seq });
    }

    /// <summary>The order in which the user's profile was first stored (long.MaxValue: none).</summary>
    public long ProfileSeq(string user) => Profiles.FindById(user)?["seq"] is { IsInt64: true } s ? s.AsInt64 : long.MaxValue;

    public void DeleteProfile(string user) => Profiles.Delete(user);

    /// <summary>Deletes every pending timer of the user (journeys of a merged-away user end).</summary>
    public void DeleteTimersOf(string user)
    {
        foreach (var d in Timers.Find(Eq("user", user)).ToList()) Timers.Delete(d["_id"]);
        _minDue = null;
        _dueGroup = null;
    }

    // ------------------------------------------------------------------ identity index

    private static string IdentityEntryKey(string key, string value) => key + "\u001F" + value;

    /// <summary>The user whose profile carried <paramref name="value"/> for identity key <paramref name="key"/>, or null.</summary>
    public string? IdentityOwner(string key, string value) => Identities.FindById(IdentityEntryKey(key, value))?["user"].AsString;

    /// <summary>Records that <paramref name="user"/>'s profile carries the identity value (in the caller's transaction).</summary>
    public void SetIdentityOwner(string key, string value, string user) =>
        Identities.Upsert(new BsonDocument { ["_id"] = IdentityEntryKey(key, value), ["user"] = user });

    public int IdentityCount() => Identities.Count();

    /// <summary>The survivor a merged-away user id now belongs to, or null.</summary>
    public string? MergedInto(string user) => Aliases.FindById(user)?["into"].AsString;

    /// <summary>Records a merge: the alias, the identity entries of the merged-away user re-pointed, the merge itself.</summary>
    public void RecordMerge(IdentityMergeRecord merge)
    {
        Aliases.Upsert(new BsonDocument { ["_id"] = merge.Merged, ["into"] = merge.Survivor });
        // Older merges into the merged-away id now lead to the new survivor too.
        foreach (var d in Aliases.Find(Eq("into", merge.Merged)).ToList()) { d["into"] = merge.Survivor; Aliases.Update(d); }
        foreach (var d in Identities.Find(Eq("user", merge.Merged)).ToList()) { d["user"] = merge.Survivor; Identities.Update(d); }
        Merges.Insert(new BsonDocument
        {
            ["_id"] = Next("merge_seq"), ["survivor"] = merge.Survivor, ["merged"] = merge.Merged, ["key"] = merge.Key,
            ["value"] = merge.Value, ["at"] = merge.At, ["events"] = merge.EventsMoved, ["journeys_ended"] = merge.JourneysEnded,
        });
    }

    public List<IdentityMergeRecord> IdentityMerges() =>
        [.. Merges.FindAll().OrderBy(d => d["_id"].AsInt64).Select(d => new IdentityMergeRecord(d["survivor"].AsString, d["merged"].AsString,
            d["key"].AsString, d["value"].AsString, d["at"].AsInt64, d["events"].AsInt32, d["journeys_ended"].AsInt32))];

    // ------------------------------------------------------------------ journey and split states

    public Dictionary<string, StoredSplitState> SplitStates(string journey) =>
        Splits.FindById(journey) is { } d ? JsonSerializer.Deserialize<Dictionary<string, StoredSplitState>>(d["json"].AsString) ?? [] : [];

    public void SetSplitStates(string journey, Dictionary<string, StoredSplitState> splits) =>
        Splits.Upsert(new BsonDocument { ["_id"] = journey, ["json"] = JsonSerializer.Serialize(splits) });

    // ------------------------------------------------------------------ timers

    public void AddTimer(long due, string kind, string journey, string user = "", int token = 0, string path = "", long entryAt = 0, string split = "")
    {
        Timers.Insert(new BsonDocument
        {
            ["_id"] = Next("timer_seq"), ["due"] = due, ["kind"] = kind, ["journey"] = journey, ["user"] = user,
            ["token"] = token, ["path"] = path, ["entry"] = entryAt, ["split"] = split,
        });
        if (_minDue is { } min) _minDue = Math.Min(min, due);
        if (_dueGroup is { Count: > 0 } group && due <= group.Peek().Due) _dueGroup = null;   // it may go first
    }

    /// <summary>
    /// The earliest pending timer with due ≤ <paramref name="maxDue"/>. Ties at one instant go as in
    /// replay (§15.7): waits and deferred sends in the order set, winner decisions, the segment
    /// check, schedules in declaration order.
    /// </summary>
    public StoredTimer? FirstTimer(long maxDue)
    {
        // Every event asks (timers due before it fire first): answer "none" from memory when it can.
        _minDue ??= Timers.Find(Query.All("due", Query.Ascending), limit: 1).FirstOrDefault()?["due"].AsInt64 ?? long.MaxValue;
        if (_minDue > maxDue) return null;
        // The timers at the earliest instant are read once, in firing order, and handed out one by
        // one as they are deleted: a backlog of many timers due at once costs one read each, not a
        // read of every due timer per firing.
        if (_dueGroup is not { Count: > 0 })
        {
            _dueGroup = new Queue<StoredTimer>(Timers.Find(Eq("due", _minDue.Value)).Select(ToTimer)
                .OrderBy(t => TieRank(t.Kind)).ThenBy(t => t.Kind == ScheduleTimer ? t.Token : 0).ThenBy(t => t.Id));
            if (_dueGroup.Count == 0)
            {
                _dueGroup = null;
                _minDue = Timers.Find(Query.All("due", Query.Ascending), limit: 1).FirstOrDefault()?["due"].AsInt64 ?? long.MaxValue;
                return FirstTimer(maxDue);
            }
        }
        var first = _dueGroup.Peek();
        return first.Due <= maxDue ? first : null;
    }

    private static int TieRank(string kind) => kind switch { WinnerTimer => 1, SegmentCheckTimer => 2, ScheduleTimer => 3, _ => 0 };

    public void DeleteTimer(long id)
    {
        Timers.Delete(id);
        if (_dueGroup is { Count: > 0 } group && group.Peek().Id == id)
        {
            group.Dequeue();
            if (group.Count > 0) return;
        }
        _minDue = null;
        _dueGroup = null;
    }
    public int TimerCount() => Timers.Count();
    public List<StoredTimer> AllTimers() => [.. Timers.FindAll().Select(ToTimer).OrderBy(t => t.Due).ThenBy(t => t.Id)];

    private static StoredTimer ToTimer(BsonDocument d) => new(d["_id"].AsInt64, d["due"].AsInt64, d["kind"].AsString, d["journey"].AsString,
        d["user"].AsString, d["token"].AsInt32, d["path"].AsString, d["entry"].AsInt64, d["split"].AsString);

    // ------------------------------------------------------------------ channel ledger

    private static string LedgerKey(string user, string channel) => user + "\u001F" + channel;

    public int DeliveredBetween(string user, string channel, long fromExclusive, long toInclusive) =>
        Ledger.Find(Eq("uc", LedgerKey(user, channel))).Count(d => d["at"].AsInt64 > fromExclusive && d["at"].AsInt64 <= toInclusive);

    public void RecordDelivered(string user, string channel, long at) =>
        Ledger.Insert(new BsonDocument { ["uc"] = LedgerKey(user, channel), ["at"] = at });

    // LiteDB 5.0.20 writes a commit's pages into its log file (NAME-log.db) from its writer queue
    // (below) and, for a FileStream, fsyncs the log when that queue drains (often inline in Commit,
    // profiled under load; not for a commit whose pages join a queue that keeps growing), so
    // nothing guaranteed a given commit was on disk, and the committer waited for fsyncs inside
    // Commit. The log is now handed to LiteDB as a plain stream (LiteDbFile: flushed to the OS
    // only); each explicit transaction's commit is fsynced here, once the queue was empty.

    /// <summary>fsyncs LiteDB's log: every commit made so far, on any thread (the committer's flusher thread calls it after <c>Commit(flush: false)</c>).</summary>
    public void FlushLog() => FlushCommitToDisk();

    private readonly Lock _flushGate = new();

    // LiteDB 5.0.20 does not write a commit's log pages in Commit: it queues them for a writer task
    // of its own (DiskService.Queue, a DiskWriterQueue) and returns. An fsync right after Commit
    // could run before the pages reach the file (and a process kill could lose them with the
    // queue), so the flush first waits until the queue was empty at some moment after the commit:
    // its "empty" event is reset by every enqueue and set by the writer only after it wrote all it
    // took, in order. (The queue's own Wait() is not used: it asserts that nothing was enqueued
    // meanwhile, which the committer's next group may have done — it failed requests that way.)
    // The queue is internal to LiteDB: reached by reflection, for the pinned version; a LiteDB
    // without it fails here, at open.
    private readonly Action _waitForLogWrites;

    private static Action LogWriterWait(LiteDatabase db)
    {
        const System.Reflection.BindingFlags Instance = System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public;
        var engine = typeof(LiteDatabase).GetField("_engine", Instance)?.GetValue(db);
        var disk = engine?.GetType().GetField("_disk", Instance)?.GetValue(engine);
        var lazy = disk?.GetType().GetProperty("Queue", Instance)?.GetValue(disk);
        var queue = lazy?.GetType().GetProperty("Value")?.GetValue(lazy);
        var emptied = queue?.GetType().GetField("_queueIsEmpty", Instance)?.GetValue(queue) as ManualResetEventSlim;
        var failure = queue?.GetType().GetField("_exception", Instance);
        if (queue is null || emptied is null || failure is null)
            throw new InvalidOperationException("this LiteDB has no log writer queue where 5.0.20 has one: the live store cannot tell when a commit is written");
        return () =>
        {
            emptied.Wait();
            // The writer stops at its first failure: the commit is not on disk.
            if (failure.GetValue(queue) is Exception ex) throw new IOException("LiteDB's log writer failed: " + ex.Message, ex);
        };
    }

    private void FlushCommitToDisk()
    {
        _waitForLogWrites();
        lock (_flushGate) RandomAccess.FlushToDisk(_logFile!.File.SafeFileHandle);
    }

    private static string LogPath(string path) => System.IO.Path.Combine(System.IO.Path.GetDirectoryName(path)!,
        System.IO.Path.GetFileNameWithoutExtension(path) + "-log" + System.IO.Path.GetExtension(path));

    private readonly LiteDbFile? _dataFile;
    private readonly LiteDbFile? _logFile;

    private void DisposeFiles()
    {
        _logFile?.Dispose();
        _dataFile?.Dispose();
    }

    /// <summary>
    /// Pages LiteDB's page cache has allocated (it grows by segments when its free pages run out
    /// and keeps them); -1 when this LiteDB does not tell. A diagnostic for the load benchmark's
    /// memory run, read by reflection (LiteDB keeps it internal).
    /// </summary>
    public int LiteDbCachePages
    {
        get
        {
            const System.Reflection.BindingFlags Instance = System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public;
            var engine = typeof(LiteDatabase).GetField("_engine", Instance)?.GetValue(_db);
            var disk = engine?.GetType().GetField("_disk", Instance)?.GetValue(engine);
            var cache = disk?.GetType().GetProperty("Cache", Instance)?.GetValue(disk);
            return cache?.GetType().GetProperty("ExtendPages", Instance)?.GetValue(cache) is int pages ? pages : -1;
        }
    }

    /// <summary>LiteDB's own checkpoint size (pages): only reached when nothing calls <see cref="CheckpointIfDue"/> (e.g. profiles alone).</summary>
    public const int BackstopCheckpointPages = 8_000;
    /// <summary>Log size from which a checkpoint runs when no request waits.</summary>
    public const long IdleCheckpointBytes = 1L << 20;
    /// <summary>Log size from which a checkpoint runs between two groups even when requests wait.</summary>
    public const long BusyCheckpointBytes = 8L << 20;

    /// <summary>The size of LiteDB's log file (what a checkpoint copies), 0 before the first commit.</summary>
    public long LogBytes => RandomAccess.GetLength(_logFile!.File.SafeFileHandle);

    /// <summary>
    /// Outside any transaction: copies LiteDB's log into the data file when it has reached
    /// <see cref="IdleCheckpointBytes"/> and nothing waits (<paramref name="idle"/>), or
    /// <see cref="BusyCheckpointBytes"/> in any case. A checkpoint costs about its log's size in
    /// copying plus an fsync of the data file, so small ones in the gaps between groups keep it out
    /// of the commits requests wait for. Returns whether it ran.
    /// </summary>
    public bool CheckpointIfDue(bool idle)
    {
        var log = LogBytes;
        if (log < (idle ? IdleCheckpointBytes : BusyCheckpointBytes)) return false;
        _db.Checkpoint();
        return true;
    }

    public void Dispose()
    {
        _db.Dispose();
        DisposeFiles();
    }
}
