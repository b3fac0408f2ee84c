using System.Globalization;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Core.Targets;

namespace MarketingDsl.Engine.Data;

/// <summary>
/// How a run that would not fit in memory is split: the users (merged, in code point order) into
/// <see cref="Partitions"/> ranges of consecutive users, how many rows of one event type the
/// importer holds before it writes them to the partitions' spill files, and how far the managed
/// heap may grow past what was live at the last collection before a collection is forced
/// (<see cref="HeapGuard"/>).
/// </summary>
public sealed record SpillPlan(int Partitions, int FlushRows, long HeapHeadroom = long.MaxValue)
{
    public int Partitions { get; } = Partitions is >= 1 and <= MaxPartitions ? Partitions
        : throw new ArgumentOutOfRangeException(nameof(Partitions), $"1 to {MaxPartitions} partitions");
    public int FlushRows { get; } = FlushRows >= 1 ? FlushRows : throw new ArgumentOutOfRangeException(nameof(FlushRows));
    public long HeapHeadroom { get; } = HeapHeadroom >= 1 ? HeapHeadroom : throw new ArgumentOutOfRangeException(nameof(HeapHeadroom));

    /// <summary>The limit the plan was made for (<see cref="For"/>); null for a plan given directly, which <see cref="ForUsers"/> keeps.</summary>
    public long? MemoryLimitBytes { get; init; }

    /// <summary>The import's estimated memory (<see cref="BytesPerInputByte"/> per input byte).</summary>
    public long EstimateBytes { get; init; }

    /// <summary>Event types of the schema (the builders' share is split between them).</summary>
    public int EventTypes { get; init; } = 1;

    /// <summary>
    /// What a partitioned evaluation keeps for every user besides the user's events: a result per
    /// output, population inputs and scores, model features (the engine's estimate for the
    /// compiled plan, <c>CompiledEngine.KeptBytesPerUser</c>). Ids and profiles are added by <see cref="ForUsers"/>.
    /// </summary>
    public int KeptBytesPerUser { get; init; }

    /// <summary>
    /// Memory an import takes per byte of JSON Lines input (data set and builders at the peak of the gather; generated retail data).
    /// </summary>
    public const double BytesPerInputByte = 0.6;

    /// <summary>Each partition keeps one open spill file per event type while importing.</summary>
    public const int MaxPartitions = 256;

    /// <summary>Row bytes of the importer's builders, per event row (ts, line, user and a few fields).</summary>
    private const int BuilderRowBytes = 64;

    /// <summary>
    /// The plan for a data directory under a memory limit, or null when its import fits: the
    /// import's estimated memory (<see cref="BytesPerInputByte"/> per input byte) is split into
    /// partitions of at most a quarter of the limit each (building one reads its spill files and
    /// gathers them, so it briefly holds about twice that; the rest: profiles, results, the sets
    /// of unique ids); the builders of all types together hold at most a quarter, and garbage
    /// (spill buffers, a built partition's arrays) an eighth before a collection is forced. The
    /// runtime itself (code, JIT, native libraries: the fixed overhead in the Data README) is not counted.
    /// </summary>
    /// <exception cref="DataImportException">MD8015: more than <see cref="MaxPartitions"/> partitions would be needed
    /// (a plan capped there would hold partitions over their share of the limit).</exception>
    public static SpillPlan? For(long memoryLimitBytes, long inputBytes, int eventTypes, string source = "the data")
    {
        var estimate = (long)(inputBytes * BytesPerInputByte);
        if (estimate <= memoryLimitBytes) return null;
        return Sized(memoryLimitBytes, memoryLimitBytes, estimate, eventTypes, source, kept: 0);
    }

    /// <summary>
    /// The plan for an import snapshot whose columns read take about <paramref name="estimateBytes"/> in memory
    /// (<see cref="ImportSnapshot.EstimateBytes"/>), when they do not fit the limit: partitions of at most a quarter of it each,
    /// resized once the users are known (<see cref="ForUsers"/>).
    /// </summary>
    /// <exception cref="DataImportException">MD8015: more than <see cref="MaxPartitions"/> partitions would be needed.</exception>
    public static SpillPlan ForSnapshot(long memoryLimitBytes, long estimateBytes, int eventTypes, string source) =>
        Sized(memoryLimitBytes, memoryLimitBytes, estimateBytes, eventTypes, source, kept: 0);

    /// <summary>
    /// The plan once the users are known (after the profiles are read and merged, before any event
    /// row): what is kept for every user (<see cref="KeptBytesPerUser"/> plus
    /// <paramref name="profileBytesPerUser"/> for the id and profile) comes off the limit first, and
    /// partitions, builders and garbage share what is left, so many users make more, smaller
    /// partitions instead of a run over its limit.
    /// </summary>
    /// <exception cref="DataImportException">MD8016: what is kept for the users leaves less than an eighth of
    /// the limit; MD8015: the room left needs more than <see cref="MaxPartitions"/> partitions.</exception>
    public SpillPlan ForUsers(int users, int profileBytesPerUser, string source = "the data")
    {
        if (MemoryLimitBytes is not { } limit || users == 0) return this;
        var kept = (long)users * (KeptBytesPerUser + profileBytesPerUser);
        if (kept <= KeptWithinOverhead) return this;
        if (limit - kept < limit / 8)
            throw new DataImportException(Say(MemoryLimitErrors.UsersOverLimit(source, users, SizeText(kept), LimitText(limit),
                LimitText(kept * 8 / 7 + (1L << 20)))));
        return Sized(limit, limit - kept, EstimateBytes, EventTypes, source, kept) with { KeptBytesPerUser = KeptBytesPerUser };
    }

    /// <summary>What is kept for a few thousand users at most: lost in the runtime's fixed overhead, not taken off the limit.</summary>
    private const long KeptWithinOverhead = 1 << 20;

    /// <summary>A plan whose partitions (a quarter of <paramref name="room"/> each), builders and garbage fit in the room left.</summary>
    private static SpillPlan Sized(long limit, long room, long estimate, int eventTypes, string source, long kept)
    {
        var share = Math.Max(1, room / 4);
        var partitions = Math.Max(2, (estimate + share - 1) / share);
        if (partitions > MaxPartitions)
            throw new DataImportException(Say(MemoryLimitErrors.TooManyPartitions(source, SizeText((long)(estimate / BytesPerInputByte)),
                LimitText(limit), partitions, MaxPartitions, LimitText(kept + SmallestRoom(estimate)))));
        var flushRows = (int)Math.Clamp(share / BuilderRowBytes / Math.Max(1, eventTypes), 1024, 1 << 24);
        return new SpillPlan((int)partitions, flushRows, Math.Max(1, room / 8))
        {
            MemoryLimitBytes = limit, EstimateBytes = estimate, EventTypes = eventTypes,
        };
    }

    /// <summary>Bytes of spill files per byte of JSON Lines input (Arrow columns with the user, ts and line; generated retail data
    /// spills about 0.45, this leaves a margin).</summary>
    public const double SpillBytesPerInputByte = 0.5;

    /// <summary>
    /// MD8017 before any row is read when the spill files (<see cref="SpillBytesPerInputByte"/> per input
    /// byte) would not fit the free space of <paramref name="spillDirectory"/>'s disk: a full disk found
    /// an hour into an import helps nobody. A disk that cannot be asked is not checked.
    /// </summary>
    public static void CheckDisk(string source, long inputBytes, string spillDirectory, long? freeBytes = null)
    {
        var needed = (long)(inputBytes * SpillBytesPerInputByte);
        long free;
        try { free = freeBytes ?? new DriveInfo(Path.GetFullPath(spillDirectory)).AvailableFreeSpace; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException) { return; }
        if (needed > free)
            throw new DataImportException(Say(MemoryLimitErrors.SpillDiskFull(source, spillDirectory, SizeText(needed), SizeText(free))));
    }

    /// <summary>The smallest room whose partitions (a quarter of it each) cover the estimate in <see cref="MaxPartitions"/>.</summary>
    private static long SmallestRoom(long estimate) => (estimate * 4 + MaxPartitions - 1) / MaxPartitions;

    /// <summary>A diagnostic of a refused plan as the import's error text (code first, as the CLI prints it).</summary>
    internal static string Say(Core.Diagnostics.DiagnosticMessage message) =>
        $"{message.Code}: {message.English}" + (message.Suggestion is { } hint ? $" ({hint})" : "");

    /// <summary>Bytes as people read them: <c>18.1 GB</c>, <c>512 MB</c> (powers of 1024, as <c>--memory-limit</c> counts).</summary>
    public static string SizeText(long bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.0} GB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):0} MB"),
        >= 1L << 10 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 10):0} KB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes"),
    };

    /// <summary>A limit as <c>--memory-limit</c> takes it, rounded up: <c>2g</c>, <c>1.3g</c>, <c>280m</c>, <c>64k</c>.</summary>
    public static string LimitText(long bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{Math.Ceiling(bytes * 10.0 / (1L << 30)) / 10:0.#}g"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{(bytes + (1L << 20) - 1) >> 20}m"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{(bytes + (1L << 10) - 1) >> 10}k"),
    };

    /// <summary>The first user of partition <paramref name="p"/> of <paramref name="users"/> (p = Partitions: the end).</summary>
    public int FirstUser(int p, int users) => (int)(((long)p * users + Partitions - 1) / Partitions);

    /// <summary>The partition of user <paramref name="user"/> of <paramref name="users"/>.</summary>
    public int PartitionOf(int user, int users) => (int)((long)user * Partitions / users);
}

/// <summary>
/// Data too large for memory: every user, profile and count as a <see cref="DataSet"/> has them,
/// and the event rows either in spill files (Arrow IPC, as snapshots store columns), one per event
/// type and partition of users, written by the importer, or in an import snapshot, whose rows are
/// grouped by user already (<see cref="FromSnapshot"/>); <see cref="Load"/> builds one partition's
/// data set at a time. Disposing deletes the spill files.
/// </summary>
public sealed class PartitionedData : IDisposable
{
    private readonly string _directory;
    private readonly long[][]? _rows;   // [type][partition]; null: rows from _snapshot
    private readonly ImportSnapshot.Opened? _snapshot;

    internal PartitionedData(SchemaModel schema, SpillPlan plan, string directory, string[] userIds, ColumnTable profiles, ImportReport report,
        long? maxTs, long[] looseTsSorted, long[][]? rows, ImportSnapshot.Opened? snapshot = null)
    {
        Schema = schema;
        Plan = plan;
        _directory = directory;
        _rows = rows;
        _snapshot = snapshot;
        // The whole population without its events: what outputs, summaries and populations index by.
        var empty = new EventTable?[schema.Events.Length];
        for (var e = 0; e < empty.Length; e++)
            empty[e] = new EventTable(schema.Events[e], new int[userIds.Length + 1], [], [], new Column?[schema.Events[e].Fields.Length]);
        Users = new DataSet(schema, userIds, profiles, empty, report, maxTs, looseTsSorted) { Columns = snapshot?.Columns };
    }

    /// <summary>
    /// An import snapshot read a partition at a time: its users, profiles (the columns read) and report now, and each
    /// partition's rows of the event tables read as the partition is loaded (the rows of consecutive users are
    /// consecutive in a snapshot: a window of each table, nothing sorted). The partitions are sized by
    /// <paramref name="plan"/> once the users are known (<see cref="SpillPlan.ForUsers"/>), as an import's are.
    /// </summary>
    /// <param name="columns">The columns the run reads (every table's ts at least, to count events after the as-of instant).</param>
    /// <param name="spillDirectory">Where the run's per-partition values wait (default: the temp folder).</param>
    /// <exception cref="SnapshotException">The snapshot cannot be read.</exception>
    /// <exception cref="DataImportException">The users alone do not fit the limit (MD8016), or need too many partitions (MD8015).</exception>
    public static PartitionedData FromSnapshot(SchemaModel schema, SpillPlan plan, string snapshotDirectory, DataColumns? columns,
        string? spillDirectory = null)
    {
        var snapshot = ImportSnapshot.Opened.Open(schema, snapshotDirectory, 0, columns);
        var profiles = snapshot.ProfilesRead();
        var loose = snapshot.LooseRead();
        List<SnapshotTables.TableRead> eventReads =
            [.. Enumerable.Range(0, schema.Events.Length).Select(e => snapshot.EventRead(e, 0, 0, line: false)).OfType<SnapshotTables.TableRead>()];
        // Every file the partitions will read is verified now, while a damaged one can still give way to parsing the data directory.
        SnapshotTables.Verify([profiles, loose, .. eventReads], snapshot.Parallelism);
        ImportSnapshot.Damage(() =>
        {
            SnapshotTables.Read([profiles, loose], snapshot.Parallelism);
            return 0;
        });
        var users = snapshot.Ids.Length;
        // As the importer counts what is kept for every user: the id (a short string and its index entry) and a value per profile column.
        plan = plan.ForUsers(users, 96 + 16 * schema.ProfileFields.Length, snapshotDirectory);
        var report = snapshot.Report([snapshot.Users, profiles, .. eventReads, loose]);
        var directory = Path.Combine(spillDirectory ?? Path.GetTempPath(), $"mdsl-spill-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        return new PartitionedData(schema, plan, directory, snapshot.Ids, new ColumnTable(profiles.Columns, users), report,
            snapshot.Manifest.MaxTimestampTicks, snapshot.Loose(loose), rows: null, snapshot);
    }

    public SchemaModel Schema { get; }
    public SpillPlan Plan { get; }
    public int Partitions => Plan.Partitions;
    /// <summary>Every user and profile, the import report and the default as-of instant; no event rows (see <see cref="Load"/>).</summary>
    public DataSet Users { get; }

    public int FirstUser(int p) => Plan.FirstUser(p, Users.UserCount);

    /// <summary>The folder of the spill files, deleted with them: a partitioned evaluation keeps its per-partition values here too.</summary>
    internal string SpillDirectory => _directory;

    internal static string FileOf(string directory, int type, int partition) => Path.Combine(directory, $"part-{partition}-events-{type}.arrow");

    /// <summary>
    /// The data set of partition <paramref name="p"/>: its users (user i is user FirstUser(p) + i of
    /// <see cref="Users"/>), their profiles and events, rows of a user sorted by (ts, line) as the
    /// importer sorts them. Rows of no table are counted in <see cref="Users"/> only.
    /// </summary>
    public DataSet Load(int p)
    {
        int lo = FirstUser(p), hi = FirstUser(p + 1), n = hi - lo;
        var schema = Schema;
        var profiles = new Column?[Users.Profiles.Columns.Length];
        for (var c = 0; c < profiles.Length; c++) profiles[c] = Users.Profiles.Columns[c] is { } column ? ColumnSlice.Of(column, lo, n) : null;
        if (_snapshot is { } snapshot)
            return new DataSet(schema, Users.UserIds[lo..hi], new ColumnTable(profiles, n), SnapshotRows(snapshot, lo, hi), Users.Report,
                Users.MaxTimestampTicks, []) { Columns = snapshot.Columns };
        var tables = new EventTable?[schema.Events.Length];
        for (var e = 0; e < tables.Length; e++)
        {
            var type = schema.Events[e];
            var rows = (int)_rows![e][p];
            var expected = new List<(string, DslType, bool)>
            {
                ("user", DslType.Int, false), ("ts", DslType.DateTime, false), ("line", DslType.Int, false),
            };
            for (var f = 2; f < type.Fields.Length; f++)
            {
                var field = type.Fields[f];
                var pooled = (field.Type.Kind == TypeKind.String || field.Type.Element?.Kind == TypeKind.String) && !field.IsUnique;
                expected.Add((field.Name, field.Type, pooled));
            }
            var file = FileOf(_directory, e, p);
            Column?[] columns = rows == 0 && !File.Exists(file)
                ? [.. expected.Select(x => (Column?)Column.Allocate(x.Item2, []))]
                : ImportSnapshot.ReadColumns(file, rows, expected);
            var user = ((IntColumn)columns[0]!).Values;
            var ts = ((DateTimeColumn)columns[1]!).Values;
            // Rows arrive in input (line) order: a stable counting sort by user, then a stable sort by ts per user.
            var start = new int[n + 1];
            foreach (var u in user) start[u + 1]++;
            for (var u = 0; u < n; u++) start[u + 1] += start[u];
            var next = (int[])start.Clone();
            var perm = new int[rows];
            for (var r = 0; r < rows; r++) perm[next[user[r]]++] = r;
            long[] keys = [], keysTmp = [];
            int[] order = [], orderTmp = [];
            for (var u = 0; u < n; u++)
            {
                int from = start[u], len = start[u + 1] - from;
                if (len < 2) continue;
                if (keys.Length < len) (keys, keysTmp, order, orderTmp) = (new long[len], new long[len], new int[len], new int[len]);
                for (var i = 0; i < len; i++) { order[i] = perm[from + i]; keys[i] = ts[order[i]]; }
                EventTypeState.StableSortByTs(keys, order, len, keysTmp, orderTmp);
                order.AsSpan(0, len).CopyTo(perm.AsSpan(from));
            }
            // Each column read is dropped as soon as it is gathered: at most one column is held twice.
            var fields = new Column?[type.Fields.Length];
            for (var f = 2; f < fields.Length; f++) (fields[f], columns[f + 1]) = (ColumnSlice.Gather(columns[f + 1]!, perm), null);
            var sortedTs = ((DateTimeColumn)ColumnSlice.Gather(columns[1]!, perm)).Values;
            columns[1] = null;
            tables[e] = new EventTable(type, start, sortedTs, ((IntColumn)ColumnSlice.Gather(columns[2]!, perm)).Values, fields);
        }
        return new DataSet(schema, Users.UserIds[lo..hi], new ColumnTable(profiles, n), tables, Users.Report, Users.MaxTimestampTicks, []);
    }

    /// <summary>The snapshot's event rows of users [lo, hi): a window of each table read.</summary>
    /// <exception cref="DataImportException">The snapshot cannot be read (MD6030: damaged since the run began).</exception>
    private static EventTable?[] SnapshotRows(ImportSnapshot.Opened snapshot, int lo, int hi)
    {
        var reads = Enumerable.Range(0, snapshot.Schema.Events.Length).Select(e => snapshot.EventRead(e, lo, hi, line: false)).ToArray();
        try
        {
            return ImportSnapshot.Damage(() =>
            {
                SnapshotTables.Read([.. reads.OfType<SnapshotTables.TableRead>()], snapshot.Parallelism);
                return reads.Select((read, e) => snapshot.Events(e, read, lo, hi)).ToArray();
            });
        }
        catch (SnapshotException e)
        {
            throw new DataImportException(Core.Diagnostics.Catalogues.SnapshotErrors.Unreadable(snapshot.Directory, e.Message, null), e);
        }
    }

    /// <summary>Kept rows after the instant: those of each partition's tables (counted as they are evaluated) plus the rows in no table.</summary>
    public long CountLooseAfter(long asOfTicks)
    {
        var loose = Users.LooseTsSorted;
        return loose.Length - DataSet.UpperBound(loose, 0, loose.Length, asOfTicks);
    }

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

/// <summary>
/// Keeps the managed heap of a partitioned run near what is live. The collector sizes its budgets
/// by the machine, not by a memory limit: spill buffers and built partitions are large objects,
/// collected only in full collections, and left alone they pile up to several times the live data
/// (and stay committed after a collection). Both steps of a partitioned run call this after work that
/// leaves garbage: when the heap has grown by more than the plan's headroom since the last forced
/// collection, a full compacting collection runs that also returns the freed memory to the system.
/// </summary>
internal static class HeapGuard
{
    private static long s_liveAfterCollection;

    /// <summary>Collects when the heap grew by more than <paramref name="headroom"/> bytes since the last collection forced here.</summary>
    public static void CollectIfGrown(long headroom)
    {
        if (GC.GetTotalMemory(forceFullCollection: false) - Volatile.Read(ref s_liveAfterCollection) > headroom) Collect();
    }

    /// <summary>A full blocking collection that compacts large objects and decommits the memory it frees.</summary>
    public static void Collect()
    {
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        Volatile.Write(ref s_liveAfterCollection, GC.GetTotalMemory(forceFullCollection: false));
    }
}

/// <summary>Typed copies of part of a column.</summary>
internal static class ColumnSlice
{
    /// <summary>Rows [from, from + n).</summary>
    public static Column Of(Column c, int from, int n)
    {
        var perm = new int[n];
        for (var i = 0; i < n; i++) perm[i] = from + i;
        return Gather(c, perm);
    }

    /// <summary>Row i of the result is row perm[i] of the column.</summary>
    public static Column Gather(Column c, int[] perm)
    {
        var nulls = c.Nulls is { } source ? Pick(source, perm) : null;
        return c switch
        {
            BoolColumn x => new BoolColumn(x.Type, Pick(x.Values, perm), nulls),
            IntColumn x => new IntColumn(x.Type, Pick(x.Values, perm), nulls),
            DecimalColumn x => new DecimalColumn(x.Type, Pick(x.Values, perm), nulls),
            DateColumn x => new DateColumn(x.Type, Pick(x.Values, perm), nulls),
            DateTimeColumn x => new DateTimeColumn(x.Type, Pick(x.Values, perm), nulls),
            DurationColumn x => new DurationColumn(x.Type, Pick(x.Values, perm), nulls),
            StringColumn x => new StringColumn(x.Type, Pick(x.Values, perm), nulls),
            ListColumn x => new ListColumn(x.Type, Pick(x.Values, perm), nulls),   // lists are never changed after import: rows may share them
            _ => throw new InvalidOperationException(c.GetType().Name),
        };
    }

    private static T[] Pick<T>(T[] values, int[] perm)
    {
        var result = new T[perm.Length];
        for (var i = 0; i < perm.Length; i++) result[i] = values[perm[i]];
        return result;
    }
}

/// <summary>The open spill files of one event type (one per partition, opened at its first row) and their row counts.</summary>
internal sealed class TypeSpill(SpillPlan plan, string directory, int type, int users, (string Name, DslType Type)[] columns) : IDisposable
{
    private readonly ImportSnapshot.ColumnFileWriter?[] _writers = new ImportSnapshot.ColumnFileWriter?[plan.Partitions];

    public SpillPlan Plan { get; } = plan;
    public int Users { get; } = users;
    public long[] Rows { get; } = new long[plan.Partitions];

    // A small buffer per file: partitions × types files are open at once, and a flush writes each batch's columns in large pieces anyway.
    public ImportSnapshot.ColumnFileWriter Writer(int p) =>
        _writers[p] ??= new(PartitionedData.FileOf(directory, type, p), columns, bufferBytes: 1 << 16);

    public void Dispose()
    {
        for (var p = 0; p < _writers.Length; p++)
        {
            _writers[p]?.Dispose();
            _writers[p] = null;
        }
    }
}
