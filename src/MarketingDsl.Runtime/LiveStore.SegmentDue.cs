using LiteDB;

namespace MarketingDsl.Runtime;

/// <summary>
/// The due index of segment re-checks (LiveRuntime.Triggers.cs): per user, the earliest instant
/// at which a tracked segment can change by time alone. Users whose segments cannot change
/// without an event have no entry. The runtime holds the index in memory, sorted; this is its
/// durable copy, written in the same transaction as the memberships it was computed from.
/// </summary>
public sealed partial class LiveStore
{
    private ILiteCollection<BsonDocument> SegmentDueCollection => _db.GetCollection("segment_due");

    public List<(string User, long Due)> SegmentDues() =>
        [.. SegmentDueCollection.FindAll().Select(d => (d["_id"].AsString, d["due"].AsInt64))];

    /// <summary>Sets the user's due; <see cref="long.MaxValue"/> removes it.</summary>
    public void SetSegmentDue(string user, long due)
    {
        if (due == long.MaxValue) SegmentDueCollection.Delete(user);
        else SegmentDueCollection.Upsert(new BsonDocument { ["_id"] = user, ["due"] = due });
    }
}
