using JsonSerializer = System.Text.Json.JsonSerializer;

namespace MarketingDsl.Runtime;

/// <summary>A journey state ended by the runtime rather than by the journey (a new workspace version).</summary>
public sealed record JourneyEnd(string Journey, string User, long At, string Reason, string Detail);

/// <summary>Schedule and segment triggers (segment membership per user), journey shapes and the log of journey states ended by a reload.</summary>
public sealed partial class LiveStore
{
    /// <summary>
    /// Up to <paramref name="limit"/> users with a stored profile after <paramref name="after"/> ("": from the first), in code point
    /// order (SQLite compares text as UTF-8 bytes): a range of the profiles' key, so a fan-out pages through the members without
    /// holding their ids.
    /// </summary>
    public List<string> ProfileIdsAfter(string after, int limit) =>
        Rows("SELECT user FROM profiles WHERE user > $0 ORDER BY user LIMIT $1", r => r.GetString(0), after, limit);

    /// <summary>The user's last evaluated membership of the segment; null before the first evaluation.</summary>
    public bool? Membership(string segment, string user) =>
        Scalar("SELECT member FROM segment_members WHERE segment = $0 AND user = $1", segment, user) is long member ? member != 0 : null;

    public void SetMembership(string segment, string user, bool member) =>
        Execute("INSERT INTO segment_members (segment, user, member) VALUES ($0, $1, $2) ON CONFLICT (segment, user) DO UPDATE SET " +
            "member = excluded.member",
            segment, user, member ? 1 : 0);

    /// <summary>Segments whose membership is tracked (some journey triggers on entering or leaving them).</summary>
    public HashSet<string> Armed() => [.. Rows("SELECT segment FROM segments_armed", r => r.GetString(0))];

    public void Arm(string segment) => Execute("INSERT OR IGNORE INTO segments_armed (segment) VALUES ($0)", segment);

    /// <summary>Stops tracking a segment and forgets its memberships (tracking again starts afresh).</summary>
    public void Disarm(string segment)
    {
        Execute("DELETE FROM segments_armed WHERE segment = $0", segment);
        Execute("DELETE FROM segment_members WHERE segment = $0", segment);
    }

    /// <summary>Per journey, the shape of the version installed last.</summary>
    public Dictionary<string, JourneyShape> JourneyShapes() =>
        Rows("SELECT journey, json FROM journey_shapes", r => (r.GetString(0), r.GetString(1)))
            .ToDictionary(p => p.Item1, p => JsonSerializer.Deserialize<JourneyShape>(p.Item2)!, StringComparer.Ordinal);

    public void SetJourneyShape(string journey, JourneyShape shape) =>
        Execute("INSERT INTO journey_shapes (journey, json) VALUES ($0, $1) ON CONFLICT (journey) DO UPDATE SET json = excluded.json",
            journey, JsonSerializer.Serialize(shape));

    public void DeleteJourneyShape(string journey) => Execute("DELETE FROM journey_shapes WHERE journey = $0", journey);

    public void AddEnd(JourneyEnd end) =>
        Execute("INSERT INTO journey_ends (journey, user, at, reason, detail) VALUES ($0, $1, $2, $3, $4)", end.Journey, end.User, end.At,
            end.Reason, end.Detail);

    public List<JourneyEnd> JourneyEnds() =>
        Rows("SELECT journey, user, at, reason, detail FROM journey_ends ORDER BY seq",
            r => new JourneyEnd(r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetString(3), r.GetString(4)));
}
