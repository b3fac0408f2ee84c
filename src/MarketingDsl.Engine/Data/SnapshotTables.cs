using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;
using Apache.Arrow;
using Apache.Arrow.Arrays;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;
using MarketingDsl.Core.Semantics;
using System.Runtime.CompilerServices;

namespace MarketingDsl.Engine.Data;

/// <summary>One column of a snapshot table: its name, its type, and whether its strings are stored as a dictionary.</summary>
internal readonly record struct SnapshotColumn(string Name, DslType Type, bool Dictionary = false);

/// <summary>
/// The tables of an import snapshot as Arrow IPC streams (<c>NAME.K.arrows</c>, parts of at most
/// <see cref="PartBytes"/> each, batches of <see cref="BatchRows"/> rows). Repeated strings are
/// dictionary-encoded (int32 indexes into one dictionary per column), so reading them is a gather,
/// not a decode per value. Reading maps the files into memory and reads Arrow's buffers in place
/// (no copy but the one into the engine's columns), every (column, batch) on its own work item in
/// parallel.
/// </summary>
internal static class SnapshotTables
{
    /// <summary>Rows per batch: the unit of parallel reading.</summary>
    public const int BatchRows = 1 << 18;

    /// <summary>A part ends once it holds this many bytes: a part is mapped whole, and Arrow reads at most 2 GB from memory.</summary>
    public const long PartBytes = 1L << 30;

    private static readonly long EpochTicks = DateTime.UnixEpoch.Ticks;
    private static readonly int EpochDay = DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber;
    private static readonly long MinMicros = -EpochTicks / 10, MaxMicros = (DateTime.MaxValue.Ticks - EpochTicks) / 10;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static readonly DictionaryType StringDictionary = new(Int32Type.Default, StringType.Default, false);

    // ---------------------------------------------------------------- writing

    /// <summary>Writes a table into <paramref name="directory"/>; returns its part files with their checksums.</summary>
    public static List<SnapshotFile> Write(string directory, string name, int rows, IReadOnlyList<SnapshotColumn> columns,
        IReadOnlyList<Column?> values, int batchRows = BatchRows, long partBytes = PartBytes)
    {
        var fields = new Schema.Builder();
        foreach (var c in columns)
            fields.Field(new Field(c.Name, c.Dictionary ? StringDictionary : ImportSnapshot.ArrowType(c.Type), nullable: true));
        var schema = fields.Build();
        var dictionaries = columns.Select((c, i) => c.Dictionary ? Encode(values[i] as StringColumn, rows) : default).ToArray();
        var files = new List<SnapshotFile>();
        FileStream? stream = null;
        ArrowStreamWriter? writer = null;
        try
        {
            for (var from = 0; from == 0 || from < rows; from += batchRows)
            {
                if (writer is null)
                {
                    files.Add(new SnapshotFile { Name = $"{name}.{files.Count}.arrows" });
                    stream = new FileStream(Path.Combine(directory, files[^1].Name), FileMode.CreateNew, FileAccess.Write, FileShare.None,
                        1 << 20);
                    writer = new ArrowStreamWriter(stream, schema, leaveOpen: true);
                }
                var n = Math.Min(batchRows, rows - from);
                var arrays = new IArrowArray[columns.Count];
                for (var c = 0; c < arrays.Length; c++)
                    arrays[c] = columns[c].Dictionary ? DictionaryBatch(dictionaries[c], from, n)
                        : ImportSnapshot.ToArrow(columns[c].Type, values[c], from, n);
                writer.WriteRecordBatch(new RecordBatch(schema, arrays, n));
                if (stream!.Position > int.MaxValue)
                    throw new SnapshotException($"{files[^1].Name} would hold more than 2 GB: its rows are too wide for batches of {n:N0}");
                if (stream.Position >= partBytes || from + n >= rows)
                {
                    writer.WriteEnd();
                    writer.Dispose();
                    stream.Dispose();
                    (writer, stream) = (null, null);
                    files[^1].Xxh128 = SnapshotChecksums.Of(Path.Combine(directory, files[^1].Name));
                }
            }
            return files;
        }
        finally
        {
            writer?.Dispose();
            stream?.Dispose();
        }
    }

    /// <summary>A string column as indexes (-1: null) into its distinct values, in order of first appearance.</summary>
    private static (int[] Codes, StringArray Values) Encode(StringColumn? column, int rows)
    {
        var codes = new int[rows];
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var distinct = new List<string?>();
        for (var i = 0; i < rows; i++)
        {
            if (column?.Values[i] is not { } v)
            {
                codes[i] = -1;
                continue;
            }
            if (!index.TryGetValue(v, out var code))
            {
                index.Add(v, code = distinct.Count);
                distinct.Add(v);
            }
            codes[i] = code;
        }
        var values = (StringArray)ImportSnapshot.ToArrow(DslType.String, new StringColumn(DslType.String, [.. distinct], null), 0, distinct.Count);
        return (codes, values);
    }

    private static DictionaryArray DictionaryBatch((int[] Codes, StringArray Values) dictionary, int from, int n)
    {
        var codes = dictionary.Codes.AsSpan(from, n);
        var nulls = 0;
        foreach (var c in codes) if (c < 0) nulls++;
        var validity = ArrowBuffer.Empty;
        if (nulls > 0)
        {
            var bits = new byte[(n + 7) / 8];
            for (var i = 0; i < n; i++) if (codes[i] >= 0) bits[i >> 3] |= (byte)(1 << (i & 7));
            validity = new ArrowBuffer(bits);
        }
        var indexes = new int[n];
        for (var i = 0; i < n; i++) indexes[i] = Math.Max(codes[i], 0);
        var indices = new Int32Array(new ArrowBuffer(MemoryMarshal.AsBytes(indexes.AsSpan()).ToArray()), validity, n, nulls, 0);
        return new DictionaryArray(StringDictionary, indices, dictionary.Values);
    }

    // ---------------------------------------------------------------- reading

    /// <summary>A table to read: its files (in a snapshot directory), expected columns and row count.</summary>
    public sealed class TableRead(string directory, string name, IReadOnlyList<SnapshotFile> files, IReadOnlyList<SnapshotColumn> columns,
        long rows)
    {
        public string Directory { get; } = directory;
        public string Name { get; } = name;
        public IReadOnlyList<SnapshotFile> Files { get; } = files;
        /// <summary>The names of <see cref="Files"/>, for messages.</summary>
        public string FileNames => string.Join(", ", Files.Select(f => f.Name));
        public IReadOnlyList<SnapshotColumn> Expected { get; } = columns;
        public long Rows { get; } = rows;
        /// <summary>Where <see cref="Rows"/> comes from, for the message when the files hold another count.</summary>
        public string RowsFrom { get; init; } = ImportSnapshot.ManifestFile;
        /// <summary>Which of <see cref="Expected"/> to convert (null: all); the others stay null in <see cref="Columns"/>.</summary>
        public IReadOnlyList<bool>? Wanted { get; init; }
        public bool Reads(int column) => Wanted is null || Wanted[column];
        /// <summary>The first row read (a partition's window of the table; 0: from the start).</summary>
        public long FirstRow { get; init; }
        /// <summary>How many rows from <see cref="FirstRow"/> are read into <see cref="Columns"/> (null: to the end of the table).</summary>
        public long? RowCount { get; init; }
        internal long WindowRows => RowCount ?? Rows - FirstRow;
        /// <summary>The rows of batch <paramref name="b"/> in the window: (first row in the batch, its row in the columns, rows).</summary>
        internal (int Src, int At, int N) Overlap(int b)
        {
            var (_, batch, at) = Batches[b];
            long from = Math.Max(at, FirstRow), to = Math.Min((long)at + batch.Length, FirstRow + WindowRows);
            return to <= from ? (0, 0, 0) : ((int)(from - at), (int)(from - FirstRow), (int)(to - from));
        }
        /// <summary>The columns read, aligned with <see cref="Expected"/> (after <see cref="Read"/>; null where not <see cref="Reads"/>).</summary>
        public Column?[] Columns { get; } = new Column?[columns.Count];
        internal List<(string File, RecordBatch Batch, int At)> Batches { get; } = [];
    }

    /// <summary>
    /// Reads tables: each part mapped and its batches located (one thread), every column read
    /// allocated once, then every (column, batch) converted into the engine's columns in parallel.
    /// Columns not read are only checked for their name and type: their buffers are never touched.
    /// </summary>
    /// <exception cref="SnapshotException">A file is missing, damaged, or holds other columns or another row count.</exception>
    public static void Read(IReadOnlyList<TableRead> tables, int parallelism)
    {
        Verify(tables, parallelism);
        var maps = new List<MappedFile>();
        try
        {
            foreach (var table in tables) Locate(table, maps);
            var work = new List<(TableRead Table, int Column, int Batch)>();
            foreach (var table in tables)
                for (var c = 0; c < table.Expected.Count; c++)
                {
                    if (!table.Reads(c)) continue;
                    var inWindow = Enumerable.Range(0, table.Batches.Count).Where(b => table.Overlap(b).N > 0).ToList();
                    var anyNull = inWindow.Any(b => table.Batches[b].Batch.Column(c).NullCount != 0);
                    table.Columns[c] = Allocate(table.Expected[c].Type, (int)table.WindowRows, anyNull);
                    foreach (var b in inWindow) work.Add((table, c, b));
                }
            // Largest first, so that no long item starts last.
            work.Sort((x, y) => y.Table.Batches[y.Batch].Batch.Length.CompareTo(x.Table.Batches[x.Batch].Batch.Length));
            // Each dictionary decoded once, before the parallel part (batches of a part share theirs).
            var dictionaries = new Dictionary<IArrowArray, string?[]>(ReferenceEqualityComparer.Instance);
            foreach (var (table, c, b) in work)
                if (table.Batches[b].Batch.Column(c) is DictionaryArray d && !dictionaries.ContainsKey(d.Dictionary))
                {
                    try { dictionaries.Add(d.Dictionary, Strings((StringArray)d.Dictionary)); }
                    catch (Exception e) when (e is not SnapshotException)
                    {
                        throw new SnapshotException($"{table.Batches[b].File}: column '{table.Expected[c].Name}': {e.Message}", e);
                    }
                }
            try
            {
                Parallel.For(0, work.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism) }, i =>
                {
                    var (table, c, b) = work[i];
                    var (file, batch, _) = table.Batches[b];
                    var (src, at, n) = table.Overlap(b);
                    try
                    {
                        FillColumn(table.Columns[c]!, batch.Column(c), src, at, n, dictionaries);
                    }
                    catch (Exception e) when (e is not SnapshotException)
                    {
                        throw new SnapshotException($"{file}: column '{table.Expected[c].Name}': {e.Message}", e);
                    }
                    catch (SnapshotException e)
                    {
                        throw new SnapshotException($"{file}: column '{table.Expected[c].Name}': {e.Message}", e);
                    }
                });
            }
            catch (AggregateException e)
            {
                throw e.Flatten().InnerExceptions.OfType<SnapshotException>().FirstOrDefault() ?? e.Flatten().InnerExceptions[0];
            }
        }
        finally
        {
            foreach (var table in tables)
            {
                foreach (var (_, batch, _) in table.Batches) batch.Dispose();
                table.Batches.Clear();
            }
            foreach (var map in maps) ((IDisposable)map).Dispose();
        }
    }

    /// <summary>Exceptions that reading damaged bytes raises (in Arrow's reader or ours): a damaged snapshot, never a crash.</summary>
    internal static bool IsDamage(Exception e) => e is IOException or UnauthorizedAccessException or InvalidDataException or ArgumentException
        or InvalidOperationException or IndexOutOfRangeException or InvalidCastException or OverflowException or FormatException
        or NotSupportedException or OutOfMemoryException or NullReferenceException;

    /// <summary>
    /// Verifies the checksums of the tables' files (<see cref="SnapshotChecksums"/>: those not verified before in this process,
    /// in parallel) before any of their batches is used.
    /// </summary>
    /// <exception cref="SnapshotException">A file is missing or damaged, or the manifest names none or a bad one.</exception>
    public static void Verify(IEnumerable<TableRead> tables, int parallelism)
    {
        var files = new List<(string, string, string)>();
        foreach (var table in tables)
        {
            if (table.Files.Count == 0) throw new SnapshotException($"{ImportSnapshot.ManifestFile} lists no file of table '{table.Name}'");
            foreach (var file in table.Files) files.Add((PathOf(table, file.Name), file.Name, file.Xxh128));
        }
        SnapshotChecksums.Verify(files, parallelism);
    }

    /// <summary>A part file's path: a plain name in the snapshot directory, never a path leading out of it.</summary>
    private static string PathOf(TableRead table, string file) =>
        file.Length == 0 || file.Contains('/') || file.Contains('\\') || file.Contains("..") || Path.IsPathRooted(file)
            ? throw new SnapshotException($"{ImportSnapshot.ManifestFile}: bad file name '{file}'")
            : Path.Combine(table.Directory, file);

    /// <summary>Maps the table's parts, checks their columns and counts their rows.</summary>
    private static void Locate(TableRead table, List<MappedFile> maps)
    {
        long at = 0;
        foreach (var part in table.Files)
        {
            var file = part.Name;
            var path = PathOf(table, file);
            if (!File.Exists(path)) throw new SnapshotException($"{file} is missing");
            try
            {
                var map = new MappedFile(path);
                maps.Add(map);
                var reader = new ArrowStreamReader(map.Memory);
                CheckSchema(file, reader.Schema, table.Expected);
                while (reader.ReadNextRecordBatch() is { } batch)
                {
                    table.Batches.Add((file, batch, (int)Math.Min(at, int.MaxValue)));
                    if (batch.Length < 0 || batch.ColumnCount != table.Expected.Count)
                        throw new SnapshotException($"{file}: a batch of another shape");
                    at += batch.Length;
                    if (at > table.Rows) throw new SnapshotException($"{file} holds more rows than the {table.Rows:N0} {table.RowsFrom} says");
                }
            }
            // Arrow's reader throws plain exceptions for bytes it cannot make sense of: whatever it throws here is damage.
            catch (Exception e) when (e is not SnapshotException)
            {
                throw new SnapshotException($"{file} cannot be read ({e.Message})", e);
            }
        }
        if (at != table.Rows)
            throw new SnapshotException(
                $"{table.FileNames}: table '{table.Name}' holds {at:N0} rows, {table.RowsFrom} says {table.Rows:N0}");
    }

    private static void CheckSchema(string file, Schema schema, IReadOnlyList<SnapshotColumn> expected)
    {
        if (schema.FieldsList.Count != expected.Count)
            throw new SnapshotException($"{file} has {schema.FieldsList.Count} columns, expected {expected.Count}");
        for (var c = 0; c < expected.Count; c++)
        {
            var field = schema.FieldsList[c];
            if (field.Name != expected[c].Name)
                throw new SnapshotException($"{file}: column {c + 1} is '{field.Name}', expected '{expected[c].Name}'");
            var type = expected[c].Dictionary ? StringDictionary : ImportSnapshot.ArrowType(expected[c].Type);
            if (!SameType(field.DataType, type))
                throw new SnapshotException($"{file}: column '{field.Name}' is {field.DataType.Name}, expected {type.Name}");
        }
    }

    private static bool SameType(IArrowType actual, IArrowType expected) => actual.TypeId == expected.TypeId && actual switch
    {
        ListType list => SameType(list.ValueDataType, ((ListType)expected).ValueDataType),
        DictionaryType d => d.IndexType.TypeId == ArrowTypeId.Int32 && d.ValueType.TypeId == ArrowTypeId.String,
        TimestampType t => t.Unit == TimeUnit.Microsecond,
        FixedSizeBinaryType b => b.ByteWidth == 16,
        _ => true,
    };

    /// <summary>A column of the type's storage: value arrays not cleared (every row is written), null flags only when some row is null.</summary>
    private static Column Allocate(DslType type, int rows, bool anyNull)
    {
        var nulls = anyNull ? new bool[rows] : null;
        return type.Kind switch
        {
            TypeKind.Bool => new BoolColumn(type, GC.AllocateUninitializedArray<bool>(rows), nulls),
            TypeKind.Int => new IntColumn(type, GC.AllocateUninitializedArray<long>(rows), nulls),
            TypeKind.Decimal => new DecimalColumn(type, GC.AllocateUninitializedArray<decimal>(rows), nulls),
            TypeKind.Date => new DateColumn(type, GC.AllocateUninitializedArray<int>(rows), nulls),
            TypeKind.DateTime => new DateTimeColumn(type, GC.AllocateUninitializedArray<long>(rows), nulls),
            TypeKind.Duration => new DurationColumn(type, GC.AllocateUninitializedArray<long>(rows), nulls),
            TypeKind.List => new ListColumn(type, WrittenArrays.New<object?[]?>(rows), nulls),
            _ => new StringColumn(type, WrittenArrays.New<string?>(rows), nulls),
        };
    }

    // Optimized from the first call (AggressiveOptimization): a one-shot run spends its rows here long before tiering would.
    /// <summary>Rows [src, src + n) of one batch's array into rows [at, at + n) of a column.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FillColumn(Column column, IArrowArray array, int src, int at, int n,
        IReadOnlyDictionary<IArrowArray, string?[]> dictionaries)
    {
        if (src < 0 || (long)src + n > array.Length) throw new SnapshotException("a column is shorter than its batch");
        var nulls = column.Nulls;
        if (array.NullCount != 0)
        {
            if (nulls is null) throw new SnapshotException("null values where none were counted");
            ReadValidity(array, src, n, nulls.AsSpan(at, n));
        }
        var isNull = array.NullCount == 0 ? default : nulls.AsSpan(at, n);
        switch (column)
        {
            case StringColumn s when array is DictionaryArray d:
            {
                var values = dictionaries[d.Dictionary];
                var codes = ((Int32Array)d.Indices).Values;
                if (codes.Length < src + n) throw new SnapshotException("dictionary indexes are truncated");
                codes = codes[src..];
                var target = s.Values.AsSpan(at, n);
                for (var i = 0; i < n; i++)
                {
                    if (!isNull.IsEmpty && isNull[i]) continue;
                    var code = codes[i];
                    if ((uint)code >= (uint)values.Length) throw new SnapshotException($"dictionary index {code} out of range");
                    target[i] = values[code];
                }
                break;
            }
            case ListColumn l: FillLists(l, (ListArray)array, src, at, n, isNull); break;
            default: FillScalars(column, array, src, at, n, isNull); break;
        }
    }

    /// <summary>Rows [src, src + n) of a scalar array into rows [at, at + n) of a column (null rows: the type's default).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FillScalars(Column column, IArrowArray array, int src, int at, int n, ReadOnlySpan<bool> isNull)
    {
        switch (column)
        {
            case BoolColumn b:
            {
                var a = (BooleanArray)array;
                var bits = a.ValueBuffer.Span;
                var offset = a.Offset + src;
                if (bits.Length < (offset + n + 7) / 8) throw new SnapshotException("a bool column is truncated");
                var target = b.Values.AsSpan(at, n);
                for (var i = 0; i < n; i++) target[i] = (bits[(offset + i) >> 3] & (1 << ((offset + i) & 7))) != 0 && (isNull.IsEmpty || !isNull[i]);
                break;
            }
            case IntColumn c: CopyLongs(((Int64Array)array).Values, src, c.Values.AsSpan(at, n), isNull); break;
            case DurationColumn c: CopyLongs(((Int64Array)array).Values, src, c.Values.AsSpan(at, n), isNull); break;
            case DateTimeColumn c:
            {
                var v = Slice(((TimestampArray)array).Values, src, n);
                var target = c.Values.AsSpan(at, n);
                for (var i = 0; i < n; i++)
                {
                    if (!isNull.IsEmpty && isNull[i]) { target[i] = 0; continue; }
                    var micros = v[i];
                    if (micros < MinMicros || micros > MaxMicros) throw new SnapshotException($"instant {micros} µs out of range");
                    target[i] = micros * 10 + EpochTicks;
                }
                break;
            }
            case DateColumn c:
            {
                var v = Slice(((Date32Array)array).Values, src, n);
                var target = c.Values.AsSpan(at, n);
                int min = DateOnly.MinValue.DayNumber - EpochDay, max = DateOnly.MaxValue.DayNumber - EpochDay;
                for (var i = 0; i < n; i++)
                {
                    if (!isNull.IsEmpty && isNull[i]) { target[i] = 0; continue; }
                    if (v[i] < min || v[i] > max) throw new SnapshotException($"date {v[i]} out of range");
                    target[i] = v[i] + EpochDay;
                }
                break;
            }
            case DecimalColumn c:
            {
                var a = (FixedSizeBinaryArray)array;
                var bytes = a.ValueBuffer.Span;
                if (bytes.Length < 16L * (a.Offset + src + n)) throw new SnapshotException("a decimal column is truncated");
                bytes = bytes[(16 * (a.Offset + src))..];
                var target = c.Values.AsSpan(at, n);
                Span<int> parts = stackalloc int[4];
                for (var i = 0; i < n; i++)
                {
                    if (!isNull.IsEmpty && isNull[i]) { target[i] = 0; continue; }
                    for (var k = 0; k < 4; k++) parts[k] = BinaryPrimitives.ReadInt32LittleEndian(bytes[(16 * i + 4 * k)..]);
                    target[i] = new decimal(parts);   // ArgumentException on invalid bits
                }
                break;
            }
            case StringColumn s:
            {
                var a = (StringArray)array;
                var target = s.Values.AsSpan(at, n);
                for (var i = 0; i < n; i++)
                    if (isNull.IsEmpty || !isNull[i]) target[i] = StrictUtf8.GetString(a.GetBytes(src + i));
                break;
            }
            default: throw new SnapshotException($"a column of type {column.Type.DisplayName} cannot be read");
        }
    }

    private static ReadOnlySpan<T> Slice<T>(ReadOnlySpan<T> values, int src, int n)
    {
        if (src < 0 || (long)src + n > values.Length) throw new SnapshotException("a column is truncated");
        return values.Slice(src, n);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CopyLongs(ReadOnlySpan<long> values, int src, Span<long> target, ReadOnlySpan<bool> isNull)
    {
        Slice(values, src, target.Length).CopyTo(target);
        if (!isNull.IsEmpty) for (var i = 0; i < target.Length; i++) if (isNull[i]) target[i] = 0;
    }

    /// <summary>Lists: their items read as one column of the item type, then boxed into the engine's representation.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FillLists(ListColumn column, ListArray array, int src, int at, int n, ReadOnlySpan<bool> isNull)
    {
        var offsets = array.ValueOffsets;
        if (offsets.Length < src + n + 1) throw new SnapshotException("a list column is truncated");
        offsets = offsets[src..];
        int first = offsets[0], count = offsets[n] - first;
        if (first < 0 || count < 0 || (long)first + count > array.Values.Length)
            throw new SnapshotException("a list column has offsets out of range");
        var itemNulls = new bool[count];
        if (array.Values.NullCount != 0) ReadValidity(array.Values, first, count, itemNulls);
        var items = Column.Allocate(column.Type.Element!, itemNulls);
        FillScalars(items, array.Values, first, 0, count, array.Values.NullCount == 0 ? default : itemNulls);
        for (var i = 0; i < n; i++)
        {
            if (!isNull.IsEmpty && isNull[i]) continue;
            int lo = offsets[i] - first, hi = offsets[i + 1] - first;
            if (lo < 0 || hi < lo || hi > count) throw new SnapshotException("a list column has offsets out of order");
            if (hi - lo > ListValues.MaxItems) throw new SnapshotException($"a list holds more than {ListValues.MaxItems:N0} items");
            var list = new object?[hi - lo];
            for (var k = lo; k < hi; k++) list[k - lo] = items.GetBoxed(k);
            column.Values[at + i] = list;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ReadValidity(IArrowArray array, int src, int n, Span<bool> nulls)
    {
        var bitmap = array.Data.Buffers[0].Span;
        var offset = array.Offset + src;
        if (bitmap.Length < (offset + n + 7) / 8) throw new SnapshotException("a validity bitmap is truncated");
        for (var i = 0; i < n; i++) nulls[i] = (bitmap[(offset + i) >> 3] & (1 << ((offset + i) & 7))) == 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static string?[] Strings(StringArray array)
    {
        var values = new string?[array.Length];
        for (var i = 0; i < values.Length; i++) values[i] = array.IsNull(i) ? null : Shared(StrictUtf8.GetString(array.GetBytes(i)));
        return values;
    }

    // Dictionary strings are shared by every read of the process (up to a cap), so that a read after the first fills its columns
    // with strings of the old generation. A column of millions of rows referring to strings just allocated has every card of its
    // array set: each young collection until they are promoted scans all of it (at 9M events, ~100 ms of a run of 0.5 s).
    private static readonly ConcurrentDictionary<string, string> SharedStrings = new(StringComparer.Ordinal);
    private const int MaxSharedStrings = 1 << 18;
    private static int _sharedStringCount;

    /// <summary>The process's copy of a dictionary string: <paramref name="s"/> itself when it is the first, or the cap is reached.</summary>
    internal static string Shared(string s)
    {
        if (SharedStrings.TryGetValue(s, out var shared)) return shared;
        if (Volatile.Read(ref _sharedStringCount) >= MaxSharedStrings) return s;
        shared = SharedStrings.GetOrAdd(s, s);
        if (ReferenceEquals(shared, s)) Interlocked.Increment(ref _sharedStringCount);
        return shared;
    }
}
