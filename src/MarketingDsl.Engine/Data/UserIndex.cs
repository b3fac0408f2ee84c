using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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
        _slots = new Slot[capacity];
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
/// A parsing thread's memory of the user ids it met last, direct-mapped by their <see cref="UserIndex.HashOf"/> hash. History
/// exported in time order interleaves the users active at the same time, so most rows name a user seen a few hundred
/// rows before: found here, in a table the core's caches hold, instead of in the index (too large for them), which only
/// the rest is looked up in. An entry is one cache line; a longer id is never remembered. A user may be a block's
/// pending id (-2 - k) until the block's lookups resolve it (<see cref="Resolve"/>).
/// </summary>
internal sealed class RecentUsers
{
    private const int Bits = 12;
    internal const int MaxChars = 26;

    [InlineArray(MaxChars)]
    private struct Chars
    {
        private char _first;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Entry
    {
        public int Tag;      // hash | int.MinValue; 0 = empty
        public int User;
        public int Length;
        public Chars Chars;
    }

    private readonly Entry[] _entries = new Entry[1 << Bits];

    /// <summary>The user of an id met lately (or its pending id in the block being parsed), or false.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGet(ReadOnlySpan<char> id, int hash, out int user)
    {
        ref var e = ref _entries[hash & ((1 << Bits) - 1)];
        if (e.Tag == (hash | int.MinValue) && e.Length == id.Length && id.SequenceEqual(((ReadOnlySpan<char>)e.Chars)[..id.Length]))
        {
            user = e.User;
            return true;
        }
        user = 0;
        return false;
    }

    /// <summary>Remembers an id's user in place of the id its slot held.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Set(ReadOnlySpan<char> id, int hash, int user)
    {
        if (id.Length > MaxChars) return;
        ref var e = ref _entries[hash & ((1 << Bits) - 1)];
        e.Tag = hash | int.MinValue;
        e.User = user;
        e.Length = id.Length;
        id.CopyTo(e.Chars);
    }

    /// <summary>Replaces a pending id by its user, if its slot still holds it (a pending id is unique within its block).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Resolve(int hash, int pending, int user)
    {
        ref var e = ref _entries[hash & ((1 << Bits) - 1)];
        if (e.User == pending && e.Tag == (hash | int.MinValue)) e.User = user;
    }

    /// <summary>Forgets every id (after a block that ended before its pending ids were resolved).</summary>
    public void Clear() => _entries.AsSpan().Clear();
}
