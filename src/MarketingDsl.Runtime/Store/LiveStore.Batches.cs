using System.Globalization;

namespace MarketingDsl.Runtime;

/// <summary>
/// Reads for many users at once (a schedule's fan-out over users the cache has no room for): one
/// statement per <see cref="UsersPerRead"/> users through the indexes on user, instead of one
/// statement per user and table. Each gives what the one-user read gives each user alone.
/// </summary>
public sealed partial class LiveStore
{
    /// <summary>Users per statement (unused parameters are NULL, which no row matches).</summary>
    public const int UsersPerRead = 64;

    /// <summary>The most event types a read of some types names (<see cref="ForEachEventTimeOf"/>; a read of more takes every type).</summary>
    public const int MaxTypesPerRead = 15;

    /// <summary>"($first, …)": <paramref name="count"/> positional parameters, for an IN list.</summary>
    private static string ParametersIn(int first, int count) =>
        "(" + string.Join(", ", Enumerable.Range(first, count).Select(i => "$" + i.ToString(CultureInfo.InvariantCulture))) + ")";

    private static string UsersIn(int first) => ParametersIn(first, UsersPerRead);

    private static readonly string ProfilesOfUsersSql = "SELECT user, json FROM profiles WHERE user IN " + UsersIn(0);
    private static readonly string StatesOfUsersSql = "SELECT user, json FROM journey_states WHERE journey = $0 AND user IN " + UsersIn(1);
    private static readonly string EventsOfUsersSql = "SELECT user, seq, json FROM events WHERE user IN " + UsersIn(0);
    /// <summary>By the count of types first: events of those types only, found in the index on (user, type, ts) without reading
    /// the rows of other types.</summary>
    private static readonly string?[] EventsOfUsersOfTypesSql = new string?[MaxTypesPerRead + 1];

    /// <summary>By the count of types: their events' sequence numbers, types and times, covered by the index on (user, type, ts).</summary>
    private static readonly string?[] EventTimesOfUsersOfTypesSql = new string?[MaxTypesPerRead + 1];

    private static string EventTimesOfUsersOfTypes(int types) => OfUsersOfTypes(EventTimesOfUsersOfTypesSql, "user, seq, type, ts", types);

    private static string EventsOfUsersOfTypes(int types) => OfUsersOfTypes(EventsOfUsersOfTypesSql, "user, seq, json", types);

    /// <summary>"SELECT <paramref name="columns"/> FROM events" of <paramref name="types"/> types' events of the users, made once per
    /// count of types and kept in <paramref name="made"/>.</summary>
    private static string OfUsersOfTypes(string?[] made, string columns, int types)
    {
        if (types >= made.Length) throw new ArgumentOutOfRangeException(nameof(types));
        return made[types] ??= $"SELECT {columns} FROM events WHERE type IN {ParametersIn(0, types)} AND user IN {UsersIn(types)}";
    }

    /// <summary>
    /// Runs <paramref name="sql"/> once per chunk of <paramref name="perRead"/> of <paramref name="keys"/> (the last one's
    /// unused parameters NULL, which no row matches), after <paramref name="leading"/> parameters.
    /// </summary>
    private void ForEachRowInChunks(string sql, IReadOnlyList<string> keys, int perRead, Action<StoreRow> row, params object?[] leading)
    {
        var args = new object?[leading.Length + perRead];
        leading.CopyTo(args, 0);
        for (var from = 0; from < keys.Count; from += perRead)
        {
            for (var k = 0; k < perRead; k++) args[leading.Length + k] = from + k < keys.Count ? keys[from + k] : null;
            ForEachRow(sql, row, args);
        }
    }

    private void ForEachRowOfUsers(string sql, IReadOnlyList<string> users, Action<StoreRow> row, params object?[] leading) =>
        ForEachRowInChunks(sql, users, UsersPerRead, row, leading);

    /// <summary>A stored profile: its user and its JSON as SQLite holds it (UTF-8, valid only during the call).</summary>
    public delegate void StoredProfileRow(string user, ReadOnlySpan<byte> json);

    /// <summary>
    /// The stored profile of each of <paramref name="users"/> that has one (<see cref="Profile"/>), as its UTF-8 bytes: a fan-out
    /// parses thousands of profiles, and a string of each one's JSON was 99 of the 2,149 MB a trace sampled in a latency part.
    /// </summary>
    public void ForEachProfileOf(IReadOnlyList<string> users, StoredProfileRow profile) =>
        ForEachRowOfUsers(ProfilesOfUsersSql, users, r => profile(r.GetString(0), r.GetUtf8(1)));

    /// <summary>The state (JSON) in <paramref name="journey"/> of each of <paramref name="users"/> that has one (<see cref="StateJson"/>).</summary>
    public Dictionary<string, string> StatesOf(string journey, IReadOnlyList<string> users)
    {
        var states = new Dictionary<string, string>(StringComparer.Ordinal);
        ForEachRowOfUsers(StatesOfUsersSql, users, r => states[r.GetString(0)] = r.GetString(1), journey);
        return states;
    }

    /// <summary>
    /// A stored event of the <paramref name="user"/>-th of the users read
    /// (<see cref="ForEachEventOf(IReadOnlyList{string}, IReadOnlyList{string}, StoredUsersEventRow)"/>), its sequence number and
    /// its JSON as SQLite holds it (UTF-8, valid only during the call).
    /// </summary>
    public delegate void StoredUsersEventRow(int user, long seq, ReadOnlySpan<byte> json);

    /// <summary>
    /// Each user's events with those of the users merged into it (what <see cref="EventsOf(string)"/> gives each alone), in no
    /// particular order (a caller orders them, as <c>UserHistory.Combine</c> does), each handed over as its stored UTF-8 bytes: a
    /// schedule's fan-out reads the histories of thousands of users and parses them from there, with no string made per event.
    /// </summary>
    /// <remarks>
    /// With <paramref name="types"/>, only events of those types (an evaluation that reads no other: a schedule's audience
    /// reads a few types of the many a user has; none, an audience over the profile alone); null: every event.
    /// </remarks>
    public void ForEachEventOf(IReadOnlyList<string> users, IReadOnlyList<string>? types, StoredUsersEventRow row)
    {
        if (types is { Count: 0 }) return;
        // A long list of types is most of them: read every event then (the statement's parameters stay few).
        var filtered = types is { Count: > 0 } && types.Count < EventsOfUsersOfTypesSql.Length;
        ForEachRowOfOwners(users, filtered ? EventsOfUsersOfTypes(types!.Count) : EventsOfUsersSql, filtered ? [.. types!] : [],
            (r, of) =>
            {
                var seq = r.GetInt64(1);
                foreach (var user in of) row(user, seq, r.GetUtf8(2));
            });
    }

    /// <summary>A stored event of the <paramref name="user"/>-th of the users read, by its sequence number, its type (an index
    /// into the types asked for) and its time alone (<see cref="ForEachEventTimeOf"/>).</summary>
    public delegate void StoredUsersEventTime(int user, long seq, int type, long ts);

    /// <summary>
    /// Each user's events of <paramref name="types"/> (at most <see cref="MaxTypesPerRead"/>), with those of the users merged into it, as
    /// <see cref="ForEachEventOf(IReadOnlyList{string}, IReadOnlyList{string}, StoredUsersEventRow)"/> gives them but without their
    /// JSON: read from the index on (user, type, ts) alone, not from the rows, which lie apart in arrival order. An audience
    /// over `count(login, within: 30d)` or `last(login.ts)` needs no more.
    /// </summary>
    public void ForEachEventTimeOf(IReadOnlyList<string> users, IReadOnlyList<string> types, StoredUsersEventTime row)
    {
        if (types.Count == 0) return;
        var names = types.Select(System.Text.Encoding.UTF8.GetBytes).ToArray();
        ForEachRowOfOwners(users, EventTimesOfUsersOfTypes(types.Count), [.. types], (r, of) =>
        {
            var seq = r.GetInt64(1);
            var name = r.GetUtf8(2);
            var type = 0;
            while (!name.SequenceEqual(names[type])) type++;   // the statement asked for these types only
            var ts = r.GetInt64(3);
            foreach (var user in of) row(user, seq, type, ts);
        });
    }

    /// <summary>
    /// Runs <paramref name="sql"/> (its first column the stored user id; the users' ids its last parameters, after
    /// <paramref name="leading"/>) over the ids whose rows are each of <paramref name="users"/>' own: itself and the users merged
    /// into it. Each row comes with the indexes in <paramref name="users"/> it belongs to.
    /// </summary>
    private void ForEachRowOfOwners(IReadOnlyList<string> users, string sql, object?[] leading, Action<StoreRow, List<int>> row)
    {
        // Whose events a stored user id's rows are: itself, and the survivor it was merged into.
        var readers = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var u = 0; u < users.Count; u++)
            foreach (var owner in Owners(users[u]))
            {
                if (!readers.TryGetValue(owner, out var of)) readers[owner] = of = [];
                of.Add(u);
            }
        // Found by the id's characters, decoded on the stack: a string per row was a third of what the read itself allocated.
        var byChars = readers.GetAlternateLookup<ReadOnlySpan<char>>();
        ForEachRowOfUsers(sql, [.. readers.Keys], r =>
        {
            var id = r.GetUtf8(0);
            Span<char> chars = stackalloc char[128];
            var of = id.Length <= chars.Length && System.Text.Encoding.UTF8.TryGetChars(id, chars, out var length)
                ? byChars[chars[..length]] : readers[r.GetString(0)];
            row(r, of);
        }, leading);
    }
}
