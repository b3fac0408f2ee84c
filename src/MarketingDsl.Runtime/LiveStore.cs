using JsonSerializer = System.Text.Json.JsonSerializer;
using LiteDB;
using MarketingDsl.Journeys;

namespace MarketingDsl.Runtime;

/// <summary>A user's journey state as stored (JSON in LiteDB): <see cref="UserJourneyState"/> without symbol references.</summary>
public sealed class StoredJourneyState
{
    public bool Active { get; set; }
    public int Entries { get; set; }
    public long? EntryAt { get; set; }
    public bool HeldOut { get; set; }
    public long? GoalUntil { get; set; }
    public List<int[]> Position { get; set; } = [];
    public long? WaitStart { get; set; }
    public long? WaitUntil { get; set; }
    public int? WaitToken { get; set; }
    public Dictionary<string, int> Branches { get; set; } = [];
    public int Token { get; set; }
}

/// <summary>A split's journey-wide state as stored.</summary>
public sealed class StoredSplitState
{
    public long? FirstArrival { get; set; }
    public int? Winner { get; set; }
    public long? WinnerAt { get; set; }
    public int[] Entered { get; set; } = [];
    public int[] Converted { get; set; } = [];
}

/// <summary>A pending timer: the end of a wait, a deferred send, a `winner after` decision.</summary>
public sealed record StoredTimer(long Id, long Due, string Kind, string Journey, string User, int Token, string Path, long EntryAt, string Split);

/// <summary>One action waiting for (or done with) delivery by a channel adapter.</summary>
public sealed record OutboxItem(string Key, string Channel, string Line, bool Delivered);

/// <summary>
/// The live runtime's durable state in one LiteDB file (exclusive: one `mdsl serve` per file):
/// events per user (raw JSON, for evaluating tags as of an instant), profiles, journey states,
/// split states, pending timers, the channel ledger, the outbox, and counters. Every write of
/// one request or timer round goes through <see cref="Begin"/>/<see cref="Commit"/>.
/// Reads a request would repeat per event are answered from memory: counters (written once per
/// commit), the earliest timer's due instant, and the queue of undelivered outbox items; a
/// rollback forgets them, so they are re-read from the file.
/// </summary>
public sealed class LiveStore : IDisposable
{
    public const string WaitTimer = "wait";
    public const string DeferredTimer = "deferred";
    public const string WinnerTimer = "winner";

    private readonly LiteDatabase _db;
    private readonly Dictionary<string, long> _counters = new(StringComparer.Ordinal);
    private readonly HashSet<string> _dirtyCounters = new(StringComparer.Ordinal);
    /// <summary>The earliest pending due instant (long.MaxValue: none); null: unknown, read it from the file.</summary>
    private long? _minDue;
    /// <summary>Undelivered outbox items, committed (<see cref="_undelivered"/>) and added in the open transaction.</summary>
    private readonly List<OutboxItem> _undelivered = [];
    private readonly List<OutboxItem> _newOutbox = [];
    /// <summary>The pending entry (outbox_pending _id) of each undelivered key.</summary>
    private readonly Dictionary<string, long> _pendingIds = new(StringComparer.Ordinal);
    /// <summary>Pending entries of delivered items, removed from the file by the next commit (no commit of its own).</summary>
    private readonly HashSet<long> _deliveredPending = [];

    public LiveStore(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var mapper = new BsonMapper { TrimWhitespace = false, EmptyStringToNull = false };
        _db = new LiteDatabase(new ConnectionString { Filename = Path, Connection = ConnectionType.Direct }, mapper);
        Events.EnsureIndex("user");
        Timers.EnsureIndex("due");
        Ledger.EnsureIndex("uc");
        LoadPending();
    }

    public string Path { get; }

    private ILiteCollection<BsonDocument> Events => _db.GetCollection("events");
    private ILiteCollection<BsonDocument> Profiles => _db.GetCollection("profiles");
    private ILiteCollection<BsonDocument> States => _db.GetCollection("journey_states");
    private ILiteCollection<BsonDocument> Splits => _db.GetCollection("split_states");
    private ILiteCollection<BsonDocument> Timers => _db.GetCollection("timers");
    private ILiteCollection<BsonDocument> Ledger => _db.GetCollection("ledger");
    private ILiteCollection<BsonDocument> Outbox => _db.GetCollection("outbox");
    /// <summary>
    /// Undelivered outbox keys by outbox sequence number: a small collection of increasing ids, so
    /// adding and removing touch few pages (an outbox document is written once, never updated).
    /// </summary>
    private ILiteCollection<BsonDocument> Pending => _db.GetCollection("outbox_pending");
    private ILiteCollection<BsonDocument> Meta => _db.GetCollection("meta");

    public void Begin() => _db.BeginTrans();

    public void Commit()
    {
        foreach (var name in _dirtyCounters) Meta.Upsert(new BsonDocument { ["_id"] = name, ["value"] = _counters[name] });
        foreach (var id in _deliveredPending) Pending.Delete(id);
        _db.Commit();
        _dirtyCounters.Clear();
        _deliveredPending.Clear();
        _undelivered.AddRange(_newOutbox);
        _newOutbox.Clear();
    }

    public void Rollback()
    {
        _db.Rollback();
        _counters.Clear();
        _dirtyCounters.Clear();
        _newOutbox.Clear();
        _minDue = null;
        LoadPending();
    }

    private void LoadPending()
    {
        _undelivered.Clear();
        _pendingIds.Clear();
        foreach (var pending in Pending.FindAll().OrderBy(d => d["_id"].AsInt64))
        {
            if (_deliveredPending.Contains(pending["_id"].AsInt64) || Outbox.FindById(pending["key"]) is not { } d) continue;
            _undelivered.Add(new OutboxItem(d["_id"].AsString, d["channel"].AsString, d["line"].AsString, false));
            _pendingIds[d["_id"].AsString] = pending["_id"].AsInt64;
        }
    }

    // ------------------------------------------------------------------ counters

    public long Counter(string name)
    {
        if (_counters.TryGetValue(name, out var value)) return value;
        return _counters[name] = Meta.FindById(name)?["value"].AsInt64 ?? 0;
    }

    /// <summary>Sets a counter in memory; <see cref="Commit"/> writes it (the caller is inside a transaction).</summary>
    public void SetCounter(string name, long value)
    {
        _counters[name] = value;
        _dirtyCounters.Add(name);
    }
    public long Next(string name)
    {
        var n = Counter(name) + 1;
        SetCounter(name, n);
        return n;
    }

    // ------------------------------------------------------------------ events and profiles

    private static string EventKey(string type, string id) => type + "\u001F" + id;

    public bool HasEvent(string type, string id) => Events.FindById(EventKey(type, id)) is not null;

    /// <summary>Stores an event; returns its sequence number (the order of arrival).</summary>
    public long AddEvent(string type, string? id, string user, long ts, string json)
    {
        var seq = Next("event_seq");
        Events.Insert(new BsonDocument
        {
            ["_id"] = id is null ? "#" + seq.ToString(System.Globalization.CultureInfo.InvariantCulture) : EventKey(type, id),
            ["user"] = user, ["type"] = type, ["ts"] = ts, ["seq"] = seq, ["json"] = json,
        });
        return seq;
    }

    /// <summary>The user's events in arrival order: (seq, raw JSON).</summary>
    public List<(long Seq, string Json)> EventsOf(string user) =>
        [.. Events.Find(Query.EQ("user", user)).Select(d => (d["seq"].AsInt64, d["json"].AsString)).OrderBy(e => e.Item1)];

    public string? Profile(string user) => Profiles.FindById(user)?["json"].AsString;
    public void SetProfile(string user, string json) => Profiles.Upsert(new BsonDocument { ["_id"] = user, ["json"] = json });

    // ------------------------------------------------------------------ journey and split states

    private static string StateKey(string journey, string user) => journey + "\u001F" + user;

    public StoredJourneyState? State(string journey, string user) =>
        StateJson(journey, user) is { } json ? JsonSerializer.Deserialize<StoredJourneyState>(json) : null;

    public void SetState(string journey, string user, StoredJourneyState state) => SetStateJson(journey, user, JsonSerializer.Serialize(state));

    /// <summary>A user's journey state as stored (JSON), or null.</summary>
    public string? StateJson(string journey, string user) => States.FindById(StateKey(journey, user))?["json"].AsString;

    public void SetStateJson(string journey, string user, string json) =>
        States.Upsert(new BsonDocument { ["_id"] = StateKey(journey, user), ["json"] = json });

    public int ActiveStates() => States.FindAll().Count(d => JsonSerializer.Deserialize<StoredJourneyState>(d["json"].AsString)?.Active == true);

    public Dictionary<string, StoredSplitState> SplitStates(string journey) =>
        Splits.FindById(journey) is { } d ? JsonSerializer.Deserialize<Dictionary<string, StoredSplitState>>(d["json"].AsString) ?? [] : [];

    public void SetSplitStates(string journey, Dictionary<string, StoredSplitState> splits) =>
        Splits.Upsert(new BsonDocument { ["_id"] = journey, ["json"] = JsonSerializer.Serialize(splits) });

    // ------------------------------------------------------------------ timers

    public void AddTimer(long due, string kind, string journey, string user = "", int token = 0, string path = "", long entryAt = 0, string split = "")
    {
        Timers.Insert(new BsonDocument
        {
            ["_id"] = Next("timer_seq"), ["due"] = due, ["kind"] = kind, ["journey"] = journey, ["user"] = user,
            ["token"] = token, ["path"] = path, ["entry"] = entryAt, ["split"] = split,
        });
        if (_minDue is { } min) _minDue = Math.Min(min, due);
    }

    /// <summary>The earliest pending timer with due ≤ <paramref name="maxDue"/> (ties: the one set first).</summary>
    public StoredTimer? FirstTimer(long maxDue)
    {
        // Every event asks (timers due before it fire first): answer "none" from memory when it can.
        _minDue ??= Timers.Find(Query.All("due", Query.Ascending), limit: 1).FirstOrDefault()?["due"].AsInt64 ?? long.MaxValue;
        if (_minDue > maxDue) return null;
        return Timers.Find(Query.LTE("due", maxDue)).Select(ToTimer).OrderBy(t => t.Due).ThenBy(t => t.Id).FirstOrDefault();
    }

    public void DeleteTimer(long id)
    {
        Timers.Delete(id);
        _minDue = null;
    }
    public int TimerCount() => Timers.Count();
    public List<StoredTimer> AllTimers() => [.. Timers.FindAll().Select(ToTimer).OrderBy(t => t.Due).ThenBy(t => t.Id)];

    private static StoredTimer ToTimer(BsonDocument d) => new(d["_id"].AsInt64, d["due"].AsInt64, d["kind"].AsString, d["journey"].AsString,
        d["user"].AsString, d["token"].AsInt32, d["path"].AsString, d["entry"].AsInt64, d["split"].AsString);

    // ------------------------------------------------------------------ channel ledger

    private static string LedgerKey(string user, string channel) => user + "\u001F" + channel;

    public int DeliveredBetween(string user, string channel, long fromExclusive, long toInclusive) =>
        Ledger.Find(Query.EQ("uc", LedgerKey(user, channel))).Count(d => d["at"].AsInt64 > fromExclusive && d["at"].AsInt64 <= toInclusive);

    public void RecordDelivered(string user, string channel, long at) =>
        Ledger.Insert(new BsonDocument { ["uc"] = LedgerKey(user, channel), ["at"] = at });

    // ------------------------------------------------------------------ outbox

    /// <summary>Adds an action under its dedupe key; false when the key is already there.</summary>
    public bool AddOutbox(string key, string channel, string line)
    {
        if (Outbox.FindById(key) is not null) return false;
        var seq = Next("outbox_seq");
        Outbox.Insert(new BsonDocument { ["_id"] = key, ["channel"] = channel, ["line"] = line, ["seq"] = seq });
        Pending.Insert(new BsonDocument { ["_id"] = seq, ["key"] = key });
        _pendingIds[key] = seq;
        _newOutbox.Add(new OutboxItem(key, channel, line, false));
        return true;
    }

    /// <summary>Committed undelivered items in outbox order (from memory: the file's list as of opening, plus what commits added).</summary>
    public List<OutboxItem> Undelivered() => [.. _undelivered];

    /// <summary>
    /// Marks items delivered: they leave <see cref="Undelivered"/> now and the file at the next
    /// commit (of a request, a timer round, or <see cref="Dispose"/>), so delivery costs no commit of
    /// its own. A crash before that commit delivers them again (at least once, same keys).
    /// </summary>
    public void MarkDelivered(IReadOnlyCollection<OutboxItem> items)
    {
        foreach (var item in items)
            if (_pendingIds.Remove(item.Key, out var id)) _deliveredPending.Add(id);
        var keys = items.Select(i => i.Key).ToHashSet(StringComparer.Ordinal);
        _undelivered.RemoveAll(i => keys.Contains(i.Key));
    }

    public int OutboxCount() => Outbox.Count();

    public void Dispose()
    {
        if (_deliveredPending.Count > 0)
        {
            Begin();
            Commit();
        }
        _db.Dispose();
    }
}
