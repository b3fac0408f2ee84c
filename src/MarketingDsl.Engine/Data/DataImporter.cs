using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Core.Diagnostics.Catalogues;
using MarketingDsl.Core.Semantics;

namespace MarketingDsl.Engine.Data;

/// <summary>
/// Loads a data directory into a <see cref="DataSet"/>.
/// <para>Files (names are case-sensitive; each format is optional, but some profiles file must exist):</para>
/// <list type="bullet">
/// <item>JSON Lines: <c>profiles.jsonl</c> (one profile object per line) and <c>events*.jsonl</c>
/// (e.g. <c>events.jsonl</c>, <c>events-2025-09.jsonl</c>; read in ordinal name order), one event per
/// line with <c>type</c>, <c>user_id</c>, <c>ts</c> and that type's fields.</item>
/// <item>CSV (RFC 4180, header row = field names, empty cell = null): <c>profiles.csv</c> and one
/// <c>&lt;event_type&gt;.csv</c> per event type with <c>user_id</c> and <c>ts</c> columns; an
/// <c>events*.csv</c> file with a <c>type</c> column holds mixed types.</item>
/// <item>Parquet: <c>profiles.parquet</c>, <c>&lt;event_type&gt;.parquet</c> and <c>events*.parquet</c> (with a <c>type</c> column).</item>
/// </list>
/// <para>Profiles are read first (jsonl, csv, parquet), then events: JSON Lines files, then CSV, then
/// Parquet, each group in ordinal name order. That order defines the event "line" used for
/// de-duplication (first wins) and for first/last tie-breaking. A CSV/Parquet file named after no
/// declared event type holds events of an unknown type (counted, feeding no table).</para>
/// </summary>
public static class DataImporter
{
    /// <param name="columns">The columns the caller reads (null: every column). The others are parsed and validated as
    /// read ones, so the same rows are kept and rejected with the same reasons, but their values are not kept: the data set
    /// holds null for them, null for a table not read and no <see cref="EventTable.Line"/> (<see cref="DataColumns"/>).</param>
    public static DataSet Load(SchemaModel schema, string directory, ImportOptions? options = null, IProgress<ImportProgress>? progress = null,
        DataColumns? columns = null)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var (profileFiles, eventFiles) = FilesOf(directory);
        using var import = new Importer(schema, options ?? new ImportOptions(), progress, columns);
        foreach (var f in profileFiles) import.ReadFile(Path.Combine(directory, f), f, isProfile: true);
        import.FinishProfiles();
        foreach (var f in eventFiles) import.ReadFile(Path.Combine(directory, f), f, isProfile: false);
        return import.Finish();
    }

    /// <summary>
    /// As <see cref="Load"/>, for data that does not fit in memory (<see cref="ImportOptions.Spill"/>
    /// required): profiles are read and merged first, so every event row is resolved to its merged
    /// user before it is written to that user's partition; de-duplication, rejects, counts and
    /// lines are those of <see cref="Load"/>, since rows are read and committed exactly as there.
    /// </summary>
    public static PartitionedData LoadPartitioned(SchemaModel schema, string directory, ImportOptions options,
        IProgress<ImportProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Spill is null) throw new ArgumentException("LoadPartitioned needs ImportOptions.Spill", nameof(options));
        var (profileFiles, eventFiles) = FilesOf(directory);
        using var import = new Importer(schema, options, progress) { Source = directory };
        foreach (var f in profileFiles) import.ReadFile(Path.Combine(directory, f), f, isProfile: true);
        import.FinishProfiles();
        foreach (var f in eventFiles) import.ReadFile(Path.Combine(directory, f), f, isProfile: false);
        return import.FinishPartitioned();
    }

    private static (List<string> Profiles, List<string> Events) FilesOf(string directory)
    {
        if (!Directory.Exists(directory)) throw new DataImportException($"data directory '{directory}' does not exist");
        var files = Directory.GetFiles(directory).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();
        string[] profileNames = ["profiles.jsonl", "profiles.csv", "profiles.parquet"];
        var profileFiles = profileNames.Where(files.Contains).ToList();
        if (profileFiles.Count == 0)
            throw new DataImportException(
                $"data directory '{directory}' has no profiles file (expected profiles.jsonl, profiles.csv or profiles.parquet)");
        var eventFiles = new List<string>();
        eventFiles.AddRange(files.Where(f => f.StartsWith("events", StringComparison.Ordinal) && f.EndsWith(".jsonl", StringComparison.Ordinal)));
        eventFiles.AddRange(files.Where(f => f.EndsWith(".csv", StringComparison.Ordinal) && f != "profiles.csv"));
        eventFiles.AddRange(files.Where(f => f.EndsWith(".parquet", StringComparison.Ordinal) && f != "profiles.parquet"));
        return (profileFiles, eventFiles);
    }
}

internal delegate void LineHandler(ReadOnlySpan<byte> line, string file, int lineNo);

/// <summary>One import run: builders, lookup tables and the report.</summary>
internal sealed partial class Importer : IDisposable
{
    private readonly SchemaModel _schema;
    private readonly ImportOptions _options;
    private readonly IProgress<ImportProgress>? _progress;
    private readonly ImportReport _report = new();
    private readonly StreamWriter? _rejects;
    private readonly ParseState _mainState = new(null);
    private long _rowsRead;
    private string _currentFile = "";
    private long _currentFileBytes;

    // Profiles.
    private readonly RowLayout _profileLayout;
    /// <summary>Per profile field, its builder; null for a field not read.</summary>
    private readonly ColumnBuilder?[] _profileCols;
    private readonly List<string> _profileIds = [];
    private readonly Dictionary<string, (string File, int Line)> _profileRowById = new(StringComparer.Ordinal);
    private readonly List<string?>[] _profileIdentity;

    // Users, after FinishProfiles.
    private string[] _userIds = [];
    private ColumnTable? _profiles;
    private UserIndex _userById = new([]);
    private Dictionary<string, int>[] _identityToUser = [];

    // Events.
    private readonly EventTypeState[] _types;
    private readonly RowLayout _unknownLayout;
    private readonly RowLayout[] _layouts;
    private long _eventLine;
    private long _maxTs = long.MinValue;
    private readonly long _latestTs;
    private readonly GrowList<long> _looseTs = new();
    /// <summary>The columns the computation reads (null: every column); see <see cref="DataColumns"/>.</summary>
    private readonly DataColumns? _columns;

    public Importer(SchemaModel schema, ImportOptions options, IProgress<ImportProgress>? progress, DataColumns? columns = null)
    {
        _schema = schema;
        _options = options;
        _latestTs = options.LatestEventTicks ?? long.MaxValue;
        _progress = progress;
        // A partitioned import spills every column (its files are read back whole).
        _columns = options.Spill is null ? columns : null;
        var ids = schema.IdentityKeys;

        var profileSlots = schema.ProfileFields.Select(f => (f.Name, f.Type)).ToList();
        var keySlot = schema.ProfileOrdinalOf(schema.KeyField);
        if (keySlot < 0)
        {
            keySlot = profileSlots.Count;
            profileSlots.Add((schema.KeyField, DslType.String));
        }
        else if (schema.ProfileFields[keySlot].Type.Kind != TypeKind.String)
            throw new DataImportException($"the profile key '{schema.KeyField}' must be a string field");
        _profileLayout = new RowLayout(profileSlots, keySlot, -1, ids) { Tag = new ProfileTag(), Id = 0 };
        _profileCols = new ColumnBuilder?[schema.ProfileFields.Length];
        for (var i = 0; i < _profileCols.Length; i++)
        {
            // Made for every field, read or not: a type no column supports fails the import either way.
            var builder = CreateBuilder(schema.ProfileFields[i], "profile");
            if (_columns is null || _columns.ReadsProfile(i))
            {
                _profileCols[i] = builder;
                continue;
            }
            builder.Dispose();
            // The key and identity values are the import's own: kept in the row's scratch, read or not.
            if (i != keySlot && !_profileLayout.IdentitySlots.Contains(i)) _profileLayout.MarkUnread(i);
        }
        _profileIdentity = [.. ids.Select(_ => new List<string?>())];

        _types = new EventTypeState[schema.Events.Length];
        for (var i = 0; i < _types.Length; i++) _types[i] = new EventTypeState(schema.Events[i], i, ids, _columns);
        _unknownLayout = new RowLayout([("user_id", DslType.String), ("ts", DslType.DateTime)], 0, 1, ids) { Id = 1 };
        _layouts = [_profileLayout, _unknownLayout, .. _types.Select(t => t.Layout)];
        for (var i = 0; i < _types.Length; i++) _types[i].Layout.Id = 2 + i;

        if (options.RejectsPath is { } rp)
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(rp));
            if (dir is not null) Directory.CreateDirectory(dir);
            _rejects = new StreamWriter(rp, false, new UTF8Encoding(false));
        }
    }

    internal static ColumnBuilder CreateBuilder(FieldSymbol f, string where)
    {
        try { return new ColumnBuilder(f.Type); }
        catch (DataImportException e) { throw new DataImportException($"{where} field '{f.Name}': {e.Message}"); }
    }

    public void Dispose()
    {
        // An import that failed part way leaves no spill files behind.
        if (_spillDirectory is not null && !_spillHandedOver)
            try { Directory.Delete(_spillDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        _rejects?.Dispose();
        foreach (var t in _types) t.Dispose();
        foreach (var c in _profileCols) c?.Dispose();
    }

    // ---------------------------------------------------------------- files

    public void ReadFile(string path, string file, bool isProfile)
    {
        _report.Files.Add(file);
        _currentFile = file;
        _currentFileBytes = new FileInfo(path).Length;
        if (file.EndsWith(".jsonl", StringComparison.Ordinal))
        {
            if (isProfile && _options.Parallelism > 1) ReadProfileLinesParallel(path, file);
            else if (isProfile) ReadLines(path, file, ProfileJsonLine);
            else if (_options.Parallelism > 1) ReadEventLinesParallel(path, file);
            else ReadLines(path, file, EventJsonLine);
        }
        else if (file.EndsWith(".csv", StringComparison.Ordinal))
            ReadTabular(new CsvRows(path), file, isProfile);
        else
            ReadTabular(new ParquetRows(path), file, isProfile);
        ReportProgress(_currentFileBytes);
    }

    private void Tick(long fileBytesRead)
    {
        if (++_rowsRead % _options.ProgressInterval == 0) ReportProgress(fileBytesRead);
    }

    /// <summary>Exactly as <paramref name="rows"/> calls of <see cref="Tick"/>, without a division per row.</summary>
    private void TickMany(int rows, long fileBytesRead)
    {
        var target = _rowsRead + rows;
        var interval = _options.ProgressInterval;
        for (var next = (_rowsRead / interval + 1) * interval; next <= target; next += interval)
        {
            _rowsRead = next;
            ReportProgress(fileBytesRead);
        }
        _rowsRead = target;
    }

    private void ReportProgress(long fileBytesRead) =>
        _progress?.Report(new ImportProgress(_currentFile, _rowsRead, fileBytesRead, _currentFileBytes));

    private void ReadLines(string path, string file, LineHandler handler)
    {
        using var fs = TextLines.Open(path);
        var buf = new byte[1 << 20];
        int start = 0, end = 0, lineNo = 0;
        long consumed = 0;
        var first = true;
        while (true)
        {
            var n = fs.Read(buf, end, buf.Length - end);
            if (n == 0)
            {
                if (end > start) Line(buf.AsSpan(start, end - start));
                break;
            }
            end += n;
            while (true)
            {
                var idx = buf.AsSpan(start, end - start).IndexOf((byte)'\n');
                if (idx < 0) break;
                Line(buf.AsSpan(start, idx));
                start += idx + 1;
                consumed += idx + 1;
            }
            if (start > 0)
            {
                Buffer.BlockCopy(buf, start, buf, 0, end - start);
                end -= start;
                start = 0;
            }
            if (end == buf.Length) Array.Resize(ref buf, buf.Length * 2);
        }

        void Line(ReadOnlySpan<byte> line)
        {
            lineNo++;
            if (!TextLines.Content(ref line, ref first)) return;
            handler(line, file, lineNo);
            Tick(consumed);
        }
    }

    // ---------------------------------------------------------------- rejects

    private void Reject(string file, int line, RowReject reject, string raw)
    {
        _report.RejectedCount++;
        if (FutureEvents.IsReject(reject)) _report.FutureRejects++;
        if (_report.Rejects.Count < _options.MaxRejectsInMemory) _report.Rejects.Add(RejectedRow.Of(file, line, reject));
        if (_rejects is null) return;
        var sb = new StringBuilder(raw.Length + reject.Reason.Length + 80);
        sb.Append("{\"file\":").Append(JsonSerializer.Serialize(file))
          .Append(",\"line\":").Append(line)
          .Append(",\"code\":\"").Append(reject.Code).Append('"');
        if (reject.Field is { } field) sb.Append(",\"field\":").Append(JsonSerializer.Serialize(field));
        sb.Append(",\"reason\":").Append(JsonSerializer.Serialize(reject.Reason))
          .Append(",\"raw\":").Append(JsonSerializer.Serialize(raw)).Append('}');
        _rejects.WriteLine(sb.ToString());
    }

    private void Reject(string file, int line, RowReject reason, ReadOnlySpan<byte> raw) =>
        Reject(file, line, reason, _rejects is null ? "" : Encoding.UTF8.GetString(raw));

    // ---------------------------------------------------------------- commit rows

    /// <summary>Commits a fully parsed profile row in the layout's scratch, or rejects it.</summary>
    private RowReject? CommitProfile(string file, int line)
    {
        var l = _profileLayout;
        var s = l.Scratch;
        if (ProfileIdRule(s, out var id) is { } missing) return missing;
        if (FirstProfileRow(id, file, line) is { } duplicate) return duplicate;
        _profileIds.Add(id);
        for (var i = 0; i < _profileCols.Length; i++) _profileCols[i]?.Add(s, i);
        for (var k = 0; k < _profileIdentity.Length; k++) _profileIdentity[k].Add(IdentityValue(s, l.IdentitySlots[k]));
        _report.ProfilesKept++;
        return null;
    }

    /// <summary>What a parsed profile row must have (sequential and parallel reading alike): an id.</summary>
    private RowReject? ProfileIdRule(RowScratch s, out string id)
    {
        var l = _profileLayout;
        id = (s.HasValue(l.UserSlot) ? s.S[l.UserSlot] : null) ?? "";
        return id.Length == 0 ? RowRejects.MissingRequired(_schema.KeyField) : null;
    }

    /// <summary>Null when this is the first row of <paramref name="id"/> (it is recorded), else the reject of a duplicate.</summary>
    private RowReject? FirstProfileRow(string id, string file, int line)
    {
        if (_profileRowById.TryGetValue(id, out var first)) return RowRejects.DuplicateProfile(_schema.KeyField, id, first.File, first.Line);
        _profileRowById.Add(id, (file, line));
        return null;
    }

    private static string? IdentityValue(RowScratch s, int slot)
    {
        if (!s.HasValue(slot)) return null;
        var v = s.S[slot];
        if (v is not null) return v.Length == 0 ? null : v;
        return s.L[slot].ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>What an event row parsed into its scratch must have to be kept (sequential and parallel reading alike): a user, a
    /// ts, and a ts not after the import's limit.</summary>
    private RowReject? EventRowRules(RowLayout l, RowScratch s)
    {
        if (!s.HasValue(l.UserSlot) || s.UserLength == 0) return RowRejects.MissingRequired("user_id");
        if (!s.HasValue(l.TsSlot)) return RowRejects.MissingRequired("ts");
        return s.L[l.TsSlot] > _latestTs ? FutureEvents.Reject(s.L[l.TsSlot], _latestTs) : null;
    }

    /// <summary>Commits a fully parsed event row (type null = unknown type), or returns the reject reason.</summary>
    private RowReject? CommitEvent(EventTypeState? type, RowLayout l, long lineOrdinal)
    {
        var s = l.Scratch;
        if (EventRowRules(l, s) is { } reject) return reject;
        var ts = s.L[l.TsSlot];
        if (type is not null && type.IsDuplicate(s))
        {
            _report.DuplicatesDropped[type.Symbol.Name] = (_report.DuplicatesDropped.TryGetValue(type.Symbol.Name, out var d) ? d : 0) + 1;
            return null;
        }
        _report.EventsKept++;
        if (ts > _maxTs) _maxTs = ts;
        if (type is null)
        {
            _report.UnknownTypeEvents++;
            _looseTs.Add(ts);
            return null;
        }
        var user = ResolveUser(l, s);
        if (user < 0)
        {
            _report.OrphanEvents++;
            _looseTs.Add(ts);
            return null;
        }
        type.Add(user, ts, lineOrdinal);
        return null;
    }

    private int ResolveUser(RowLayout l, RowScratch s)
    {
        if (_userById.TryGetValue(s.User, out var u)) return u;
        for (var k = 0; k < _identityToUser.Length; k++)
            if (IdentityValue(s, l.IdentitySlots[k]) is { } v && _identityToUser[k].TryGetValue(v, out u)) return u;
        return -1;
    }

    // ---------------------------------------------------------------- identity merge and users

    public void FinishProfiles()
    {
        var n = _profileIds.Count;
        var parent = new int[n];
        for (var i = 0; i < n; i++) parent[i] = i;
        int Find(int x)
        {
            while (parent[x] != x) x = parent[x] = parent[parent[x]];
            return x;
        }
        var firstEdge = new (int Key, string Value)?[n];
        var keys = _schema.IdentityKeys;
        var identityRows = new Dictionary<string, int>[keys.Length];
        for (var k = 0; k < keys.Length; k++)
        {
            var dict = identityRows[k] = new Dictionary<string, int>(StringComparer.Ordinal);
            var values = _profileIdentity[k];
            for (var r = 0; r < n; r++)
            {
                if (values[r] is not { } v) continue;
                if (!dict.TryGetValue(v, out var other)) { dict.Add(v, r); continue; }
                int a = Find(r), b = Find(other);
                if (a == b) continue;
                parent[Math.Max(a, b)] = Math.Min(a, b);
                firstEdge[r] ??= (k, v);
                firstEdge[other] ??= (k, v);
            }
        }

        // Survivor of each group: the smallest id in code point order; members in file order.
        var survivor = new int[n];
        Array.Fill(survivor, -1);
        var groups = new Dictionary<int, List<int>>();
        for (var r = 0; r < n; r++)
        {
            var root = Find(r);
            if (root != r)
            {
                if (!groups.TryGetValue(root, out var list)) groups[root] = list = [root];
                list.Add(r);
            }
        }
        foreach (var (root, members) in groups)
        {
            var best = members[0];
            foreach (var m in members)
                if (CodePointComparer.Instance.Compare(_profileIds[m], _profileIds[best]) < 0) best = m;
            survivor[root] = best;
        }
        var survivorRows = new List<int>();
        for (var r = 0; r < n; r++)
            if (Find(r) == r) survivorRows.Add(survivor[r] >= 0 ? survivor[r] : r);
        var perm = survivorRows.ToArray();
        var userIds = perm.Select(r => _profileIds[r]).ToArray();
        Array.Sort(userIds, perm, CodePointComparer.Instance);
        _userIds = userIds;

        var rowToUser = new int[n];
        var userOfRow = new Dictionary<int, int>(perm.Length);
        for (var u = 0; u < perm.Length; u++) userOfRow[perm[u]] = u;
        for (var r = 0; r < n; r++)
        {
            var root = Find(r);
            rowToUser[r] = userOfRow[survivor[root] >= 0 ? survivor[root] : root];
        }
        var userById = new Dictionary<string, int>(n, StringComparer.Ordinal);
        for (var r = 0; r < n; r++) userById[_profileIds[r]] = rowToUser[r];
        _userById = new UserIndex(userById);
        _identityToUser = new Dictionary<string, int>[keys.Length];
        for (var k = 0; k < keys.Length; k++)
        {
            var d = _identityToUser[k] = new Dictionary<string, int>(identityRows[k].Count, StringComparer.Ordinal);
            foreach (var (v, r) in identityRows[k]) d[v] = rowToUser[r];
        }

        var columns = new Column?[_profileCols.Length];
        for (var c = 0; c < columns.Length; c++) columns[c] = _profileCols[c]?.Build(RowOrder.Direct(perm));
        foreach (var (root, members) in groups)
        {
            var keep = survivor[root];
            var u = rowToUser[keep];
            foreach (var m in members)
            {
                if (m == keep) continue;
                var edge = firstEdge[m] ?? firstEdge[keep] ?? (0, "");
                _report.IdentityMerges.Add(new IdentityMerge(_profileIds[keep], _profileIds[m], keys[edge.Key], edge.Value));
                for (var c = 0; c < columns.Length; c++)
                    if (columns[c] is { } column && column.IsNull(u) && !_profileCols[c]!.IsNull(m)) _profileCols[c]!.CopyInto(column, u, m);
            }
        }
        _profiles = new ColumnTable(columns, perm.Length);
        foreach (var c in _profileCols) c?.Dispose();
        _profileIdentity.AsSpan().Clear();
        if (_options.Spill is { } given && _userIds.Length > 0)
        {
            // Ids and profiles stay in memory for every user, beside what the evaluation keeps: off the limit before any row is spilled.
            var plan = _spillPlan = given.ForUsers(_userIds.Length, ProfileBytesPerUser, Source);
            _spillDirectory = Path.Combine(_options.SpillDirectory ?? Path.GetTempPath(), $"mdsl-spill-{Guid.NewGuid():N}");
            Directory.CreateDirectory(_spillDirectory);
            foreach (var t in _types) t.StartSpill(plan, _spillDirectory, _userIds.Length);
        }
    }

    /// <summary>The data directory, as errors name it.</summary>
    public string Source { get; init; } = "the data";

    /// <summary>A user's id (a short string and its index entry) and a value per profile column, as kept between partitions.</summary>
    private int ProfileBytesPerUser => 96 + 16 * _profileCols.Length;

    private SpillPlan? _spillPlan;
    private string? _spillDirectory;
    private bool _spillHandedOver;

    /// <summary>The import as partitions of users with their event rows in spill files (after every file is read).</summary>
    public PartitionedData FinishPartitioned()
    {
        var plan = _spillPlan ?? _options.Spill!;
        if (_spillDirectory is null)
        {
            // No users: nothing to partition, every kept event is an orphan or of an unknown type.
            _spillDirectory = Path.Combine(_options.SpillDirectory ?? Path.GetTempPath(), $"mdsl-spill-{Guid.NewGuid():N}");
            Directory.CreateDirectory(_spillDirectory);
        }
        var rows = new long[_types.Length][];
        for (var i = 0; i < _types.Length; i++) rows[i] = _types[i].FinishSpill(plan.Partitions);
        var loose = _looseTs.Items.AsSpan(0, _looseTs.Count).ToArray();
        Array.Sort(loose);
        _rejects?.Flush();
        _spillHandedOver = true;
        return new PartitionedData(_schema, plan, _spillDirectory, _userIds, _profiles!, _report, _report.EventsKept > 0 ? _maxTs : null,
            loose, rows);
    }

    public DataSet Finish()
    {
        var parallelism = Math.Max(1, _options.Parallelism);
        foreach (var t in _types)
            if (t.KeepsRows) t.Sort(_userIds.Length, parallelism);
        // The columns of every type are gathered together, the largest first, one per thread at a
        // time: a type's few columns alone would leave threads idle at the end of each type.
        // Each builder is released as soon as its column is built (the peak stays the output plus
        // the builders not yet gathered).
        var columns = _types.SelectMany(t => t.OutputColumns.Select(c => (Type: t, Column: c)))
            .OrderByDescending(w => w.Type.ColumnBytes(w.Column)).ToList();
        Parallel.ForEach(
            System.Collections.Concurrent.Partitioner.Create(columns, System.Collections.Concurrent.EnumerablePartitionerOptions.NoBuffering),
            new ParallelOptions { MaxDegreeOfParallelism = parallelism }, w => w.Type.BuildColumn(w.Column));
        var tables = new EventTable?[_types.Length];
        for (var i = 0; i < _types.Length; i++)
        {
            tables[i] = _types[i].Table();
            _types[i].Dispose();
        }
        var loose = _looseTs.Items.AsSpan(0, _looseTs.Count).ToArray();
        Array.Sort(loose);
        _rejects?.Flush();
        return new DataSet(_schema, _userIds, _profiles!, tables, _report, _report.EventsKept > 0 ? _maxTs : null, loose)
        {
            Columns = _columns,
        };
    }

    // ---------------------------------------------------------------- text values (CSV, Parquet strings)

    /// <summary>Parses a text cell into a slot; empty or null text is null.</summary>
    internal bool SetText(RowLayout l, int slot, string? text, bool emptyIsNull, out RowReject? reason)
    {
        reason = null;
        var s = l.Scratch;
        if (text is null || (emptyIsNull && text.Length == 0)) { s.State[slot] = RowScratch.Null; return true; }
        if (slot == l.UserSlot && !l.IsProfile)
        {
            s.SetUser(text);
            s.State[slot] = RowScratch.Value;
            return true;
        }
        if (l.IsIdentityOnly[slot]) { s.S[slot] = text; s.State[slot] = RowScratch.Value; return true; }
        var t = l.Types[slot];
        var ok = true;
        switch (t.Kind)
        {
            case TypeKind.String:
                s.S[slot] = l.Pools[slot] is { } pool ? pool.Get(text) : text;
                break;
            case TypeKind.Int:
                ok = long.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture,
                    out s.L[slot]);
                break;
            case TypeKind.Decimal:
                ok = decimal.TryParse(text,
                    System.Globalization.NumberStyles.AllowLeadingSign | System.Globalization.NumberStyles.AllowDecimalPoint
                        | System.Globalization.NumberStyles.AllowExponent,
                    System.Globalization.CultureInfo.InvariantCulture, out s.D[slot]);
                break;
            case TypeKind.Bool:
                if (text.Equals("true", StringComparison.OrdinalIgnoreCase)) s.L[slot] = 1;
                else if (text.Equals("false", StringComparison.OrdinalIgnoreCase)) s.L[slot] = 0;
                else ok = false;
                break;
            case TypeKind.Date:
                ok = ValueParsers.TryParseDate(text, out var day);
                s.L[slot] = day;
                break;
            case TypeKind.DateTime:
                ok = ValueParsers.TryParseTimestamp(text, out s.L[slot]);
                break;
            case TypeKind.Duration:
                ok = ValueParsers.TryParseDuration(text, out s.L[slot]);
                break;
            case TypeKind.List:
                if (!ListValues.TryParseDelimited(text, l.Names[slot], t.Element!, out var list, out reason)) return false;
                s.SetList(slot, list);
                return true;
            default:
                ok = false;
                break;
        }
        if (!ok)
        {
            reason = slot == l.TsSlot ? RowRejects.InvalidTimestamp($"'{Clip(text)}'")
                : RowRejects.InvalidValue(l.Names[slot], $"'{Clip(text)}'", t.NonNullable.DisplayName);
            return false;
        }
        s.State[slot] = RowScratch.Value;
        return true;
    }

    internal static string Clip(string s) => s.Length <= 60 ? s : s[..60] + "…";
}

/// <summary>Marks the profile layout (its key slot is a string value, not a user lookup).</summary>
internal sealed class ProfileTag;

/// <summary>Builders of one event type.</summary>
internal sealed class EventTypeState : IDisposable
{
    private ColumnBuilder?[] _fields;
    private NativeList<int> _user = new();
    private NativeList<long> _ts = new();
    private NativeList<int> _line = new();
    private readonly int _uniqueSlot;
    private HashSet<string>? _seenStrings;
    private HashSet<long>? _seenLongs;
    private HashSet<decimal>? _seenDecimals;
    private bool _seenNull;

    /// <param name="columns">What the computation reads (null: everything). A table not read keeps no rows (its rows are still
    /// validated, de-duplicated and counted); a field not read keeps no values (still validated), except the unique id
    /// (de-duplication) and identity values (users), which the import itself reads.</param>
    public EventTypeState(EventTypeSymbol symbol, int index, IReadOnlyList<string> identityKeys, DataColumns? columns = null)
    {
        Symbol = symbol;
        Index = index;
        Utf8Name = Encoding.UTF8.GetBytes(symbol.Name);
        Utf8NameQuoted = [.. Utf8Name, (byte)'"'];
        Layout = new RowLayout([.. symbol.Fields.Select(f => (f.Name, f.Type))], 0, 1, identityKeys) { Tag = this };
        _uniqueSlot = symbol.UniqueField is { } uf ? symbol.OrdinalOf(uf.Name) : -1;
        if (_uniqueSlot >= 0) Layout.Pools[_uniqueSlot] = null;   // unique ids never repeat: a pool would only cost
        _columns = columns;
        KeepsRows = columns is null || columns.ReadsTable(index);
        _fields = new ColumnBuilder?[symbol.Fields.Length];
        for (var i = 2; i < _fields.Length; i++)
        {
            var read = columns is null || columns.ReadsField(index, i);
            // Made for every field, read or not: a type no column supports fails the import either way.
            var builder = Importer.CreateBuilder(symbol.Fields[i], $"event {symbol.Name}");
            if (read || i == _uniqueSlot) _fields[i] = builder;
            else builder.Dispose();
            if (!read && i != _uniqueSlot && !Layout.IdentitySlots.Contains(i)) Layout.MarkUnread(i);
        }
    }

    private readonly DataColumns? _columns;

    /// <summary>The table is read: its rows are kept and sorted (otherwise only validated, de-duplicated and counted).</summary>
    public bool KeepsRows { get; }

    /// <summary>Whether a parsed block keeps field <paramref name="slot"/> (read, or the unique id de-duplication needs).</summary>
    public bool HasBuilder(int slot) => _fields[slot] is not null;

    /// <summary>Output column c (0 ts, 1 line, else a field) is built: every column without a selection; with one, ts and the
    /// fields read (no evaluation reads <see cref="EventTable.Line"/>: rows are already in (ts, line) order).</summary>
    private bool Builds(int c) => _columns is null || c == 0 || (c >= 2 && _columns.ReadsField(Index, c));

    public EventTypeSymbol Symbol { get; }
    public int Index { get; }
    public byte[] Utf8Name { get; }
    /// <summary>The name and the closing quote of a JSON string: how a row's type value ends.</summary>
    public byte[] Utf8NameQuoted { get; }
    public RowLayout Layout { get; }
    public int UniqueSlot => _uniqueSlot;

    /// <summary>True when the row's unique id was seen before (first row in file order wins); records it otherwise.</summary>
    public bool IsDuplicate(RowScratch s)
    {
        if (_uniqueSlot < 0) return false;
        if (!s.HasValue(_uniqueSlot)) return SeenNull();
        return Layout.Types[_uniqueSlot].Kind switch
        {
            TypeKind.String => !(_seenStrings ??= new(StringComparer.Ordinal)).Add(s.S[_uniqueSlot]!),
            TypeKind.Decimal => !(_seenDecimals ??= []).Add(s.D[_uniqueSlot]),
            _ => !(_seenLongs ??= []).Add(s.L[_uniqueSlot]),
        };
    }

    /// <summary>As <see cref="IsDuplicate(RowScratch)"/>, for a row of a parsed block (unique column builder, row).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool IsDuplicate(ColumnBuilder unique, int row)
    {
        if (unique.IsNull(row)) return SeenNull();
        return Layout.Types[_uniqueSlot].Kind switch
        {
            TypeKind.String => !(_seenStrings ??= new(StringComparer.Ordinal)).Add(unique.StringAt(row)!),
            TypeKind.Decimal => !(_seenDecimals ??= []).Add(unique.DecimalAt(row)),
            _ => !(_seenLongs ??= []).Add(unique.LongAt(row)),
        };
    }

    private bool SeenNull()
    {
        if (_seenNull) return true;
        _seenNull = true;
        return false;
    }

    private static int CheckLine(long line) =>
        line <= int.MaxValue ? (int)line : throw new DataImportException($"more than {int.MaxValue} event rows in one import are not supported");

    public void Add(int user, long ts, long line)
    {
        CheckLine(line);
        if (!KeepsRows) return;
        var s = Layout.Scratch;
        _user.Add(user);
        _ts.Add(ts);
        if (_columns is null) _line.Add((int)line);
        for (var i = 2; i < _fields.Length; i++) _fields[i]?.Add(s, i);
        if (_spill is not null && _ts.Count >= _spill.Plan.FlushRows) Flush();
    }

    private TypeSpill? _spill;

    /// <summary>From now on rows go to spill files of their user's partition whenever <see cref="SpillPlan.FlushRows"/> are held.</summary>
    public void StartSpill(SpillPlan plan, string directory, int users)
    {
        var columns = new List<(string, DslType)> { ("user", DslType.Int), ("ts", DslType.DateTime), ("line", DslType.Int) };
        for (var f = 2; f < Symbol.Fields.Length; f++) columns.Add((Symbol.Fields[f].Name, Symbol.Fields[f].Type));
        _spill = new TypeSpill(plan, directory, Index, users, [.. columns]);
    }

    /// <summary>Writes the rows held to the spill files (rows of a partition keep their line order) and empties the builders.</summary>
    private void Flush()
    {
        var spill = _spill!;
        var n = _ts.Count;
        if (n == 0) return;
        var (plan, users) = (spill.Plan, spill.Users);
        var start = new int[plan.Partitions + 1];
        for (var r = 0; r < n; r++) start[plan.PartitionOf(_user[r], users) + 1]++;
        for (var p = 0; p < plan.Partitions; p++) start[p + 1] += start[p];
        var next = (int[])start.Clone();
        var perm = new int[n];
        for (var r = 0; r < n; r++) perm[next[plan.PartitionOf(_user[r], users)]++] = r;
        var order = RowOrder.Direct(perm);
        var local = new long[n];
        for (var i = 0; i < n; i++)
        {
            var u = _user[perm[i]];
            local[i] = u - plan.FirstUser(plan.PartitionOf(u, users), users);
        }
        var ts = new long[n];
        _ts.Gather(ts, order);
        var line = new long[n];
        _line.GatherWiden(line, order);
        var columns = new Column?[3 + _fields.Length - 2];
        columns[0] = new IntColumn(DslType.Int, local, null);
        columns[1] = new DateTimeColumn(DslType.DateTime, ts, null);
        columns[2] = new IntColumn(DslType.Int, line, null);
        for (var f = 2; f < _fields.Length; f++) columns[f + 1] = _fields[f]!.Build(order);
        for (var p = 0; p < plan.Partitions; p++)
        {
            var count = start[p + 1] - start[p];
            if (count == 0) continue;
            spill.Writer(p).Write(columns, start[p], count);
            spill.Rows[p] += count;
        }
        _user.Clear();
        _ts.Clear();
        _line.Clear();
        for (var f = 2; f < _fields.Length; f++) _fields[f]!.Clear();
        HeapGuard.CollectIfGrown(plan.HeapHeadroom);
    }

    /// <summary>Writes the last rows, closes the spill files and returns the rows per partition.</summary>
    public long[] FinishSpill(int partitions)
    {
        if (_spill is null) return new long[partitions];
        Flush();
        _spill.Dispose();
        _seenStrings = null;
        _seenLongs = null;
        _seenDecimals = null;
        return _spill.Rows;
    }

    /// <summary>Appends rows [start, start + count) of a parsed block; their lines are lineBase + the block's ordinals.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void AddRange(TypeBatch b, int start, int count, long lineBase)
    {
        if (count <= 0) return;
        CheckLine(lineBase + b.Ordinal[start + count - 1]);
        if (!KeepsRows) return;
        _user.AddRange(b.User, start, count);
        _ts.AddRange(b.Ts, start, count);
        if (_columns is null)
            for (var i = 0; i < count; i++) _line.Add((int)(lineBase + b.Ordinal[start + i]));
        for (var f = 2; f < _fields.Length; f++) _fields[f]?.AddRange(b.Fields[f]!, start, count);
        if (_spill is not null && _ts.Count >= _spill.Plan.FlushRows) Flush();
    }

    // Set by Sort, used by BuildColumn and Table.
    private RowOrder? _perm;
    private int[] _userStart = [];
    private long[] _outTs = [], _outLine = [];
    private Column?[] _outFields = [];

    /// <summary>Ts, line and the fields: the columns <see cref="BuildColumn"/> gathers (none for a table not read).</summary>
    public IEnumerable<int> OutputColumns => KeepsRows ? Enumerable.Range(0, _fields.Length).Where(Builds) : [];

    /// <summary>Bytes of output column c (to gather the largest first).</summary>
    public long ColumnBytes(int c) => (long)_ts.Count * (c < 2 ? 8 : _fields[c]!.Type.Kind switch
    {
        TypeKind.Decimal => 16,
        TypeKind.Bool => 1,
        TypeKind.Date => 4,
        _ => 8,
    });

    /// <summary>
    /// Orders the rows by (user, ts, line): the per-user row ranges and the permutation (none when
    /// the rows already arrive in that order). Then <see cref="BuildColumn"/> for every column, then <see cref="Table"/>.
    /// </summary>
    public void Sort(int userCount, int parallelism)
    {
        var n = _ts.Count;
        var users = _user;
        var ts = _ts;
        // A counting sort by user, split into row ranges counted and scattered in parallel; ranges
        // keep their order, so rows of a user stay in input (= line) order.
        var parts = Math.Max(1, Math.Min(parallelism, n / (1 << 16)));
        var counts = new int[parts][];
        var partInOrder = new bool[parts];
        var partInTsOrder = new bool[parts];
        long RangeStart(int part) => (long)n * part / parts;
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism) };
        Parallel.For(0, parts, options, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (int part) =>
        {
            int lo = (int)RangeStart(part), hi = (int)RangeStart(part + 1);
            var count = counts[part] = new int[userCount];
            bool inOrder = true, inTsOrder = true;
            int prevUser = lo > 0 ? users[lo - 1] : -1;
            var prevTs = lo > 0 ? ts[lo - 1] : long.MinValue;
            for (var i = lo; i < hi; i++)
            {
                var u = users[i];
                count[u]++;
                var t = ts[i];
                if (u < prevUser || (u == prevUser && t < prevTs)) inOrder = false;
                if (t < prevTs) inTsOrder = false;
                prevUser = u;
                prevTs = t;
            }
            partInOrder[part] = inOrder;
            partInTsOrder[part] = inTsOrder;
        });
        var start = new int[userCount + 1];
        for (var u = 0; u < userCount; u++)
        {
            var total = start[u];
            foreach (var count in counts)
            {
                var c = count[u];
                count[u] = total;   // from here on: where this range's rows of user u go
                total += c;
            }
            start[u + 1] = total;
        }
        _seenStrings = null;
        _seenLongs = null;
        _seenDecimals = null;

        // Input already in (user, ts, line) order (lines grow with the input row): no permutation.
        RowOrder? order = null;
        if (!partInOrder.All(inOrder => inOrder))
        {
            // Input in ts order (history exported in time order): a stable grouping by user leaves every user's rows in (ts,
            // line) order, so no user's rows need checking (a read of every row in random order), and the permutation is
            // final here. For a large type, the two-pass plan of its gathers (RowOrder) is made in the same pass: where each
            // input row goes is known as it is placed, so its bucket slot is given out in input order and the output row's
            // link to it written, rather than derived afterwards by a pass of random reads (no permutation: no gather reads it).
            var tsOrdered = partInTsOrder.All(inTsOrder => inTsOrder);
            var planned = tsOrdered && n >= RowOrder.PartitionFrom;
            var perm = planned ? null : GC.AllocateUninitializedArray<int>(n);
            var shift = planned ? RowOrder.BucketShiftFor(n) : 0;
            var slot = planned ? GC.AllocateUninitializedArray<int>(n) : null;
            var local = planned ? GC.AllocateUninitializedArray<int>(n) : null;
            var bucketCursor = planned ? BucketCursors(counts, start, n, shift) : null;
            var partMovesFar = new bool[parts];
            Parallel.For(0, parts, options, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (int part) =>
            {
                int lo = (int)RangeStart(part), hi = (int)RangeStart(part + 1);
                var pos = counts[part];
                if (slot is null)
                    for (var i = lo; i < hi; i++) perm![pos[users[i]]++] = i;   // stable: line order within a user
                else
                {
                    var cursor = bucketCursor![part];
                    var far = false;
                    for (var i = lo; i < hi; i++)
                    {
                        var p = pos[users[i]]++;
                        var at = cursor[p >> shift]++;
                        slot[i] = at;
                        local![p] = at;
                        far |= (uint)(p - i + RowOrder.LocalWindow) > 2 * RowOrder.LocalWindow;
                    }
                    partMovesFar[part] = far;
                }
            });
            if (!tsOrdered) Parallel.For(0, parts, options, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (int part) =>
            {
                long[] keys = [], keysTmp = [];
                int[] rows = [], rowsTmp = [];
                int uFrom = (int)((long)userCount * part / parts), uTo = (int)((long)userCount * (part + 1) / parts);
                for (var u = uFrom; u < uTo; u++)
                {
                    int lo = start[u], hi = start[u + 1];
                    var sorted = true;
                    for (var i = lo + 1; i < hi && sorted; i++) sorted = ts[perm![i - 1]] <= ts[perm[i]];
                    if (sorted) continue;
                    var len = hi - lo;
                    if (keys.Length < len)
                    {
                        var size = Math.Max(len, keys.Length * 2);
                        (keys, keysTmp, rows, rowsTmp) = (new long[size], new long[size], new int[size], new int[size]);
                    }
                    for (var i = 0; i < len; i++) { var r = perm![lo + i]; keys[i] = ts[r]; rows[i] = r; }
                    // Rows of a user are in input order, so the row orders like the line: a stable
                    // sort by ts gives (ts, line) order.
                    StableSortByTs(keys, rows, len, keysTmp, rowsTmp);
                    rows.AsSpan(0, len).CopyTo(perm!.AsSpan(lo));
                }
            });
            _user.Dispose();   // before RowOrder.Of makes its arrays
            // No row moved further than RowOrder's window: gathered directly, as RowOrder.Of decides.
            order = !planned ? RowOrder.Of(perm!, parallelism)
                : RowOrder.Planned(slot!, local!, shift) is var plan && !partMovesFar.Contains(true) ? RowOrder.Direct(plan.Perm) : plan;
        }
        counts = null!;
        _user.Dispose();
        _perm = order;
        _userStart = start;
        _outFields = new Column?[_fields.Length];
    }

    /// <summary>
    /// Per row range of the counting sort, the first scratch slot of each bucket of a two-pass plan its rows take: bucket b
    /// holds output rows [b &lt;&lt; shift, (b + 1) &lt;&lt; shift) and gives its slots out in input order, so a range starts
    /// after the rows the ranges before it put there. <paramref name="positions"/>[part][u] is where the range's rows of user u
    /// begin (they end where the next range's begin, the last range's at <paramref name="start"/>[u + 1]).
    /// </summary>
    private static int[][] BucketCursors(int[][] positions, int[] start, int n, int shift)
    {
        var parts = positions.Length;
        var buckets = ((n - 1) >> shift) + 1;
        var cursors = new int[parts][];
        var next = new int[buckets];
        for (var b = 0; b < buckets; b++) next[b] = b << shift;
        for (var part = 0; part < parts; part++)
        {
            cursors[part] = (int[])next.Clone();
            var from = positions[part];
            var to = part + 1 < parts ? positions[part + 1] : start.AsSpan(1);
            for (var u = 0; u < from.Length; u++)
                for (int lo = from[u], hi = to[u]; lo < hi;)
                {
                    var b = lo >> shift;
                    var end = Math.Min(hi, (b + 1) << shift);
                    next[b] += end - lo;
                    lo = end;
                }
        }
        return cursors;
    }

    /// <summary>
    /// Sorts rows [0, n) by their ts key, keeping rows of equal ts in their order: insertion sort
    /// of runs of 16, then merges (a merge of runs already in order is a copy). Own code rather
    /// than a (ts, row) tuple sort: primitive compares, no tie-breaking by row, and jitted
    /// optimized at once (a library sort over this type pair starts as unoptimized code).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void StableSortByTs(long[] keys, int[] rows, int n, long[] keysTmp, int[] rowsTmp)
    {
        const int Run = 16;
        for (var lo = 0; lo < n; lo += Run)
        {
            var hi = Math.Min(lo + Run, n);
            for (var i = lo + 1; i < hi; i++)
            {
                var k = keys[i];
                var r = rows[i];
                var j = i - 1;
                for (; j >= lo && keys[j] > k; j--)
                {
                    keys[j + 1] = keys[j];
                    rows[j + 1] = rows[j];
                }
                keys[j + 1] = k;
                rows[j + 1] = r;
            }
        }
        long[] srcK = keys, dstK = keysTmp;
        int[] srcR = rows, dstR = rowsTmp;
        for (long width = Run; width < n; width *= 2)
        {
            for (long from = 0; from < n; from += 2 * width)
            {
                int lo = (int)from, mid = (int)Math.Min(from + width, n), hi = (int)Math.Min(from + 2 * width, n);
                int a = lo, b = mid, o = lo;
                if (mid < hi && srcK[mid - 1] > srcK[mid])
                    while (a < mid && b < hi)
                    {
                        // Equal keys take the left run first: stable.
                        if (srcK[b] < srcK[a]) { dstK[o] = srcK[b]; dstR[o++] = srcR[b++]; }
                        else { dstK[o] = srcK[a]; dstR[o++] = srcR[a++]; }
                    }
                Array.Copy(srcK, a, dstK, o, mid - a);
                Array.Copy(srcR, a, dstR, o, mid - a);
                o += mid - a;
                Array.Copy(srcK, b, dstK, o, hi - b);
                Array.Copy(srcR, b, dstR, o, hi - b);
            }
            (srcK, dstK) = (dstK, srcK);
            (srcR, dstR) = (dstR, srcR);
        }
        if (srcK != keys)
        {
            Array.Copy(srcK, keys, n);
            Array.Copy(srcR, rows, n);
        }
    }

    /// <summary>
    /// Gathers output column c (0 ts, 1 line, else a field) and releases its builder; columns are independent (any thread,
    /// any order).
    /// </summary>
    public void BuildColumn(int c)
    {
        var n = _userStart[^1];
        if (c == 0)
        {
            var ts = GC.AllocateUninitializedArray<long>(n);
            _ts.Gather(ts, _perm);
            _ts.Dispose();
            _outTs = ts;
        }
        else if (c == 1)
        {
            var line = GC.AllocateUninitializedArray<long>(n);
            _line.GatherWiden(line, _perm);
            _line.Dispose();
            _outLine = line;
        }
        else
        {
            _outFields[c] = _fields[c]!.Build(_perm);   // a field not read has no builder or is not built (OutputColumns)
            _fields[c]!.Dispose();
            _fields[c] = null;
        }
    }

    /// <summary>The built table (after <see cref="BuildColumn"/> for every column).</summary>
    public EventTable? Table()
    {
        _perm = null;
        return KeepsRows ? new EventTable(Symbol, _userStart, _outTs, _outLine, _outFields) : null;
    }

    public void Dispose()
    {
        _spill?.Dispose();
        _user.Dispose();
        _ts.Dispose();
        _line.Dispose();
        foreach (var f in _fields) f?.Dispose();
    }
}
