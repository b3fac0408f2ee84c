using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MarketingDsl.Engine.Data;

/// <summary>
/// User id → user index, read by every event row. An open-addressing table of its own (ids in one
/// character arena, each slot the id's hash and entry): history exported in time order looks a
/// different user up on almost every row, over a table too large for the caches, and a
/// <see cref="Dictionary{TKey, TValue}"/> pays a bucket, an entry and a string object per probe
/// where this pays one slot and the id's characters. The hash is seeded per index, so a hostile
/// file cannot choose ids that all collide. Read-only after construction (safe across threads).
/// </summary>
internal sealed class UserIndex
{
    private readonly long[] _slots;          // (hash << 32) | (entry + 1); 0 = empty
    private readonly int[] _starts, _lengths, _users;
    private readonly char[] _arena;
    private readonly ulong _seed;
    private readonly int _mask;

    public UserIndex(IReadOnlyCollection<KeyValuePair<string, int>> ids)
    {
        _seed = (ulong)Random.Shared.NextInt64() | 1;
        var capacity = 16;
        while (capacity < ids.Count * 2) capacity *= 2;   // at most half full: short probe runs
        _slots = new long[capacity];
        _mask = capacity - 1;
        _starts = new int[ids.Count];
        _lengths = new int[ids.Count];
        _users = new int[ids.Count];
        _arena = new char[ids.Sum(p => (long)p.Key.Length) is var total && total <= Array.MaxLength
            ? (int)total : throw new DataImportException("user ids too long in total")];
        int e = 0, used = 0;
        foreach (var (id, user) in ids)
        {
            id.CopyTo(_arena.AsSpan(used));
            _starts[e] = used;
            _lengths[e] = id.Length;
            _users[e] = user;
            used += id.Length;
            var hash = Hash(id);
            var at = hash & _mask;
            while (_slots[at] != 0) at = (at + 1) & _mask;
            _slots[at] = ((long)hash << 32) | (uint)(e + 1);
            e++;
        }
    }

    /// <summary>The user index of an id, or false.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryGetValue(ReadOnlySpan<char> id, out int user)
    {
        var hash = Hash(id);
        var at = hash & _mask;
        while (true)
        {
            var slot = _slots[at];
            if (slot == 0) break;
            if ((int)(slot >> 32) == hash)
            {
                var e = (int)(uint)slot - 1;
                if (_lengths[e] == id.Length && id.SequenceEqual(_arena.AsSpan(_starts[e], id.Length)))
                {
                    user = _users[e];
                    return true;
                }
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
