using MarketingDsl.Journeys.Measurement;

namespace MarketingDsl.Journeys.Tests.Measurement;

/// <summary>Split tests: the chi-squared test, the sample-ratio check, and the sequential test's error rate under daily looks.</summary>
public sealed class SplitTestTests
{
    [Fact]
    public void Chi_squared_of_a_two_by_two_table_matches_the_closed_form()
    {
        // n(ad − bc)² / ((a+b)(c+d)(a+c)(b+d)) for [[56, 14], [48, 32]] = 7.0234; p = erfc(√(x/2)).
        var (statistic, df, p) = SplitSignificance.ChiSquared([70, 80], [56, 48])!.Value;
        Assert.Equal(7.023411371237458, statistic, 9);
        Assert.Equal(1, df);
        Assert.Equal(0.008045081368196583, p, 9);
        Assert.Null(SplitSignificance.ChiSquared([70, 0], [56, 0]));
    }

    [Fact]
    public void Sample_ratio_mismatch_compares_arrivals_with_the_declared_shares()
    {
        // 5100 vs 4900 at 50/50: χ² = 2·100²/5000 = 4, p = erfc(√2) = 0.0455 — not flagged (the bound is 0.001).
        Assert.Equal(0.045500263896358396, SplitSignificance.SampleRatioPValue([5100, 4900], [50m, 50m]), 9);
        // 20/80 shares with arrivals in that ratio: no mismatch at all.
        Assert.Equal(1, SplitSignificance.SampleRatioPValue([200, 800], [20m, 80m]), 9);
        var broken = SplitSignificance.DecideWinner([600, 400], [300, 100], [50m, 50m]);
        Assert.Equal((null, WinnerReason.SampleRatioMismatch), (broken.Winner, broken.Reason));
    }

    [Fact]
    public void Winner_needs_a_significant_difference()
    {
        var clear = SplitSignificance.DecideWinner([2000, 2000], [200, 300], [50m, 50m]);
        Assert.Equal((1, WinnerReason.Significant), (clear.Winner, clear.Reason));
        var noise = SplitSignificance.DecideWinner([200, 200], [20, 24], [50m, 50m]);
        Assert.Equal((null, WinnerReason.NotSignificant, 1), (noise.Winner, noise.Reason, noise.Best));
        Assert.Contains("not significant", noise.ReasonText);
        Assert.Equal(WinnerReason.NoArrivals, SplitSignificance.DecideWinner([0, 0], [0, 0], [50m, 50m]).Reason);
    }

    [Fact]
    public void Sequential_p_value_and_confidence_sequence_agree()
    {
        foreach (var (ka, na, kb, nb) in new[] { (200L, 2000L, 260L, 2000L), (30L, 500L, 45L, 520L), (5L, 40L, 9L, 40L) })
        {
            var p = SplitSignificance.SequentialPValue(ka, na, kb, nb);
            var cs = SplitSignificance.SequentialDifference(ka, na, kb, nb)!.Value;
            Assert.Equal(p < SplitSignificance.Alpha, cs.ExcludesZero);
            // At α = p the sequence just touches zero.
            var atP = SplitSignificance.SequentialDifference(ka, na, kb, nb, p)!.Value;
            Assert.Equal(0, Math.Min(Math.Abs(atP.Low), Math.Abs(atP.High)), 9);
        }
    }

    /// <summary>
    /// A/A splits (both branches convert at 10%) looked at daily for 30 days: the sequential test
    /// declares a difference in at most 5% of runs; a fixed-horizon chi-squared test looked at
    /// daily (the peeking it guards against) declares one far more often.
    /// </summary>
    [Fact]
    public void Sequential_test_keeps_its_false_positive_rate_under_daily_looks()
    {
        const int Runs = 1000, Days = 30, PerDay = 100;
        var random = new Random(20260);
        int sequentialFalse = 0, peekingFalse = 0;
        for (var run = 0; run < Runs; run++)
        {
            long na = 0, ka = 0, nb = 0, kb = 0;
            bool sequential = false, peeking = false;
            for (var day = 0; day < Days; day++)
            {
                na += PerDay; ka += Binomial(random, PerDay, 0.10);
                nb += PerDay; kb += Binomial(random, PerDay, 0.10);
                sequential |= SplitSignificance.SequentialPValue(ka, na, kb, nb) < SplitSignificance.Alpha;
                peeking |= SplitSignificance.ChiSquared([na, nb], [ka, kb])!.Value.P < SplitSignificance.Alpha;
            }
            if (sequential) sequentialFalse++;
            if (peeking) peekingFalse++;
        }
        Assert.True(sequentialFalse <= Runs * 0.05, $"sequential false positives {sequentialFalse}/{Runs}");
        Assert.True(peekingFalse > Runs * 0.10, $"peeking false positives {peekingFalse}/{Runs}");
    }

    [Fact]
    public void Sequential_test_finds_a_real_difference()
    {
        const int Runs = 200, Days = 30, PerDay = 200;
        var random = new Random(7);
        var found = 0;
        for (var run = 0; run < Runs; run++)
        {
            long na = 0, ka = 0, nb = 0, kb = 0;
            for (var day = 0; day < Days; day++)
            {
                na += PerDay; ka += Binomial(random, PerDay, 0.10);
                nb += PerDay; kb += Binomial(random, PerDay, 0.13);
                if (SplitSignificance.SequentialPValue(kb, nb, ka, na) < SplitSignificance.Alpha) { found++; break; }
            }
        }
        Assert.True(found >= Runs * 0.8, $"found {found}/{Runs}");
    }

    private static long Binomial(Random random, int n, double p)
    {
        var k = 0L;
        for (var i = 0; i < n; i++) if (random.NextDouble() < p) k++;
        return k;
    }
}
