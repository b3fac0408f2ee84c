using System.Net;
using System.Text;
using System.Text.Json;

namespace MarketingDsl.Runtime.Tests;

/// <summary>Channel adapters: webhook retries with backoff and parking, the file adapter after a crash, delivery off the ingest path.</summary>
public sealed class DeliveryTests : IDisposable
{
    private readonly LiveFixture _f = new();
    public void Dispose() => _f.Dispose();

    private const string Key = "welcome|u1|2025-03-01T10:00:00Z|0";

    /// <summary>Backoff 10 s doubling, cap 40 s, jitter pinned at 0.5 (delay·0.75).</summary>
    private static DeliveryPolicy Policy(int maxAttempts = 5, TimeSpan? timeout = null) => new()
    {
        MaxAttempts = maxAttempts, BaseDelay = TimeSpan.FromSeconds(10), MaxDelay = TimeSpan.FromSeconds(40),
        Timeout = timeout ?? TimeSpan.FromSeconds(5), Jitter = () => 0.5,
    };

    private static void Login(LiveRuntime live)
    {
        live.IngestProfiles(LiveFixture.Json("""[{"user_id":"u1"}]"""));
        live.IngestEvents(LiveFixture.Json("""[{"type":"login","user_id":"u1","ts":"2025-03-01T10:00:00Z","id":"L1"}]"""));
    }

    private void Advance(double seconds) => _f.WallClock.Now = _f.WallClock.Now.AddSeconds(seconds);

    [Fact]
    public void The_backoff_doubles_with_equal_jitter_up_to_the_cap()
    {
        var low = new DeliveryPolicy { BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(30), Jitter = () => 0 };
        var high = new DeliveryPolicy { BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(30), Jitter = () => 0.999999 };
        Assert.Equal([0.5, 1, 2, 4, 8, 15, 15, 15], Enumerable.Range(1, 8).Select(a => low.DelayAfter(a).TotalSeconds));
        Assert.Equal([1, 2, 4, 8, 16, 30, 30], Enumerable.Range(1, 7).Select(a => Math.Round(high.DelayAfter(a).TotalSeconds, 3)));
        Assert.Equal(TimeSpan.FromSeconds(30), high.DelayAfter(1000).RoundTo());
    }

    [Fact]
    public async Task A_webhook_failing_twice_is_retried_on_the_backoff_schedule_then_delivered_once()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = (_, nth, _) => Task.FromResult(nth <= 2 ? 503 : 200);
        using var live = _f.OpenWithWebhook(receiver.Url, Policy());
        Login(live);   // ingest delivers inline here (no background loop): attempt 1 fails
        Assert.Single(receiver.Requests);
        var entry = live.Store.OutboxEntryOf(Key)!;
        Assert.Equal((LiveStore.Pending, 1, "HTTP 503 from " + receiver.Url), (entry.Status, entry.Attempts, entry.LastError));
        Assert.Equal(_f.WallClock.Now.AddSeconds(7.5).UtcTicks, entry.NextAttemptAt);

        Advance(7.4);
        Assert.Equal(0, live.Deliver());
        Assert.Single(receiver.Requests);   // not due yet
        Advance(0.1);
        Assert.Equal(0, live.Deliver());   // attempt 2 fails: next after 20 s · 0.75
        Assert.Equal(_f.WallClock.Now.AddSeconds(15).UtcTicks, live.Store.OutboxEntryOf(Key)!.NextAttemptAt);
        Advance(15);
        Assert.Equal(1, live.Deliver());
        Advance(3600);
        Assert.Equal(0, live.Deliver());

        var requests = receiver.Of(Key);
        Assert.Equal([1, 2, 3], requests.Select(r => r.Attempt));
        Assert.Equal(3, receiver.Requests.Count);
        using var body = JsonDocument.Parse(requests[^1].Body);
        Assert.Equal(Key, body.RootElement.GetProperty("key").GetString());
        Assert.Equal("hello", body.RootElement.GetProperty("template").GetString());
        entry = live.Store.OutboxEntryOf(Key)!;
        Assert.Equal((LiveStore.DeliveredStatus, 3), (entry.Status, entry.Attempts));
    }

    [Fact]
    public async Task After_the_maximum_attempts_an_action_is_parked_as_failed_and_can_be_requeued()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = (_, _, _) => Task.FromResult(500);
        using var live = _f.OpenWithWebhook(receiver.Url, Policy(maxAttempts: 4));
        Login(live);
        foreach (var wait in new[] { 7.5, 15, 30 }) { Advance(wait); live.Deliver(); }
        Assert.Equal(4, receiver.Requests.Count);
        var entry = live.Store.OutboxEntryOf(Key)!;
        Assert.Equal((LiveStore.Failed, 4), (entry.Status, entry.Attempts));
        Advance(86_400);
        live.Deliver();
        Assert.Equal(4, receiver.Requests.Count);   // parked: never tried again by itself, never dropped
        Assert.Equal(1, live.Store.OutboxCounts()[LiveStore.Failed]);
        Assert.Single(live.Store.OutboxEntries(LiveStore.Failed, 10));

        receiver.Respond = (_, _, _) => Task.FromResult(200);
        Assert.True(live.Store.Requeue(Key, _f.WallClock.Now.UtcTicks));
        Assert.Equal(1, live.Deliver());
        Assert.Equal(LiveStore.DeliveredStatus, live.Store.OutboxEntryOf(Key)!.Status);
    }

    [Fact]
    public async Task A_refusing_receiver_parks_at_once_and_a_conflict_counts_as_delivered()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = (_, _, _) => Task.FromResult(400);
        using var live = _f.OpenWithWebhook(receiver.Url, Policy());
        Login(live);
        Assert.Equal((LiveStore.Failed, 1), (live.Store.OutboxEntryOf(Key)!.Status, live.Store.OutboxEntryOf(Key)!.Attempts));
        receiver.Respond = (_, _, _) => Task.FromResult(409);   // "I already have this key"
        live.IngestEvents(LiveFixture.Json("""[{"type":"login","user_id":"u1","ts":"2025-03-01T11:00:00Z","id":"L2"}]"""));
        Assert.Equal(LiveStore.DeliveredStatus, live.Store.OutboxEntryOf("welcome|u1|2025-03-01T11:00:00Z|0")!.Status);
    }

    [Fact]
    public async Task A_receiver_slower_than_the_timeout_is_a_failed_attempt()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = async (_, nth, ct) => { if (nth == 1) await Task.Delay(TimeSpan.FromSeconds(5), ct); return 200; };
        using var live = _f.OpenWithWebhook(receiver.Url, Policy(timeout: TimeSpan.FromMilliseconds(200)));
        Login(live);
        var entry = live.Store.OutboxEntryOf(Key)!;
        Assert.Equal((LiveStore.Pending, 1), (entry.Status, entry.Attempts));
        Assert.StartsWith("timeout after 0.2 s", entry.LastError);
        Advance(7.5);
        Assert.Equal(1, live.Deliver());
        Assert.Equal([1, 2], receiver.Of(Key).Select(r => r.Attempt));
    }

    [Fact]
    public async Task A_pending_retry_survives_a_restart_and_succeeds_after_it()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = (_, nth, _) => Task.FromResult(nth == 1 ? 502 : 200);
        using (var live = _f.OpenWithWebhook(receiver.Url, Policy())) Login(live);
        Assert.Single(receiver.Requests);
        Advance(7.5);
        using (var live = _f.OpenWithWebhook(receiver.Url, Policy()))
        {
            var entry = live.Store.OutboxEntryOf(Key)!;
            Assert.Equal((LiveStore.Pending, 1), (entry.Status, entry.Attempts));
            Assert.Equal(1, live.Deliver());
        }
        Assert.Equal([1, 2], receiver.Of(Key).Select(r => r.Attempt));
        using (var live = _f.OpenWithWebhook(receiver.Url, Policy())) Assert.Equal(0, live.Deliver());
        Assert.Equal(2, receiver.Requests.Count);
    }

    [Fact]
    public async Task Ingest_over_http_answers_while_the_webhook_receiver_is_still_busy()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var release = new TaskCompletionSource();
        var arrived = new TaskCompletionSource();
        receiver.Respond = async (_, _, ct) => { arrived.TrySetResult(); await release.Task.WaitAsync(ct); return 200; };
        var options = new LiveOptions
        {
            DbPath = _f.Db, Clock = TimeProvider.System, Delivery = Policy(),
            Webhooks = new Dictionary<string, Uri> { ["*"] = receiver.Url }, AdminToken = LiveFixture.AdminToken,
        };
        var app = RuntimeApp.Build(_f.Compilation, options, ["--urls", "http://127.0.0.1:0"]);
        await app.StartAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = TimeSpan.FromSeconds(20) };
            await http.PostAsync("/api/profiles", new StringContent("""[{"user_id":"u1"}]""", Encoding.UTF8, "application/json"));
            var first = await http.PostAsync("/api/events",
                new StringContent("""[{"type":"login","user_id":"u1","ts":"2025-03-01T10:00:00Z"}]""", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            await arrived.Task.WaitAsync(TimeSpan.FromSeconds(15));
            // The receiver holds the first delivery; ingest still answers.
            var second = await http.PostAsync("/api/events",
                new StringContent("""[{"type":"login","user_id":"u1","ts":"2025-03-01T11:00:00Z"}]""", Encoding.UTF8, "application/json"));
            Assert.Equal("""{"results":[{"index":0,"status":"accepted"}]}""", await second.Content.ReadAsStringAsync());
            Assert.False(release.Task.IsCompleted);
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", LiveFixture.AdminToken);
            using (var outbox = JsonDocument.Parse(await http.GetStringAsync("/api/outbox?status=pending")))
                Assert.Equal(2, outbox.RootElement.GetProperty("counts").GetProperty("pending").GetInt32());
            release.SetResult();
            for (var i = 0; i < 100; i++)
            {
                using var health = JsonDocument.Parse(await http.GetStringAsync("/api/health"));
                if (health.RootElement.GetProperty("outbox").GetProperty("delivered").GetInt32() == 2) break;
                await Task.Delay(100);
            }
            using var done = JsonDocument.Parse(await http.GetStringAsync("/api/outbox"));
            Assert.Equal(2, done.RootElement.GetProperty("counts").GetProperty("delivered").GetInt32());
            Assert.Equal(Key, done.RootElement.GetProperty("items")[0].GetProperty("key").GetString());
            Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("/api/outbox?status=lost")).StatusCode);
        }
        finally
        {
            release.TrySetResult();
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    [Fact]
    public void The_file_adapter_after_a_crash_skips_keys_already_written_and_cuts_a_torn_line()
    {
        // Actions committed to the outbox with no adapter (as if the process died before delivering).
        using (var live = new LiveRuntime(_f.Compilation.Model, new LiveOptions { DbPath = _f.Db, Clock = _f.WallClock,
            MaxFutureSkew = TimeSpan.MaxValue }))
        {
            Login(live);
            live.IngestEvents(LiveFixture.Json("""[{"type":"login","user_id":"u1","ts":"2025-03-01T11:00:00Z","id":"L2"}]"""));
            Assert.Equal(2, live.Store.OutboxCounts()[LiveStore.Pending]);
            // The crash: the first line was fsynced (its mark not committed), the second torn half-way.
            var lines = live.Store.OutboxEntries(null, 10).Select(e => e.Line).ToList();
            Directory.CreateDirectory(_f.Outbox);
            File.WriteAllText(Path.Combine(_f.Outbox, "push.jsonl"), lines[0] + "\n" + lines[1][..20]);
        }
        using (var live = _f.Open())
        {
            Assert.Equal(2, live.Deliver());
            Assert.Equal(2, live.Store.OutboxCounts()[LiveStore.DeliveredStatus]);
        }
        var keys = _f.OutboxLines().Select(l => l.Line.GetProperty("key").GetString()).ToList();
        Assert.Equal([Key, "welcome|u1|2025-03-01T11:00:00Z|0"], keys);
    }
}

internal static class TimeSpanRounding
{
    public static TimeSpan RoundTo(this TimeSpan t) => TimeSpan.FromSeconds(Math.Round(t.TotalSeconds));
}
