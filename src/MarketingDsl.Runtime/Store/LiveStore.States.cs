using JsonSerializer = System.Text.Json.JsonSerializer;

namespace MarketingDsl.Runtime;

/// <summary>Journey states: one row per journey and user, written in the transaction that changed them.</summary>
public sealed partial class LiveStore
{
    public StoredJourneyState? State(string journey, string user) =>
        StateJson(journey, user) is { } json ? JsonSerializer.Deserialize<StoredJourneyState>(json) : null;

    public void SetState(string journey, string user, StoredJourneyState state) => SetStateJson(journey, user, JsonSerializer.Serialize(state));

    /// <summary>A user's journey state as stored (JSON), or null.</summary>
    public string? StateJson(string journey, string user) =>
        Scalar("SELECT json FROM journey_states WHERE journey = $0 AND user = $1", journey, user) as string;

    /// <summary>Journeys per statement of <see cref="StatesOfUser"/> (unused parameters are NULL, which no row matches).</summary>
    private const int JourneysPerRead = 16;

    private static readonly string StatesOfUserSql =
        "SELECT journey, json FROM journey_states WHERE user = $0 AND journey IN " + ParametersIn(1, JourneysPerRead);

    /// <summary>The user's stored state (JSON) in each of <paramref name="journeys"/> that it has one in (<see cref="StateJson"/> of each).</summary>
    public Dictionary<string, string> StatesOfUser(string user, IReadOnlyList<string> journeys)
    {
        var states = new Dictionary<string, string>(StringComparer.Ordinal);
        ForEachRowInChunks(StatesOfUserSql, journeys, JourneysPerRead, r => states[r.GetString(0)] = r.GetString(1), user);
        return states;
    }

    /// <summary>Sets a state in the open transaction.</summary>
    public void SetStateJson(string journey, string user, string json)
    {
        lock (_memo)
            if (_transactionThread != Environment.CurrentManagedThreadId)
                throw new InvalidOperationException("journey states are set inside a transaction");
        Execute("INSERT INTO journey_states (journey, user, json) VALUES ($0, $1, $2) ON CONFLICT (journey, user) DO UPDATE SET json = excluded.json",
            journey, user, json);
    }

    /// <summary>Every stored journey state: (journey, user, state).</summary>
    public List<(string Journey, string User, StoredJourneyState State)> AllStates() =>
        Rows("SELECT journey, user, json FROM journey_states ORDER BY journey, user",
            r => (r.GetString(0), r.GetString(1), JsonSerializer.Deserialize<StoredJourneyState>(r.GetString(2))!));

    public int ActiveStates() => AllStates().Count(s => s.State.Active);
}
