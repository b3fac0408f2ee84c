using System.Globalization;

namespace MarketingDsl.Web.Simulations;

/// <summary>The as-of instant of a run as the user typed it: ISO-8601, UTC unless an offset is given; empty = the latest event.</summary>
public static class AsOfInstant
{
    /// <summary>Parses like `mdsl simulate --as-of` (truncated to microseconds, as the importer stores timestamps).</summary>
    /// <exception cref="FormatException">The text is not an instant.</exception>
    public static DateTime? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var trimmed = text.Trim();
        // DateTimeOffset also accepts forms like "1/2/2025"; an instant here starts with a four-digit year.
        if (trimmed.Length < 10 || !char.IsAsciiDigit(trimmed[0]) || trimmed[4] != '-'
            || !DateTimeOffset.TryParse(trimmed, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
            throw new FormatException($"The as-of instant must be ISO-8601, such as 2025-06-30T00:00:00Z, not '{text}'.");
        return new DateTime(parsed.UtcTicks - parsed.UtcTicks % 10, DateTimeKind.Utc);
    }
}
