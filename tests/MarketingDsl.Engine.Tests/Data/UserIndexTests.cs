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
}
