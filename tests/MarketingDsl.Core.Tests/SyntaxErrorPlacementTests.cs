using MarketingDsl.Core.Diagnostics;

namespace MarketingDsl.Core.Tests;

/// <summary>Where a syntax error is reported and how it reads: at the bracket left open, not on the next declaration.</summary>
public sealed class SyntaxErrorPlacementTests
{
    private const string Schema = "schema {\n  profile {\n    user_id: string key\n  }\n  event order { amount: decimal }\n}\n";

    private static Diagnostic FirstError(string text) =>
        Compilation.Create(("schema.mdsl", Schema), ("main.mdsl", text)).Diagnostics.First(d => d.IsError && d.FilePath == "main.mdsl");

    [Fact]
    public void A_bracket_left_open_is_reported_where_it_opens()
    {
        var d = FirstError("tag b = (count(order) +\ntag c = count(order)\n");
        Assert.Equal("MD1050", d.Code);
        Assert.Equal((1, 9), (d.Start.Line, d.Start.Column));
        Assert.Equal("This '(' is never closed: expected ')' before 'c' on line 2.", d.Message);
        Assert.Equal("这个 '(' 没有闭合：在第 2 行的 'c' 之前应有 ')'。", d.ChineseMessage);
    }

    [Fact]
    public void An_error_inside_brackets_that_close_later_stays_where_it_is()
    {
        var d = FirstError("tag b = (count(order) +\n  * 2)\ntag c = 1\n");
        Assert.Equal("MD1000", d.Code);
        Assert.Equal(2, d.Start.Line);
    }

    [Fact]
    public void The_end_of_the_file_reads_as_a_sentence()
    {
        var d = FirstError("tag b = count(order) +\n");
        Assert.Equal("MD1000", d.Code);
        Assert.StartsWith("The file ends before this declaration is complete", d.Message);
        Assert.DoesNotContain("Unexpected the end", d.Message);
        Assert.StartsWith("文件在声明完成之前结束", d.ChineseMessage);
    }
}
