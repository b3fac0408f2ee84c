using MarketingDsl.Web.Simulations;

namespace MarketingDsl.Web.Tests;

/// <summary>The simulation page's ranges for numeric tags: skewed money values are spread over several bars.</summary>
public sealed class HistogramRangeTests
{
    [Fact]
    public void Skewed_money_gets_growing_ranges_instead_of_one_bar_with_nearly_everyone()
    {
        // 990 users spend 0–500, ten spend up to 200,000 (the shape of order amounts over a year).
        var numbers = Enumerable.Range(0, 990).Select(i => (decimal)(i % 500) + 0.5m).Concat(Enumerable.Range(1, 10).Select(i => i * 20_000m)).ToArray();
        var bars = ResultSummary.Ranges(numbers, integral: false);
        Assert.Equal(numbers.Length, bars.Sum(b => b.Count));
        // Equal widths put 99% of users in the first of ten bars.
        Assert.True(bars.Max(b => b.Count) < numbers.Length * 0.7m, string.Join(", ", bars.Select(b => $"{b.Name}: {b.Count}")));
        Assert.True(bars.Count(b => b.Count > 50) >= 3, string.Join(", ", bars.Select(b => $"{b.Name}: {b.Count}")));
        Assert.Equal("0.5–1", bars[0].Name);
        Assert.Equal("200000–500000", bars[^1].Name);
    }

    [Fact]
    public void Evenly_spread_values_keep_equal_widths()
    {
        var numbers = Enumerable.Range(0, 1000).Select(i => (decimal)i).ToArray();
        var bars = ResultSummary.Ranges(numbers, integral: true);
        Assert.Equal(10, bars.Count);
        Assert.All(bars, b => Assert.Equal(100, b.Count));
    }
}
