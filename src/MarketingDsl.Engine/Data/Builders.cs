using MarketingDsl.Core.Semantics;

namespace MarketingDsl.Engine.Data;

/// <summary>A growable array of primitives (List without bounds checks on the hot path).</summary>
internal sealed class GrowList<T>
{
    public T[] Items = new T[16];
    public int Count;

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
    /// <summary>Event user id as characters (no string allocated for the hot path).</summary>
    public char[] UserChars = new char[64];
    public int UserLength;

    public ReadOnlySpan<char> User => UserChars.AsSpan(0, UserLength);

    public void Reset()
    {
        Array.Clear(State);
        Array.Clear(S);
        UserLength = 0;
    }

    public bool HasValue(int slot) => State[slot] == Value;

    public void SetUser(ReadOnlySpan<char> chars)
    {
        if (chars.Length > UserChars.Length) UserChars = new char[Math.Max(chars.Length, UserChars.Length * 2)];
        chars.CopyTo(UserChars);
        UserLength = chars.Length;
    }
}

/// <summary>Accumulates one typed column in input order, then gathers it in output order.</summary>
internal sealed class ColumnBuilder
{
    private readonly DslType _type;
    private readonly TypeKind _kind;
    private readonly GrowList<long>? _longs;
    private readonly GrowList<decimal>? _decimals;
    private readonly GrowList<string?>? _strings;
    private GrowList<bool>? _nulls;
    private int _count;

    public ColumnBuilder(DslType type)
    {
        _type = type;
        _kind = type.Kind;
        switch (_kind)
        {
            case TypeKind.Decimal: _decimals = new(); break;
            case TypeKind.String: _strings = new(); break;
            case TypeKind.Bool or TypeKind.Int or TypeKind.Date or TypeKind.DateTime or TypeKind.Duration: _longs = new(); break;
            default: throw new DataImportException($"a data column of type {type.DisplayName} is not supported (only bool, int, decimal, string, date, datetime, duration)");
        }
    }

    public int Count => _count;

    public void Add(RowScratch s, int slot)
    {
        var isNull = s.State[slot] != RowScratch.Value;
        if (isNull)
        {
            if (_nulls is null)
            {
                _nulls = new GrowList<bool> { Items = new bool[Math.Max(16, _count * 2)], Count = _count };
            }
        }
        _nulls?.Add(isNull);
        switch (_kind)
        {
            case TypeKind.Decimal: _decimals!.Add(isNull ? 0m : s.D[slot]); break;
            case TypeKind.String: _strings!.Add(isNull ? null : s.S[slot]); break;
            default: _longs!.Add(isNull ? 0L : s.L[slot]); break;
        }
        _count++;
    }

    public bool IsNull(int row) => _nulls is { } n && n.Items[row];

    /// <summary>Builds the column with output row i taken from input row perm[i] (identity when perm is null).</summary>
    public Column Build(int[]? perm)
    {
        var n = perm?.Length ?? _count;
        bool[]? nulls = null;
        if (_nulls is { } nl)
        {
            nulls = new bool[n];
            var any = false;
            for (var i = 0; i < n; i++) any |= nulls[i] = nl.Items[perm is null ? i : perm[i]];
            if (!any) nulls = null;
        }
        switch (_kind)
        {
            case TypeKind.Decimal:
                return new DecimalColumn(_type, Gather(_decimals!.Items, perm, n), nulls);
            case TypeKind.String:
                return new StringColumn(_type, Gather(_strings!.Items, perm, n), nulls);
            case TypeKind.Bool:
            {
                var src = _longs!.Items;
                var v = new bool[n];
                for (var i = 0; i < n; i++) v[i] = src[perm is null ? i : perm[i]] != 0;
                return new BoolColumn(_type, v, nulls);
            }
            case TypeKind.Date:
            {
                var src = _longs!.Items;
                var v = new int[n];
                for (var i = 0; i < n; i++) v[i] = (int)src[perm is null ? i : perm[i]];
                return new DateColumn(_type, v, nulls);
            }
            case TypeKind.Int: return new IntColumn(_type, Gather(_longs!.Items, perm, n), nulls);
            case TypeKind.DateTime: return new DateTimeColumn(_type, Gather(_longs!.Items, perm, n), nulls);
            default: return new DurationColumn(_type, Gather(_longs!.Items, perm, n), nulls);
        }
    }

    /// <summary>Copies input row <paramref name="src"/> into output row <paramref name="dst"/> of a column built by <see cref="Build"/> (fills a null).</summary>
    public void CopyInto(Column column, int dst, int src)
    {
        switch (column)
        {
            case DecimalColumn c: c.Values[dst] = _decimals!.Items[src]; break;
            case StringColumn c: c.Values[dst] = _strings!.Items[src]; break;
            case BoolColumn c: c.Values[dst] = _longs!.Items[src] != 0; break;
            case DateColumn c: c.Values[dst] = (int)_longs!.Items[src]; break;
            case IntColumn c: c.Values[dst] = _longs!.Items[src]; break;
            case DateTimeColumn c: c.Values[dst] = _longs!.Items[src]; break;
            case DurationColumn c: c.Values[dst] = _longs!.Items[src]; break;
        }
        if (column.Nulls is { } nulls) nulls[dst] = false;
    }

    internal static T[] Gather<T>(T[] src, int[]? perm, int n)
    {
        var v = new T[n];
        if (perm is null) Array.Copy(src, v, n);
        else for (var i = 0; i < n; i++) v[i] = src[perm[i]];
        return v;
    }
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
        for (var k = 0; k < identityKeys.Count; k++)
        {
            var at = names.IndexOf(identityKeys[k]);
            if (at < 0)
            {
                at = names.Count;
                names.Add(identityKeys[k]);
                types.Add(DslType.String.WithNullable(true));
                IsIdentityOnly.Add(at);
            }
            IdentitySlots[k] = at;
        }
        Names = [.. names];
        Types = [.. types];
        Utf8Names = [.. Names.Select(System.Text.Encoding.UTF8.GetBytes)];
        UserSlot = userSlot;
        TsSlot = tsSlot;
        Scratch = new RowScratch(Names.Length);
        Pools = new StringPool?[Names.Length];
        for (var i = 0; i < Names.Length; i++)
            if (Types[i].Kind == TypeKind.String && i != userSlot && !IsIdentityOnly.Contains(i)) Pools[i] = new StringPool();
        _byName = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < Names.Length; i++) _byName.TryAdd(Names[i], i);
    }

    private readonly Dictionary<string, int> _byName;
    public string[] Names { get; }
    public DslType[] Types { get; }
    public byte[][] Utf8Names { get; }
    public int UserSlot { get; }
    public int TsSlot { get; }
    public int[] IdentitySlots { get; }
    public HashSet<int> IsIdentityOnly { get; } = [];
    public int Count => Names.Length;
    public RowScratch Scratch { get; }
    public StringPool?[] Pools { get; }
    /// <summary>Event type state, or null for the profile layout and the unknown-type layout.</summary>
    public object? Tag { get; set; }

    public int Find(string name) => _byName.TryGetValue(name, out var i) ? i : -1;
}
