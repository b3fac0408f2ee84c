using System.Runtime.CompilerServices;
using MarketingDsl.Core.Semantics;

namespace MarketingDsl.Engine.Data;

/// <summary>A growable array of primitives (List without bounds checks on the hot path).</summary>
internal sealed class GrowList<T>
{
    public T[] Items = new T[16];
    public int Count;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Add(T value)
    {
        if (Count == Items.Length) Array.Resize(ref Items, Items.Length * 2);
        Items[Count++] = value;
    }
}

/// <summary>Interns repeated strings of one column (categories, channels, skus) up to a cap.</summary>
internal sealed class StringPool(int cap = 1 << 16)
{
    private readonly HashSet<string> _set = new(StringComparer.Ordinal);

    public string Get(ReadOnlySpan<char> chars)
    {
        var lookup = _set.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.TryGetValue(chars, out var s)) return s;
        s = chars.ToString();
        if (_set.Count < cap) _set.Add(s);
        return s;
    }

    // The JSON fast path looks values up by their UTF-8 bytes: no transcoding for a repeated value.
    // An open-addressing table of its own (bytes in one arena): a Dictionary<byte[], string> with
    // an alternate span lookup pays interface calls per probe, and this is a per-field, per-row call.
    private int[] _table = new int[256];        // entry + 1; 0 = empty
    private int[] _hashes = new int[64];
    private int[] _starts = new int[64];
    private int[] _lengths = new int[64];
    private string[] _strings = new string[64];
    private byte[] _arena = new byte[4096];
    private int _arenaUsed, _count;
    private int _lastEntry = -1;

    /// <summary>The string of UTF-8 bytes, or null when they are not valid UTF-8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public string? GetUtf8(ReadOnlySpan<byte> utf8, bool nonAscii)
    {
        // Consecutive rows often repeat a value (a user's category, sku).
        var last = _lastEntry;
        if (last >= 0 && _lengths[last] == utf8.Length && utf8.SequenceEqual(_arena.AsSpan(_starts[last], utf8.Length))) return _strings[last];
        var hash = Hash(utf8);
        var mask = _table.Length - 1;
        var at = hash & mask;
        while (true)
        {
            var e = _table[at] - 1;
            if (e < 0) break;
            if (_hashes[e] == hash && _lengths[e] == utf8.Length && utf8.SequenceEqual(_arena.AsSpan(_starts[e], utf8.Length)))
            {
                _lastEntry = e;
                return _strings[e];
            }
            at = (at + 1) & mask;
        }
        if (nonAscii && !System.Text.Unicode.Utf8.IsValid(utf8)) return null;
        var s = System.Text.Encoding.UTF8.GetString(utf8);
        if (_count >= cap) return s;
        _lastEntry = Insert(at, hash, utf8, s);
        return s;
    }

    private int Insert(int at, int hash, ReadOnlySpan<byte> utf8, string s)
    {
        var e = _count++;
        if (e == _strings.Length)
        {
            var n = e * 2;
            Array.Resize(ref _hashes, n);
            Array.Resize(ref _starts, n);
            Array.Resize(ref _lengths, n);
            Array.Resize(ref _strings, n);
        }
        if (_arena.Length - _arenaUsed < utf8.Length) Array.Resize(ref _arena, Math.Max(_arena.Length * 2, _arenaUsed + utf8.Length));
        utf8.CopyTo(_arena.AsSpan(_arenaUsed));
        _hashes[e] = hash;
        _starts[e] = _arenaUsed;
        _lengths[e] = utf8.Length;
        _strings[e] = s;
        _arenaUsed += utf8.Length;
        _table[at] = e + 1;
        if (_count * 2 > _table.Length) Rehash();
        return e;
    }

    /// <summary>Doubles the table (at most half full: short probe runs).</summary>
    private void Rehash()
    {
        var table = new int[_table.Length * 2];
        var mask = table.Length - 1;
        for (var e = 0; e < _count; e++)
        {
            var at = _hashes[e] & mask;
            while (table[at] != 0) at = (at + 1) & mask;
            table[at] = e + 1;
        }
        _table = table;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Hash(ReadOnlySpan<byte> bytes)
    {
        var h = ShortKeyHash.Mix(bytes, 0x9E3779B97F4A7C15UL);
        return (int)h ^ (int)(h >> 32);
    }
}

/// <summary>
/// The hash of the importer's open-addressing tables (<see cref="StringPool"/> values,
/// <see cref="UserIndex"/> ids): keys are short, so 8 bytes at a time with multiply-xorshift
/// mixing, from a seed (a table that must resist chosen keys passes a random one).
/// </summary>
internal static class ShortKeyHash
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static ulong Mix(ReadOnlySpan<byte> bytes, ulong seed)
    {
        var h = seed ^ (ulong)bytes.Length;
        while (bytes.Length >= 8)
        {
            h = (h ^ System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes)) * 0xBF58476D1CE4E5B9UL;
            h ^= h >> 31;
            bytes = bytes[8..];
        }
        ulong tail = 0;
        for (var i = 0; i < bytes.Length; i++) tail |= (ulong)bytes[i] << (8 * i);
        h = (h ^ tail) * 0x94D049BB133111EBUL;
        h ^= h >> 29;
        return h;
    }
}

/// <summary>Per-row scratch of parsed values; a row is committed to the builders only when all of it parsed.</summary>
internal sealed class RowScratch
{
    public const byte Missing = 0, Null = 1, Value = 2;

    public RowScratch(int slots)
    {
        State = new byte[slots];
        L = new long[slots];
        D = new decimal[slots];
        S = new string?[slots];
    }

    public readonly byte[] State;
    public readonly long[] L;
    public readonly decimal[] D;
    public readonly string?[] S;
    /// <summary>List values per slot (<see cref="ListValues"/>), allocated by the first list cell of the layout.</summary>
    public object?[]?[]? Lists;
    /// <summary>Event user id as characters (no string allocated for the hot path).</summary>
    public char[] UserChars = new char[64];
    public int UserLength;
    /// <summary>The UTF-8 bytes <see cref="UserChars"/> were decoded from by the JSON fast paths (length -1: none), and
    /// their character count; the array is never shorter than <see cref="RecentUsers.MaxBytes"/>.</summary>
    public byte[] Utf8User = new byte[64];
    public int Utf8UserLength = -1, Utf8UserChars;
    /// <summary>The key of <see cref="Utf8User"/> among the parsing thread's recent ids and its set there (set and fetched
    /// when the bytes are read: the row's lookup comes after the rest of the row is parsed).</summary>
    public RecentUsers.Key Utf8UserKey;
    public int Utf8UserSet = -1;
    /// <summary>The fast paths keep an ASCII id as its bytes only: most rows' users are found by them (<see
    /// cref="RecentUsers"/>), so the characters are made when first asked for.</summary>
    public bool UserCharsPending;

    public ReadOnlySpan<char> User
    {
        get
        {
            if (UserCharsPending)
            {
                System.Text.Ascii.ToUtf16(Utf8User.AsSpan(0, UserLength), UserChars, out _);
                UserCharsPending = false;
            }
            return UserChars.AsSpan(0, UserLength);
        }
    }

    public void Reset()
    {
        // Span clears: Array.Clear(Array) checks the array's type at run time, once per row here.
        State.AsSpan().Clear();
        S.AsSpan().Clear();
        Lists?.AsSpan().Clear();
        UserLength = 0;
    }

    public bool HasValue(int slot) => State[slot] == Value;

    /// <summary>Stores a list value (null: a null list) in a slot.</summary>
    public void SetList(int slot, object?[]? list)
    {
        (Lists ??= new object?[]?[State.Length])[slot] = list;
        State[slot] = list is null ? Null : Value;
    }

    public void SetUser(ReadOnlySpan<char> chars)
    {
        if (chars.Length > UserChars.Length) UserChars = new char[Math.Max(chars.Length, UserChars.Length * 2)];
        chars.CopyTo(UserChars);
        UserLength = chars.Length;
        Utf8UserLength = -1;
        UserCharsPending = false;
    }
}

/// <summary>
/// A growable list of primitives in native memory chunks of 32 MB (virtual; only touched pages
/// are resident). Chunks are never copied on growth, and each is its own mmap, so
/// <see cref="Dispose"/> returns the memory to the OS at once (no GC involvement).
/// </summary>
internal sealed unsafe class NativeList<T> : IDisposable where T : unmanaged
{
    private readonly int _shift;
    private readonly int _mask;
    private nint[] _chunks = new nint[4];
    private int _chunkCount;

    /// <param name="small">Small chunks (64 KB) for short-lived per-block buffers.</param>
    public NativeList(bool small = false)
    {
        var bytesLog2 = small ? 16 : 25;
        _shift = bytesLog2 - System.Numerics.BitOperations.Log2((uint)sizeof(T));
        _mask = (1 << _shift) - 1;
    }

    public int Count { get; private set; }

    public T this[int i]
    {
        get => ((T*)_chunks[i >> _shift])[i & _mask];
        set => ((T*)_chunks[i >> _shift])[i & _mask] = value;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Add(T value)
    {
        var i = Count;
        if ((i >> _shift) == _chunkCount) NewChunk();
        ((T*)_chunks[i >> _shift])[i & _mask] = value;
        Count = i + 1;
    }

    /// <summary>Appends <paramref name="count"/> copies of default(T).</summary>
    public void AddDefault(int count)
    {
        while (count > 0)
        {
            var i = Count;
            if ((i >> _shift) == _chunkCount) NewChunk();
            var n = Math.Min(count, (1 << _shift) - (i & _mask));
            new Span<T>((T*)_chunks[i >> _shift] + (i & _mask), n).Clear();
            Count += n;
            count -= n;
        }
    }

    /// <summary>Appends rows [start, start + count) of another list.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void AddRange(NativeList<T> src, int start, int count)
    {
        while (count > 0)
        {
            var i = Count;
            if ((i >> _shift) == _chunkCount) NewChunk();
            var n = Math.Min(count, (1 << _shift) - (i & _mask));
            n = Math.Min(n, (1 << src._shift) - (start & src._mask));
            new Span<T>((T*)src._chunks[start >> src._shift] + (start & src._mask), n)
                .CopyTo(new Span<T>((T*)_chunks[i >> _shift] + (i & _mask), n));
            Count += n;
            start += n;
            count -= n;
        }
    }

    /// <summary>Copies the first dst.Length rows into <paramref name="dst"/> in <paramref name="order"/> (input order when null).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Gather(Span<T> dst, RowOrder? order)
    {
        if (order is null)
        {
            for (int i = 0, c = 0; i < dst.Length; c++)
            {
                var n = Math.Min(dst.Length - i, 1 << _shift);
                new Span<T>((T*)_chunks[c], n).CopyTo(dst[i..]);
                i += n;
            }
            return;
        }
        if (order.BucketSlot is { } slot)
        {
            ScatterInto(slot, dst);
            order.PlaceInBuckets(dst);
            return;
        }
        var perm = order.Perm;
        var chunks = _chunks;
        int shift = _shift, mask = _mask;
        for (var i = 0; i < dst.Length; i++)
        {
            var r = perm[i];
            dst[i] = ((T*)chunks[r >> shift])[r & mask];
        }
    }

    /// <summary>Pass 1 of a partitioned gather: every row, in input order, to its bucket slot of the output.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ScatterInto(int[] slot, Span<T> dst)
    {
        var n = dst.Length;
        if (n != Count || slot.Length != n) throw new InvalidOperationException("a partitioned gather moves every row");
        fixed (T* to = dst)
            for (int i = 0, c = 0; i < n; c++)
            {
                var m = Math.Min(n - i, 1 << _shift);
                var src = (T*)_chunks[c];
                var slots = slot.AsSpan(i, m);
                for (var k = 0; k < slots.Length; k++) to[slots[k]] = src[k];   // a slot is an output row: below n
                i += m;
            }
    }

    /// <summary>As <see cref="Gather"/>, widening each value to long (int line numbers into the output's long column).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void GatherWiden(Span<long> dst, RowOrder? order)
    {
        if (typeof(T) != typeof(int)) throw new InvalidOperationException("GatherWiden is for int lists");
        var chunks = _chunks;
        int shift = _shift, mask = _mask;
        if (order is null)
        {
            for (int i = 0, c = 0; i < dst.Length; c++)
            {
                var n = Math.Min(dst.Length - i, 1 << shift);
                var src = new ReadOnlySpan<int>((int*)chunks[c], n);
                var d = dst.Slice(i, n);
                for (var k = 0; k < src.Length; k++) d[k] = src[k];
                i += n;
            }
            return;
        }
        if (order.BucketSlot is { } slot)
        {
            if (dst.Length != Count || slot.Length != Count) throw new InvalidOperationException("a partitioned gather moves every row");
            fixed (long* to = dst)
                for (int i = 0, c = 0; i < dst.Length; c++)
                {
                    var m = Math.Min(dst.Length - i, 1 << shift);
                    var src = (int*)chunks[c];
                    var slots = slot.AsSpan(i, m);
                    for (var k = 0; k < slots.Length; k++) to[slots[k]] = src[k];
                    i += m;
                }
            order.PlaceInBuckets(dst);
            return;
        }
        var perm = order.Perm;
        for (var i = 0; i < dst.Length; i++)
        {
            var r = perm[i];
            dst[i] = ((int*)chunks[r >> shift])[r & mask];
        }
    }

    /// <summary>Empties the list, keeping its memory (for reuse).</summary>
    public void Clear() => Count = 0;

    private void NewChunk()
    {
        if (_chunkCount == _chunks.Length) Array.Resize(ref _chunks, _chunks.Length * 2);
        _chunks[_chunkCount++] = (nint)System.Runtime.InteropServices.NativeMemory.Alloc((nuint)(1 << _shift), (nuint)sizeof(T));
    }

    public void Dispose()
    {
        for (var c = 0; c < _chunkCount; c++) System.Runtime.InteropServices.NativeMemory.Free((void*)_chunks[c]);
        _chunkCount = 0;
        Count = 0;
        GC.SuppressFinalize(this);
    }

    ~NativeList() => Dispose();
}

/// <summary>
/// A growable list of strings in fixed-size managed chunks (no copy on growth). Not generic: the
/// shared code of a generic list over references checks the array type on every store.
/// </summary>
internal sealed class StringChunkList
{
    private const int Shift = 16, Mask = (1 << Shift) - 1;
    private string?[][] _chunks = new string?[4][];
    private int _chunkCount;

    public int Count { get; private set; }

    public string? this[int i] => _chunks[i >> Shift][i & Mask];

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Add(string? value)
    {
        var i = Count;
        if ((i >> Shift) == _chunkCount) NewChunk();
        _chunks[i >> Shift][i & Mask] = value;
        Count = i + 1;
    }

    public void Set(int i, string? value) => _chunks[i >> Shift][i & Mask] = value;

    /// <summary>Appends items [start, start + count) of another list, a chunk segment at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void AddRange(StringChunkList src, int start, int count)
    {
        while (count > 0)
        {
            var i = Count;
            if ((i >> Shift) == _chunkCount) NewChunk();
            var n = Math.Min(count, Math.Min((1 << Shift) - (i & Mask), (1 << Shift) - (start & Mask)));
            Array.Copy(src._chunks[start >> Shift], start & Mask, _chunks[i >> Shift], i & Mask, n);
            Count += n;
            start += n;
            count -= n;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Gather(Span<string?> dst, RowOrder? order)
    {
        var chunks = _chunks;
        if (order is null)
        {
            for (int i = 0, c = 0; i < dst.Length; c++)
            {
                var n = Math.Min(dst.Length - i, 1 << Shift);
                chunks[c].AsSpan(0, n).CopyTo(dst[i..]);
                i += n;
            }
            return;
        }
        if (order.BucketSlot is { } slot)
        {
            // The two passes of RowOrder, the scatter into the output itself.
            if (dst.Length != Count || slot.Length != Count) throw new InvalidOperationException("a partitioned gather moves every row");
            for (int i = 0, c = 0; i < dst.Length; c++)
            {
                var m = Math.Min(dst.Length - i, 1 << Shift);
                var src = chunks[c];
                for (var k = 0; k < m; k++) dst[slot[i + k]] = src[k];
                i += m;
            }
            order.PlaceInBuckets(dst);
            return;
        }
        var perm = order.Perm;
        for (var i = 0; i < dst.Length; i++)
        {
            var r = perm[i];
            dst[i] = chunks[r >> Shift][r & Mask];
        }
    }

    /// <summary>Empties the list; keeps the first chunk only (its used part cleared: no stale references).</summary>
    public void Clear()
    {
        if (_chunkCount > 0) Array.Clear(_chunks[0], 0, Math.Min(Count, 1 << Shift));
        for (var c = 1; c < _chunkCount; c++) _chunks[c] = null!;
        _chunkCount = Math.Min(_chunkCount, 1);
        Count = 0;
    }

    public void Release()
    {
        _chunks = new string?[4][];
        _chunkCount = 0;
        Count = 0;
    }

    private void NewChunk()
    {
        if (_chunkCount == _chunks.Length) Array.Resize(ref _chunks, _chunks.Length * 2);
        _chunks[_chunkCount] ??= new string?[1 << Shift];
        _chunkCount++;
    }
}

/// <summary>
/// Accumulates one typed column in input order, then gathers it in output order. Storage is
/// compact: bools and null flags as bytes, dates as int, other primitives in native chunks
/// (released by <see cref="Dispose"/> or <see cref="Build"/>), strings as references.
/// </summary>
internal sealed class ColumnBuilder : IDisposable
{
    private readonly DslType _type;
    private readonly TypeKind _kind;
    private readonly bool _small;
    private NativeList<long>? _longs;
    private NativeList<int>? _ints;
    private NativeList<byte>? _bytes;
    private NativeList<decimal>? _decimals;
    private StringChunkList? _strings;
    private List<object?[]?>? _lists;
    private NativeList<byte>? _nulls;
    private bool _anyNull;

    public ColumnBuilder(DslType type, bool small = false)
    {
        _type = type;
        _kind = type.Kind;
        _small = small;
        switch (_kind)
        {
            case TypeKind.Decimal: _decimals = new(small); break;
            case TypeKind.String: _strings = new(); break;
            case TypeKind.Bool: _bytes = new(small); break;
            case TypeKind.Date: _ints = new(small); break;
            case TypeKind.Int or TypeKind.DateTime or TypeKind.Duration: _longs = new(small); break;
            case TypeKind.List when type.Element is { IsList: false, IsError: false }: _lists = []; break;
            default: throw new DataImportException($"a data column of type {type.DisplayName} is not supported (only bool, int, decimal, " +
                $"string, date, datetime, duration and lists of them)");
        }
    }

    public DslType Type => _type;
    public int Count { get; private set; }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Add(RowScratch s, int slot)
    {
        var isNull = s.State[slot] != RowScratch.Value;
        if (isNull) MarkNull();
        else _nulls?.Add(0);
        switch (_kind)
        {
            case TypeKind.Decimal: _decimals!.Add(isNull ? 0m : s.D[slot]); break;
            case TypeKind.String: _strings!.Add(isNull ? null : s.S[slot]); break;
            case TypeKind.Bool: _bytes!.Add(isNull ? (byte)0 : (byte)(s.L[slot] != 0 ? 1 : 0)); break;
            case TypeKind.Date: _ints!.Add(isNull ? 0 : (int)s.L[slot]); break;
            case TypeKind.List: _lists!.Add(isNull ? null : s.Lists![slot]); break;
            default: _longs!.Add(isNull ? 0L : s.L[slot]); break;
        }
        Count++;
    }

    private void MarkNull()
    {
        if (_nulls is null)
        {
            _nulls = new NativeList<byte>(_small);
            _nulls.AddDefault(Count);
        }
        _nulls.Add(1);
        _anyNull = true;
    }

    /// <summary>Appends rows [start, start + count) of a builder of the same type.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void AddRange(ColumnBuilder src, int start, int count)
    {
        if (count <= 0) return;
        if (src._nulls is { } sn)
        {
            if (_nulls is null)
            {
                _nulls = new NativeList<byte>(_small);
                _nulls.AddDefault(Count);
            }
            _nulls.AddRange(sn, start, count);
            _anyNull |= src._anyNull;
        }
        else _nulls?.AddDefault(count);
        switch (_kind)
        {
            case TypeKind.Decimal: _decimals!.AddRange(src._decimals!, start, count); break;
            case TypeKind.String: _strings!.AddRange(src._strings!, start, count); break;
            case TypeKind.Bool: _bytes!.AddRange(src._bytes!, start, count); break;
            case TypeKind.Date: _ints!.AddRange(src._ints!, start, count); break;
            case TypeKind.List: _lists!.AddRange(src._lists!.GetRange(start, count)); break;
            default: _longs!.AddRange(src._longs!, start, count); break;
        }
        Count += count;
    }

    public bool IsNull(int row) => _nulls is { } n && n[row] != 0;

    public string? StringAt(int row) => _strings![row];
    public long LongAt(int row) => _kind switch
    {
        TypeKind.Bool => _bytes![row],
        TypeKind.Date => _ints![row],
        _ => _longs![row],
    };
    public decimal DecimalAt(int row) => _decimals![row];

    /// <summary>Empties the builder for reuse (keeps its memory).</summary>
    public void Clear()
    {
        _longs?.Clear();
        _ints?.Clear();
        _bytes?.Clear();
        _decimals?.Clear();
        _strings?.Clear();
        _lists?.Clear();
        _nulls?.Clear();
        _anyNull = false;
        Count = 0;
    }

    /// <summary>Builds the column with its rows in <paramref name="perm"/>'s order (input order when null).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public Column Build(RowOrder? perm)
    {
        var n = perm?.Count ?? Count;
        bool[]? nulls = null;
        if (_nulls is { } nl && _anyNull)
        {
            nulls = new bool[n];
            nl.Gather(System.Runtime.InteropServices.MemoryMarshal.Cast<bool, byte>(nulls.AsSpan()), perm);
            if (!nulls.AsSpan().Contains(true)) nulls = null;
        }
        switch (_kind)
        {
            case TypeKind.Decimal:
            {
                var v = GC.AllocateUninitializedArray<decimal>(n);
                _decimals!.Gather(v, perm);
                return new DecimalColumn(_type, v, nulls);
            }
            case TypeKind.String:
            {
                var v = new string?[n];
                _strings!.Gather(v, perm);
                return new StringColumn(_type, v, nulls);
            }
            case TypeKind.Bool:
            {
                var v = new bool[n];
                _bytes!.Gather(System.Runtime.InteropServices.MemoryMarshal.Cast<bool, byte>(v.AsSpan()), perm);
                return new BoolColumn(_type, v, nulls);
            }
            case TypeKind.Date:
            {
                var v = GC.AllocateUninitializedArray<int>(n);
                _ints!.Gather(v, perm);
                return new DateColumn(_type, v, nulls);
            }
            case TypeKind.List:
            {
                var v = new object?[]?[n];
                if (perm is null) _lists!.CopyTo(0, v, 0, n);
                else
                    for (var i = 0; i < n; i++) v[i] = _lists![perm.Perm[i]];
                return new ListColumn(_type, v, nulls);
            }
            default:
            {
                var v = GC.AllocateUninitializedArray<long>(n);
                _longs!.Gather(v, perm);
                return _kind switch
                {
                    TypeKind.Int => new IntColumn(_type, v, nulls),
                    TypeKind.DateTime => new DateTimeColumn(_type, v, nulls),
                    _ => new DurationColumn(_type, v, nulls),
                };
            }
        }
    }

    /// <summary>Copies input row <paramref name="src"/> into output row <paramref name="dst"/> of a column built by
    /// <see cref="Build"/> (fills a null).</summary>
    public void CopyInto(Column column, int dst, int src)
    {
        switch (column)
        {
            case DecimalColumn c: c.Values[dst] = _decimals![src]; break;
            case StringColumn c: c.Values[dst] = _strings![src]; break;
            case BoolColumn c: c.Values[dst] = _bytes![src] != 0; break;
            case DateColumn c: c.Values[dst] = _ints![src]; break;
            case IntColumn c: c.Values[dst] = _longs![src]; break;
            case DateTimeColumn c: c.Values[dst] = _longs![src]; break;
            case DurationColumn c: c.Values[dst] = _longs![src]; break;
            case ListColumn c: c.Values[dst] = _lists![src]; break;
        }
        if (column.Nulls is { } nulls) nulls[dst] = false;
    }

    public void Dispose()
    {
        _longs?.Dispose();
        _ints?.Dispose();
        _bytes?.Dispose();
        _decimals?.Dispose();
        _nulls?.Dispose();
        _strings?.Release();
        _lists = null;
        _longs = null;
        _ints = null;
        _bytes = null;
        _decimals = null;
        _nulls = null;
        _strings = null;
    }
}

/// <summary>
/// Per-thread parsing state: a char buffer and, for a parallel parser, its own row scratch and
/// string pools per layout (the main state uses each layout's own).
/// </summary>
internal sealed class ParseState(RowLayout[]? layouts)
{
    private readonly RowScratch[]? _scratch = layouts?.Select(l => new RowScratch(l.Count)).ToArray();
    private readonly StringPool?[][]? _pools = layouts?.Select(l => l.Pools.Select(p => p is null ? null : new StringPool()).ToArray()).ToArray();
    public char[] Chars = new char[256];
    /// <summary>Members of the line being scanned by the fast path.</summary>
    public readonly ScannedField[] Fields = new ScannedField[JsonLineScanner.MaxFields];
    /// <summary>Per scanned member, the slot it filled (-1: not a field, -2: skipped unread).</summary>
    public readonly int[] FieldSlots = new int[JsonLineScanner.MaxFields];
    /// <summary>Per layout id, the member sequence of the last event row the scanner path parsed (the shaped path's prediction).</summary>
    public RowShape?[] Shapes = [];
    /// <summary>The event type of the last row the shaped path looked up.</summary>
    public EventTypeState? LastShapedType;
    /// <summary>Rows this state parsed on the shaped path (tests check that the path is taken).</summary>
    public long ShapedRows;
    /// <summary>The last event user id resolved directly by id (consecutive rows are usually the same user): as the key of
    /// the recent ids when it has one, else its UTF-8 bytes.</summary>
    public RecentUsers.Key LastKey;
    public byte[] LastUser = new byte[64];
    /// <summary>The last id's user, or -2 - k while it waits as the block's pending id k.</summary>
    public int LastUserLength = -1, LastUserIndex;
    /// <summary>A row's user id as UTF-8 when its parse kept no bytes of it (the general reader).</summary>
    public byte[] Utf8Id = new byte[64];
    /// <summary>Ids of the block waiting to be looked up together (<see cref="Importer"/>'s ResolvePending): characters, and per
    /// id its start, length, hash in the index, set among the recent ids and, once looked up, its user.</summary>
    public char[] PendingChars = new char[1 << 14];
    public int PendingCharCount, PendingCount;
    public int[] PendingStart = new int[1 << 10], PendingLength = new int[1 << 10], PendingUser = new int[1 << 10],
        PendingHash = new int[1 << 10], PendingRecentSet = new int[1 << 10];
    /// <summary>Users of the ids met lately (time-ordered history names each active user every few hundred rows).</summary>
    public readonly RecentUsers Recent = new();

    public RowScratch Scratch(RowLayout l) => _scratch is null ? l.Scratch : _scratch[l.Id];
    public StringPool?[] Pools(RowLayout l) => _pools is null ? l.Pools : _pools[l.Id];
}

/// <summary>
/// The member sequence of an event row that starts with its <c>type</c>: per member after the
/// type, its exact bytes <c>,"name":</c> and the slot its value fills (-1: not a field). One
/// producer writes every row of a type alike, so the next row of the type is checked against
/// these bytes instead of being tokenised and looked up member by member.
/// </summary>
internal sealed class RowShape(byte[][] prefixes, int[] slots)
{
    public byte[][] Prefixes { get; } = prefixes;
    public int[] Slots { get; } = slots;
}

/// <summary>Describes the value slots of one kind of row (profile, an event type, an unknown event type).</summary>
internal sealed class RowLayout
{
    public RowLayout(IReadOnlyList<(string Name, DslType Type)> slots, int userSlot, int tsSlot, IReadOnlyList<string> identityKeys)
    {
        var names = new List<string>();
        var types = new List<DslType>();
        foreach (var (n, t) in slots) { names.Add(n); types.Add(t); }
        IdentitySlots = new int[identityKeys.Count];
        var identityOnly = new List<int>();
        for (var k = 0; k < identityKeys.Count; k++)
        {
            var at = names.IndexOf(identityKeys[k]);
            if (at < 0)
            {
                at = names.Count;
                names.Add(identityKeys[k]);
                types.Add(DslType.String.WithNullable(true));
                identityOnly.Add(at);
            }
            IdentitySlots[k] = at;
        }
        Names = [.. names];
        Types = [.. types];
        IsIdentityOnly = new bool[Names.Length];
        foreach (var at in identityOnly) IsIdentityOnly[at] = true;
        Utf8Names = [.. Names.Select(System.Text.Encoding.UTF8.GetBytes)];
        UserSlot = userSlot;
        TsSlot = tsSlot;
        Scratch = new RowScratch(Names.Length);
        Pools = new StringPool?[Names.Length];
        Unread = new bool[Names.Length];
        for (var i = 0; i < Names.Length; i++)
            if (Types[i].Kind == TypeKind.String && i != userSlot && !IsIdentityOnly[i]) Pools[i] = new StringPool();
        _byName = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < Names.Length; i++) _byName.TryAdd(Names[i], i);
        HasTypeSlot = _byName.ContainsKey("type");
    }

    private readonly Dictionary<string, int> _byName;
    public string[] Names { get; }
    public DslType[] Types { get; }
    public byte[][] Utf8Names { get; }
    public int UserSlot { get; }
    public int TsSlot { get; }
    public int[] IdentitySlots { get; }
    /// <summary>Per slot: an identity key that is no field of the row (a string read only to resolve users).</summary>
    public bool[] IsIdentityOnly { get; }
    public int Count => Names.Length;
    public RowScratch Scratch { get; }
    public StringPool?[] Pools { get; }

    /// <summary>
    /// Per slot: a field the computation does not read (<see cref="DataColumns"/>). Its value is
    /// validated exactly as a read one (the same JSON types and parsers decide the same rejects)
    /// but not kept: a string is not materialised, and no builder holds the column.
    /// </summary>
    public bool[] Unread { get; }

    /// <summary>Marks a slot <see cref="Unread"/> (before any parse state copies the layout's pools).</summary>
    public void MarkUnread(int slot)
    {
        Unread[slot] = true;
        Pools[slot] = null;
    }

    /// <summary>Index of the layout in the importer (0 profiles, 1 unknown type, 2 + event type index).</summary>
    public int Id { get; set; }
    /// <summary>Event type state, or null for the profile layout and the unknown-type layout.</summary>
    public object? Tag
    {
        get => _tag;
        set
        {
            _tag = value;
            IsProfile = value is ProfileTag;   // a field: asked per value on the hot path
        }
    }
    private object? _tag;
    public bool IsProfile { get; private set; }

    /// <summary>A slot is named <c>type</c> (then the fast path cannot skip the row's type member unread).</summary>
    public bool HasTypeSlot { get; }

    public int Find(string name) => _byName.TryGetValue(name, out var i) ? i : -1;
}
