using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace MarketingDsl.Journeys;

/// <summary>
/// Stable assignment (LANGUAGE.md §15.6): the bucket of (user, journey, split) is u / 2^64, u the
/// first 8 bytes, big-endian unsigned, of SHA-256 over the UTF-8 bytes of
/// <c>user_id + "\u001F" + journey + "\u001F" + split</c>. The holdout uses the split name "".
/// </summary>
public static class StableBucket
{
    private const decimal TwoTo64 = 18446744073709551616m;

    /// <summary>The 64-bit prefix u.</summary>
    public static ulong Raw(string userId, string journey, string split)
    {
        var text = string.Concat(userId, "\u001F", journey, "\u001F", split);
        var bytes = Encoding.UTF8.GetBytes(text);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(bytes, hash);
        return BinaryPrimitives.ReadUInt64BigEndian(hash);
    }

    /// <summary>The bucket in [0, 1) (exact to decimal precision).</summary>
    public static decimal Of(string userId, string journey, string split) => Raw(userId, journey, split) / TwoTo64;

    /// <summary>bucket &lt; percent / 100, compared exactly: u · 100 &lt; percent · 2^64 (percent to 6 decimals, which
    /// a written percentage never exceeds).</summary>
    /// <remarks>In 128 bits (u · 10^8 &lt; 2^91; a scaled percent below 2^63 shifted by 64 stays below 2^127): every
    /// trigger of a journey with a holdout or split asks, and a big integer costs arrays.</remarks>
    public static bool Below(ulong raw, decimal percent)
    {
        var scaled = decimal.Truncate(percent * 1_000_000m);
        if (scaled <= 0) return false;   // u · 10^8 ≥ 0
        if (scaled >= 9_223_372_036_854_775_808m) return true;   // 2^63 · 2^64 exceeds any u · 10^8
        return (UInt128)raw * 100_000_000 < (UInt128)(ulong)scaled << 64;
    }

    /// <summary>The branch a bucket selects by cumulative shares (percentages summing to 100) in source order.</summary>
    public static int Branch(ulong raw, IReadOnlyList<decimal> percents)
    {
        var cumulative = 0m;
        for (var i = 0; i < percents.Count; i++)
        {
            cumulative += percents[i];
            if (Below(raw, cumulative)) return i;
        }
        return percents.Count - 1;
    }
}
