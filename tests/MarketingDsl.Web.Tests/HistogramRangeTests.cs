using MarketingDsl.Web.Simulations;

namespace MarketingDsl.Web.Tests;

/// <summary>The simulation page's ranges for numeric tags: skewed money values are spread over several bars.</summary>
public sealed class HistogramRangeTests
{
    [Fact]
    public void Skewed_money_gets_growing_ranges_instead_of_one_bar_with_nearly_everyone()
    {
        // 990 users spend 0–500, ten spend up to 200,000 (the shape of order amounts over a year).
        var numbers = Enumerable.Range(0, 990).Select(i => (decimal)(i % 500) +
            0.5m).Concat(Enumerable.Range(1, 10).Select(i => i * 20_000m)).ToArray();
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

    [Fact]
    public void Skewed_values_with_negatives_get_quantile_ranges_that_share_the_users()
    {
        // Net amounts: most users between -20 and 20, a few refunds far below and large sums far above.
        var numbers = Enumerable.Range(0, 980).Select(i => (decimal)(i % 41) - 20m)
            .Concat(Enumerable.Range(1, 10).Select(i => -5_000m * i)).Concat(Enumerable.Range(1, 10).Select(i => 90_000m * i)).ToArray();
        var bars = ResultSummary.Ranges(numbers, integral: true, out var scale);
        Assert.Equal(ResultSummary.ScaleQuantile, scale);
        Assert.Equal(numbers.Length, bars.Sum(b => b.Count));
        Assert.True(bars.Count >= 5, string.Join(", ", bars.Select(b => $"{b.Name}: {b.Count}")));
        Assert.True(bars.Max(b => b.Count) < numbers.Length * 0.3m, string.Join(", ", bars.Select(b => $"{b.Name}: {b.Count}")));
        Assert.StartsWith("-50000", bars[0].Name, StringComparison.Ordinal);
        Assert.EndsWith("900000", bars[^1].Name, StringComparison.Ordinal);
    }

    [Fact]
    public void A_value_many_users_share_is_one_quantile_bar()
    {
        // Half the users at exactly -1 (a sentinel), the rest spread with a far tail.
        var numbers = Enumerable.Repeat(-1m, 500).Concat(Enumerable.Range(0, 490).Select(i => (decimal)i)).Concat([1_000_000m]).ToArray();
        var bars = ResultSummary.QuantileRanges(numbers, integral: true);
        Assert.Equal(numbers.Length, bars.Sum(b => b.Count));
        Assert.Equal("-1", bars[0].Name);
        Assert.Equal(500, bars[0].Count);
    }

    [Fact]
    public void Skewed_money_is_marked_log_and_even_values_linear()
    {
        var skewed = Enumerable.Range(0, 990).Select(i => (decimal)(i % 500) + 0.5m)
            .Concat(Enumerable.Range(1, 10).Select(i => i * 20_000m)).ToArray();
        ResultSummary.Ranges(skewed, integral: false, out var scale);
        Assert.Equal(ResultSummary.ScaleLog, scale);
        ResultSummary.Ranges([.. Enumerable.Range(0, 1000).Select(i => (decimal)i)], integral: true, out scale);
        Assert.Equal(ResultSummary.ScaleLinear, scale);
    }
}
