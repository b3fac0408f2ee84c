namespace MarketingDsl.Runtime;

/// <summary>
/// The due index of segment re-checks (JourneyExecutor.Triggers.cs): per user, the earliest instant
/// at which a tracked segment can change by time alone. Users whose segments cannot change
/// without an event have no row. Written in the same transaction as the memberships it was
/// computed from. The runtime reads a cached user's due by its key, and the 00:00 check pages through the users whose due
/// has come by the index on the due: nothing per member is kept in memory.
/// </summary>
public sealed partial class LiveStore
{
    /// <summary>Every user's due (tests and tools; the runtime reads by user and by due).</summary>
    public List<(string User, long Due)> SegmentDues() => Rows("SELECT user, due FROM segment_due", r => (r.GetString(0), r.GetInt64(1)));

    /// <summary>The user's due; <see cref="long.MaxValue"/> when the user has none.</summary>
    public long SegmentDueOf(string user) => Scalar("SELECT due FROM segment_due WHERE user = $0", user) is long due ? due : long.MaxValue;

    /// <summary>
    /// Up to <paramref name="limit"/> users whose due is at or before <paramref name="t"/>, in (due, user) order (text in code point
    /// order: SQLite compares it as UTF-8 bytes), after the (due, user) <paramref name="after"/> when given: a range of the index
    /// on the due, whose entries end with the user.
    /// </summary>
    public List<(string User, long Due)> UsersDueBy(long t, (long Due, string User)? after, int limit) => after is var (afterDue, afterUser)
        ? Rows("SELECT user, due FROM segment_due WHERE due <= $0 AND (due, user) > ($1, $2) ORDER BY due, user LIMIT $3",
            r => (r.GetString(0), r.GetInt64(1)), t, afterDue, afterUser, limit)
        : Rows("SELECT user, due FROM segment_due WHERE due <= $0 ORDER BY due, user LIMIT $1", r => (r.GetString(0), r.GetInt64(1)), t, limit);

    public void ClearSegmentDues() => Execute("DELETE FROM segment_due");

    /// <summary>Sets the user's due; <see cref="long.MaxValue"/> removes it.</summary>
    public void SetSegmentDue(string user, long due)
    {
        if (due == long.MaxValue) Execute("DELETE FROM segment_due WHERE user = $0", user);
        else Execute("INSERT INTO segment_due (user, due) VALUES ($0, $1) ON CONFLICT (user) DO UPDATE SET due = excluded.due", user, due);
    }
}
