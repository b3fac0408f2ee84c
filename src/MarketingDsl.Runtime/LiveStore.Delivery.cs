using LiteDB;

namespace MarketingDsl.Runtime;

/// <summary>An outbox action as the delivery loop sees it: its delivery status, attempts so far and when it may be tried next.</summary>
public sealed record OutboxEntry(string Key, string Channel, string Line, string Status, int Attempts, long NextAttemptAt, string? LastError, long Seq);

/// <summary>
/// Delivery bookkeeping of the outbox (channel adapters, <see cref="OutboxDispatcher"/>). An action
/// is `pending` until an adapter confirms it (`delivered`) or it is parked (`failed`: attempts
/// exhausted or refused by the receiver). Nothing leaves the outbox: a parked action stays with
/// its last error until it is requeued.
/// </summary>
public sealed partial class LiveStore
{
    public const string Pending = "pending";
    public const string DeliveredStatus = "delivered";
    public const string Failed = "failed";

    private static string StatusOf(BsonDocument d) =>
        d.TryGetValue("status", out var s) && s.IsString ? s.AsString : d["delivered"].AsBoolean ? DeliveredStatus : Pending;

    private static OutboxEntry ToEntry(BsonDocument d) => new(
        d["_id"].AsString, d["channel"].AsString, d["line"].AsString, StatusOf(d),
        d.TryGetValue("attempts", out var a) && a.IsNumber ? a.AsInt32 : 0,
        d.TryGetValue("next_at", out var n) && n.IsNumber ? n.AsInt64 : 0,
        d.TryGetValue("error", out var e) && e.IsString ? e.AsString : null,
        d["seq"].AsInt64);

    /// <summary>Pending actions whose next attempt is due at <paramref name="nowTicks"/> (wall clock), oldest first.</summary>
    public List<OutboxEntry> DueForDelivery(long nowTicks, int max, Func<string, bool> routed) =>
        [.. Outbox.Find(Query.EQ("delivered", false)).Select(ToEntry)
            .Where(e => e.Status == Pending && e.NextAttemptAt <= nowTicks && routed(e.Channel)).OrderBy(e => e.Seq).Take(max)];

    /// <summary>The earliest next attempt among pending actions (wall-clock ticks), null when none is pending.</summary>
    public long? NextDeliveryDue(Func<string, bool> routed) =>
        Outbox.Find(Query.EQ("delivered", false)).Select(ToEntry).Where(e => e.Status == Pending && routed(e.Channel))
            .Select(e => (long?)e.NextAttemptAt).Min();

    /// <summary>Records a failed attempt: pending again at <paramref name="nextAttemptAt"/>, or parked as failed.</summary>
    public void RecordFailedAttempt(string key, int attempts, long nextAttemptAt, string error, bool park)
    {
        if (Outbox.FindById(key) is not { } d) return;
        d["attempts"] = attempts;
        d["next_at"] = nextAttemptAt;
        d["error"] = error;
        d["status"] = park ? Failed : Pending;
        Outbox.Update(d);
    }

    /// <summary>Marks an action delivered after <paramref name="attempts"/> attempts.</summary>
    public void MarkDelivered(string key, int attempts)
    {
        if (Outbox.FindById(key) is not { } d) return;
        d["delivered"] = true;
        d["status"] = DeliveredStatus;
        d["attempts"] = attempts;
        d["error"] = BsonValue.Null;
        Outbox.Update(d);
    }

    /// <summary>Marks several actions delivered in one commit (a channel file's share of a delivery round).</summary>
    public void MarkDelivered(IReadOnlyList<(string Key, int Attempts)> items)
    {
        Begin();
        try
        {
            foreach (var (key, attempts) in items) MarkDelivered(key, attempts);
            Commit();
        }
        catch
        {
            Rollback();
            throw;
        }
    }

    /// <summary>Puts a parked action back in the queue with a fresh attempt count; false when the key is not parked.</summary>
    public bool Requeue(string key, long nowTicks)
    {
        if (Outbox.FindById(key) is not { } d || StatusOf(d) != Failed) return false;
        d["status"] = Pending;
        d["attempts"] = 0;
        d["next_at"] = nowTicks;
        Outbox.Update(d);
        return true;
    }

    public OutboxEntry? OutboxEntryOf(string key) => Outbox.FindById(key) is { } d ? ToEntry(d) : null;

    /// <summary>Outbox actions, optionally of one status, oldest first.</summary>
    public List<OutboxEntry> OutboxEntries(string? status, int max) =>
        [.. Outbox.FindAll().Select(ToEntry).Where(e => status is null || e.Status == status).OrderBy(e => e.Seq).Take(max)];

    /// <summary>How many outbox actions are in each status (counted by query: /api/health calls this often).</summary>
    public Dictionary<string, int> OutboxCounts()
    {
        var delivered = Outbox.Count(Query.EQ("delivered", true));
        var failed = Outbox.Count(Query.EQ("status", Failed));
        return new Dictionary<string, int>(StringComparer.Ordinal)
        {
            [Pending] = Outbox.Count() - delivered - failed, [DeliveredStatus] = delivered, [Failed] = failed,
        };
    }
}
