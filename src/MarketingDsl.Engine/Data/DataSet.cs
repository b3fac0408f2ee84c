using MarketingDsl.Core.Semantics;
using System.Runtime.CompilerServices;

namespace MarketingDsl.Engine.Data;

/// <summary>
/// Imported history in columnar form: one row per (merged) profile, users sorted by code point
/// order of their id, and per event type a CSR table of that type's events per user.
/// </summary>
public sealed class DataSet
{
    private readonly long[] _looseTsSorted;

    internal DataSet(SchemaModel schema, string[] userIds, ColumnTable profiles, EventTable?[] events, ImportReport report, long? maxTs,
        long[] looseTsSorted)
    {
        Schema = schema;
        UserIds = userIds;
        Profiles = profiles;
        Events = events;
        Report = report;
        MaxTimestampTicks = maxTs;
        _looseTsSorted = looseTsSorted;
    }

    public SchemaModel Schema { get; }
    public int UserCount => UserIds.Length;
    /// <summary>One per profile, sorted by <see cref="CodePointComparer"/>.</summary>
    public string[] UserIds { get; }
    /// <summary>Columns aligned with <see cref="SchemaModel.ProfileFields"/>; rows aligned with <see cref="UserIds"/>.</summary>
    public ColumnTable Profiles { get; }
    /// <summary>Aligned with <see cref="SchemaModel.Events"/>.</summary>
    public EventTable?[] Events { get; }
    public ImportReport Report { get; }

    /// <summary>The columns read (null: every column); the others are null, see <see cref="DataColumns"/>.</summary>
    public DataColumns? Columns { get; init; }

    /// <summary>The default as-of T: latest ts among all kept event rows (after de-duplication; all types, unknown
    /// types and orphans included); null without events.</summary>
    public long? MaxTimestampTicks { get; }

    /// <summary>Ts of the kept rows in no table (unknown types, orphans), sorted.</summary>
    internal long[] LooseTsSorted => _looseTsSorted;

    /// <summary>Index of a user id in <see cref="UserIds"/>, or a negative number.</summary>
    public int IndexOfUser(string userId) => Array.BinarySearch(UserIds, userId, CodePointComparer.Instance);

    /// <summary>
    /// Kept event rows (after de-duplication; all types incl. unknown types and orphans) with
    /// <c>ts &gt; asOfTicks</c>. Binary searches each user's sorted rows of each table, and one
    /// sorted array of the rows that are in no table.
    /// </summary>
    public long CountEventsAfter(long asOfTicks)
    {
        // The default as-of is the latest event: none after it, and no table to search (9M rows: a pass over every user's tables).
        if (MaxTimestampTicks is { } latest && asOfTicks >= latest) return 0;
        long n = _looseTsSorted.Length - UpperBound(_looseTsSorted, 0, _looseTsSorted.Length, asOfTicks);
        foreach (var t in Events)
        {
            if (t is null) continue;
            var ts = t.Ts;
            var starts = t.UserStart;
            for (var u = 0; u < UserCount; u++)
            {
                int lo = starts[u], hi = starts[u + 1];
                if (lo == hi || ts[hi - 1] <= asOfTicks) continue;
                n += hi - UpperBound(ts, lo, hi, asOfTicks);
            }
        }
        return n;
    }

    // Optimized from the first call (AggressiveOptimization): a one-shot run spends its rows here long before tiering would.
    /// <summary>First index in [lo, hi) with a[i] &gt; value (a sorted ascending).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int UpperBound(long[] a, int lo, int hi, long value)
    {
        // Most searches end at the last event (an as-of at or after it): no search then.
        if (lo < hi && a[hi - 1] <= value) return hi;
        while (lo < hi)
        {
            var mid = (int)(((uint)lo + (uint)hi) >> 1);
            if (a[mid] <= value) lo = mid + 1; else hi = mid;
        }
        return lo;
    }
}
