using System.Text;
using MarketingDsl.Core.Syntax;
using MarketingDsl.Core.Syntax.Generated;
using static MarketingDsl.Core.Tests.Formatting.FormatterTestKit;

namespace MarketingDsl.Core.Tests.Formatting;

/// <summary>
/// The same tokens with random whitespace between them (spaces, tabs, line breaks, blank lines,
/// CRLF): the formatter must accept every variant, reach a fixed point in one pass and keep the meaning.
/// </summary>
public class FormatterRobustnessTests
{
    private static readonly string[] Gaps = [" ", "  ", "\t", "\n", "\n\n", "\n\n\n", " \n    ", "\r\n", "\n  \n"];

    public static TheoryData<string, int> Variants()
    {
        var data = new TheoryData<string, int>();
        foreach (var c in FormatterCases.Golden)
            for (var seed = 1; seed <= 4; seed++) data.Add(c.Name, seed);
        return data;
    }

    private static string Reflow(string text, int seed)
    {
        var random = new Random(seed);
        var tokens = SyntaxTree.Parse("t.mdsl", text).Tokens;
        var sb = new StringBuilder();
        for (var i = 0; i < tokens.Length; i++)
        {
            if (i > 0)
            {
                var previous = tokens[i - 1];
                var gap = Gaps[random.Next(Gaps.Length)];
                // A line comment runs to the end of its line: keep a line break after it.
                if (previous.Type is MarketingDslLexer.LINE_COMMENT or MarketingDslLexer.DOC_COMMENT && !gap.Contains('\n')) gap = "\n";
                sb.Append(gap);
            }
            sb.Append(tokens[i].Text);
        }
        return sb.ToString();
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Reflowed_input_formats_idempotently_with_the_same_meaning(string name, int seed)
    {
        var input = Reflow(FormatterCases.Golden.Single(c => c.Name == name).Input, seed);
        Assert.False(SyntaxTree.Parse("test.mdsl", input).HasErrors);
        var formatted = FormatIdempotent(input);
        AssertSameSemantics(input, formatted);
        Assert.DoesNotContain("\n\n\n", formatted);
        Assert.DoesNotContain('\r', formatted);
        Assert.DoesNotContain('\t', formatted);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Input_on_one_line_where_possible_formats_to_the_structure_only(string name, int seed)
    {
        // Only line comments force line breaks; everything else is joined with single spaces.
        var tokens = SyntaxTree.Parse("t.mdsl", FormatterCases.Golden.Single(c => c.Name == name).Input).Tokens;
        var sb = new StringBuilder();
        for (var i = 0; i < tokens.Length; i++)
        {
            if (i > 0) sb.Append(tokens[i - 1].Type is MarketingDslLexer.LINE_COMMENT or MarketingDslLexer.DOC_COMMENT ? "\n"
                : new string(' ', 1 + seed % 2));
            sb.Append(tokens[i].Text);
        }
        var input = sb.ToString();
        var formatted = FormatIdempotent(input);
        AssertSameSemantics(input, formatted);
    }
}
