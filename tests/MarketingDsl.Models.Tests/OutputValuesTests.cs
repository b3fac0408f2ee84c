using System.Globalization;
using MarketingDsl.Models.Scoring;

namespace MarketingDsl.Models.Tests;

/// <summary>The one rounding of model outputs: decimals as written in tags.csv, the same in batch and live.</summary>
public sealed class OutputValuesTests
{
    [Theory]
    [InlineData(0.5f, "0.5")]
    [InlineData(1f, "1")]
    [InlineData(0f, "0")]
    [InlineData(-0.25f, "0")]          // clamped
    [InlineData(1.5f, "1")]
    [InlineData(0.0000004f, "0")]
    [InlineData(0.0000006f, "0.000001")]
    [InlineData(0.123456789f, "0.123457")]
    [InlineData(0.1000001f, "0.1")]    // no trailing zeros
    public void Probabilities_have_six_decimals_at_most(float score, string expected) =>
        Assert.Equal(expected, OutputValues.Probability(score)!.Value.ToString(CultureInfo.InvariantCulture));

    [Theory]
    [InlineData(1234.5f, 0, 1e6, "1234.5")]
    [InlineData(-3.2f, 0, 1e6, "0")]           // kept inside the training labels
    [InlineData(99.999f, 0, 1e6, "100")]
    [InlineData(-12.345f, -100, 100, "-12.35")] // half away from zero
    [InlineData(3e15f, 0, 1e18, "3000000028082176")]   // the float nearest 3e15
    [InlineData(3e18f, 0, 1e30, "2999999884200770000")] // beyond a long's cents: decimal's conversion (15 digits)
    public void Values_have_two_decimals_at_most(float score, double min, double max, string expected) =>
        Assert.Equal(expected, OutputValues.Value(score, min, max)!.Value.ToString(CultureInfo.InvariantCulture));

    [Fact]
    public void Not_a_number_is_null()
    {
        Assert.Null(OutputValues.Probability(float.NaN));
        Assert.Null(OutputValues.Value(float.NaN, 0, 1));
        Assert.Null(OutputValues.Distance(double.PositiveInfinity));
        Assert.Equal("1.414214", OutputValues.Distance(Math.Sqrt(2))!.Value.ToString(CultureInfo.InvariantCulture));
    }
}
