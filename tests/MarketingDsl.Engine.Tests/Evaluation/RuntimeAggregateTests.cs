using MarketingDsl.Engine.Evaluation;

namespace MarketingDsl.Engine.Tests.Evaluation;

/// <summary>The engine's `top` counter and quantile_score sweep against their definitions, on ties and many distinct values.</summary>
public sealed class RuntimeAggregateTests
{
    [Theory]
    [InlineData(1, 5, true)]      // few distinct values: the linear list
    [InlineData(2, 40, true)]     // more than the list holds: the dictionary index
    [InlineData(3, 40, false)]
    public void Top_counts_like_a_dictionary(int seed, int distinct, bool strings)
    {
        var rnd = new Random(seed);
        var counter = new TopCounter();
        for (var round = 0; round < 3; round++)
        {
            counter.Clear();
            var expected = new Dictionary<object, int>();
            for (var i = 0; i < 500; i++)
            {
                // Equal strings that are not the same instance (or boxed longs), and nulls (ignored).
                object? value = rnd.Next(10) == 0 ? null : strings ? new string('x', 1) + rnd.Next(distinct) : (long)rnd.Next(distinct);
                counter.Add(value);
                if (value is not null) expected[value] = expected.GetValueOrDefault(value) + 1;
            }
            // Most frequent first, ties in ascending order (ASCII: ordinal = code point order).
            var naive = expected.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, Comparer<object>.Create((a, b) =>
                a is string sa ? string.CompareOrdinal(sa, (string)b) : ((long)a).CompareTo((long)b))).Select(kv => kv.Key).ToList();
            Assert.Equal(naive.Take(3), counter.TopK(3));
            Assert.Equal(naive, counter.TopK(expected.Count));
        }
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, true)]
    public void Quantile_scores_follow_the_definition(int seed, bool descending)
    {
        var rnd = new Random(seed);
        // Integers, a few decimals (negative too, and equal values written with different scales), and 28-digit fractions.
        foreach (var kind in new[] { "integral", "decimals", "fractions" })
        {
            var values = new decimal?[2000];
            for (var i = 0; i < values.Length; i++)
                values[i] = rnd.Next(8) == 0 ? null : kind switch
                {
                    "integral" => rnd.Next(30),
                    "decimals" => rnd.Next(3) == 0 ? 1.50m : rnd.Next(-500, 500) / 100m,
                    _ => rnd.Next(300) / 7m,
                };
            var present = values.Where(v => v.HasValue).Select(v => v!.Value).ToArray();
            var scores = Runtime.QuantileScores(values, 5, descending);
            for (var u = 0; u < values.Length; u++)
            {
                if (values[u] is not { } x) { Assert.Null(scores[u]); continue; }
                long less = descending ? present.Count(p => p > x) : present.Count(p => p < x);
                Assert.Equal(Math.Min(5, 1 + 5 * less / present.Length), scores[u]);
            }
        }
        Assert.Equal(new long?[] { null }, Runtime.QuantileScores([null], 5, descending));
    }

    [Fact]
    public void Sum_overflows_exactly_like_checked_decimal_addition()
    {
        var rnd = new Random(5);
        decimal[] big = [decimal.MaxValue, decimal.MinValue, decimal.MaxValue / 2, (decimal)Math.Pow(2, 94), -(decimal)Math.Pow(2, 94) + 1,
            1e28m, 0.5m, -3m, 1.0000000000000000000000000001m];
        for (var trial = 0; trial < 2000; trial++)
        {
            decimal sum = 0, expected = 0;
            bool overflow = false, expectedOverflow = false;
            for (var i = 0; i < 6; i++)
            {
                var v = big[rnd.Next(big.Length)] / (rnd.Next(3) == 0 ? 1 : rnd.Next(1, 4));
                Runtime.Accumulate(ref sum, ref overflow, v);
                if (!expectedOverflow)
                    try { expected += v; } catch (OverflowException) { expectedOverflow = true; }
            }
            Assert.Equal(expectedOverflow, overflow);
            if (!overflow) Assert.Equal(expected, sum);
        }
    }
}
