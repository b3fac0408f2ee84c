namespace MarketingDsl.Runtime;

/// <summary>
/// The due index of segment re-checks (JourneyExecutor.Triggers.cs): per user, the earliest instant
/// at which a tracked segment can change by time alone. Users whose segments cannot change
/// without an event have no row. Written in the same transaction as the memberships it was
/// computed from; the runtime keeps a copy in memory (JourneyExecutor.Triggers.cs), from which the 00:00 check takes the users
/// whose due has come.
/// </summary>
public sealed partial class LiveStore
{
    /// <summary>Every user's due (the runtime's in-memory copy, read once and after a failed transaction).</summary>
    public List<(string User, long Due)> SegmentDues() => Rows("SELECT user, due FROM segment_due", r => (r.GetString(0), r.GetInt64(1)));

    public void ClearSegmentDues() => Execute("DELETE FROM segment_due");

    /// <summary>Sets the user's due; <see cref="long.MaxValue"/> removes it.</summary>
    public void SetSegmentDue(string user, long due)
    {
        if (due == long.MaxValue) Execute("DELETE FROM segment_due WHERE user = $0", user);
        else Execute("INSERT INTO segment_due (user, due) VALUES ($0, $1) ON CONFLICT (user) DO UPDATE SET due = excluded.due", user, due);
    }
}
