using MarketingDsl.Core.Semantics;
using MarketingDsl.Journeys;

namespace MarketingDsl.Runtime;

/// <summary>One journey's state of a user as the live runtime holds it; <see cref="Step"/> is where the user is (null when not active).</summary>
public sealed record LiveJourneyView(JourneySymbol Journey, bool Active, int Entries, DateTime? EntryAtUtc, bool HeldOut, DateTime? GoalUntilUtc,
    DateTime? WaitUntilUtc, BoundStep? Step, IReadOnlyDictionary<string, int> Branches);

/// <summary>A user as the live runtime holds them: whether a profile is stored, every journey state, and the latest events (newest first, raw
/// JSON).</summary>
public sealed record LiveUserView(string UserId, bool HasProfile, IReadOnlyList<LiveJourneyView> Journeys,
    IReadOnlyList<string> RecentEvents, int EventCount);

public sealed partial class LiveRuntime
{
    /// <summary>
    /// What the live runtime holds of one user (for the editor's user page): the states of the journeys
    /// of the running workspace, read from the store, and the <paramref name="recentEvents"/> latest
    /// events. Null when the runtime has neither a profile, a state nor an event of the user.
    /// </summary>
    public LiveUserView? UserView(string user, int recentEvents)
    {
        lock (_gate)
        {
            var hasProfile = _store.Profile(user) is not null;
            var journeys = new List<LiveJourneyView>();
            var machines = _version.Machines;
            var stored = _store.StatesOfUser(user, _version.JourneyNames);
            for (var j = 0; j < machines.Length; j++)
            {
                if (UserStates.ParseState(stored.GetValueOrDefault(_version.JourneyNames[j])) is not { } s) continue;
                var position = s.Position.Select(f => new StepFrame(f[0], f[1])).ToList();
                journeys.Add(new LiveJourneyView(machines[j].Journey, s.Active, s.Entries, Utc(s.EntryAt), s.HeldOut, Utc(s.GoalUntil),
                    Utc(s.WaitUntil), s.Active ? _version.Paths[j].StepAt(position) : null, s.Branches));
            }
            var events = _store.EventsOf(user);
            if (!hasProfile && journeys.Count == 0 && events.Count == 0) return null;
            var recent = events.AsEnumerable().Reverse().Take(Math.Max(0, recentEvents)).Select(e => e.Json).ToList();
            return new LiveUserView(user, hasProfile, journeys, recent, events.Count);
        }
    }

    /// <summary>
    /// Every tag, segment and segmentation of the user as of <paramref name="asOfUtc"/>, by the
    /// compiled engine over the user's stored events; null for an unknown user.
    /// </summary>
    public IReadOnlyDictionary<string, object?>? Tags(string user, DateTime asOfUtc)
    {
        lock (_gate) return _users.Tags(user, asOfUtc);
    }

    private static DateTime? Utc(long? ticks) => ticks is { } t ? new DateTime(t, DateTimeKind.Utc) : null;
}
