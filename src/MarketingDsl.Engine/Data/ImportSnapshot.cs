using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using Apache.Arrow;
using Apache.Arrow.Arrays;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;
using MarketingDsl.Core.Semantics;

namespace MarketingDsl.Engine.Data;

/// <summary>A snapshot directory that cannot be read as one (missing or damaged files, another format version).</summary>
public sealed class SnapshotException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>What <c>snapshot.json</c> records besides the columns.</summary>
public sealed class SnapshotManifest
{
    public const string FormatName = "mdsl-import-snapshot";
    /// <summary>
    /// 3: every part file with its checksum; 2: Arrow IPC streams in parts, repeated strings as dictionaries; 1: one Arrow IPC file per
    /// table.
    /// </summary>
    public const int CurrentVersion = 3;

    public string Format { get; set; } = FormatName;
    public int Version { get; set; } = CurrentVersion;
    /// <summary><see cref="DataFingerprint.Hash"/> of the schema's <see cref="DataFingerprint.SchemaShape"/>.</summary>
    public string Schema { get; set; } = "";
    /// <summary>The data directory imported (full path), and its files then.</summary>
    public string Source { get; set; } = "";
    public List<InputFile> Inputs { get; set; } = [];
    /// <summary>
    /// Rows rejected for a ts later than the import's wall clock allowed (they may be valid later: such a
    /// snapshot is not reused as a cache).
    /// </summary>
    public long FutureRejects { get; set; }
    public long? MaxTimestampTicks { get; set; }
    public int Users { get; set; }
    public SnapshotReport Report { get; set; } = new();
    /// <summary>The tables (<c>users</c>, <c>profiles</c>, <c>loose</c>, <c>events-N-TYPE</c> per event type): rows and part files.</summary>
    public Dictionary<string, SnapshotTableFiles> Tables { get; set; } = [];
}

/// <summary>One table of a snapshot: its rows and the Arrow IPC stream files holding them, in row order.</summary>
public sealed class SnapshotTableFiles
{
    public long Rows { get; set; }
    public List<SnapshotFile> Files { get; set; } = [];
}

/// <summary>A part file of a snapshot table: its name in the snapshot directory and the checksum of its bytes.</summary>
public sealed class SnapshotFile
{
    public string Name { get; set; } = "";
    /// <summary>XXH128 of the file's bytes, 32 hex digits, verified before the file is read (<see cref="SnapshotChecksums"/>).</summary>
    public string Xxh128 { get; set; } = "";
}

/// <summary>The <see cref="ImportReport"/> of the import, as stored.</summary>
public sealed class SnapshotReport
{
    public long ProfilesRead { get; set; }
    public long ProfilesKept { get; set; }
    public long EventsRead { get; set; }
    public long EventsKept { get; set; }
    public Dictionary<string, long> DuplicatesDropped { get; set; } = [];
    public long OrphanEvents { get; set; }
    public long UnknownTypeEvents { get; set; }
    public long RejectedCount { get; set; }
    public long FutureRejects { get; set; }
    public List<RejectedRow> Rejects { get; set; } = [];
    public List<IdentityMerge> IdentityMerges { get; set; } = [];
    public List<string> Files { get; set; } = [];
}

/// <summary>
/// An imported <see cref="DataSet"/> stored as Apache Arrow IPC streams, so that it is read again
/// without parsing: <c>snapshot.json</c> (format, schema hash, the input files' fingerprints, the
/// import report, the tables' rows and files, each file with the checksum of its bytes, verified before it is read:
/// <see cref="SnapshotChecksums"/>) and the tables (<see cref="SnapshotTables"/>):
/// <c>users</c> (user ids in data set order and each user's row count per event type),
/// <c>profiles</c> (the merged profile columns), one <c>events-N-TYPE</c> per event type (ts, line,
/// fields; rows as the data set orders them, grouped by user, so nothing is sorted on reading) and
/// <c>loose</c> (ts of kept rows in no table), plus the import's <c>rejects.jsonl</c> when it wrote
/// one. Column types: bool, int64, utf8 (dictionary-encoded for repeated strings), date32,
/// timestamp[us, UTC] (ts and datetime), int64 ticks (duration), fixed-size binary 16 (decimal: its
/// four 32-bit parts, little-endian, so scale is kept), and list&lt;T&gt; fields as Arrow lists of
/// those item types. Reading gives a data set equal to the one written, value for value.
/// </summary>
public static class ImportSnapshot
{
    public const string ManifestFile = "snapshot.json";
    public const string RejectsFile = "rejects.jsonl";
    private const string UsersTable = "users", ProfilesTable = "profiles", LooseTable = "loose";
    private static readonly long EpochTicks = DateTime.UnixEpoch.Ticks;
    private static readonly int EpochDay = DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber;
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>True when the directory holds a snapshot manifest (it may still be damaged).</summary>
    public static bool IsSnapshot(string directory) => File.Exists(Path.Combine(directory, ManifestFile));

    /// <summary>
    /// Writes the data set into <paramref name="directory"/> (created; written beside it first and
    /// then moved into place, so a reader never sees half a snapshot). An existing snapshot there
    /// is replaced; any other existing directory is refused.
    /// </summary>
    /// <param name="rejectsPath">The import's rejects file, copied into the snapshot when given.</param>
    public static void Write(DataSet data, string directory, string source, IReadOnlyList<InputFile> inputs, string? rejectsPath) =>
        Write(data, directory, source, inputs, rejectsPath, SnapshotTables.BatchRows, SnapshotTables.PartBytes);

    /// <param name="batchRows">Rows per Arrow batch.</param>
    /// <param name="partBytes">Bytes after which a table's file ends and the next part begins (tests make both small).</param>
    internal static void Write(DataSet data, string directory, string source, IReadOnlyList<InputFile> inputs, string? rejectsPath, int batchRows,
        long partBytes)
    {
        CheckTarget(directory);
        var target = Path.GetFullPath(directory);
        var parent = Path.GetDirectoryName(target) ?? ".";
        Directory.CreateDirectory(parent);
        var staging = Path.Combine(parent, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(staging);
        try
        {
            var schema = data.Schema;
            var tables = new Dictionary<string, SnapshotTableFiles>();
            void Table(string name, int rows, IReadOnlyList<SnapshotColumn> columns, IReadOnlyList<Column?> values) =>
                tables[name] = new SnapshotTableFiles
                {
                    Rows = rows, Files = SnapshotTables.Write(staging, name, rows, columns, values, batchRows, partBytes),
                };

            var users = UserColumns(schema);
            var counts = new List<Column?> { new StringColumn(DslType.String, data.UserIds, null) };
            for (var e = 0; e < schema.Events.Length; e++)
            {
                var rowCounts = new long[data.UserCount];
                if (data.Events[e] is { } table)
                    for (var u = 0; u < rowCounts.Length; u++) rowCounts[u] = table.UserStart[u + 1] - table.UserStart[u];
                counts.Add(new IntColumn(DslType.Int, rowCounts, null));
            }
            Table(UsersTable, data.UserCount, users, counts);
            Table(ProfilesTable, data.UserCount, ProfileColumns(schema), data.Profiles.Columns);
            for (var e = 0; e < schema.Events.Length; e++)
            {
                var table = data.Events[e];
                var values = new List<Column?>
                {
                    table is null ? null : new DateTimeColumn(DslType.DateTime, table.Ts, null),
                    table is null ? null : new IntColumn(DslType.Int, table.Line, null),
                };
                for (var f = 2; f < schema.Events[e].Fields.Length; f++) values.Add(table?.Fields[f]);
                Table(EventTableName(schema, e), table?.RowCount ?? 0, EventColumns(schema.Events[e]), values);
            }
            var loose = data.LooseTsSorted;
            Table(LooseTable, loose.Length, [new("ts", DslType.Int)], [new IntColumn(DslType.Int, loose, null)]);
            if (rejectsPath is not null && File.Exists(rejectsPath)) File.Copy(rejectsPath, Path.Combine(staging, RejectsFile));
            var report = data.Report;
            var manifest = new SnapshotManifest
            {
                Schema = DataFingerprint.Hash(DataFingerprint.SchemaShape(schema)),
                Source = source,
                Inputs = [.. inputs],
                FutureRejects = data.Report.FutureRejects,
                MaxTimestampTicks = data.MaxTimestampTicks,
                Users = data.UserCount,
                Tables = tables,
                Report = new SnapshotReport
                {
                    ProfilesRead = report.ProfilesRead, ProfilesKept = report.ProfilesKept,
                    EventsRead = report.EventsRead, EventsKept = report.EventsKept,
                    DuplicatesDropped = new(report.DuplicatesDropped), OrphanEvents = report.OrphanEvents,
                    UnknownTypeEvents = report.UnknownTypeEvents,
                    RejectedCount = report.RejectedCount, FutureRejects = report.FutureRejects, Rejects = [.. report.Rejects],
                    IdentityMerges = [.. report.IdentityMerges], Files = [.. report.Files],
                },
            };
            // The manifest last: a directory without it is not a snapshot.
            File.WriteAllText(Path.Combine(staging, ManifestFile), JsonSerializer.Serialize(manifest, Json));
            if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
            Directory.Move(staging, target);
        }
        catch
        {
            try { Directory.Delete(staging, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>Refuses a target that exists and is not an import snapshot (a directory of other files, or a file): it is never replaced.</summary>
    /// <exception cref="SnapshotException">The target is refused.</exception>
    public static void CheckTarget(string directory)
    {
        var target = Path.GetFullPath(directory);
        if (File.Exists(target) || Directory.Exists(target) && !IsSnapshot(target) && Directory.EnumerateFileSystemEntries(target).Any())
            throw new SnapshotException($"'{directory}' exists and is not an import snapshot: choose an empty or new directory");
    }

    private static string EventTableName(SchemaModel schema, int e) => $"events-{e}-{schema.Events[e].Name}";

    private static List<SnapshotColumn> UserColumns(SchemaModel schema) =>
        [new("user_id", DslType.String), .. schema.Events.Select(t => new SnapshotColumn($"rows:{t.Name}", DslType.Int))];

    private static List<SnapshotColumn> ProfileColumns(SchemaModel schema) =>
        [.. schema.ProfileFields.Select(f => new SnapshotColumn(f.Name, f.Type, Pooled(f)))];

    private static List<SnapshotColumn> EventColumns(EventTypeSymbol type) =>
        [new("ts", DslType.DateTime), new("line", DslType.Int), .. type.Fields.Skip(2).Select(f => new SnapshotColumn(f.Name, f.Type, Pooled(f)))];

    /// <summary>What every manifest of this version holds besides its format and version (a value may be empty, never absent).</summary>
    private static readonly string[] ManifestProperties = ["schema", "source", "inputs", "users", "report", "tables"];

    /// <summary>The manifest alone (to compare fingerprints before reading columns).</summary>
    /// <exception cref="SnapshotException">Missing, unreadable, not JSON, not a manifest, incomplete or of another format version: the
    /// message names <see cref="ManifestFile"/> and says which.</exception>
    public static SnapshotManifest ReadManifest(string directory)
    {
        string text;
        try { text = File.ReadAllText(Path.Combine(directory, ManifestFile)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SnapshotException($"{ManifestFile} cannot be read ({e.Message})", e);
        }
        try
        {
            // The version first: another version's manifest may not even deserialize as this one.
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format", out var format)
                || format.ValueKind != JsonValueKind.String || format.GetString() != SnapshotManifest.FormatName)
                throw new SnapshotException(
                    $"{ManifestFile} is not an import snapshot manifest (it has no \"format\": \"{SnapshotManifest.FormatName}\")");
            if (!Has(root, "version", out var version)) throw Incomplete("version");
            if (version.ValueKind != JsonValueKind.Number || !version.TryGetInt32(out var v) || v != SnapshotManifest.CurrentVersion)
                throw new SnapshotException($"snapshot format version {version.GetRawText()}, this mdsl reads version " +
                    $"{SnapshotManifest.CurrentVersion}: run mdsl import again");
            foreach (var name in ManifestProperties)
                if (!Has(root, name, out _)) throw Incomplete(name);
        }
        catch (JsonException e)
        {
            throw new SnapshotException($"{ManifestFile} is not JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1})", e);
        }
        SnapshotManifest manifest;
        try { manifest = JsonSerializer.Deserialize<SnapshotManifest>(text, Json)!; }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            var at = (e as JsonException)?.Path is { Length: > 2 } path ? $"\"{path[2..]}\"" : "a value";
            throw new SnapshotException($"{ManifestFile} is damaged: {at} does not hold what a manifest holds there", e);
        }
        if (manifest.Users < 0) throw new SnapshotException($"{ManifestFile} is damaged: \"users\" is negative");
        for (var i = 0; i < manifest.Inputs.Count; i++)
            if (manifest.Inputs[i]?.File is null) throw Incomplete($"inputs[{i}].file");
        foreach (var (name, table) in manifest.Tables)
        {
            if (table?.Files is null) throw Incomplete($"tables.{name}.files");
            for (var i = 0; i < table.Files.Count; i++)
            {
                if (string.IsNullOrEmpty(table.Files[i]?.Name)) throw Incomplete($"tables.{name}.files[{i}].name");
                if (string.IsNullOrEmpty(table.Files[i].Xxh128)) throw Incomplete($"tables.{name}.files[{i}].xxh128");
            }
            if (table.Rows < 0 || table.Rows > int.MaxValue)
                throw new SnapshotException($"{ManifestFile} is damaged: \"tables.{name}.rows\" is out of range");
        }
        return manifest;

        static bool Has(JsonElement root, string name, out JsonElement value) =>
            root.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;
        static SnapshotException Incomplete(string name) => new($"{ManifestFile} is incomplete: it has no \"{name}\"");
    }

    /// <summary>True when the manifest is readable and names another format version (an unreadable one is damage, not this).</summary>
    internal static bool IsOtherVersion(string directory)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, ManifestFile)));
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("version", out var version)
                && version.ValueKind == JsonValueKind.Number && version.TryGetInt32(out var v) && v != SnapshotManifest.CurrentVersion;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException) { return false; }
    }

    /// <summary>The data directory a snapshot was imported from, read leniently (for a manifest of another version), or null.</summary>
    public static string? SourceOf(string directory)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, ManifestFile)));
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("source", out var source)
                && source.ValueKind == JsonValueKind.String ? source.GetString() : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException) { return null; }
    }

    /// <summary>Reads a snapshot written for a schema of the same shape.</summary>
    /// <param name="parallelism">Threads converting columns (default: the processor count).</param>
    /// <param name="columns">The columns to read (null: every column): the files of tables not read are not even opened, and
    /// other columns are only checked for their name and type (<see cref="DataColumns"/> says what the data set then holds).</param>
    /// <exception cref="SnapshotException">Damaged or missing files, another format version, or another schema shape.</exception>
    public static DataSet Read(SchemaModel schema, string directory, int parallelism = 0, DataColumns? columns = null)
    {
        var snapshot = Opened.Open(schema, directory, parallelism, columns);
        return Damage(() =>
        {
            var users = snapshot.Ids.Length;
            var profiles = snapshot.ProfilesRead();
            var eventTables = new SnapshotTables.TableRead?[schema.Events.Length];
            for (var e = 0; e < eventTables.Length; e++) eventTables[e] = snapshot.EventRead(e, 0, users, line: columns is null);
            var loose = snapshot.LooseRead();
            List<SnapshotTables.TableRead> tables = [profiles, .. eventTables.OfType<SnapshotTables.TableRead>(), loose];
            SnapshotTables.Read(tables, snapshot.Parallelism);
            var events = new EventTable?[schema.Events.Length];
            for (var e = 0; e < events.Length; e++) events[e] = snapshot.Events(e, eventTables[e], 0, users);
            return new DataSet(schema, snapshot.Ids, new ColumnTable(profiles.Columns, users), events, snapshot.Report([.. tables, snapshot.Users]),
                snapshot.Manifest.MaxTimestampTicks, snapshot.Loose(loose)) { Columns = columns };
        });
    }

    /// <summary>Arrow's reader and ours throw plain exceptions for bytes they cannot make sense of: as a damaged snapshot.</summary>
    internal static T Damage<T>(Func<T> read)
    {
        try { return read(); }
        catch (Exception e) when (e is not SnapshotException && SnapshotTables.IsDamage(e))
        {
            throw new SnapshotException(e.Message, e);
        }
    }

    /// <summary>
    /// A snapshot opened for reading: its manifest and users table read and checked (ids in order, each event table's row
    /// starts); its other tables are read whole (<see cref="Read(SchemaModel, string, int, DataColumns?)"/>) or, for a
    /// partitioned run (<see cref="PartitionedData.FromSnapshot"/>), the profiles whole and the event tables a window of users at a time.
    /// </summary>
    internal sealed class Opened
    {
        private Opened(SchemaModel schema, string directory, SnapshotManifest manifest, DataColumns? columns, int parallelism,
            SnapshotTables.TableRead users, string[] ids, int[]?[] starts)
        {
            (Schema, Directory, Manifest, Columns, Parallelism, Users, Ids, _starts) = (schema, directory, manifest, columns, parallelism, users,
                ids, starts);
        }

        private readonly int[]?[] _starts;
        public SchemaModel Schema { get; }
        public string Directory { get; }
        public SnapshotManifest Manifest { get; }
        public DataColumns? Columns { get; }
        public int Parallelism { get; }
        /// <summary>The users table as read (its columns: ids and row counts).</summary>
        public SnapshotTables.TableRead Users { get; }
        public string[] Ids { get; }

        /// <exception cref="SnapshotException">Damaged or missing files, another format version, or another schema shape.</exception>
        public static Opened Open(SchemaModel schema, string directory, int parallelism, DataColumns? columns)
        {
            var manifest = ReadManifest(directory);
            if (manifest.Schema != DataFingerprint.Hash(DataFingerprint.SchemaShape(schema)))
                throw new SnapshotException("it was imported for a schema of another shape (fields, types or event types changed)");
            if (parallelism <= 0) parallelism = Environment.ProcessorCount;
            return Damage(() =>
            {
                var users = manifest.Users;
                // The users first: their row counts say how many rows each event table must hold.
                bool ReadsTable(int e) => columns is null || columns.ReadsTable(e);
                var usersTable = new SnapshotTables.TableRead(directory, UsersTable, FilesOf(manifest, UsersTable), UserColumns(schema), users)
                {
                    Wanted = [true, .. schema.Events.Select((_, e) => ReadsTable(e))],
                };
                SnapshotTables.Read([usersTable], parallelism);
                var ids = ((StringColumn)usersTable.Columns[0]!).Values;
                if (ids.Any(id => id is null)) throw new SnapshotException($"{usersTable.FileNames}: a user id is missing");
                // Users are looked up by binary search: ids out of order would be a damaged file read as wrong answers.
                for (var u = 1; u < ids.Length; u++)
                    if (CodePointComparer.Instance.Compare(ids[u - 1], ids[u]) >= 0)
                        throw new SnapshotException($"{usersTable.FileNames}: user ids out of order");
                var starts = new int[schema.Events.Length][];
                for (var e = 0; e < schema.Events.Length; e++)
                {
                    if (!ReadsTable(e)) continue;
                    var counts = ((IntColumn)usersTable.Columns[1 + e]!).Values;
                    var start = starts[e] = new int[users + 1];
                    for (var u = 0; u < users; u++)
                    {
                        var total = (long)start[u] + counts[u];
                        if (counts[u] < 0 || total > int.MaxValue)
                            throw new SnapshotException(
                                $"{usersTable.FileNames}: row counts of '{schema.Events[e].Name}' out of range");
                        start[u + 1] = (int)total;
                    }
                }
                return new Opened(schema, directory, manifest, columns, parallelism, usersTable, [.. ids.Select(id => id!)], starts);
            });
        }

        private static List<SnapshotFile> FilesOf(SnapshotManifest manifest, string name) =>
            manifest.Tables.TryGetValue(name, out var t) ? t.Files : throw new SnapshotException($"{ManifestFile} lists no table '{name}'");

        public SnapshotTables.TableRead ProfilesRead() =>
            new(Directory, ProfilesTable, FilesOf(Manifest, ProfilesTable), ProfileColumns(Schema), Ids.Length)
            {
                Wanted = Columns is null ? null : [.. Schema.ProfileFields.Select((_, p) => Columns.ReadsProfile(p))],
            };

        public SnapshotTables.TableRead LooseRead() =>
            new(Directory, LooseTable, FilesOf(Manifest, LooseTable), [new("ts", DslType.Int)],
                Manifest.Tables.TryGetValue(LooseTable, out var loose) ? loose.Rows : 0);

        /// <summary>The rows of users [lo, hi) of event table <paramref name="e"/>, or null when the table is not read.</summary>
        /// <param name="line">Read the line column too (evaluation never reads it: only a whole data set has it).</param>
        public SnapshotTables.TableRead? EventRead(int e, int lo, int hi, bool line)
        {
            if (_starts[e] is not { } start) return null;
            var name = EventTableName(Schema, e);
            var type = Schema.Events[e];
            return new SnapshotTables.TableRead(Directory, name, FilesOf(Manifest, name), EventColumns(type), start[Ids.Length])
            {
                RowsFrom = Users.FileNames,
                // ts always, fields as asked.
                Wanted = Columns is null && line ? null
                    : [true, line, .. type.Fields.Skip(2).Select((_, f) => Columns?.ReadsField(e, f + 2) ?? true)],
                FirstRow = start[lo],
                RowCount = start[hi] - start[lo],
            };
        }

        /// <summary>The event table of users [lo, hi) from its read rows (null when not read).</summary>
        public EventTable? Events(int e, SnapshotTables.TableRead? table, int lo, int hi)
        {
            if (table is null) return null;
            var read = table.Columns;
            if (read[0]!.Nulls is not null || read[1] is { Nulls: not null })
                throw new SnapshotException($"{table.FileNames}: a ts or line is missing");
            var fields = new Column?[Schema.Events[e].Fields.Length];
            for (var f = 2; f < fields.Length; f++) fields[f] = read[f];
            var start = _starts[e]!;
            var userStart = lo == 0 && hi == Ids.Length ? start : new int[hi - lo + 1];
            if (userStart != start) for (var u = lo; u <= hi; u++) userStart[u - lo] = start[u] - start[lo];
            return new EventTable(Schema.Events[e], userStart, ((DateTimeColumn)read[0]!).Values, (read[1] as IntColumn)?.Values ?? [], fields);
        }

        public long[] Loose(SnapshotTables.TableRead table)
        {
            var loose = (IntColumn)table.Columns[0]!;
            if (loose.Nulls is not null) throw new SnapshotException($"{table.FileNames}: a ts is missing");
            return loose.Values;
        }

        /// <summary>The import report as stored, with how many columns of <paramref name="tables"/> were read and skipped.</summary>
        public ImportReport Report(IEnumerable<SnapshotTables.TableRead> tables)
        {
            var r = Manifest.Report;
            var report = new ImportReport
            {
                ProfilesRead = r.ProfilesRead, ProfilesKept = r.ProfilesKept, EventsRead = r.EventsRead, EventsKept = r.EventsKept,
                OrphanEvents = r.OrphanEvents, UnknownTypeEvents = r.UnknownTypeEvents,
                RejectedCount = r.RejectedCount, FutureRejects = r.FutureRejects,
            };
            foreach (var (k, v) in r.DuplicatesDropped ?? []) report.DuplicatesDropped[k] = v;
            report.Rejects.AddRange(r.Rejects ?? []);
            report.IdentityMerges.AddRange(r.IdentityMerges ?? []);
            report.Files.AddRange(r.Files ?? []);
            var (read, skipped) = (0, 0);
            // Tables not read at all count their columns as skipped (their row counts are skipped in the users table).
            for (var e = 0; e < Schema.Events.Length; e++)
                if (_starts[e] is null) skipped += EventColumns(Schema.Events[e]).Count;
            foreach (var table in tables)
                for (var c = 0; c < table.Expected.Count; c++)
                    if (table.Reads(c)) read++;
                    else skipped++;
            report.SnapshotColumns = (read, skipped);
            return report;
        }
    }

    /// <summary>
    /// About how many bytes <see cref="Read(SchemaModel, string, int, DataColumns?)"/> of these columns holds in memory: per row of
    /// every column read its value (a reference for strings and lists, plus a string of its own where values are not shared), per
    /// user the id and the starts of the tables read, and the files of the tables read: they are mapped while read, and the
    /// pages read count in the process's resident memory until they are unmapped.
    /// </summary>
    /// <exception cref="SnapshotException">The manifest cannot be read.</exception>
    public static long EstimateBytes(SchemaModel schema, string directory, DataColumns? columns)
    {
        var manifest = ReadManifest(directory);
        long users = manifest.Users;
        long RowsOf(string table) => manifest.Tables.TryGetValue(table, out var t) ? t.Rows : 0;
        long FilesOf(string table) => manifest.Tables.TryGetValue(table, out var t)
            ? t.Files.Sum(f => new FileInfo(Path.Combine(directory, f.Name)) is { Exists: true } file ? file.Length : 0)
            : 0;
        var bytes = users * (UserIdBytes + 8) + 8 * RowsOf(LooseTable) + FilesOf(UsersTable) + FilesOf(ProfilesTable) + FilesOf(LooseTable);
        for (var p = 0; p < schema.ProfileFields.Length; p++)
            if (columns is null || columns.ReadsProfile(p)) bytes += users * ValueBytes(schema.ProfileFields[p]);
        for (var e = 0; e < schema.Events.Length; e++)
        {
            if (columns is not null && !columns.ReadsTable(e)) continue;
            var type = schema.Events[e];
            var rows = RowsOf(EventTableName(schema, e));
            bytes += 4 * users + rows * (columns is null ? 16 : 8) + FilesOf(EventTableName(schema, e));   // starts; ts (and line); files
            for (var f = 2; f < type.Fields.Length; f++)
                if (columns is null || columns.ReadsField(e, f)) bytes += rows * ValueBytes(type.Fields[f]);
        }
        return bytes;
    }

    // A user id or unshared string: the reference, the object header and length, and a short text.
    private const int UserIdBytes = 8 + 24 + 2 * 12;

    private static long ValueBytes(FieldSymbol f) => f.Type.Kind switch
    {
        TypeKind.Bool => 1,
        TypeKind.Date => 4,
        TypeKind.Int or TypeKind.DateTime or TypeKind.Duration => 8,
        TypeKind.Decimal => 16,
        TypeKind.String => Pooled(f) ? 8 : UserIdBytes,
        TypeKind.List => 8 + 64,
        _ => 8,
    };

    // Strings repeat (categories, channels): stored as dictionaries; ids and unique fields do not.
    private static bool Pooled(FieldSymbol f) => f.Type.Kind == TypeKind.String && !f.IsKey && !f.IsUnique;

    // ---------------------------------------------------------------- the column codec of spill files (PartitionedData)

    /// <summary>An Arrow IPC file of typed columns written batch by batch (the spill files of a partitioned run).</summary>
    internal sealed class ColumnFileWriter : IDisposable
    {
        private readonly FileStream _stream;
        private readonly ArrowFileWriter _writer;
        private readonly Schema _schema;
        private readonly DslType[] _types;
        private int _batches;

        /// <param name="rows">Rows the file will hold, recorded in its metadata (-1: not known; the reader is told).</param>
        /// <param name="bufferBytes">The file's write buffer (a spill holds hundreds of files open at once).</param>
        public ColumnFileWriter(string path, IReadOnlyList<(string Name, DslType Type)> columns, int rows = -1, int bufferBytes = 1 << 20)
        {
            var schema = new Schema.Builder();
            foreach (var (name, type) in columns) schema.Field(new Field(name, ArrowType(type), nullable: true));
            if (rows >= 0) schema.Metadata("rows", rows.ToString(System.Globalization.CultureInfo.InvariantCulture));
            _schema = schema.Build();
            _types = [.. columns.Select(c => c.Type)];
            _stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferBytes);
            _writer = new ArrowFileWriter(_stream, _schema);
            _writer.WriteStart();
        }

        /// <summary>Rows [from, from + n) of the columns (a null column: every value null) as one batch.</summary>
        public void Write(IReadOnlyList<Column?> columns, int from, int n)
        {
            _writer.WriteRecordBatch(new RecordBatch(_schema, columns.Select((c, i) => ToArrow(_types[i], c, from, n)).ToList(), n));
            _batches++;
        }

        public void Dispose()
        {
            // A file of no batch still has one (empty), so every column's type is readable.
            if (_batches == 0) Write(new Column?[_types.Length], 0, 0);
            _writer.WriteEnd();
            _writer.Dispose();
            _stream.Dispose();
        }
    }

    internal static IArrowType ArrowType(DslType type) => type.Kind switch
    {
        TypeKind.Bool => BooleanType.Default,
        TypeKind.Int or TypeKind.Duration => Int64Type.Default,
        TypeKind.Decimal => new FixedSizeBinaryType(16),
        TypeKind.Date => Date32Type.Default,
        TypeKind.DateTime => new TimestampType(TimeUnit.Microsecond, "UTC"),
        TypeKind.String => StringType.Default,
        TypeKind.List when type.Element is { IsList: false } element => new ListType(ArrowType(element)),
        _ => throw new SnapshotException($"a column of type {type.DisplayName} cannot be stored"),
    };

    /// <summary>Rows [from, from + n) of a column (null: every value null) as an Arrow array.</summary>
    internal static IArrowArray ToArrow(DslType type, Column? column, int from, int n)
    {
        var (validity, nullCount) = Validity(column, from, n);
        switch (type.Kind)
        {
            case TypeKind.Bool:
            {
                var bits = new byte[(n + 7) / 8];
                if (column is BoolColumn b)
                    for (var i = 0; i < n; i++) if (b.Values[from + i]) bits[i >> 3] |= (byte)(1 << (i & 7));
                return new BooleanArray(new ArrowBuffer(bits), validity, n, nullCount, 0);
            }
            case TypeKind.Int or TypeKind.Duration:
                return new Int64Array(Bytes(column switch { IntColumn c => c.Values, DurationColumn c => c.Values, _ => null }, from, n),
                    validity, n, nullCount, 0);
            case TypeKind.DateTime:
            {
                var micros = new long[n];
                if (column is DateTimeColumn t)
                    for (var i = 0; i < n; i++)
                    {
                        var ticks = t.Values[from + i] - EpochTicks;
                        // Import truncates instants to whole microseconds; anything finer would not survive.
                        if (ticks % 10 != 0) throw new SnapshotException("an instant finer than a microsecond cannot be stored");
                        micros[i] = ticks / 10;
                    }
                return new TimestampArray(new TimestampType(TimeUnit.Microsecond, "UTC"), Bytes(micros, 0, n), validity, n, nullCount, 0);
            }
            case TypeKind.Date:
            {
                var days = new int[n];
                if (column is DateColumn d)
                    for (var i = 0; i < n; i++) days[i] = d.Values[from + i] - EpochDay;
                return new Date32Array(new ArrowBuffer(MemoryMarshal.AsBytes(days.AsSpan()).ToArray()), validity, n, nullCount, 0);
            }
            case TypeKind.Decimal:
            {
                var bytes = new byte[16 * n];
                if (column is DecimalColumn d)
                {
                    Span<int> parts = stackalloc int[4];
                    for (var i = 0; i < n; i++)
                    {
                        decimal.GetBits(d.Values[from + i], parts);
                        for (var k = 0; k < 4; k++) BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(16 * i + 4 * k), parts[k]);
                    }
                }
                return new FixedSizeBinaryArray(new ArrayData(new FixedSizeBinaryType(16), n, nullCount, 0, [validity, new ArrowBuffer(bytes)]));
            }
            case TypeKind.List:
            {
                // The items of the batch's lists, in row order, as one column of the item type (an Arrow ListArray's child).
                var lists = (column as ListColumn)?.Values;
                var offsets = new int[n + 1];
                long total = 0;
                for (var i = 0; i < n; i++)
                {
                    total += lists?[from + i]?.Length ?? 0;
                    if (total > int.MaxValue) throw new SnapshotException("more than 2^31 list items in one batch of a list column");
                    offsets[i + 1] = (int)total;
                }
                var element = type.Element!;
                var items = Column.Allocate(element, new bool[total]);
                var k = 0;
                for (var i = 0; i < n; i++)
                    foreach (var item in lists?[from + i] ?? []) ListItemColumn.Set(items, k++, item);
                return new ListArray(ArrowType(type), n, new ArrowBuffer(MemoryMarshal.AsBytes(offsets.AsSpan()).ToArray()),
                    ToArrow(element, items, 0, k), validity, nullCount, 0);
            }
            default:
            {
                var offsets = new int[n + 1];
                var values = column is StringColumn s ? s.Values : null;
                long total = 0;
                for (var i = 0; i < n; i++)
                {
                    total += values?[from + i] is { } v ? System.Text.Encoding.UTF8.GetByteCount(v) : 0;
                    if (total > int.MaxValue) throw new SnapshotException("more than 2 GB of text in one batch of a string column");
                    offsets[i + 1] = (int)total;
                }
                var data = new byte[total];
                for (var i = 0; i < n; i++)
                    if (values?[from + i] is { } v) System.Text.Encoding.UTF8.GetBytes(v, data.AsSpan(offsets[i]));
                return new StringArray(n, new ArrowBuffer(MemoryMarshal.AsBytes(offsets.AsSpan()).ToArray()), new ArrowBuffer(data), validity,
                    nullCount, 0);
            }
        }
    }

    private static ArrowBuffer Bytes(long[]? values, int from, int n) =>
        new(values is null ? new byte[8 * n] : MemoryMarshal.AsBytes(values.AsSpan(from, n)).ToArray());

    private static (ArrowBuffer Validity, int NullCount) Validity(Column? column, int from, int n)
    {
        if (column is not null && column.Nulls is null && column is not ListColumn) return (ArrowBuffer.Empty, 0);
        var bits = new byte[(n + 7) / 8];
        var nulls = 0;
        for (var i = 0; i < n; i++)
        {
            if (column is null || column.IsNull(from + i) || column is ListColumn l && l.Values[from + i] is null) nulls++;
            else bits[i >> 3] |= (byte)(1 << (i & 7));
        }
        return nulls == 0 ? (ArrowBuffer.Empty, 0) : (new ArrowBuffer(bits), nulls);
    }

    // ---------------------------------------------------------------- reading

    /// <summary>Reads every batch of an Arrow file into columns of the expected names and types.</summary>
    /// <param name="rows">Rows expected, or -1 to take the file's.</param>
    internal static Column?[] ReadColumns(string path, int rows, IReadOnlyList<(string Name, DslType Type, bool Pooled)> expected,
        bool checkNames = true)
    {
        var name = Path.GetFileName(path);
        if (!File.Exists(path)) throw new SnapshotException($"{name} is missing");
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        using var reader = new ArrowFileReader(stream);
        var schema = reader.Schema;
        if (schema.FieldsList.Count != expected.Count)
            throw new SnapshotException($"{name} has {schema.FieldsList.Count} columns, expected {expected.Count}");
        for (var c = 0; c < expected.Count; c++)
        {
            var field = schema.FieldsList[c];
            if (checkNames && field.Name != expected[c].Name)
                throw new SnapshotException($"{name}: column {c + 1} is '{field.Name}', expected '{expected[c].Name}'");
            if (!SameType(field.DataType, ArrowType(expected[c].Type)))
                throw new SnapshotException($"{name}: column '{field.Name}' is {field.DataType.Name}, expected {ArrowType(expected[c].Type).Name}");
        }
        if (rows < 0)
        {
            if (schema.Metadata is null || !schema.Metadata.TryGetValue("rows", out var text) || !int.TryParse(text, out rows) || rows < 0)
                throw new SnapshotException($"{name} does not say how many rows it holds");
        }
        var nulls = new bool[expected.Count][];
        var anyNull = new bool[expected.Count];
        var columns = new Column?[expected.Count];
        var pools = expected.Select(e => e.Pooled ? new StringPool() : null).ToArray();
        for (var c = 0; c < expected.Count; c++)
        {
            nulls[c] = new bool[rows];
            columns[c] = Column.Allocate(expected[c].Type, nulls[c]);
        }
        var at = 0;
        while (reader.ReadNextRecordBatch() is { } batch)
        {
            using (batch)
            {
                var n = batch.Length;
                if (n < 0 || (long)at + n > rows) throw new SnapshotException($"{name} holds more rows than the {rows:N0} expected");
                for (var c = 0; c < expected.Count; c++) anyNull[c] |= Fill(columns[c]!, nulls[c], batch.Column(c), at, n, pools[c]);
                at += n;
            }
        }
        if (at != rows) throw new SnapshotException($"{name} holds {at:N0} rows, expected {rows:N0}");
        for (var c = 0; c < expected.Count; c++)
            if (!anyNull[c]) columns[c] = WithoutNulls(columns[c]!);
        return columns;
    }

    private static bool SameType(IArrowType actual, IArrowType expected) =>
        actual.TypeId == expected.TypeId
        && (actual is not ListType list || SameType(list.ValueDataType, ((ListType)expected).ValueDataType));

    /// <summary>Copies values [src, src + n) of one batch's array into rows [at, at + n); true when some value is null.</summary>
    private static bool Fill(Column column, bool[] nulls, IArrowArray array, int at, int n, StringPool? pool, int src = 0)
    {
        if (src < 0 || (long)src + n > array.Length || (src == 0 && array.Length != n))
            throw new SnapshotException("a column is shorter than its batch");
        var anyNull = array.NullCount != 0;
        if (anyNull)
        {
            anyNull = false;
            for (var i = 0; i < n; i++) anyNull |= nulls[at + i] = array.IsNull(src + i);
        }
        switch (column)
        {
            case BoolColumn b:
            {
                var a = (BooleanArray)array;
                for (var i = 0; i < n; i++) b.Values[at + i] = !nulls[at + i] && a.GetValue(src + i) == true;
                break;
            }
            case IntColumn c: ((Int64Array)array).Values.Slice(src, n).CopyTo(c.Values.AsSpan(at, n)); break;
            case DurationColumn c: ((Int64Array)array).Values.Slice(src, n).CopyTo(c.Values.AsSpan(at, n)); break;
            case DateTimeColumn c:
            {
                var v = ((TimestampArray)array).Values;
                for (var i = 0; i < n; i++) c.Values[at + i] = nulls[at + i] ? 0 : checked(v[src + i] * 10 + EpochTicks);
                break;
            }
            case DateColumn c:
            {
                var v = ((Date32Array)array).Values;
                for (var i = 0; i < n; i++) c.Values[at + i] = nulls[at + i] ? 0 : checked(v[src + i] + EpochDay);
                break;
            }
            case DecimalColumn c:
            {
                var a = (FixedSizeBinaryArray)array;
                var bytes = a.ValueBuffer.Span;
                if (bytes.Length < 16L * (a.Offset + src + n)) throw new SnapshotException("a decimal column is truncated");
                Span<int> parts = stackalloc int[4];
                for (var i = 0; i < n; i++)
                {
                    if (nulls[at + i]) continue;
                    var value = bytes.Slice(16 * (a.Offset + src + i), 16);
                    for (var k = 0; k < 4; k++) parts[k] = BinaryPrimitives.ReadInt32LittleEndian(value[(4 * k)..]);
                    c.Values[at + i] = new decimal(parts);   // throws ArgumentException on invalid bits
                }
                break;
            }
            case StringColumn s:
            {
                var a = (StringArray)array;
                for (var i = 0; i < n; i++)
                {
                    if (nulls[at + i]) continue;
                    var bytes = a.GetBytes(src + i);
                    s.Values[at + i] = pool is not null ? pool.GetUtf8(bytes, nonAscii: true) ?? throw new SnapshotException("a string is not UTF-8")
                        : System.Text.Encoding.UTF8.GetString(bytes);
                }
                break;
            }
            case ListColumn l:
            {
                var a = (ListArray)array;
                var offsets = a.ValueOffsets;
                if (offsets.Length < src + n + 1) throw new SnapshotException("a list column is truncated");
                int first = offsets[src], count = offsets[src + n] - first;
                if (first < 0 || count < 0) throw new SnapshotException("a list column has offsets out of order");
                var itemNulls = new bool[count];
                var items = Column.Allocate(l.Type.Element!, itemNulls);
                Fill(items, itemNulls, a.Values, 0, count, pool, first);
                for (var i = 0; i < n; i++)
                {
                    if (nulls[at + i]) continue;
                    int lo = offsets[src + i] - first, hi = offsets[src + i + 1] - first;
                    if (lo < 0 || hi < lo || hi > count) throw new SnapshotException("a list column has offsets out of order");
                    if (hi - lo > ListValues.MaxItems) throw new SnapshotException($"a list holds more than {ListValues.MaxItems:N0} items");
                    var list = new object?[hi - lo];
                    for (var k = lo; k < hi; k++) list[k - lo] = items.GetBoxed(k);
                    l.Values[at + i] = list;
                }
                break;
            }
        }
        return anyNull;
    }

    private static Column WithoutNulls(Column c) => c switch
    {
        BoolColumn x => new BoolColumn(x.Type, x.Values, null),
        IntColumn x => new IntColumn(x.Type, x.Values, null),
        DecimalColumn x => new DecimalColumn(x.Type, x.Values, null),
        DateColumn x => new DateColumn(x.Type, x.Values, null),
        DateTimeColumn x => new DateTimeColumn(x.Type, x.Values, null),
        DurationColumn x => new DurationColumn(x.Type, x.Values, null),
        StringColumn x => new StringColumn(x.Type, x.Values, null),
        ListColumn x => new ListColumn(x.Type, x.Values, null),
        _ => c,
    };
}
