using JsonSerializer = System.Text.Json.JsonSerializer;
using Microsoft.Data.Sqlite;
using MarketingDsl.Journeys;

namespace MarketingDsl.Runtime;

/// <summary>A user's journey state as stored (JSON in the store): <see cref="UserJourneyState"/> without symbol references.</summary>
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

/// <summary>Source-generated JSON of <see cref="StoredJourneyState"/>: the same text as the reflection serialiser, with less work per state (once or
/// twice per event and journey).</summary>
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

/// <summary>Two live users made one by a profile sharing an identity value: the survivor, the merged-away id, the linking (key, value), the clock at
/// the merge, what moved and ended.</summary>
public sealed record IdentityMergeRecord(string Survivor, string Merged, string Key, string Value, long At, int EventsMoved, int JourneysEnded);

/// <summary>
/// The live runtime's durable state in one SQLite database in WAL mode (one `mdsl serve` per
/// file: NAME.lock): events (raw JSON, for evaluating tags as of an instant;
/// LiveStore.Events.cs), profiles, identities and merges, journey states, split states, pending
/// timers, the channel ledger, the outbox (LiveStore.Delivery.cs), segment memberships, the
/// segment due index (LiveStore.SegmentDue.cs) and counters. Every write of one request group or
/// timer round goes through <see cref="Begin"/>/<see cref="Commit"/>: one SQLite transaction.
///
/// Durability, through SQLite's documented settings only: `journal_mode=WAL` with
/// `synchronous=FULL` makes COMMIT return only after the write-ahead log is fsynced
/// (sqlite.org/pragma.html#pragma_synchronous: "In WAL mode when synchronous is FULL […] a WAL
/// file sync after each transaction commit"), so a group whose <see cref="Commit"/> returned is
/// on disk, whatever happens to the process or the machine next. NORMAL would skip that sync
/// and lose the last acknowledged groups on a power cut; FULL costs one fsync per group, shared
/// by every request in it (group commit, LiveRuntime). An interrupted transaction is rolled
/// back by SQLite on the next open: nothing unacknowledged is half there.
///
/// Reads a request would repeat per event are answered from memory: counters (written once per
/// commit; other threads see only committed values), the earliest timer's due instant, the
/// timers due at it (in firing order) and the timer count; a rollback forgets what the
/// transaction changed, so nothing in memory runs ahead of the file. Keys are compared ordinally (SQLite's BINARY collation): "Ab" and "ab"
/// are different users and ids.
/// </summary>
public sealed partial class LiveStore : IDisposable
{
    public const string WaitTimer = "wait";
    public const string DeferredTimer = "deferred";
    public const string WinnerTimer = "winner";
    public const string SegmentCheckTimer = "segment_check";
    /// <summary>A schedule trigger's next firing; its token is the journey's declaration index (ties go in declaration order).</summary>
    public const string ScheduleTimer = "schedule";

    private readonly Lock _memo = new();
    /// <summary>Committed counter values.</summary>
    private readonly Dictionary<string, long> _counters = new(StringComparer.Ordinal);
    /// <summary>Counter values set in the open transaction (written to the file by <see cref="Commit"/>).</summary>
    private readonly Dictionary<string, long> _dirtyCounters = new(StringComparer.Ordinal);
    /// <summary>The thread of the open transaction; 0: none.</summary>
    private int _transactionThread;
    /// <summary>The earliest pending due instant (long.MaxValue: none); null: unknown, read it from the file.</summary>
    private long? _minDue;
    /// <summary>Committed pending timers, and the open transaction's change to that count.</summary>
    private int _timerCount, _txnTimerDelta;
    /// <summary>The pending timers at <see cref="_minDue"/> in firing order, consumed from the front; null: unknown.</summary>
    private Queue<StoredTimer>? _dueGroup;

    /// <summary>The layout of the file this version writes (format 3: SQLite; 1 and 2 were LiteDB files).</summary>
    public const int Format = 3;

    /// <summary>Pages SQLite's page cache may hold (of <see cref="PageBytes"/> each): index pages of events, states and outbox keys stay
    /// hot.</summary>
    public const int CachePages = 16_384;
    public const int PageBytes = 4096;

    public LiveStore(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        if (Directory.Exists(Path)) throw new IOException($"{Path}: is a folder, not a live store file (--db names the store's file)");
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        // The lock first: a second opener learns the store is in use before it reads anything.
        _openerLock = LockOpener(Path);
        var isNew = !File.Exists(Path) || new FileInfo(Path).Length == 0;
        try
        {
            if (!isNew) RefuseOtherFiles();
        }
        catch
        {
            _openerLock.Dispose();
            throw;
        }
        // No pooling: Dispose closes the file (a restart, a test, a copy see a closed database).
        _connection = new SqliteConnection(ConnectionString(Path, SqliteOpenMode.ReadWriteCreate));
        try
        {
            _connection.Open();
            // journal_mode and synchronous: see the class comment. The write-ahead log is copied
            // into the database beside the writer, by a second connection (LiveStore.Checkpoints.cs);
            // SQLite's own automatic checkpoint, which runs inside the COMMIT that passes it, stays
            // as a backstop far above. Statements run on the native handle (LiveStore.Sql.cs) wait
            // for another process's lock as SqliteCommand does.
            Execute($"PRAGMA busy_timeout={_connection.DefaultTimeout * 1000}");
            Execute($"PRAGMA page_size={PageBytes}");   // of a new file; an existing one keeps its own
            try
            {
                Execute("BEGIN IMMEDIATE");
                Execute("COMMIT");
            }
            catch (SqliteException ex) when (ex.SqliteErrorCode is 5 or 6)   // SQLITE_BUSY, SQLITE_LOCKED
            {
                throw new IOException($"{Path}: another process has this live store open (one `mdsl serve` per store file)", ex);
            }
            lock (_sql)
            {
                using var mode = _connection.CreateCommand();
                mode.CommandText = "PRAGMA journal_mode=WAL";
                if (!string.Equals(mode.ExecuteScalar() as string, "wal", StringComparison.OrdinalIgnoreCase))
                    throw new InvalidOperationException($"{Path}: SQLite refused write-ahead logging (journal_mode=WAL) here");
            }
            Execute("PRAGMA synchronous=FULL");
            Execute($"PRAGMA wal_autocheckpoint={BackstopCheckpointPages}");
            Execute($"PRAGMA cache_size={CachePages}");
            CreateSchema();
            CheckFormat();
            LoadCounters();
            _timerCount = Convert.ToInt32(Scalar("SELECT count(*) FROM timers"), System.Globalization.CultureInfo.InvariantCulture);
            _identityCount = Convert.ToInt32(Scalar("SELECT count(*) FROM identities"), System.Globalization.CultureInfo.InvariantCulture);
            OpenOutbox();
        }
        catch (SqliteException ex) when (OpenFailure(ex) is { } failure)
        {
            DisposeConnection();
            throw new IOException(failure, ex);
        }
        catch
        {
            DisposeConnection();
            throw;
        }
    }

    /// <summary>What an SQLite error while opening says about the file, as one line naming it; null: not a problem of the file.</summary>
    private string? OpenFailure(SqliteException ex) => ex.SqliteErrorCode switch
    {
        26 => $"{Path}: not a live store: it starts as an SQLite database but is damaged or is not one (SQLite: {ex.Message})",
        11 => $"{Path}: the live store is damaged (SQLite: {ex.Message}); restore a copy or start with a new file (--db)",
        8 => $"{Path}: the live store is read-only (the file or its folder): the store must be writable (SQLite: {ex.Message})",
        14 => $"{Path}: SQLite cannot open the live store (is its folder writable? SQLite: {ex.Message})",
        13 => $"{Path}: the disk is full (SQLite: {ex.Message})",
        _ => null,
    };

    /// <summary>The settings of every connection to the store's file; no pooling: Dispose closes the file.</summary>
    private static string ConnectionString(string path, SqliteOpenMode mode) => new SqliteConnectionStringBuilder
    {
        DataSource = path, Pooling = false, Mode = mode,
        // Seconds a statement retries a lock another connection holds (the checkpointing one's, briefly).
        DefaultTimeout = 3,
    }.ToString();

    /// <summary>Held from open to Dispose: refuses a second opener of the store, in this process or another.</summary>
    private readonly FileStream _openerLock;

    /// <summary>
    /// One `mdsl serve` per file: its counters and pending outbox live in its memory, so a second
    /// writer would corrupt them. SQLite's exclusive locking mode would refuse it, but also the
    /// second connection that checkpoints beside the writer; the store holds an exclusive lock
    /// on NAME.lock instead (FileShare.None: an advisory lock on Unix, which the kernel drops when
    /// the process dies). NAME is the store's resolved path (<see cref="ResolvedPath"/>): a second
    /// name of the file through a symbolic link (of the file or of a folder above it) locks the same
    /// lock file. A hard link is not seen: it is the same file under a name no resolution reaches,
    /// and SQLite too would keep a second log beside it (sqlite.org/howtocorrupt.html, "multiple
    /// links to the same file"); README, Live runtime, says to give a store one name.
    /// </summary>
    private static FileStream LockOpener(string path)
    {
        var lockPath = ResolvedPath(path) + ".lock";
        var folder = System.IO.Path.GetDirectoryName(lockPath)!;
        try
        {
            return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (UnauthorizedAccessException ex) when (Directory.Exists(lockPath))
        {
            throw new IOException($"{path}: its lock file {lockPath} is a folder: remove it (mdsl creates the lock file itself)", ex);
        }
        catch (UnauthorizedAccessException ex) when (File.Exists(lockPath))
        {
            throw new IOException($"{path}: its lock file {lockPath} cannot be written: the store's files must be writable", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new IOException($"{path}: the folder {folder} is not writable: the store needs it for its lock and log files", ex);
        }
        catch (IOException ex) when (ex is not FileNotFoundException and not DirectoryNotFoundException && IsSharingViolation(ex))
        {
            throw new IOException($"{path}: another process has this live store open (one `mdsl serve` per store file)", ex);
        }
        catch (IOException ex) when (ex is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new IOException($"{path}: cannot create or open its lock file {lockPath} (the store's folder must be writable): {ex.Message}",
                ex);
        }
    }

    /// <summary>Whether an open failed because another handle holds the file (Unix: the advisory lock is held; Windows: a sharing
    /// violation).</summary>
    private static bool IsSharingViolation(IOException ex) =>
        OperatingSystem.IsWindows() ? (ex.HResult & 0xFFFF) is 32 or 33 : ex.HResult is 11 or 35;   // EWOULDBLOCK (Linux, macOS)

    /// <summary>
    /// <paramref name="path"/> with every symbolic link on it resolved, of the folders above and of
    /// the file itself, link after link (a link's relative target is read from the link's folder).
    /// </summary>
    internal static string ResolvedPath(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        for (var links = 0; links < 64; links++)
        {
            var root = System.IO.Path.GetPathRoot(full)!;
            var parts = full[root.Length..].Split(System.IO.Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
            var current = root;
            var resolvedAll = true;
            for (var i = 0; i < parts.Length; i++)
            {
                var next = System.IO.Path.Combine(current, parts[i]);
                FileSystemInfo entry = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
                if (entry.LinkTarget is { } target)
                {
                    full = System.IO.Path.Combine([System.IO.Path.GetFullPath(target, current), .. parts[(i + 1)..]]);
                    resolvedAll = false;
                    break;
                }
                current = next;
            }
            if (resolvedAll) return full;
        }
        throw new IOException($"{path}: too many symbolic links on the way to the live store");
    }

    public string Path { get; }

    private void CreateSchema()
    {
        const string Schema = """
            CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, user TEXT NOT NULL, type TEXT NOT NULL, id TEXT, ts INTEGER NOT NULL,
                json TEXT NOT NULL);
            CREATE UNIQUE INDEX IF NOT EXISTS events_by_id ON events (type, id) WHERE id IS NOT NULL;
            -- (user, type, ts): a fan-out reads the types its journey reads of many users without their other rows, and the
            -- times of those it needs no field of from the index alone (LiveStore.Batches.cs). It replaces the indexes on user and
            -- on (user, type) of stores written before it (built once, at the first open).
            CREATE INDEX IF NOT EXISTS events_by_user_type_ts ON events (user, type, ts);
            DROP INDEX IF EXISTS events_by_user_type;
            DROP INDEX IF EXISTS events_by_user;
            CREATE TABLE IF NOT EXISTS profiles (user TEXT PRIMARY KEY, json TEXT NOT NULL, seq INTEGER NOT NULL) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS identities (key TEXT NOT NULL, value TEXT NOT NULL, user TEXT NOT NULL, PRIMARY KEY (key, value))
                WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS identities_by_user ON identities (user);
            CREATE TABLE IF NOT EXISTS identity_aliases (merged TEXT PRIMARY KEY, survivor TEXT NOT NULL) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS identity_aliases_by_survivor ON identity_aliases (survivor);
            CREATE TABLE IF NOT EXISTS identity_merges (seq INTEGER PRIMARY KEY, survivor TEXT NOT NULL, merged TEXT NOT NULL, key TEXT NOT NULL,
                value TEXT NOT NULL, at INTEGER NOT NULL, events INTEGER NOT NULL, journeys_ended INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS journey_states (journey TEXT NOT NULL, user TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (journey, user))
                WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS split_states (journey TEXT PRIMARY KEY, json TEXT NOT NULL) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS timers (id INTEGER PRIMARY KEY, due INTEGER NOT NULL, kind TEXT NOT NULL, journey TEXT NOT NULL,
                user TEXT NOT NULL,
                token INTEGER NOT NULL, path TEXT NOT NULL, entry INTEGER NOT NULL, split TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS timers_by_due ON timers (due);
            CREATE INDEX IF NOT EXISTS timers_by_kind ON timers (kind);
            CREATE INDEX IF NOT EXISTS timers_by_user ON timers (user);
            CREATE TABLE IF NOT EXISTS ledger (user TEXT NOT NULL, channel TEXT NOT NULL, at INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS ledger_by_user ON ledger (user, channel, at);
            CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, channel TEXT NOT NULL, line TEXT NOT NULL,
                status TEXT NOT NULL, attempts INTEGER NOT NULL, next_at INTEGER NOT NULL, error TEXT);
            CREATE TABLE IF NOT EXISTS segment_members (segment TEXT NOT NULL, user TEXT NOT NULL, member INTEGER NOT NULL,
                PRIMARY KEY (segment, user)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS segment_due (user TEXT PRIMARY KEY, due INTEGER NOT NULL) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS segment_due_by_due ON segment_due (due);
            CREATE TABLE IF NOT EXISTS segments_armed (segment TEXT PRIMARY KEY) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS journey_shapes (journey TEXT PRIMARY KEY, json TEXT NOT NULL) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS journey_ends (seq INTEGER PRIMARY KEY, journey TEXT NOT NULL, user TEXT NOT NULL, at INTEGER NOT NULL,
                reason TEXT NOT NULL, detail TEXT NOT NULL);
            """;
        lock (_sql)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = Schema;
            command.ExecuteNonQuery();
        }
        CreateMeasureSchema();
    }

    /// <summary>
    /// A file that is not SQLite's is refused before SQLite sees it: an older mdsl store (the
    /// LiteDB files of formats 1 and 2; read as this layout it would lose events) as such, any
    /// other file as not a live store.
    /// </summary>
    private void RefuseOtherFiles()
    {
        Span<byte> header = stackalloc byte[100];
        using (var file = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
            header = header[..file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false)];
        if (header.StartsWith("SQLite format 3\0"u8)) return;
        // LiteDB writes this text near the start of its header page (LiteDB 4 and 5).
        if (header.IndexOf("** This is a LiteDB file **"u8) >= 0) throw OlderFormat("2 or older");
        throw new IOException($"{Path}: not a live store (neither an SQLite database nor an older mdsl store); --db names the store's file");
    }

    private void CheckFormat()
    {
        var format = Scalar("SELECT value FROM meta WHERE name = 'format'");
        if (format is long f && f == Format) return;
        if (format is null && Scalar("SELECT count(*) FROM events") is 0L && Scalar("SELECT count(*) FROM profiles") is 0L)
        {
            Execute("INSERT INTO meta (name, value) VALUES ('format', $0)", Format);
            return;
        }
        throw OlderFormat(format?.ToString() ?? "unknown");
    }

    /// <summary>An IOException: the file given is the problem (the CLI answers it in one line, exit 2).</summary>
    private IOException OlderFormat(string format) => new(
        $"{Path}: this live store was written by an older version of mdsl (format {format}, this version reads format {Format}); " +
        "start with a new file (--db) and send the profiles and events again");

    public void Begin()
    {
        lock (_sql) _transaction = _connection.BeginTransaction();
        lock (_memo) _transactionThread = Environment.CurrentManagedThreadId;
    }

    /// <summary>
    /// Commits the open transaction: when it returns, everything the transaction wrote is on disk
    /// (synchronous=FULL, see the class comment), so the caller may acknowledge it.
    /// </summary>
    public void Commit()
    {
        FlushMeasures();
        WriteQueuedMarks();
        if (_dirtyCounters.Count > 0) SetCounter("commit_seq", Counter("commit_seq") + 1);
        foreach (var (name, value) in _dirtyCounters)
            Execute("INSERT INTO meta (name, value) VALUES ($0, $1) ON CONFLICT (name) DO UPDATE SET value = excluded.value", "c:" + name, value);
        lock (_sql)
        {
            _transaction!.Commit();
            _transaction.Dispose();
            _transaction = null;
        }
        _background?.Wake();   // the checkpoint thread copies this commit's pages beside the next ones (when started)
        OutboxCommitted();
        lock (_memo)
        {
            foreach (var (name, value) in _dirtyCounters) _counters[name] = value;
            _dirtyCounters.Clear();
            _transactionThread = 0;
            _timerCount += _txnTimerDelta;
            _txnTimerDelta = 0;
            _identityCount += _txnIdentityDelta;
            _txnIdentityDelta = 0;
        }
    }

    public void Rollback()
    {
        lock (_sql)
        {
            // A COMMIT that failed on I/O may have ended the transaction already.
            try { _transaction?.Rollback(); }
            catch (SqliteException) { }
            catch (InvalidOperationException) { }
            _transaction?.Dispose();
            _transaction = null;
        }
        ForgetPendingOutbox();
        ForgetPendingMeasures();
        lock (_memo)
        {
            _dirtyCounters.Clear();
            _transactionThread = 0;
            _txnTimerDelta = 0;
            _txnIdentityDelta = 0;
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

    /// <summary>Counters live in `meta` as rows named "c:NAME", written by the commit that changed them.</summary>
    private void LoadCounters()
    {
        foreach (var (name, value) in Rows("SELECT name, value FROM meta WHERE name LIKE 'c:%'", r => (r.GetString(0), r.GetInt64(1))))
            _counters[name[2..]] = value;
    }

    /// <summary>Sets a counter in memory; <see cref="Commit"/> writes it (the caller is inside a transaction).</summary>
    public void SetCounter(string name, long value)
    {
        lock (_memo)
        {
            if (_transactionThread != Environment.CurrentManagedThreadId) throw new InvalidOperationException("counters are set inside a " +
                "transaction");
            _dirtyCounters[name] = value;
        }
    }

    public long Next(string name)
    {
        var n = Counter(name) + 1;
        SetCounter(name, n);
        return n;
    }

    // ------------------------------------------------------------------ profiles

    public string? Profile(string user) => Scalar("SELECT json FROM profiles WHERE user = $0", user) as string;

    /// <summary>Stores a profile; a new one gets the next profile sequence number (its place in "file order" for identity merges).</summary>
    /// <param name="isNew">True when the caller knows the user has no stored profile (it just read it): no look-up of the sequence number.</param>
    public void SetProfile(string user, string json, bool isNew = false)
    {
        var seq = isNew ? Next("profile_seq") : Scalar("SELECT seq FROM profiles WHERE user = $0", user) as long? ?? Next("profile_seq");
        Execute("INSERT INTO profiles (user, json, seq) VALUES ($0, $1, $2) ON CONFLICT (user) DO UPDATE SET json = excluded.json", user, json, seq);
    }

    /// <summary>The order in which the user's profile was first stored (long.MaxValue: none).</summary>
    public long ProfileSeq(string user) => Scalar("SELECT seq FROM profiles WHERE user = $0", user) as long? ?? long.MaxValue;

    public void DeleteProfile(string user) => Execute("DELETE FROM profiles WHERE user = $0", user);

    // ------------------------------------------------------------------ identity index

    /// <summary>The user whose profile carried <paramref name="value"/> for identity key <paramref name="key"/>, or null.</summary>
    public string? IdentityOwner(string key, string value) => Scalar("SELECT user FROM identities WHERE key = $0 AND value = $1", key,
        value) as string;

    /// <summary>Records that <paramref name="user"/>'s profile carries the identity value (in the caller's transaction).</summary>
    public void SetIdentityOwner(string key, string value, string user)
    {
        if (Execute("INSERT INTO identities (key, value, user) VALUES ($0, $1, $2) ON CONFLICT (key, value) DO NOTHING", key, value, user) == 1)
        {
            lock (_memo) _txnIdentityDelta++;
            return;
        }
        Execute("UPDATE identities SET user = $2 WHERE key = $0 AND value = $1", key, value, user);
    }

    /// <summary>Committed identity values, and the open transaction's change to that count (rows are never deleted).</summary>
    private int _identityCount, _txnIdentityDelta;

    /// <summary>How many identity values are known (committed; from memory: /api/health asks without the runtime's lock).</summary>
    public int IdentityCount()
    {
        lock (_memo) return _identityCount + (_transactionThread == Environment.CurrentManagedThreadId ? _txnIdentityDelta : 0);
    }

    /// <summary>How many identity merges are recorded (committed; each takes a `merge_seq`, so the counter is their count).</summary>
    public long MergeCount => Counter("merge_seq");

    /// <summary>The survivor a merged-away user id now belongs to, or null.</summary>
    public string? MergedInto(string user) => AnyMerge ? Scalar("SELECT survivor FROM identity_aliases WHERE merged = $0", user) as string : null;

    /// <summary>
    /// Whether this store has recorded an identity merge (every merge takes a `merge_seq`): until
    /// the first, no id is an alias, and the look-ups every event and history load would make are skipped.
    /// </summary>
    private bool AnyMerge => Counter("merge_seq") > 0;

    /// <summary>Records a merge: the alias, the identity entries of the merged-away user re-pointed, the merge itself.</summary>
    public void RecordMerge(IdentityMergeRecord merge)
    {
        Execute("INSERT INTO identity_aliases (merged, survivor) VALUES ($0, $1) ON CONFLICT (merged) DO UPDATE SET survivor = excluded.survivor",
            merge.Merged, merge.Survivor);
        // Older merges into the merged-away id now lead to the new survivor too.
        Execute("UPDATE identity_aliases SET survivor = $1 WHERE survivor = $0", merge.Merged, merge.Survivor);
        Execute("UPDATE identities SET user = $1 WHERE user = $0", merge.Merged, merge.Survivor);
        Execute("INSERT INTO identity_merges (seq, survivor, merged, key, value, at, events, journeys_ended) VALUES ($0, $1, $2, $3, $4, $5, $6, $7)",
            Next("merge_seq"), merge.Survivor, merge.Merged, merge.Key, merge.Value, merge.At, merge.EventsMoved, merge.JourneysEnded);
    }

    public List<IdentityMergeRecord> IdentityMerges() =>
        Rows("SELECT survivor, merged, key, value, at, events, journeys_ended FROM identity_merges ORDER BY seq",
            r => new IdentityMergeRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt64(4), r.GetInt32(5),
                r.GetInt32(6)));

    // ------------------------------------------------------------------ split states

    public Dictionary<string, StoredSplitState> SplitStates(string journey) =>
        Scalar("SELECT json FROM split_states WHERE journey = $0", journey) is string json
            ? JsonSerializer.Deserialize<Dictionary<string, StoredSplitState>>(json) ?? []
            : [];

    public void SetSplitStates(string journey, Dictionary<string, StoredSplitState> splits) =>
        Execute("INSERT INTO split_states (journey, json) VALUES ($0, $1) ON CONFLICT (journey) DO UPDATE SET json = excluded.json",
            journey, JsonSerializer.Serialize(splits));

    // ------------------------------------------------------------------ timers

    private const string TimerColumns = "id, due, kind, journey, user, token, path, entry, split";

    public void AddTimer(long due, string kind, string journey, string user = "", int token = 0, string path = "", long entryAt = 0,
        string split = "")
    {
        Execute($"INSERT INTO timers ({TimerColumns}) VALUES ($0, $1, $2, $3, $4, $5, $6, $7, $8)",
            Next("timer_seq"), due, kind, journey, user, token, path, entryAt, split);
        _txnTimerDelta++;
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
        _minDue ??= Scalar("SELECT min(due) FROM timers") as long? ?? long.MaxValue;
        if (_minDue > maxDue) return null;
        // The timers at the earliest instant are read once, in firing order, and handed out one by
        // one as they are deleted: a backlog of many timers due at once costs one read, not a read
        // (and sort) of every timer at that instant per firing.
        if (_dueGroup is not { Count: > 0 })
        {
            _dueGroup = new Queue<StoredTimer>(Rows($"""
                SELECT {TimerColumns} FROM timers WHERE due = $0
                ORDER BY CASE kind WHEN '{WinnerTimer}' THEN 1 WHEN '{SegmentCheckTimer}' THEN 2 WHEN '{ScheduleTimer}' THEN 3 ELSE 0 END,
                    CASE kind WHEN '{ScheduleTimer}' THEN token ELSE 0 END, id
                """, ToTimer, _minDue.Value));
            if (_dueGroup.Count == 0)
            {
                _dueGroup = null;
                _minDue = Scalar("SELECT min(due) FROM timers") as long? ?? long.MaxValue;
                return FirstTimer(maxDue);
            }
        }
        var first = _dueGroup.Peek();
        return first.Due <= maxDue ? first : null;
    }

    public void DeleteTimer(long id)
    {
        _txnTimerDelta -= Execute("DELETE FROM timers WHERE id = $0", id);
        if (_dueGroup is { Count: > 0 } group && group.Peek().Id == id)
        {
            group.Dequeue();
            if (group.Count > 0) return;
        }
        _minDue = null;
        _dueGroup = null;
    }

    /// <summary>
    /// Deletes every pending timer of the user (journeys of a merged-away user end). A schedule's or the 00:00 check's timer
    /// names a user only as where its fan-out stopped, and stays: deleting it would stop the schedule or the checks.
    /// </summary>
    public void DeleteTimersOf(string user)
    {
        _txnTimerDelta -= Execute($"DELETE FROM timers WHERE user = $0 AND kind NOT IN ('{ScheduleTimer}', '{SegmentCheckTimer}')", user);
        _minDue = null;
        _dueGroup = null;
    }

    /// <summary>How many timers are pending (committed; from memory: /api/health asks without the runtime's lock).</summary>
    public int TimerCount()
    {
        lock (_memo) return _timerCount + (_transactionThread == Environment.CurrentManagedThreadId ? _txnTimerDelta : 0);
    }

    public List<StoredTimer> AllTimers() => Rows($"SELECT {TimerColumns} FROM timers ORDER BY due, id", ToTimer);

    public List<StoredTimer> TimersOfKind(string kind) => Rows($"SELECT {TimerColumns} FROM timers WHERE kind = $0 ORDER BY id", ToTimer, kind);

    private static StoredTimer ToTimer(StoreRow r) => new(r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetString(3),
        r.GetString(4), r.GetInt32(5), r.GetString(6), r.GetInt64(7), r.GetString(8));

    // ------------------------------------------------------------------ channel ledger

    public int DeliveredBetween(string user, string channel, long fromExclusive, long toInclusive) =>
        Convert.ToInt32(Scalar("SELECT count(*) FROM ledger WHERE user = $0 AND channel = $1 AND at > $2 AND at <= $3", user, channel,
            fromExclusive, toInclusive),
            System.Globalization.CultureInfo.InvariantCulture);

    public void RecordDelivered(string user, string channel, long at) =>
        Execute("INSERT INTO ledger (user, channel, at) VALUES ($0, $1, $2)", user, channel, at);

    /// <summary>Tests: caps the file at <paramref name="maxPages"/> pages (SQLite's max_page_count: a write past it fails with
    /// SQLITE_FULL, as on a full disk); answers the pages in use.</summary>
    internal long LimitPages(long maxPages)
    {
        Scalar(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"PRAGMA max_page_count = {maxPages}"));
        return Convert.ToInt64(Scalar("PRAGMA page_count"), System.Globalization.CultureInfo.InvariantCulture);
    }

    private void DisposeConnection()
    {
        // The checkpointing connection first: the last connection to close checkpoints and removes the log.
        _background?.Dispose();
        DisposeStatements();
        _transaction?.Dispose();
        _connection.Dispose();
        _openerLock.Dispose();
    }

    public void Dispose()
    {
        lock (_sql) DisposeConnection();
    }
}
