using System.Globalization;

namespace MarketingDsl.Cli;

/// <summary>`simulate --memory-limit SIZE`: how much memory a run may take before its import is split into partitions.</summary>
public static class MemoryLimitOption
{
    /// <summary>Without the option: three quarters of the memory this process may use (the machine's, or its container's limit).</summary>
    public static long Default => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4 * 3;

    /// <summary>Bytes of <c>2g</c>, <c>512m</c>, <c>300k</c>, <c>1.5g</c> or a plain number of bytes (k, m, g, t are
    /// powers of 1024; a trailing b is allowed).</summary>
    public static long Parse(string text)
    {
        var t = text.Trim().ToLowerInvariant();
        if (t.EndsWith('b') && t.Length > 1 && !char.IsDigit(t[^2])) t = t[..^1];
        var unit = t.Length > 0 ? t[^1] switch { 'k' => 1L << 10, 'm' => 1L << 20, 'g' => 1L << 30, 't' => 1L << 40, _ => 1L } : 1L;
        if (unit > 1) t = t[..^1];
        // Compared before multiplying: a number near decimal's own maximum times a unit overflows decimal itself.
        if (!decimal.TryParse(t, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number) || number <= 0
            || number > long.MaxValue / unit)
            throw new UsageException($"--memory-limit takes a size such as 2g, 512m or 300k, not '{text}'");
        return Math.Max(1, (long)(number * unit));
    }
}
