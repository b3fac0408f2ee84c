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

    [Fact]
    public void The_hash_of_a_workspace_does_not_change_between_versions()
    {
        // Publications record it: SHA-256 over (UTF-8 length as 8 bytes little-endian, bytes) of each path and text.
        Assert.Equal("89ff3f90437a01b4dcb5573679ced026a4d399d818669e8667643def91966647", Compilation.Create(("a.mdsl", "tag x = 1")).ContentHash);
    }
}

/// <summary>
/// <see cref="Compilation.DeclarationKeys"/>: a declaration's key changes when its values can (its text,
/// what it reads, the schema and settings) and only then.
/// </summary>
public sealed class DeclarationKeyTests
{
    private const string Schema = "schema { profile { user_id: string key  level: int } event order { amount: decimal } }\n";

    private static Dictionary<string, string> Keys(string body, string schema = Schema)
    {
        var compilation = Compilation.Create(("a.mdsl", schema + body), ("b.mdsl", "segment other = level >= 1\n"));
        Assert.False(compilation.HasErrors, string.Join("\n", compilation.Diagnostics));
        return compilation.Model.Outputs.ToDictionary(s => s.Name, s => compilation.DeclarationKeys[s]);
    }

    [Fact]
    public void An_edit_changes_the_key_of_the_declaration_and_of_what_reads_it_only()
    {
        var before = Keys("tag spend = sum(order.amount)\ntag n = count(order)\nsegment big = spend >= 100\n");
        var after = Keys("tag spend = sum(order.amount, within: 30d)\ntag n = count(order)\nsegment big = spend >= 100\n");
        Assert.NotEqual(before["spend"], after["spend"]);
        Assert.NotEqual(before["big"], after["big"]);
        Assert.Equal(before["n"], after["n"]);
        Assert.Equal(before["other"], after["other"]);
    }

    [Fact]
    public void Moving_a_declaration_keeps_its_key_and_the_schema_or_settings_change_every_key()
    {
        var before = Keys("tag n = count(order)\n");
        Assert.Equal(before["n"], Keys("\n\n// a comment above\ntag n = count(order)\n")["n"]);
        Assert.NotEqual(before["n"], Keys("tag n = count(order)\n", Schema.Replace("amount: decimal", "amount: decimal  sku: string"))["n"]);
        var zoned = Keys("tag n = count(order)\n", Schema + "settings { timezone: \"Asia/Shanghai\" }\n");
        Assert.NotEqual(before["n"], zoned["n"]);
        Assert.NotEqual(before["other"], zoned["other"]);
    }
}
