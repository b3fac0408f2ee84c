namespace MarketingDsl.Runtime;

/// <summary>
/// The stored events: one row each in `events`, keyed by sequence number (the order of
/// arrival, so rows append), with two indexes: (type, id) UNIQUE for the dedupe of ingest — a
/// resent event is found by one index lookup, whatever the store holds, and no id costs memory
/// — and user for a user's history (an index entry ends with the row's key, the sequence number,
/// so a user's entries are in arrival order). A row holds one event, so a large batch or a user
/// with a long history meets no size limit of its own; one event's JSON is bounded by
/// <see cref="MaxEventBytes"/> (the runtime rejects a larger one as an item of its batch).
/// </summary>
public sealed partial class LiveStore
{
    /// <summary>The largest event (its JSON, UTF-8 bytes) the store accepts: a larger one is rejected per item.</summary>
    public const int MaxEventBytes = 1 << 20;

    public bool HasEvent(string type, string id) => Scalar("SELECT 1 FROM events WHERE type = $0 AND id = $1", type, id) is not null;

    /// <summary>Stores an event in the open transaction; returns its sequence number (the order of arrival).</summary>
    public long AddEvent(string type, string? id, string user, long ts, string json) => AddEvent(type, id, user, ts, (object)json);

    /// <summary>Stores an event given as the UTF-8 bytes it came as (bound as text, never copied through a string).</summary>
    public long AddEvent(string type, string? id, string user, long ts, ReadOnlyMemory<byte> json) => AddEvent(type, id, user, ts, (object)json);

    private long AddEvent(string type, string? id, string user, long ts, object json)
    {
        var seq = Next("event_seq");
        Execute("INSERT INTO events (seq, user, type, id, ts, json) VALUES ($0, $1, $2, $3, $4, $5)", seq, user, type, id, ts, json);
        return seq;
    }

    /// <summary>The user itself and every user merged into it by an identity value (their events stay recorded under their own ids: a merge moves
    /// nothing).</summary>
    private List<string> Owners(string user)
    {
        var owners = new List<string> { user };
        if (AnyMerge) owners.AddRange(Rows("SELECT merged FROM identity_aliases WHERE survivor = $0", r => r.GetString(0), user));
        return owners;
    }

    /// <summary>The user's events in arrival order: (seq, raw JSON); with the events of every user merged into it.</summary>
    public List<(long Seq, string Json)> EventsOf(string user)
    {
        var events = new List<(long Seq, string Json)>();
        foreach (var owner in Owners(user))
            events.AddRange(Rows("SELECT seq, json FROM events WHERE user = $0 ORDER BY seq", r => (r.GetInt64(0), r.GetString(1)), owner));
        events.Sort((a, b) => a.Seq.CompareTo(b.Seq));
        return events;
    }

    /// <summary>A stored event: its sequence number and its JSON as SQLite holds it (UTF-8, valid only during the call).</summary>
    public delegate void StoredEventRow(long seq, ReadOnlySpan<byte> json);

    /// <summary>
    /// The user's events (those <see cref="EventsOf(string)"/> gives) grouped by type, each type's in arrival order, each
    /// handed over as its stored UTF-8 bytes: a user loaded on a cache miss (most events at 200,000 users) parses its history
    /// from there, with no string made and no text transcoded per event. The order is the index's on (user, type): a
    /// history keeps a table per type, so arrival order within each type is all it needs, and SQLite sorts nothing.
    /// With <paramref name="types"/>, only events of those types (found in that index without reading other rows: the
    /// types an evaluation reads); null: every event.
    /// </summary>
    public void ForEachEventOf(string user, IReadOnlyList<string>? types, StoredEventRow row)
    {
        if (types is { Count: 0 }) return;
        // A long list of types is most of them: read every event then (the statement's parameters stay few).
        var filtered = types is { Count: > 0 } && types.Count < EventsOfUserOfTypesSql.Length;
        var sql = filtered ? EventsOfUserOfTypes(types!.Count) : "SELECT seq, json FROM events WHERE user = $0";
        var args = new object?[filtered ? 1 + types!.Count : 1];
        for (var t = 1; t < args.Length; t++) args[t] = types![t - 1];
        var owners = Owners(user);
        if (owners.Count == 1)
        {
            args[0] = user;
            ForEachRow(sql, r => row(r.GetInt64(0), r.GetUtf8(1)), args);
            return;
        }
        // A user others were merged into: their rows interleave by sequence number (ordered here, as EventsOf orders them).
        var merged = new List<(long Seq, byte[] Json)>();
        foreach (var owner in owners)
        {
            args[0] = owner;
            ForEachRow(sql, r => merged.Add((r.GetInt64(0), r.GetUtf8(1).ToArray())), args);
        }
        merged.Sort((a, b) => a.Seq.CompareTo(b.Seq));
        foreach (var (seq, json) in merged) row(seq, json);
    }

    /// <summary>By the count of types: one user's events of those types.</summary>
    private static readonly string?[] EventsOfUserOfTypesSql = new string?[16];

    private static string EventsOfUserOfTypes(int types) =>
        EventsOfUserOfTypesSql[types] ??= "SELECT seq, json FROM events WHERE user = $0 AND type IN " + ParametersIn(1, types);

    /// <summary>How many stored events <paramref name="user"/> has, those of users merged into it included; a merge reports it.</summary>
    public int EventCount(string user) =>
        Owners(user).Sum(owner => Convert.ToInt32(Scalar("SELECT count(*) FROM events WHERE user = $0", owner),
            System.Globalization.CultureInfo.InvariantCulture));
}
