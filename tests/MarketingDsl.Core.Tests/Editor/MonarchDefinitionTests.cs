using System.Text.Json;
using System.Text.RegularExpressions;
using MarketingDsl.Core.Binding;

namespace MarketingDsl.Core.Tests.Editor;

/// <summary>The editor's highlighter must agree with the grammar: same keywords, same built-ins.</summary>
public sealed class MonarchDefinitionTests
{

    [Fact]
    public void Keywords_equal_the_lexer_keywords()
    {
        var lexer = File.ReadAllText(Path.Combine(TestPaths.Root, "grammar", "MarketingDslLexer.g4"));
        var fromGrammar = Regex.Matches(lexer, @"^[A-Z_]+\s*:\s*'([a-z_]+)'\s*;", RegexOptions.Multiline).Select(m =>
            m.Groups[1].Value).Order().ToList();
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Root, "editor", "marketingdsl.monarch.json")));
        var fromEditor = json.RootElement.GetProperty("reservedKeywords").EnumerateArray()
            .Concat(json.RootElement.GetProperty("softKeywords").EnumerateArray()).Select(e => e.GetString()!).Order().ToList();
        Assert.NotEmpty(fromGrammar);
        Assert.Equal(fromGrammar, fromEditor);
    }

    [Fact]
    public void Builtin_functions_equal_the_compiler_builtins()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Root, "editor", "marketingdsl.monarch.json")));
        var fromEditor = json.RootElement.GetProperty("builtinFunctions").EnumerateArray().Select(e => e.GetString()!).Order().ToList();
        Assert.Equal(Builtins.All.Select(f => f.Name).Order().ToList(), fromEditor);
    }
}
