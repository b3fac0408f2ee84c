using System.Text;
using MarketingDsl.Engine.Data;

namespace MarketingDsl.Engine.Tests.Data;

/// <summary>The importer's user id index finds exactly the ids a dictionary finds, whatever their length and characters.</summary>
public sealed class UserIndexTests
{
    [Fact]
    public void Finds_every_id_and_no_other_as_a_dictionary_does()
    {
        var rnd = new Random(7);
        string[] alphabet = ["a", "b", "0", "9", "_", "é", "用", "\0", "😀"];
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        // Ids around the slot's head (shorter, equal, longer), sharing heads, and differing only past them.
        foreach (var length in new[] { 1, 2, 7, UserIndex.HeadChars - 1, UserIndex.HeadChars, UserIndex.HeadChars + 1, 12, 36, 100 })
            for (var i = 0; i < 300; i++)
            {
                var id = string.Concat(Enumerable.Range(0, length).Select(_ => alphabet[rnd.Next(alphabet.Length)]));
                ids.TryAdd(id, ids.Count);
            }
        for (var i = 0; i < 300; i++) ids.TryAdd($"u{i:D7}", ids.Count);
        for (var i = 0; i < 300; i++) ids.TryAdd($"customer-{i}", ids.Count);
        var index = new UserIndex(ids);

        foreach (var (id, user) in ids)
        {
            Assert.True(index.TryGetValue(id, out var found), id);
            Assert.Equal(user, found);
        }
        var probes = ids.Keys.SelectMany(id => new[] { id + "x", id[..^1], "x" + id, id.Length > 1 ? id[1..] + id[0] : "zz" }).Append("");
        foreach (var probe in probes)
            Assert.Equal(ids.TryGetValue(probe, out var expected) ? expected : -1, index.TryGetValue(probe, out var found) ? found : -1);
    }

    [Fact]
    public void An_empty_index_finds_nothing()
    {
        var index = new UserIndex([]);
        Assert.False(index.TryGetValue("u1", out var user));
        Assert.Equal(-1, user);
        Assert.False(index.TryGetValue("", out _));
    }

    /// <summary>
    /// A thread's recent ids give back exactly the user last set for an id, never another id's (sets shared by hashes, ids
    /// sharing prefixes, ids that differ only past a word or in their length, the bytes past an id in its buffer), forget
    /// ids too long to hold, and resolve a pending id only while its set still holds it.
    /// </summary>
    [Fact]
    public void Recent_ids_give_the_user_set_for_that_id_and_no_other()
    {
        var recent = new RecentUsers();
        var expected = new Dictionary<string, int>(StringComparer.Ordinal);
        var rnd = new Random(5);
        var ids = Enumerable.Range(0, 20_000).Select(i => (i % 4) switch
            {
                0 => $"u{i:D7}",
                1 => $"customer-{i}-é",
                2 => $"{i % 300:D8}{new string('0', i % 19)}",
                _ => new string('k', 1 + i % 40),
            })
            .Distinct().ToArray();
        var buffer = new byte[64];
        for (var step = 0; step < 200_000; step++)
        {
            var id = ids[rnd.Next(ids.Length)];
            rnd.NextBytes(buffer);   // what follows the id in the buffer is no part of it
            var length = Encoding.UTF8.GetBytes(id, buffer);
            var key = RecentUsers.KeyOf(buffer, length);
            Assert.Equal(length <= RecentUsers.MaxBytes ? length : 0, key.Length);
            var set = recent.SetOf(key);
            if (recent.TryGet(key, set, out var user)) Assert.Equal(expected[id], user);
            else
            {
                user = rnd.Next(-1, 1_000_000);
                recent.Set(key, set, user);
                expected[id] = user;
            }
            if (length > RecentUsers.MaxBytes) Assert.False(recent.TryGet(key, recent.SetOf(key), out _), id);
        }

        var a = RecentUsers.KeyOf("u0000001                "u8.ToArray(), 8);
        var s = recent.SetOf(a);
        recent.Set(a, s, -2 - 7);
        recent.Resolve(s, -2 - 8, 42);   // another pending id: not this set's
        Assert.True(recent.TryGet(a, s, out var pending));
        Assert.Equal(-2 - 7, pending);
        recent.Resolve(s, -2 - 7, 42);
        Assert.True(recent.TryGet(a, s, out var resolved));
        Assert.Equal(42, resolved);
        recent.Clear();
        Assert.False(recent.TryGet(a, s, out _));
    }

    /// <summary>A set of two entries is one cache line (the table is allocated aligned to 64 bytes): one miss per lookup.</summary>
    [Fact]
    public void Recent_ids_entries_pair_into_cache_lines() => Assert.Equal(32, RecentUsers.EntryBytes);
}
