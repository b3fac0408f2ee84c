using MarketingDsl.Journeys.Measurement;

namespace MarketingDsl.Journeys.Tests.Measurement;

/// <summary>
/// Intervals against published values: Newcombe 1998a ("Two-sided confidence intervals for the
/// single proportion", Statistics in Medicine 17:857–872, Table I, method 3: Wilson without
/// continuity correction) and Newcombe 1998b ("Interval estimation for the difference between
/// independent proportions", Statistics in Medicine 17:873–890, Table II, method 10, examples (a)–(h)).
/// </summary>
public sealed class IntervalTests
{
    public static TheoryData<long, long, long, long, double, double> Newcombe1998Method10 => new()
    {
        { 56, 70, 48, 80, 0.0524, 0.3339 },
        { 9, 10, 3, 10, 0.1705, 0.8090 },
        { 6, 7, 2, 7, 0.0582, 0.8062 },
        { 5, 56, 0, 29, -0.0381, 0.1926 },
        { 0, 10, 0, 20, -0.1611, 0.2775 },
        { 0, 10, 0, 10, -0.2775, 0.2775 },
        { 10, 10, 0, 20, 0.6791, 1.0000 },
        { 10, 10, 0, 10, 0.6075, 1.0000 },
    };

    [Theory]
    [MemberData(nameof(Newcombe1998Method10))]
    public void Newcombe_hybrid_score_interval_matches_the_published_examples(long k1, long n1, long k2, long n2, double low, double high)
    {
        var i = Intervals.NewcombeDifference(k1, n1, k2, n2)!.Value;
        Assert.Equal((double)k1 / n1 - (double)k2 / n2, i.Estimate, 12);
        Assert.Equal(low, Math.Round(i.Low, 4));
        Assert.Equal(high, Math.Round(i.High, 4));
    }

    [Theory]
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
