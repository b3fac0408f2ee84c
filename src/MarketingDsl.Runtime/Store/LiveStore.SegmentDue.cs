namespace MarketingDsl.Runtime;

/// <summary>
/// The due index of segment re-checks (JourneyExecutor.Triggers.cs): per user, the earliest instant
/// at which a tracked segment can change by time alone. Users whose segments cannot change
/// without an event have no row. Written in the same transaction as the memberships it was
/// computed from; the 00:00 check reads the users whose due has come through the index on `due`.
/// </summary>
public sealed partial class LiveStore
{
    /// <summary>Every user's due (the runtime's in-memory copy, read once and after a failed transaction).</summary>
    public List<(string User, long Due)> SegmentDues() => Rows("SELECT user, due FROM segment_due", r => (r.GetString(0), r.GetInt64(1)));

    /// <summary>The users whose due is at or before <paramref name="t"/>, in ordinal order.</summary>
    public List<string> SegmentDueUsers(long t)
    {
        var users = Rows("SELECT user FROM segment_due WHERE due <= $0", r => r.GetString(0), t);
        users.Sort(StringComparer.Ordinal);   // SQLite orders UTF-8 bytes, the runtime UTF-16 code units
        return users;
    }

    public void ClearSegmentDues() => Execute("DELETE FROM segment_due");

    /// <summary>Sets the user's due; <see cref="long.MaxValue"/> removes it.</summary>
    public void SetSegmentDue(string user, long due)
    {
        if (due == long.MaxValue) Execute("DELETE FROM segment_due WHERE user = $0", user);
        else Execute("INSERT INTO segment_due (user, due) VALUES ($0, $1) ON CONFLICT (user) DO UPDATE SET due = excluded.due", user, due);
    }
}
