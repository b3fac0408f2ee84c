namespace MarketingDsl.Models.Scoring;

/// <summary>
/// The one rounding of model outputs into the decimals tags hold (batch and live alike): a probability
/// and a distance to six decimals, a value to two, half away from zero, with no trailing zeros
/// (0.5, not 0.500000). Built from the rounded integer, as converting a float to decimal is slow
/// enough to dominate scoring.
/// </summary>
public static class OutputValues
{
    /// <summary>A probability clamped to [0, 1], six decimals; null for NaN.</summary>
    public static decimal? Probability(float score) =>
        float.IsNaN(score) ? null : Rounded(Math.Clamp((double)score, 0, 1), 6);

    /// <summary>A regression's value clamped to the training labels' range, two decimals; null for NaN.</summary>
    public static decimal? Value(float score, double min, double max) =>
        float.IsNaN(score) ? null : Rounded(Math.Clamp(score, min, max), 2);

    /// <summary>A distance to a centroid, six decimals; null when not finite.</summary>
    public static decimal? Distance(double distance) => double.IsFinite(distance) ? Rounded(distance, 6) : null;

    private static readonly double[] Powers = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6];

    private static decimal? Rounded(double x, int decimals)
    {
        var scaled = Math.Round(x * Powers[decimals], MidpointRounding.AwayFromZero);
        // Beyond what a long holds (a regression trained on huge labels): the slow, general conversion.
        if (!(Math.Abs(scaled) < 9e18)) return double.IsFinite(x) ? Math.Round((decimal)x, decimals, MidpointRounding.AwayFromZero) : null;
        var units = (long)scaled;
        var scale = (byte)decimals;
        while (scale > 0 && units % 10 == 0) { units /= 10; scale--; }
        var magnitude = (ulong)Math.Abs(units);
        return new decimal((int)(uint)magnitude, (int)(uint)(magnitude >> 32), 0, units < 0, scale);
    }
}
