using MarketingDsl.Core.Syntax;
using MarketingDsl.Core.Text;

namespace MarketingDsl.Core.Tests;

/// <summary>The one duration grammar agrees with the language's DURATION literals and prints what it reads.</summary>
public sealed class DurationTextTests
{
    [Theory]
    [InlineData("2w")]
    [InlineData("30d 12h")]
    [InlineData("1w 2d 3h 4m 5s")]
    [InlineData("90m")]
    [InlineData("0s")]
    [InlineData("922337203685s")]
    public void Reads_what_the_language_reads(string written)
    {
        var tree = SyntaxTree.Parse("main.mdsl", $"tag x = {written}\n");
        Assert.Empty(tree.Diagnostics);
        var literal = Assert.IsType<LiteralExpressionSyntax>(Assert.IsType<TagDeclarationSyntax>(Assert.Single(tree.Root.Declarations)).Expression);
        Assert.True(DurationText.TryParse(written, out var ticks));
        Assert.Equal(literal.Value, ticks);
    }

    [Fact]
    public void Weeks_are_seven_days() => Assert.True(DurationText.TryParse("2w", out var t) && t == TimeSpan.FromDays(14).Ticks);

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("2")]
    [InlineData("w")]
    [InlineData("2y")]
    [InlineData("2 w")]
    [InlineData("-2w")]
    [InlineData("1.5h")]
    [InlineData("soon")]
    [InlineData("99999999999999999999d")]
    [InlineData("1000000000000w 1000000000000w")]
    public void Refuses_what_is_not_a_duration(string written) => Assert.False(DurationText.TryParse(written, out _));

    [Theory]
    [InlineData("01:30:00", 90 * TimeSpan.TicksPerMinute)]
    [InlineData("1.02:00:00", TimeSpan.TicksPerDay + 2 * TimeSpan.TicksPerHour)]
    [InlineData("1d12h", TimeSpan.TicksPerDay + 12 * TimeSpan.TicksPerHour)]
    [InlineData(" 30d  12h ", 30 * TimeSpan.TicksPerDay + 12 * TimeSpan.TicksPerHour)]
    public void Reads_the_forms_data_and_options_use(string written, long expected)
    {
        Assert.True(DurationText.TryParse(written, out var ticks));
        Assert.Equal(expected, ticks);
    }

    [Fact]
    public void Prints_what_it_reads_back()
    {
        var random = new Random(21);
        for (var i = 0; i < 2000; i++)
        {
            var ticks = random.NextInt64(0, TimeSpan.FromDays(100_000).Ticks) / TimeSpan.TicksPerSecond * TimeSpan.TicksPerSecond;
            var text = DurationText.Format(ticks);
            Assert.True(DurationText.TryParse(text, out var back), text);
            Assert.Equal(ticks, back);
        }
        Assert.Equal("0s", DurationText.Format(0));
        Assert.Equal("14d", DurationText.Format(TimeSpan.FromDays(14).Ticks));
        Assert.Equal("-1h 30m", DurationText.Format(-TimeSpan.FromMinutes(90).Ticks));
        Assert.Equal("0.5s", DurationText.Format(TimeSpan.TicksPerSecond / 2));
    }
}
