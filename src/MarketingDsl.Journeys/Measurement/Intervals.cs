namespace MarketingDsl.Journeys.Measurement;

/// <summary>A two-sided interval [Low, High] around an estimate.</summary>
public readonly record struct Interval(double Estimate, double Low, double High)
{
    /// <summary>The interval lies wholly above or below zero.</summary>
    public bool ExcludesZero => Low > 0 || High < 0;
}

/// <summary>
/// Confidence intervals of rates and their differences: Wilson's score interval for one
/// proportion and Newcombe's hybrid score interval (method 10 of Newcombe 1998, "Interval
/// estimation for the difference between independent proportions") for a difference, both
/// without continuity correction; a normal (Welch) interval for a difference of means.
/// </summary>
public static class Intervals
{
    /// <summary>The Wilson score interval of k successes in n trials; null when n = 0.</summary>
    public static Interval? Wilson(long k, long n, double z = Distributions.Z95)
    {
        if (n <= 0) return null;
        if (k < 0 || k > n) throw new ArgumentOutOfRangeException(nameof(k), "successes must lie in 0..n");
        var p = (double)k / n;
        var z2 = z * z;
        var centre = p + z2 / (2 * n);
        var spread = z * Math.Sqrt(p * (1 - p) / n + z2 / (4.0 * n * n));
        var denominator = 1 + z2 / n;
        // At k = 0 and k = n the bounds are exactly 0 and 1 (rounding would leave ±1e-17).
        var low = k == 0 ? 0 : (centre - spread) / denominator;
        var high = k == n ? 1 : (centre + spread) / denominator;
        return new Interval(p, low, high);
    }

    /// <summary>
    /// Newcombe's hybrid score interval of p1 − p2 (k1/n1 − k2/n2): from the Wilson limits
    /// (l1, u1), (l2, u2), δ − √((p1 − l1)² + (u2 − p2)²) to δ + √((u1 − p1)² + (p2 − l2)²).
    /// Null when either group is empty.
    /// </summary>
    public static Interval? NewcombeDifference(long k1, long n1, long k2, long n2, double z = Distributions.Z95)
    {
        if (Wilson(k1, n1, z) is not { } a || Wilson(k2, n2, z) is not { } b) return null;
        var d = a.Estimate - b.Estimate;
        var low = d - Math.Sqrt(Square(a.Estimate - a.Low) + Square(b.High - b.Estimate));
        var high = d + Math.Sqrt(Square(a.High - a.Estimate) + Square(b.Estimate - b.Low));
        return new Interval(d, low, high);
    }

    /// <summary>
    /// The difference of two means with a normal interval on Welch's standard error, from each
    /// group's count, sum and sum of squares (revenue per entry: most entries are zero). Null when
    /// a group has fewer than two observations.
    /// </summary>
    public static Interval? MeanDifference(Moments a, Moments b, double z = Distributions.Z95)
    {
        if (a.Count < 2 || b.Count < 2) return null;
        var d = a.Mean - b.Mean;
        var se = Math.Sqrt(a.Variance / a.Count + b.Variance / b.Count);
        return new Interval(d, d - z * se, d + z * se);
    }

    private static double Square(double x) => x * x;
}

/// <summary>Count, sum and sum of squares of a sample: its mean and (n − 1) variance, mergeable.</summary>
public readonly record struct Moments(long Count, double Sum, double SumOfSquares)
{
    public double Mean => Count == 0 ? 0 : Sum / Count;
    public double Variance => Count < 2 ? 0 : Math.Max(0, (SumOfSquares - Sum * Sum / Count) / (Count - 1));
    public Moments Add(double x) => new(Count + 1, Sum + x, SumOfSquares + x * x);
    /// <summary>Adds <paramref name="n"/> observations of zero.</summary>
    public Moments AddZeros(long n) => this with { Count = Count + n };
}
