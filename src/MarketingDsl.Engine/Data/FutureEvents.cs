using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Core.Diagnostics.Catalogues;

namespace MarketingDsl.Engine.Data;

/// <summary>
/// The rule shared by the batch import and the live runtime for events dated in the future: an
/// event whose `ts` is more than a skew ahead of the reader's wall clock is rejected (with
/// <see cref="Reject"/>), never kept. A client's word must not move time: live, such an event would
/// advance the runtime's clock and fire every timer and schedule up to it; in a batch it would
/// become the default as-of instant of `simulate` and age every user silently.
/// </summary>
public static class FutureEvents
{
    /// <summary>How far ahead of the wall clock an event may be (clock drift between client and server).</summary>
    public static readonly TimeSpan DefaultMaxSkew = TimeSpan.FromMinutes(5);

    /// <summary>The latest acceptable event instant (UTC ticks) at wall clock <paramref name="now"/>; a skew past the
    /// calendar's end means no limit.</summary>
    public static long Limit(DateTimeOffset now, TimeSpan maxSkew)
    {
        var nowTicks = now.UtcTicks;
        return maxSkew.Ticks >= DateTime.MaxValue.Ticks - nowTicks ? DateTime.MaxValue.Ticks : nowTicks + Math.Max(0, maxSkew.Ticks);
    }

    /// <summary>Null when <paramref name="ts"/> is at or before <paramref name="limit"/>, else the reject (MD9541).</summary>
    public static RowReject? Reject(long ts, long limit) => ts <= limit ? null : RowRejects.FutureEvent(Iso(ts), Iso(limit));

    /// <summary>True when a reject is <see cref="Reject"/>'s (a row that may be accepted at a later wall clock).</summary>
    public static bool IsReject(RowReject reject) => reject.Code == s_code;

    private static readonly string s_code = RowRejects.FutureEvent("", "").Code;

    private static string Iso(long ticks) =>
        new DateTime(ticks, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
