namespace MarketingDsl.Journeys.Measurement;

/// <summary>
/// The distribution functions the results need: the standard normal (cdf, quantile) and the
/// chi-squared survival function through the regularised incomplete gamma function. Pure, in
/// double precision; statistics are reported to 4 decimals, far above their error.
/// </summary>
public static class Distributions
{
    /// <summary>z with Φ(z) = 0.975: the two-sided 95% normal quantile.</summary>
    public const double Z95 = 1.959963984540054;

    /// <summary>Φ(z), the standard normal cdf.</summary>
    public static double NormalCdf(double z)
    {
        if (double.IsNaN(z)) return double.NaN;
        // Φ(z) = ½·erfc(−z/√2) and erfc(x) = Q(½, x²) for x ≥ 0.
        var x = Math.Abs(z) / Math.Sqrt(2);
        var tail = 0.5 * UpperGamma(0.5, x * x);
        return z >= 0 ? 1 - tail : tail;
    }

    /// <summary>Φ⁻¹(p): Acklam's rational approximation refined by one Halley step (error below 1e-12).</summary>
    public static double NormalQuantile(double p)
    {
        if (p <= 0) return double.NegativeInfinity;
        if (p >= 1) return double.PositiveInfinity;
        double[] a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01,
            2.506628277459239e+00];
        double[] b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01];
        double[] c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00,
            2.938163982698783e+00];
        double[] d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];
        const double low = 0.02425;
        double x;
        if (p < low)
        {
            var q = Math.Sqrt(-2 * Math.Log(p));
            x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }
        else if (p <= 1 - low)
        {
            var q = p - 0.5;
            var r = q * q;
            x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r
                + b[3]) * r + b[4]) * r + 1);
        }
        else
        {
            var q = Math.Sqrt(-2 * Math.Log(1 - p));
            x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }
        var e = NormalCdf(x) - p;
        var u = e * Math.Sqrt(2 * Math.PI) * Math.Exp(x * x / 2);
        return x - u / (1 + x * u / 2);
    }

    /// <summary>P(X ≥ x) for X ~ χ²(df).</summary>
    public static double ChiSquaredSurvival(double x, int df)
    {
        if (df < 1) throw new ArgumentOutOfRangeException(nameof(df));
        if (x <= 0) return 1;
        return UpperGamma(df / 2.0, x / 2);
    }

    /// <summary>Q(a, x) = Γ(a, x)/Γ(a), by its series below a + 1 and its continued fraction above (Numerical Recipes §6.2).</summary>
    public static double UpperGamma(double a, double x)
    {
        if (x <= 0) return 1;
        if (x < a + 1)
        {
            double sum = 1 / a, term = sum, ap = a;
            for (var n = 0; n < 1000; n++)
            {
                ap++;
                term *= x / ap;
                sum += term;
                if (Math.Abs(term) < Math.Abs(sum) * 1e-16) break;
            }
            return 1 - sum * Math.Exp(-x + a * Math.Log(x) - LogGamma(a));
        }
        const double tiny = 1e-300;
        double bb = x + 1 - a, cc = 1 / tiny, dd = 1 / bb, h = dd;
        for (var i = 1; i < 1000; i++)
        {
            var an = -i * (i - a);
            bb += 2;
            dd = an * dd + bb;
            if (Math.Abs(dd) < tiny) dd = tiny;
            cc = bb + an / cc;
            if (Math.Abs(cc) < tiny) cc = tiny;
            dd = 1 / dd;
            var delta = dd * cc;
            h *= delta;
            if (Math.Abs(delta - 1) < 1e-16) break;
        }
        return Math.Exp(-x + a * Math.Log(x) - LogGamma(a)) * h;
    }

    /// <summary>ln Γ(x) for x &gt; 0 (Lanczos, g = 7, n = 9).</summary>
    public static double LogGamma(double x)
    {
        double[] g = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
            12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
        if (x < 0.5) return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * x))) - LogGamma(1 - x);
        x -= 1;
        var sum = g[0];
        for (var i = 1; i < g.Length; i++) sum += g[i] / (x + i);
        var t = x + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(sum);
    }
}
