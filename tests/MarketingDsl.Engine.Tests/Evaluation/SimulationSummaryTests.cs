using MarketingDsl.Core;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Engine.Simulation;

namespace MarketingDsl.Engine.Tests.Evaluation;

/// <summary>The one summary's statistics of an output, as `mdsl simulate`, summary.json and the web show them.</summary>
public sealed class SimulationSummaryTests
{
    private static readonly Compilation Typed = Compilation.Create(("main.mdsl", """
        schema { profile { user_id: string key, city: string } }
        tag n = 1
        tag d = 1.5
        tag b = true
        tag s = city
        tag l = [city]
        """));

    private static OutputStatistics Of(string tag, params object?[] values) =>
        OutputStatistics.Compute(new BoxedResultColumn(Typed.Model.Tags.Single(t => t.Name == tag), values), values.Length);

    [Fact]
    public void Numbers_get_sum_range_median_and_p90()
    {
        var stats = Of("n", 5L, null, 1L, 9L, 3L, 7L, 2L, 8L, 4L, 6L, 10L);
        Assert.Equal((10L, 1L), (stats.NonNull, stats.Empty));
        Assert.Equal(55m, stats.Sum);
        Assert.Equal((1m, 10m), (stats.Min, stats.Max));
        Assert.Equal(6m, stats.Median); // rank ⌊10/2⌋ = 5 of 1…10
        Assert.Equal(10m, stats.P90);   // rank ⌊0.9·10⌋ = 9
        Assert.Equal([5m, 1m, 9m, 3m, 7m, 2m, 8m, 4m, 6m, 10m], stats.Numbers); // user order, for charts
    }

    /// <summary>Range, median and p90 are the ranks of the sorted numbers, on columns with many ties and of every small size.</summary>
    [Theory]
    [InlineData("n")]
    [InlineData("d")]
    public void Median_and_p90_are_their_ranks_of_the_sorted_numbers(string tag)
    {
        var random = new Random(7);
        foreach (var n in Enumerable.Range(1, 40).Concat([1000, 4321]))
        {
            var values = Enumerable.Range(0, n).Select(_ => random.Next(n / 3 + 2)).ToArray();
            var stats = Of(tag, [.. values.Select(v => tag == "n" ? (object)(long)v : v / 4m)]);
            var sorted = values.Select(v => tag == "n" ? v : v / 4m).Order().ToArray();
            Assert.Equal((sorted[0], sorted[^1]), (stats.Min, stats.Max));
            Assert.Equal(sorted[n / 2], stats.Median);
            Assert.Equal(sorted[Math.Min(n - 1, (int)Math.Floor(0.9 * n))], stats.P90);
        }
    }

    /// <summary>The compiled engine's typed columns give the numbers a boxed column gives, read again on each ask.</summary>
    [Fact]
    public void Numbers_of_typed_columns_equal_those_of_boxed_ones()
    {
        var ints = OutputStatistics.Compute(new TypedResultColumn<long?>(Typed.Model.Tags.Single(t => t.Name == "n"), [5, null, 1, 9]), 4);
        Assert.Equal([5m, 1m, 9m], ints.Numbers);
        Assert.Equal((1m, 9m, 5m), (ints.Min, ints.Max, ints.Median));
        var decimals = OutputStatistics.Compute(new TypedResultColumn<decimal?>(Typed.Model.Tags.Single(t => t.Name == "d"), [null, 2.5m, 0.5m]), 3);
        Assert.Equal([2.5m, 0.5m], decimals.Numbers);
        Assert.Equal(decimals.Numbers, decimals.Numbers);
        Assert.Equal((0.5m, 2.5m, 3.0m), (decimals.Min, decimals.Max, decimals.Sum));
        Assert.Empty(OutputStatistics.Compute(new TypedResultColumn<long?>(Typed.Model.Tags.Single(t => t.Name == "n"), [null, null]), 2).Numbers);
    }

    [Fact]
    public void Decimals_sum_as_output_rounds_them()
    {
        var stats = Of("d", 0.00004m, 0.00004m, 1.23456m);
        Assert.Equal(1.2346m, stats.Sum);
    }

    [Fact]
    public void Yes_no_values_are_counted()
    {
        var stats = Of("b", true, false, true, null);
        Assert.Equal((2L, 1L, 1L, 3L), (stats.True, stats.False, stats.Empty, stats.NonNull));
    }

    [Fact]
    public void Texts_and_list_elements_are_counted_per_printed_value_in_first_seen_order()
    {
        var texts = Of("s", "b", "a", "b", null, "c", "b");
        Assert.Equal([new ValueCount("b", 3), new ValueCount("a", 1), new ValueCount("c", 1)], texts.Values);
        Assert.Equal(1, texts.Empty);
        var lists = Of("l", new List<object?> { "x", "y" }, new List<object?>(), null, new List<object?> { "y" });
        Assert.Equal([new ValueCount("x", 1), new ValueCount("y", 2)], lists.Values);
        Assert.Equal((2L, 2L, 3L), (lists.NonEmptyLists, lists.Empty, lists.NonNull));
    }
}
