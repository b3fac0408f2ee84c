using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace MarketingDsl.Engine.Data;

/// <summary>
/// User id → user index, read by every event row. An open-addressing table of its own: history
/// exported in time order looks a different user up on almost every row, over a table too large
/// for the caches, so a probe must touch as little memory as it can. Each slot holds the id's hash,
/// length, user and first <see cref="HeadChars"/> characters: an id that short (generated and most
/// exported ids) is found by reading one slot; only the characters past them live in a shared
/// arena. A <see cref="Dictionary{TKey, TValue}"/> would pay a bucket, an entry and a string object
/// per probe. The hash is seeded per index, so a hostile file cannot choose ids that all collide.
/// Read-only after construction (safe across threads).
/// </summary>
internal sealed class UserIndex
{
    /// <summary>Characters of an id kept in its slot.</summary>
    internal const int HeadChars = 8;

    [InlineArray(HeadChars)]
    private struct Head
    {
        private char _first;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Slot
    {
        public int Tag;      // hash | int.MinValue; 0 = empty
        public int User;
        public int TailStart, Length;
        public Head Head;
    }

    private readonly Slot[] _slots;
    private readonly char[] _tails;
    private readonly ulong _seed;
    private readonly int _mask;

    public UserIndex(IReadOnlyCollection<KeyValuePair<string, int>> ids)
    {
        _seed = (ulong)Random.Shared.NextInt64() | 1;
        var capacity = 16;
        while (capacity < ids.Count * 2) capacity *= 2;   // at most half full: short probe runs
        _slots = WrittenArrays.New<Slot>(capacity);   // probed before it is written
        _mask = capacity - 1;
        _tails = new char[ids.Sum(p => (long)Math.Max(0, p.Key.Length - HeadChars)) is var total && total <= Array.MaxLength
            ? (int)total : throw new DataImportException("user ids too long in total")];
        var used = 0;
        foreach (var (id, user) in ids)
        {
            var hash = Hash(id);
            var at = hash & _mask;
            while (_slots[at].Tag != 0) at = (at + 1) & _mask;
            ref var slot = ref _slots[at];
            slot.Tag = hash | int.MinValue;
            slot.User = user;
            slot.Length = id.Length;
            slot.TailStart = used;
            var head = Math.Min(id.Length, HeadChars);
            id.AsSpan(0, head).CopyTo(slot.Head);
            id.AsSpan(head).CopyTo(_tails.AsSpan(used));
            used += id.Length - head;
        }
    }

    /// <summary>The user index of an id, or false.</summary>
    public bool TryGetValue(ReadOnlySpan<char> id, out int user) => TryGetValue(id, Hash(id), out user);

    /// <summary>The hash <see cref="TryGetValue(ReadOnlySpan{char}, int, out int)"/> takes (computed once for a batch of ids).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int HashOf(ReadOnlySpan<char> id) => Hash(id);

    /// <summary>
    /// Reads the first slot of a hash: loads of a batch of ids issued one after another, with nothing depending on them, wait
    /// for memory together instead of one after another (the caller keeps the result alive).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Touch(int hash) => _slots[hash & _mask].Tag;

    /// <summary>As <see cref="TryGetValue(ReadOnlySpan{char}, out int)"/> with the id's <see cref="HashOf"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryGetValue(ReadOnlySpan<char> id, int hash, out int user)
    {
        var tag = hash | int.MinValue;
        var at = hash & _mask;
        var head = Math.Min(id.Length, HeadChars);
        var slots = _slots;
        while (true)
        {
            ref var slot = ref slots[at];
            if (slot.Tag == 0) break;
            if (slot.Tag == tag && slot.Length == id.Length
                && id[..head].SequenceEqual(((ReadOnlySpan<char>)slot.Head)[..head])
                && (id.Length == head || id[head..].SequenceEqual(_tails.AsSpan(slot.TailStart, id.Length - head))))
            {
                user = slot.User;
                return true;
            }
            at = (at + 1) & _mask;
        }
        user = -1;
        return false;
    }

    // The seed also multiplies the result: ids that collide in one import do not in the next.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Hash(ReadOnlySpan<char> id)
    {
        var h = ShortKeyHash.Mix(MemoryMarshal.AsBytes(id), _seed) * _seed;
        return (int)(h >> 32) & int.MaxValue;
    }
}

/// <summary>
/// A parsing thread's memory of the user ids it met last, keyed by the id's UTF-8 bytes as the row holds them (no characters
/// made, no hash of the index computed). History exported in time order interleaves the users active at the same time, so
/// most rows name a user seen a few hundred rows before: found here, in a table the core's caches hold, instead of in the
/// index (too large for them), which only the rest is looked up in. An id of at most <see cref="MaxBytes"/> bytes is its
/// <see cref="Key"/> (three zero-padded words and the length: compared and hashed in a few instructions); an entry is 32
/// bytes, two to a cache line, the one met last first, so an id survives one other id of its set. A longer id is never
/// remembered. A user may be a block's pending id (-2 - k) until the block's lookups resolve it (<see cref="Resolve"/>).
/// </summary>
internal sealed unsafe class RecentUsers
{
    private const int SetBits = 12;
    internal const int MaxBytes = 24;

    /// <summary>An id of at most <see cref="MaxBytes"/> UTF-8 bytes; <see cref="Length"/> 0: none (too long, or not yet).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Key
    {
        public ulong A, B, C;
        public int Length;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly bool SameAs(in Key other) => A == other.A && B == other.B && C == other.C && Length == other.Length;
    }

    // A Key field would pad the entry to 40 bytes (the key's own size rounds up to 32), and a set would straddle two cache lines.
    [StructLayout(LayoutKind.Sequential)]
    private struct Entry
    {
        public ulong A, B, C;
        public int Length;   // 0 = empty
        public int User;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly bool Holds(in Key key) => A == key.A && B == key.B && C == key.C && Length == key.Length;
    }

    /// <summary>Bytes of an entry: two make a set of one cache line.</summary>
    internal static int EntryBytes => sizeof(Entry);

    private readonly Entry* _entries = (Entry*)NativeMemory.AlignedAlloc((nuint)(sizeof(Entry) << (SetBits + 1)), 64);
    private readonly ulong _seed = (ulong)Random.Shared.NextInt64() | 1;

    public RecentUsers() => Clear();

    ~RecentUsers() => NativeMemory.AlignedFree(_entries);

    /// <summary>
    /// The key of the id in the first <paramref name="length"/> bytes of <paramref name="padded"/> (which has at least
    /// <see cref="MaxBytes"/> bytes: those past the id are ignored), or one of length 0 for a longer id.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Key KeyOf(byte[] padded, int length)
    {
        if ((uint)length > MaxBytes || padded.Length < MaxBytes) return default;
        ref var b = ref MemoryMarshal.GetArrayDataReference(padded);
        if (length <= 8) return new Key { A = Unsafe.ReadUnaligned<ulong>(ref b) & Masks[length], Length = length };
        return new Key
        {
            A = Unsafe.ReadUnaligned<ulong>(ref b) & Mask(length),
            B = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref b, 8)) & Mask(length - 8),
            C = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref b, 16)) & Mask(length - 16),
            Length = length,
        };
    }

    /// <summary>The low <paramref name="bytes"/> bytes of a word (none below 1, all from 8).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mask(int bytes) => Masks[Math.Clamp(bytes, 0, 8)];

    private static ReadOnlySpan<ulong> Masks =>
    [
        0, 0xFF, 0xFFFF, 0xFF_FFFF, 0xFFFF_FFFF, 0xFF_FFFF_FFFF, 0xFFFF_FFFF_FFFF, 0xFF_FFFF_FFFF_FFFF, ulong.MaxValue,
    ];

    /// <summary>The set of an id (what <see cref="TryGet"/>, <see cref="Set"/> and <see cref="Resolve"/> take), -1 for an id too
    /// long to remember.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int SetOf(in Key key)
    {
        if (key.Length == 0) return -1;
        var h = ((key.A * 0x9E3779B97F4A7C15UL) ^ (key.B * 0xBF58476D1CE4E5B9UL) ^ (key.C * 0x94D049BB133111EBUL) ^ (ulong)key.Length) * _seed;
        return (int)(h >> (64 - SetBits));
    }

    /// <summary>
    /// Starts loading a set's cache line: the table is larger than the core's nearest caches, and the parser asks for the set
    /// only once the rest of the row is parsed, by when the line is there (a plain load would hold up the row's work).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Prefetch(int set)
    {
        if (set >= 0 && Sse.IsSupported) Sse.Prefetch0(_entries + 2 * set);
    }

    /// <summary>The user of an id met lately (or its pending id in the block being parsed), or false; <paramref name="set"/>
    /// is the id's <see cref="SetOf"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGet(in Key key, int set, out int user)
    {
        user = 0;
        if (set < 0) return false;
        var e = _entries + 2 * set;
        if (e[0].Holds(key))
        {
            user = e[0].User;
            return true;
        }
        if (e[1].Holds(key))
        {
            user = e[1].User;
            (e[0], e[1]) = (e[1], e[0]);
            return true;
        }
        return false;
    }

    /// <summary>Remembers an id's user first in its set.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Set(in Key key, int set, int user)
    {
        if (set < 0) return;
        var e = _entries + 2 * set;
        e[1] = e[0];
        e[0] = new Entry { A = key.A, B = key.B, C = key.C, Length = key.Length, User = user };
    }

    /// <summary>Replaces a pending id by its user, if its set still holds it (a pending id is unique within its block).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Resolve(int set, int pending, int user)
    {
        if (set < 0) return;
        var e = _entries + 2 * set;
        if (e[0].User == pending && e[0].Length != 0) e[0].User = user;
        else if (e[1].User == pending && e[1].Length != 0) e[1].User = user;
    }

    /// <summary>Forgets every id (after a block that ended before its pending ids were resolved).</summary>
    public void Clear() => new Span<Entry>(_entries, 2 << SetBits).Clear();
}
