using MarketingDsl.Engine.Data;
using MarketingDsl.Journeys;

namespace MarketingDsl.Runtime;

/// <summary>A cached user of the live runtime: profile row, loaded events, journey states, segment memberships.</summary>
internal sealed class LiveUser(string id, object?[]? profile, int journeys)
{
    public string Id { get; } = id;
    public object?[]? Profile { get; } = profile;
    /// <summary>Made on first need (never without a profile); it holds the events of the types in <see cref="TypesLoaded"/>.</summary>
    public UserHistory? History { get; set; }
    /// <summary>
    /// The event types whose stored events the history holds (WorkspaceVersion.TypeBit): read when an evaluation first needs
    /// them (UserStates.EnsureEvents), then kept up to date by each new event of those types. Views are most of a history and
    /// few conditions read them: a user read back on a cache miss loads the orders an audience reads, not its views.
    /// </summary>
    public ulong TypesLoaded { get; set; }
    /// <summary>Whether the history holds the events of some type.</summary>
    public bool EventsLoaded => TypesLoaded != 0;
    /// <summary>Whether the history holds the events of every type in <paramref name="types"/>.</summary>
    public bool HasLoaded(ulong types) => (TypesLoaded & types) == types;
    public QuietZones? Zones { get; set; }
    /// <summary>Per tracked segment, the last evaluated membership (JourneyExecutor.Triggers.cs), once loaded.</summary>
    public bool?[]? Members { get; set; }
    /// <summary>Per tracked segment, the instant it was last evaluated at (long.MinValue: not since the user was cached).</summary>
    public long[]? MembersAt { get; set; }
    /// <summary>
    /// The user's stored segment due (JourneyExecutor.Triggers.cs; <see cref="long.MaxValue"/>: none), read from the store once
    /// per cached user (<see cref="DueUnknown"/> until then) and written through. Only cached users hold it: a copy per member
    /// grew with the brand's members.
    /// </summary>
    public long Due { get; set; } = DueUnknown;
    public const long DueUnknown = long.MinValue;
    /// <summary>Per journey: the stored state, parsed (null: none) once loaded (<see cref="StateLoaded"/>).</summary>
    public StoredJourneyState?[] StateParsed { get; } = new StoredJourneyState?[journeys];
    /// <summary>
    /// Per journey: the state the machines change in place, made from <see cref="StateParsed"/> once
    /// needed; after each transition it is compared with the stored state and written when it differs.
    /// </summary>
    public UserJourneyState?[] StateLive { get; } = new UserJourneyState?[journeys];
    public bool[] StateLoaded { get; } = new bool[journeys];
    public LinkedListNode<LiveUser>? Node { get; set; }
    /// <summary>The events the cache counts for this user.</summary>
    public int CountedEvents { get; set; }
    /// <summary>The bytes the cache counts for this user (<see cref="EstimatedBytes"/> when last counted).</summary>
    public long CountedBytes { get; set; }

    // Sizes as the 64-bit runtime lays objects out (16-byte header, fields padded to 8, arrays with
    // a 24-byte header), rounded up: an estimate for the cache's bound, not an accounting.
    private const int UserObjectBytes = 120;       // this object: 10 references, two longs, an int, a bool
    private const int ListNodeBytes = 48;          // its LinkedListNode in the order of use
    private const int DictionaryEntryBytes = 48;   // its entry and bucket in the cache's dictionary, with the spare capacity of doubling
    private const int ArrayBytes = 24;
    private const int ZonesBytes = 256;            // QuietZones: the object and its empty dictionary
    private const int ListBytes = 32;              // a List<T> object (its array counted apart)
    private const int EmptyDictionaryBytes = 80;   // a Dictionary<,> object before its first entry
    private const int BoxBytes = 24;

    /// <summary>
    /// What this user holds in memory, estimated: the live runtime's cache bound counts it. A string value other rows
    /// share (<paramref name="sharedString"/>) is counted where it was made, not here.
    /// </summary>
    public long EstimatedBytes(Func<string, bool>? sharedString = null)
    {
        var journeys = StateParsed.Length;
        // The object, its node and entry, and the per-journey arrays (two of references, one of flags).
        long bytes = UserObjectBytes + ListNodeBytes + DictionaryEntryBytes + 2 * (ArrayBytes + 8L * journeys) + Round(ArrayBytes + journeys)
            + UserHistory.StringBytes(Id);
        if (Profile is not null)
        {
            bytes += ArrayBytes + 8L * Profile.Length;
            foreach (var v in Profile)
                bytes += v switch
                {
                    null => 0,
                    // The key field is the id, counted above.
                    string s => ReferenceEquals(s, Id) || sharedString?.Invoke(s) == true ? 0 : UserHistory.StringBytes(s),
                    System.Collections.IEnumerable items => UserHistory.ListBytes(items),
                    _ => BoxBytes,
                };
        }
        if (Members is not null) bytes += Round(ArrayBytes + 2L * Members.Length);
        if (MembersAt is not null) bytes += ArrayBytes + 8L * MembersAt.Length;
        for (var j = 0; j < journeys; j++)
        {
            if (StateParsed[j] is { } parsed) bytes += StoredStateBytes(parsed);
            if (StateLive[j] is { } live) bytes += LiveStateBytes(live);
        }
        if (History is not null) bytes += History.EstimatedBytes;
        if (Zones is not null) bytes += ZonesBytes;
        return bytes;
    }

    private static long Round(long bytes) => (bytes + 7) & ~7L;

    /// <summary>
    /// A parsed stored state: the object (four long?, an int?, two ints, two bools, two references),
    /// its frames (int[2] each) and branches.
    /// </summary>
    private static long StoredStateBytes(StoredJourneyState state) =>
        120 + ListBytes + ArrayBytes + 8L * Math.Max(4, state.Position.Count) + (ArrayBytes + 8L) * state.Position.Count
        + BranchesBytes(state.Branches, keysOwned: true);

    /// <summary>
    /// The state the machines change in place: the object (two long?, three references, ints, bools),
    /// its frames and branches, its wait.
    /// </summary>
    private static long LiveStateBytes(UserJourneyState state) =>
        88 + ListBytes + ArrayBytes + 8L * Math.Max(4, state.Position.Count) + BranchesBytes(state.Branches, keysOwned: false)
        + (state.Wait is null ? 0 : 56);

    /// <summary>
    /// A Dictionary&lt;string, int&gt;: the object, then per entry its slot (hash, next, key, value) and
    /// bucket, and its key when parsed from JSON (the machines' keys are the journey's split names, shared).
    /// </summary>
    private static long BranchesBytes(Dictionary<string, int> branches, bool keysOwned)
    {
        if (branches.Count == 0) return EmptyDictionaryBytes;
        long bytes = EmptyDictionaryBytes + 2 * ArrayBytes + 28L * Math.Max(3, branches.Count);
        // Pairs, not .Keys: a dictionary keeps the key collection it hands out, an object more per state for the collector.
        if (keysOwned) foreach (var (key, _) in branches) bytes += UserHistory.StringBytes(key);
        return bytes;
    }
}

/// <summary>
/// The cached users: at most <c>capacity</c> users holding at most <c>eventCapacity</c> loaded
/// events and <c>byteCapacity</c> estimated bytes in all; the least recently used leave first
/// (the store has everything). The most recent user always stays, however long its history.
/// A user read by a fan-out joins at the cold end (<c>cold</c>), so a pass over every user
/// evicts the users of the pass before the users events arrive for.
/// </summary>
internal sealed class UserCache(int capacity, int eventCapacity, long byteCapacity)
{
    private readonly Dictionary<string, LiveUser> _byId = new(StringComparer.Ordinal);
    private readonly LinkedList<LiveUser> _order = new();
    private long _events, _bytes;
    private LiveUser? _recent;

    /// <summary>Whether a string value is shared by many users' rows (the installed version's <see cref="Validation.SharedString"/>).</summary>
    public Func<string, bool>? SharedString { get; set; }

    public int Count => _byId.Count;
    public long Events => _events;
    public long Bytes => _bytes;
    public int Loaded => _byId.Values.Count(u => u.EventsLoaded);

    /// <summary>Whether a bound is reached: a user added now pushes another one out.</summary>
    public bool IsFull => _byId.Count >= capacity || _events >= eventCapacity || _bytes >= byteCapacity;

    /// <summary>The cached user, if any, leaving the order of use as it is.</summary>
    public LiveUser? Peek(string id) => _byId.GetValueOrDefault(id);

    /// <summary>Accounts for the user's loaded events and memory after they changed.</summary>
    public void Resized(LiveUser user)
    {
        var events = user.EventsLoaded ? user.History!.EventCount : 0;
        var bytes = user.EstimatedBytes(SharedString);
        if (user.Node?.List is not null)
        {
            _events += events - user.CountedEvents;
            _bytes += bytes - user.CountedBytes;
        }
        user.CountedEvents = events;
        user.CountedBytes = bytes;
        Evict(adding: false);
    }

    /// <summary>
    /// Evicts from the cold end while a bound is exceeded. The user being handled (the most recent)
    /// stays: after an add, the users before it go; when it grew (a cold user at the end loaded its
    /// events), the bound is exceeded by it alone until the next user comes, so a fan-out's user
    /// never pushes out the users events arrive for.
    /// </summary>
    private void Evict(bool adding)
    {
        while (_byId.Count > 1 && (_byId.Count > capacity || _events > eventCapacity || _bytes > byteCapacity))
        {
            var victim = _order.Last!;
            if (ReferenceEquals(victim.Value, _recent))
            {
                if (!adding) break;
                victim = victim.Previous!;
            }
            Remove(victim.Value.Id);
        }
    }

    /// <summary>The cached user, made the most recently used unless <paramref name="promote"/> is false (a fan-out's read).</summary>
    public LiveUser? Get(string id, bool promote = true)
    {
        if (!_byId.TryGetValue(id, out var user)) return null;
        _recent = user;
        if (!promote) return user;
        _order.Remove(user.Node!);
        _order.AddFirst(user.Node!);
        return user;
    }

    public void Add(LiveUser user, bool cold = false)
    {
        user.Node = cold ? _order.AddLast(user) : _order.AddFirst(user);
        _recent = user;
        _byId[user.Id] = user;
        user.CountedBytes = user.EstimatedBytes(SharedString);
        _events += user.CountedEvents;
        _bytes += user.CountedBytes;
        Evict(adding: true);
    }

    public void Remove(string id)
    {
        if (!_byId.Remove(id, out var user)) return;
        if (ReferenceEquals(user, _recent)) _recent = null;
        _order.Remove(user.Node!);
        _events -= user.CountedEvents;
        _bytes -= user.CountedBytes;
    }

    public void Clear()
    {
        _recent = null;
        _byId.Clear();
        _order.Clear();
        _events = 0;
        _bytes = 0;
    }
}
