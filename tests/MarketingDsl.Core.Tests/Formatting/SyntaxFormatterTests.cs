using MarketingDsl.Core.Formatting;
using MarketingDsl.Core.Syntax;
using static MarketingDsl.Core.Tests.Formatting.FormatterTestKit;

namespace MarketingDsl.Core.Tests.Formatting;

public class SyntaxFormatterTests
{
    public static TheoryData<string> GoldenNames() => [.. FormatterCases.Golden.Select(c => c.Name)];

    private static (string Name, string Input, string Expected) Case(string name) => FormatterCases.Golden.Single(c => c.Name == name);

    [Theory]
    [MemberData(nameof(GoldenNames))]
    public void Golden_case_formats_to_the_expected_text(string name)
    {
        var (_, input, expected) = Case(name);
        Assert.Equal(expected, Format(input));
    }

    [Theory]
    [MemberData(nameof(GoldenNames))]
    public void Golden_case_is_idempotent(string name)
    {
        var (_, input, expected) = Case(name);
        Assert.Equal(expected, FormatIdempotent(input));
        Assert.Equal(expected, Format(expected));
    }

    [Theory]
    [MemberData(nameof(GoldenNames))]
    public void Golden_case_keeps_its_meaning(string name)
    {
        var (_, input, expected) = Case(name);
        AssertSameSemantics(input, expected);
        Assert.False(SyntaxTree.Parse("test.mdsl", expected).HasErrors);
    }

    [Theory]
    [MemberData(nameof(GoldenNames))]
    public void Golden_output_is_canonical_text(string name)
    {
        var expected = Case(name).Expected;
        Assert.DoesNotContain('\r', expected);
        Assert.DoesNotContain('\t', expected);
        if (expected.Length == 0) return;
        Assert.EndsWith("\n", expected);
        Assert.False(expected.EndsWith("\n\n", StringComparison.Ordinal));
        Assert.DoesNotContain("\n\n\n", expected);
        Assert.All(expected.Split('\n'), line => Assert.Equal(line.TrimEnd(' '), line));
    }

    [Theory]
    [MemberData(nameof(GoldenNames))]
    public void Golden_case_keeps_every_comment_and_string(string name)
    {
        var (_, input, expected) = Case(name);
        static IEnumerable<string> Kept(string text) => SyntaxTree.Parse("test.mdsl", text).Tokens
            .Where(t => t.IsComment || t.Type == Syntax.Generated.MarketingDslLexer.STRING)
            .Select(t => t.Text.Replace("\r\n", "\n").TrimEnd());
        Assert.Equal(Kept(input), Kept(expected));
    }

    [Fact]
    public void Golden_cases_cover_every_declaration_kind_and_step_kind()
    {
        var trees = FormatterCases.Golden.Select(c => SyntaxTree.Parse("t.mdsl", c.Input)).ToList();
        var declarations = trees.SelectMany(t => t.Root.Declarations).ToList();
        foreach (var kind in new[] { typeof(SchemaDeclarationSyntax), typeof(SettingsDeclarationSyntax), typeof(TagDeclarationSyntax),
                     typeof(SegmentDeclarationSyntax), typeof(SegmentationDeclarationSyntax), typeof(ModelDeclarationSyntax),
                     typeof(ChannelDeclarationSyntax), typeof(JourneyDeclarationSyntax), typeof(TestDeclarationSyntax) })
            Assert.Contains(declarations, d => d.GetType() == kind);
        Assert.Contains(declarations, d => d is ModelDeclarationSyntax { IsClusters: true });
        Assert.Contains(declarations, d => d is ModelDeclarationSyntax { IsClusters: false });
        var steps = declarations.OfType<JourneyDeclarationSyntax>().SelectMany(j => AllSteps(j.Steps)).ToList();
        foreach (var kind in new[] { typeof(WaitStepSyntax), typeof(SendStepSyntax), typeof(IfStepSyntax), typeof(SplitStepSyntax),
            typeof(ExitStepSyntax) })
            Assert.Contains(steps, s => s.GetType() == kind);
        Assert.Contains(steps, s => s is IfStepSyntax { ElseIf: not null });
        Assert.Contains(steps, s => s is IfStepSyntax { Else: not null });
    }

    private static IEnumerable<StepSyntax> AllSteps(StepBlockSyntax? block)
    {
        if (block is null) yield break;
        foreach (var step in block.Steps)
        {
            yield return step;
            var nested = step switch
            {
                IfStepSyntax i => AllSteps(i.Then).Concat(AllSteps(i.Else)).Concat(i.ElseIf is null ? []
                    : AllSteps(new StepBlockSyntax([i.ElseIf], i.ElseIf.Span))),
                SplitStepSyntax s => s.Branches.SelectMany(b => AllSteps(b.Body)),
                _ => [],
            };
            foreach (var n in nested) yield return n;
        }
    }

    // ------------------------------------------------------------------ focused rules

    [Fact]
    public void File_with_a_syntax_error_is_refused()
    {
        var tree = SyntaxTree.Parse("bad.mdsl", "tag a = (1 +\ntag b = 2\n");
        Assert.True(tree.HasErrors);
        Assert.False(SyntaxFormatter.TryFormat(tree, out var formatted));
        Assert.Null(formatted);
        Assert.Throws<ArgumentException>(() => SyntaxFormatter.Format(tree));
    }

    [Theory]
    [InlineData("tag a = \"unterminated\n")]
    [InlineData("tag a = 1 $ 2\n")]
    [InlineData("schema { profile { a: } }\n")]
    public void Lexical_and_parse_errors_are_refused(string text) =>
        Assert.False(SyntaxFormatter.TryFormat(SyntaxTree.Parse("bad.mdsl", text), out _));

    [Fact]
    public void Adjacent_one_line_declarations_stay_adjacent_and_blank_runs_shrink_to_one()
    {
        Assert.Equal("tag a = 1\ntag b = 2\n\nsegment c = a > 1\n", Format("tag a = 1\ntag b = 2\n\n\n\nsegment c = a > 1"));
    }

    [Fact]
    public void Block_declarations_always_get_a_blank_line_around_them()
    {
        Assert.Equal("tag a = 1\n\nchannel sms {\n  cost: 0.05\n}\n\ntag b = 2\n",
            Format("tag a = 1\nchannel sms { cost: 0.05 }\ntag b = 2\n"));
    }

    [Fact]
    public void Blank_line_before_a_block_goes_above_its_comments_and_doc_comments_stay_attached()
    {
        Assert.Equal("tag a = 1\n\n// about\n/// doc\nchannel sms {\n  cost: 0.05\n}\n",
            Format("tag a = 1\n// about\n/// doc\n\n\nchannel sms { cost: 0.05 }\n"));
    }

    [Fact]
    public void Doc_comment_stays_directly_above_its_declaration_and_is_still_attached()
    {
        var formatted = Format("tag x = 1\n/// Doc.\n\n\ntag a \"A\" = x\n");
        Assert.Equal("tag x = 1\n/// Doc.\ntag a \"A\" = x\n", formatted);
        Assert.Equal("Doc.", SyntaxTree.Parse("t.mdsl", formatted).Root.Declarations[1].Documentation);
    }

    [Fact]
    public void Two_declarations_on_one_line_are_split()
    {
        Assert.Equal("tag a = 1\ntag b = 2\n", Format("tag a = 1 tag b = 2"));
    }

    [Fact]
    public void Continuation_lines_are_reindented_one_level_deeper()
    {
        Assert.Equal("tag a = x and\n  y and\n  z\n", Format("tag a = x and\n            y and\n z"));
        Assert.Equal("schema {\n  profile { x: int }\n}\n\njourney j {\n  trigger: order\n  audience: x > 1 and\n    x < 5\n}\n",
            Format("schema { profile { x: int } }\njourney j { trigger: order audience: x > 1 and\nx < 5 }"));
    }

    [Fact]
    public void Line_comment_before_a_token_that_belongs_on_the_same_line_breaks_the_line()
    {
        var formatted = FormatIdempotent("journey j // note\n{ trigger: order }\n");
        Assert.Equal("journey j  // note\n{\n  trigger: order\n}\n", formatted);
    }

    [Fact]
    public void Windows_line_endings_become_unix_and_the_file_ends_with_one_newline()
    {
        Assert.Equal("tag a = 1\n", Format("tag a = 1\r\n\r\n\r\n"));
        Assert.Equal("tag a = 1\n", Format("\n\n  tag a = 1"));
    }

    [Fact]
    public void Unicode_names_and_strings_are_copied_byte_for_byte()
    {
        const string input = "tag 高价值用户 \"高价值 ✨ \\\"q\\\" \\u00e9\" = 年消费额 > 5000\n";
        Assert.Equal(input, Format(input));
    }

    [Fact]
    public void Spacing_rules_for_punctuation()
    {
        Assert.Equal("tag a = f(x.y, [1, 2], -z, - -3, (1 + 2) * 3)\n", FormatIdempotent("tag a=f ( x . y ,[ 1,2 ] , - z , - - 3 ,( 1+2 )*3 )"));
        Assert.Equal("schema {\n  profile { a: list<string>?, b: date? }\n}\n", Format("schema{profile{a : list < string > ? b:date ?}}"));
    }

    [Fact]
    public void Soft_keyword_before_a_parenthesis_is_not_a_call()
    {
        Assert.Equal("test \"t\" {\n  expect (a == 1)\n}\n", Format("test \"t\" { expect(a == 1) }"));
    }
}
