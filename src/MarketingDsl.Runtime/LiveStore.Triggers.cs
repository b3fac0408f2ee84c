using LiteDB;

namespace MarketingDsl.Runtime;

/// <summary>A journey state ended by the runtime rather than by the journey (a new workspace version).</summary>
public sealed record JourneyEnd(string Journey, string User, long At, string Reason, string Detail);

/// <summary>Schedule and segment triggers (segment membership per user) and the log of journey states ended by a reload.</summary>
public sealed partial class LiveStore
{
    private ILiteCollection<BsonDocument> Members => _db.GetCollection("segment_members");
    private ILiteCollection<BsonDocument> ArmedSegments => _db.GetCollection("segments_armed");
    private ILiteCollection<BsonDocument> Ends => _db.GetCollection("journey_ends");

    /// <summary>Every user with a stored profile, in ordinal order.</summary>
    public List<string> ProfileIds() => [.. Profiles.FindAll().Select(d => d["_id"].AsString).Order(StringComparer.Ordinal)];

    private static string MemberKey(string segment, string user) => segment + "\u001F" + user;

    /// <summary>The user's last evaluated membership of the segment; null before the first evaluation.</summary>
    public bool? Membership(string segment, string user) => Members.FindById(MemberKey(segment, user))?["member"].AsBoolean;

    public void SetMembership(string segment, string user, bool member) =>
        Members.Upsert(new BsonDocument { ["_id"] = MemberKey(segment, user), ["segment"] = segment, ["member"] = member });

    /// <summary>Segments whose membership is tracked (some journey triggers on entering or leaving them).</summary>
    public HashSet<string> Armed() => [.. ArmedSegments.FindAll().Select(d => d["_id"].AsString)];

    public void Arm(string segment) => ArmedSegments.Upsert(new BsonDocument { ["_id"] = segment });

    /// <summary>Stops tracking a segment and forgets its memberships (tracking again starts afresh).</summary>
    public void Disarm(string segment)
    {
        ArmedSegments.Delete(segment);
        Members.DeleteMany(Eq("segment", segment));
    }

    public List<StoredTimer> TimersOfKind(string kind) => [.. Timers.Find(Eq("kind", kind)).Select(ToTimer)];

    private ILiteCollection<BsonDocument> Shapes => _db.GetCollection("journey_shapes");

    /// <summary>Per journey, the shape of the version installed last.</summary>
    public Dictionary<string, JourneyShape> JourneyShapes() =>
        Shapes.FindAll().ToDictionary(d => d["_id"].AsString, d => System.Text.Json.JsonSerializer.Deserialize<JourneyShape>(d["json"].AsString)!, StringComparer.Ordinal);

    public void SetJourneyShape(string journey, JourneyShape shape) =>
        Shapes.Upsert(new BsonDocument { ["_id"] = journey, ["json"] = System.Text.Json.JsonSerializer.Serialize(shape) });

    public void DeleteJourneyShape(string journey) => Shapes.Delete(journey);

    public void AddEnd(JourneyEnd end) => Ends.Insert(new BsonDocument
    {
        ["journey"] = end.Journey, ["user"] = end.User, ["at"] = end.At, ["reason"] = end.Reason, ["detail"] = end.Detail,
    });

    public List<JourneyEnd> JourneyEnds() =>
        [.. Ends.FindAll().Select(d => new JourneyEnd(d["journey"].AsString, d["user"].AsString, d["at"].AsInt64, d["reason"].AsString, d["detail"].AsString))];
}
