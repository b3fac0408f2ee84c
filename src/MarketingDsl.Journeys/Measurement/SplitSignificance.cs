namespace MarketingDsl.Journeys.Measurement;

/// <summary>Why a `winner after` decision kept the split, or that it chose one.</summary>
public enum WinnerReason { Significant, NoArrivals, SampleRatioMismatch, NotSignificant }

/// <summary>A `winner after` decision: the winning branch (0-based) or null with the reason the split stays.</summary>
public sealed record WinnerDecision(int? Winner, WinnerReason Reason, int Best, double SequentialPValue, double SampleRatioPValue)
{
    public string ReasonText => Reason switch
    {
        WinnerReason.Significant => $"branch {Best + 1} has the highest goal rate and the sequential test rejects equal rates (p = " +
            $"{SequentialPValue:0.####})",
        WinnerReason.NoArrivals => "no treated arrivals at the split yet",
        WinnerReason.SampleRatioMismatch
            => $"arrivals per branch do not match the declared shares (sample ratio mismatch, p = {SampleRatioPValue:0.######}): the " +
                $"assignment is suspect",
        _ => $"branch {Best + 1} leads but the difference is not significant yet (sequential p = {SequentialPValue:0.####} ≥ " +
            $"{SplitSignificance.Alpha})",
    };
}

/// <summary>
/// Tests of a split's branches on their goal rates: a fixed-horizon chi-squared test of
/// independence; a sequential test whose error rate holds however often it is looked at (an
/// asymptotic confidence sequence for the difference of two rates, as GrowthBook's frequentist
/// engine uses, after Howard et al. 2021 and Waudby-Smith et al. 2023); and a sample-ratio-mismatch
/// check of arrivals against the declared shares.
/// </summary>
public static class SplitSignificance
{
    /// <summary>The error rate of every test here.</summary>
    public const double Alpha = 0.05;
    /// <summary>A sample ratio mismatch is flagged below this p-value (a strict bound: a broken assignment gives p far smaller).</summary>
    public const double SampleRatioAlpha = 0.001;
    /// <summary>The sample size (both branches) at which the confidence sequence is tightest; GrowthBook's default.</summary>
    public const double TuningSampleSize = 5000;

    /// <summary>Pearson's chi-squared test of independence on the k×2 table (converted, not converted) per branch: (statistic, df, p).</summary>
    public static (double Statistic, int Df, double P)? ChiSquared(IReadOnlyList<long> entered, IReadOnlyList<long> converted)
    {
        var used = Enumerable.Range(0, entered.Count).Where(b => entered[b] > 0).ToList();
        if (used.Count < 2) return null;
        double n = used.Sum(b => entered[b]), k = used.Sum(b => converted[b]);
        if (k == 0 || k == n) return (0, used.Count - 1, 1);
        double statistic = 0;
        foreach (var b in used)
        {
            var expectedYes = entered[b] * k / n;
            var expectedNo = entered[b] * (n - k) / n;
            statistic += Square(converted[b] - expectedYes) / expectedYes + Square(entered[b] - converted[b] - expectedNo) / expectedNo;
        }
        return (statistic, used.Count - 1, Distributions.ChiSquaredSurvival(statistic, used.Count - 1));
    }

    /// <summary>The chi-squared goodness-of-fit p-value of arrivals per branch against the declared shares (percentages); 1 when nothing
    /// arrived.</summary>
    public static double SampleRatioPValue(IReadOnlyList<long> entered, IReadOnlyList<decimal> sharesPercent)
    {
        double n = entered.Sum();
        if (n == 0) return 1;
        double statistic = 0;
        var df = -1;
        for (var b = 0; b < entered.Count; b++)
        {
            var expected = n * (double)sharesPercent[b] / 100;
            if (expected <= 0) { if (entered[b] > 0) return 0; continue; }
            statistic += Square(entered[b] - expected) / expected;
            df++;
        }
        return df < 1 ? 1 : Distributions.ChiSquaredSurvival(statistic, df);
    }

    /// <summary>
    /// The (1 − α) confidence sequence of rate A − rate B: valid at every look simultaneously, so a
    /// decision taken at any look (daily, or whenever) keeps its error rate. The variance uses one
    /// added success and failure per group (Agresti–Caffo) so that tiny groups with no conversions
    /// do not look certain. Null when a group is empty.
    /// </summary>
    public static Interval? SequentialDifference(long convertedA, long enteredA, long convertedB, long enteredB, double alpha = Alpha)
    {
        if (enteredA <= 0 || enteredB <= 0) return null;
        var d = (double)convertedA / enteredA - (double)convertedB / enteredB;
        var half = HalfWidth(Variance(convertedA, enteredA, convertedB, enteredB), enteredA + enteredB, alpha);
        return new Interval(d, d - half, d + half);
    }

    /// <summary>The always-valid p-value of equal rates: the smallest α whose confidence sequence excludes zero.</summary>
    public static double SequentialPValue(long convertedA, long enteredA, long convertedB, long enteredB)
    {
        if (enteredA <= 0 || enteredB <= 0) return 1;
        var d = (double)convertedA / enteredA - (double)convertedB / enteredB;
        double n = enteredA + enteredB, s2 = Variance(convertedA, enteredA, convertedB, enteredB) * n, rho2 = Rho2(Alpha);
        // Solve |d| = √s2·√(2(nρ²+1)/(n²ρ²)·ln(√(nρ²+1)/α)) for α.
        var logAlpha = 0.5 * Math.Log(n * rho2 + 1) - d * d * n * n * rho2 / (2 * s2 * (n * rho2 + 1));
        return Math.Min(1, Math.Exp(logAlpha));
    }

    /// <summary>
    /// The decision of a `winner after` split at a look: the branch with the highest goal rate wins
    /// only when arrivals match the shares and the sequential test separates it from every other
    /// branch (each comparison at α/(k − 1)); otherwise the split stays, with the reason.
    /// </summary>
    public static WinnerDecision DecideWinner(IReadOnlyList<long> entered, IReadOnlyList<long> converted, IReadOnlyList<decimal> sharesPercent)
    {
        var best = 0;
        for (var b = 1; b < entered.Count; b++)
            if (Rate(converted[b], entered[b]) > Rate(converted[best], entered[best])) best = b;
        var srm = SampleRatioPValue(entered, sharesPercent);
        if (entered.Sum() == 0) return new WinnerDecision(null, WinnerReason.NoArrivals, best, 1, srm);
        if (srm < SampleRatioAlpha) return new WinnerDecision(null, WinnerReason.SampleRatioMismatch, best, 1, srm);
        var comparisons = Math.Max(1, entered.Count - 1);
        double worst = 0;
        for (var b = 0; b < entered.Count; b++)
        {
            if (b == best) continue;
            worst = Math.Max(worst, Math.Min(1, SequentialPValue(converted[best], entered[best], converted[b], entered[b]) * comparisons));
        }
        return worst < Alpha
            ? new WinnerDecision(best, WinnerReason.Significant, best, worst, srm)
            : new WinnerDecision(null, WinnerReason.NotSignificant, best, worst, srm);
    }

    private static double Rate(long k, long n) => n == 0 ? -1 : (double)k / n;

    private static double Variance(long ka, long na, long kb, long nb)
    {
        double pa = (ka + 1.0) / (na + 2.0), pb = (kb + 1.0) / (nb + 2.0);
        return pa * (1 - pa) / na + pb * (1 - pb) / nb;
    }

    /// <summary>The mixture's ρ², tuned once for the design <see cref="Alpha"/> (GrowthBook's choice), so sequences at other α nest.</summary>
    private static double Rho2(double alpha) => (-2 * Math.Log(alpha) + Math.Log(-2 * Math.Log(alpha) + 1)) / TuningSampleSize;

    private static double HalfWidth(double varianceOfDifference, double n, double alpha)
    {
        var rho2 = Rho2(Alpha);
        var s2 = varianceOfDifference * n;
        return Math.Sqrt(s2) * Math.Sqrt(2 * (n * rho2 + 1) / (n * n * rho2) * Math.Log(Math.Sqrt(n * rho2 + 1) / alpha));
    }

    private static double Square(double x) => x * x;
}
