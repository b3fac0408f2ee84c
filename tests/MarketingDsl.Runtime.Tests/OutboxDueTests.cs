namespace MarketingDsl.Runtime.Tests;

/// <summary>
/// The pending outbox as the delivery loop reads it (LiveStore.Delivery.cs): a round and the loop's
/// next wake look only at what is due, however many actions wait for a retry (a receiver down for
/// hours), and a round's actions come in outbox order.
/// </summary>
public sealed class OutboxDueTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "mdsl-live-tests", "outbox-due-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void Actions_waiting_for_a_retry_cost_a_round_nothing_until_they_are_due()
    {
        using var store = new LiveStore(Path.Combine(_root, "live.db"));
        const int Waiting = 5_000;
        var retryAt = new DateTime(2030, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;
        store.Begin();
        for (var i = 0; i < Waiting; i++) Assert.True(store.AddOutbox($"w{i}", "webhook", "{}"));
        store.Commit();
        store.Begin();
        // The receiver is down: each waits for its next attempt, the later ones later.
        for (var i = 0; i < Waiting; i++) store.RecordFailedAttempt($"w{i}", 1, retryAt + i, "503", park: false);
        foreach (var key in new[] { "f3", "f1", "f2" }) Assert.True(store.AddOutbox(key, "push", "{}"));
        store.Commit();

        var asked = 0;
        bool Routed(string channel)
        {
            asked++;
            return true;
        }
        var now = new DateTime(2029, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;
        Assert.Equal(0, store.NextDeliveryDue(Routed));   // the fresh actions: due at once
        Assert.Equal(1, asked);
        asked = 0;
        var due = store.DueForDelivery(now, 100, Routed);
        Assert.Equal(["f3", "f1", "f2"], due.Select(e => e.Key));   // outbox order
        Assert.Equal(3, asked);

        store.MarkDelivered(due);
        asked = 0;
        Assert.Equal(retryAt, store.NextDeliveryDue(Routed));
        Assert.Equal(1, asked);
        asked = 0;
        Assert.Empty(store.DueForDelivery(now, 100, Routed));
        Assert.Equal(0, asked);
        // Once due, the longest due come first, at most a round's worth.
        Assert.Equal(["w0", "w1"], store.DueForDelivery(retryAt + Waiting, 2, Routed).Select(e => e.Key));
    }

    [Fact]
    public void A_channel_without_an_adapter_is_passed_over_and_its_actions_stay_pending()
    {
        using var store = new LiveStore(Path.Combine(_root, "live.db"));
        store.Begin();
        Assert.True(store.AddOutbox("a", "nowhere", "{}"));
        Assert.True(store.AddOutbox("b", "push", "{}"));
        store.Commit();
        Assert.Equal(["b"], store.DueForDelivery(DateTime.UtcNow.Ticks, 10, c => c == "push").Select(e => e.Key));
        Assert.Equal(0, store.NextDeliveryDue(c => c == "push"));
        Assert.Null(store.NextDeliveryDue(_ => false));
        Assert.Equal(2, store.OutboxPendingInMemory);
    }
}
