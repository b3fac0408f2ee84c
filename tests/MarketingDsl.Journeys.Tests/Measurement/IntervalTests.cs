using MarketingDsl.Journeys.Measurement;

namespace MarketingDsl.Journeys.Tests.Measurement;

/// <summary>
/// Intervals against published values, each quoted by a public test suite of an independent
/// implementation (the suite named at each row):
/// Newcombe 1998a, "Two-sided confidence intervals for the single proportion: comparison of seven
/// methods", Statistics in Medicine 17:857–872, Table I, method 3 (Wilson, no continuity
/// correction); Newcombe 1998b, "Interval estimation for the difference between independent
/// proportions: comparison of eleven methods", Statistics in Medicine 17:873–890, Table II,
/// method 10 (hybrid score, no continuity correction); Fagerland, Lydersen and Laake 2015,
/// "Recommended confidence intervals for two independent binomial proportions", Statistical
/// Methods in Medical Research 24:224–254 (Newcombe hybrid score, three decimals).
/// </summary>
public sealed class IntervalTests
{
    public static TheoryData<long, long, long, long, double, double, int> PublishedDifferences => new()
    {
        // Newcombe 1998b Table II (a) and (b): github.com/m-Py/propint tests/testthat/test_Two_Independent_Props_CI.R
        { 56, 70, 48, 80, 0.0524, 0.3339, 4 },
        { 9, 10, 3, 10, 0.1705, 0.8090, 4 },
        // Newcombe 1998b Table II (d): github.com/petelaud/ratesci tests/testthat/test3.R ("Newcombe/'Score'/Square&add")
        { 5, 56, 0, 29, -0.0381, 0.1926, 4 },
        // Fagerland et al. 2015 (7/34 against 1/34): github.com/statsmodels/statsmodels statsmodels/stats/tests/test_proportion.py,
        // test_confint_2indep ("Newcombe hybrid score 0.019 0.34")
        { 7, 34, 1, 34, 0.019, 0.340, 3 },
    };

    [Theory]
    [MemberData(nameof(PublishedDifferences))]
    public void Newcombe_hybrid_score_interval_matches_the_published_examples(long k1, long n1, long k2, long n2, double low, double high,
        int digits)
    {
        var i = Intervals.NewcombeDifference(k1, n1, k2, n2)!.Value;
        Assert.Equal((double)k1 / n1 - (double)k2 / n2, i.Estimate, 12);
        Assert.Equal(low, Math.Round(i.Low, digits, MidpointRounding.AwayFromZero));
        Assert.Equal(high, Math.Round(i.High, digits, MidpointRounding.AwayFromZero));
    }

    /// <summary>
    /// At the edges (no successes, or all) the interval is the Wilson limits themselves: with k1 = k2 = 0 it is [−u2, u1], and a group
    /// with k = n contributes no width above 1; 0/20's Wilson upper limit 0.1611 is published (Newcombe 1998a Table I).
    /// </summary>
    [Fact]
    public void Newcombe_interval_at_zero_and_full_counts_is_made_of_the_wilson_limits()
    {
        var none = Intervals.NewcombeDifference(0, 10, 0, 20)!.Value;
        Assert.Equal((0.0, -Intervals.Wilson(0, 20)!.Value.High, Intervals.Wilson(0, 10)!.Value.High), (none.Estimate, none.Low, none.High));
        Assert.Equal(-0.1611, Math.Round(none.Low, 4));
        var all = Intervals.NewcombeDifference(10, 10, 0, 20)!.Value;
        Assert.Equal(1.0, all.High);
        var (l1, u2) = (Intervals.Wilson(10, 10)!.Value.Low, Intervals.Wilson(0, 20)!.Value.High);
        Assert.Equal(1 - Math.Sqrt((1 - l1) * (1 - l1) + u2 * u2), all.Low, 12);
        // Symmetry: swapping the groups mirrors the interval.
        var mirrored = Intervals.NewcombeDifference(0, 20, 10, 10)!.Value;
        Assert.Equal((-all.High, -all.Low), (mirrored.Low, mirrored.High));
    }

    [Theory]
    // Newcombe 1998a Table I: 81/263 and 15/148 quoted by github.com/m-Py/propint tests/testthat/test_Single_Proportion_CI.R;
    // 0/20 and 1/29 by github.com/petelaud/ratesci tests/testthat/test3.R ("Single proportion, examples from Newcombe 1998").
    [InlineData(81, 263, 0.2553, 0.3662)]
    [InlineData(15, 148, 0.0624, 0.1605)]
    [InlineData(0, 20, 0.0000, 0.1611)]
    [InlineData(1, 29, 0.0061, 0.1718)]
    public void Wilson_interval_matches_the_published_examples(long k, long n, double low, double high)
    {
        var i = Intervals.Wilson(k, n)!.Value;
        Assert.Equal((low, high), (Math.Round(i.Low, 4), Math.Round(i.High, 4)));
    }

    [Fact]
    public void Empty_groups_have_no_interval_and_bad_counts_are_refused()
    {
        Assert.Null(Intervals.Wilson(0, 0));
        Assert.Null(Intervals.NewcombeDifference(1, 10, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Intervals.Wilson(11, 10));
    }

    [Fact]
    public void Mean_difference_uses_welch_standard_error()
    {
        // Revenue per entry: treated 4 entries {10, 0, 0, 30}, held out 3 entries {0, 5, 0}.
        var treated = new Moments().Add(10).Add(0).Add(0).Add(30);
        var heldOut = new Moments().Add(0).Add(5).Add(0);
        var i = Intervals.MeanDifference(treated, heldOut)!.Value;
        // means 10 and 5/3; variances 200 and 25/3; se = sqrt(200/4 + (25/3)/3) = sqrt(52.7778) = 7.2648
        Assert.Equal(10 - 5.0 / 3, i.Estimate, 10);
        Assert.Equal(Math.Sqrt(200.0 / 4 + 25.0 / 9), (i.High - i.Estimate) / Distributions.Z95, 10);
        Assert.Null(Intervals.MeanDifference(new Moments().Add(1), heldOut));
    }

    [Theory]
    [InlineData(3.841458820694124, 1, 0.05)]
    [InlineData(5.991464547107979, 2, 0.05)]
    [InlineData(6.0, 2, 0.049787068367863944)]     // df 2: exactly e^(−x/2)
    [InlineData(7.023411371237458, 1, 0.008045081368196583)]   // df 1: erfc(√(x/2))
    [InlineData(18.307038053275146, 10, 0.05)]
    public void Chi_squared_survival_matches_reference_values(double x, int df, double p) =>
        Assert.Equal(p, Distributions.ChiSquaredSurvival(x, df), 9);

    [Theory]
    [InlineData(0.975, 1.959963984540054)]
    [InlineData(0.5, 0.0)]
    [InlineData(0.001, -3.090232306167813)]
    public void Normal_quantile_inverts_the_cdf(double p, double z)
    {
        Assert.Equal(z, Distributions.NormalQuantile(p), 9);
        Assert.Equal(p, Distributions.NormalCdf(z), 9);
    }
}
