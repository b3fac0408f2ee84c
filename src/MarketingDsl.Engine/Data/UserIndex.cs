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
