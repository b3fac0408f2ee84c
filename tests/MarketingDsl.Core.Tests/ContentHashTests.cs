namespace MarketingDsl.Core.Tests;

/// <summary>The workspace's one hash (<see cref="Compilation.ContentHash"/>) tells every two different workspaces apart.</summary>
public sealed class ContentHashTests
{
    [Fact]
    public void Files_are_not_confused_with_text_that_contains_separators()
    {
        // Separated by NUL characters, these two workspaces were one stream of bytes.
        var one = Compilation.Create(("a.mdsl", "tag x = 1\0b.mdsl\0tag y = 2"));
        var two = Compilation.Create(("a.mdsl", "tag x = 1"), ("b.mdsl", "tag y = 2"));
        Assert.NotEqual(one.ContentHash, two.ContentHash);
    }

    [Fact]
    public void Same_files_same_hash_and_any_change_another()
    {
        var a = Compilation.Create(("a.mdsl", "tag x = 1"), ("b.mdsl", "tag y = 2"));
        Assert.Equal(a.ContentHash, Compilation.Create(("b.mdsl", "tag y = 2"), ("a.mdsl", "tag x = 1")).ContentHash);
        Assert.NotEqual(a.ContentHash, Compilation.Create(("a.mdsl", "tag x = 1"), ("b.mdsl", "tag y = 3")).ContentHash);
        Assert.NotEqual(a.ContentHash, Compilation.Create(("a.mdsl", "tag x = 1"), ("c.mdsl", "tag y = 2")).ContentHash);
        Assert.Matches("^[0-9a-f]{64}$", a.ContentHash);
    }
}
