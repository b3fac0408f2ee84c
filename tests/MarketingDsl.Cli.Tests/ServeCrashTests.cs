using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using MarketingDsl.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace MarketingDsl.Cli.Tests;

/// <summary>
/// `mdsl serve` as a separate process, killed hard (SIGKILL: <see cref="Process.Kill()"/> on Linux)
/// in the middle of a stream of events, then restarted on the same LiteDB file.
/// </summary>
public sealed partial class ServeCrashTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private const string Schema = """
        schema {
          profile { user_id: string key }
          event login { }
          event cart_add { price: decimal? }
        }
        """;

    // push goes to the channel files, email to the webhook.
    private const string Main = """
        channel push { cost: 0 }
        channel email { cost: 0 }
        journey welcome { trigger: login  steps { send push "hello" } }
        journey cart { trigger: cart_add  steps { wait 1h  send email "reminder" } }
        """;

    private const int Users = 10;
    private const int Events = 160;
    private static readonly DateTime Start = new(2025, 3, 1, 0, 0, 0, DateTimeKind.Utc);

    private readonly ServeSandbox _serve = new("mdsl-crash-tests");
    private string Root => _serve.Root;

    public void Dispose() => _serve.Dispose();

    /// <summary>
    /// Event i: user u(i mod 10) at Start + 10·i minutes, a cart_add in even rounds of ten, a login
    /// in odd ones; so each user's events are 100 minutes apart and every cart_add enters `cart`
    /// and its 1-hour wait ends before the user's next event.
    /// </summary>
    private static string EventJson(int i)
    {
        var type = i / Users % 2 == 0 ? "cart_add" : "login";
        var ts = Start.AddMinutes(10 * i).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        return $$"""[{"type":"{{type}}","user_id":"u{{i % Users}}","ts":"{{ts}}","id":"e{{i}}"{{(type == "cart_add" ? ",\"price\":5" : "")}}}]""";
    }

    [Fact]
    public async Task After_a_sigkill_mid_stream_no_acknowledged_event_or_journey_is_lost_and_no_key_is_delivered_twice()
    {
        var clock = Stopwatch.StartNew();
        var workspace = Path.Combine(Root, "ws");
        Directory.CreateDirectory(workspace);
        File.WriteAllText(Path.Combine(workspace, "schema.mdsl"), Schema);
        File.WriteAllText(Path.Combine(workspace, "main.mdsl"), Main);
        var db = Path.Combine(Root, "live.db");
        var outbox = Path.Combine(Root, "outbox");
        await using var receiver = await DedupingReceiver.StartAsync();

        // 1. Stream events one request at a time; kill the server hard once 60 are acknowledged, with requests still going.
        var (server, url) = await StartServe(workspace, db, outbox, receiver.Url);
        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(10) };
        Assert.Equal(200, (int)(await http.PostAsync("/api/profiles", Json(
            "[" + string.Join(",", Enumerable.Range(0, Users).Select(u => $$"""{"user_id":"u{{u}}"}""")) + "]"))).StatusCode);
        var acknowledged = new ConcurrentBag<int>();
        var stream = Task.Run(async () =>
        {
            for (var i = 0; i < Events; i++)
            {
                try
                {
                    var response = await http.PostAsync("/api/events", Json(EventJson(i)));
                    if (!response.IsSuccessStatusCode) return i;
                    using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                    Assert.Equal("accepted", doc.RootElement.GetProperty("results")[0].GetProperty("status").GetString());
                    acknowledged.Add(i);
                }
                catch (HttpRequestException) { return i; }
                catch (TaskCanceledException) { return i; }
            }
            return Events;
        });
        while (acknowledged.Count < 60 && !stream.IsCompleted) await Task.Delay(5);
        server.Kill();   // SIGKILL
        await server.WaitForExitAsync();
        var stoppedAt = await stream;
        Assert.True(stoppedAt < Events, "the stream finished before the kill: the test proves nothing");
        var acked = acknowledged.ToHashSet();
        Assert.True(acked.Count >= 60);
        output.WriteLine($"killed after {acked.Count} acknowledged events, stream stopped at e{stoppedAt}, {clock.Elapsed.TotalSeconds:0.0} s");

        // 2. Restart on the same store; send every event again: each acknowledged one must come back as a duplicate.
        (server, url) = await StartServe(workspace, db, outbox, receiver.Url);
        using var http2 = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(10) };
        for (var i = 0; i < Events; i++)
        {
            var response = await http2.PostAsync("/api/events", Json(EventJson(i)));
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var status = doc.RootElement.GetProperty("results")[0].GetProperty("status").GetString();
            if (acked.Contains(i)) Assert.True(status == "duplicate", $"acknowledged event e{i} was lost: now {status}");
            else Assert.True(status is "accepted" or "duplicate", $"e{i}: {status}");
        }
        // A late event moves the clock past every wait (the server runs with a grace so long that only events move time).
        await http2.PostAsync("/api/events", Json($$"""[{"type":"login","user_id":"u0","ts":"2025-04-01T00:00:00Z","id":"last"}]"""));
        for (var tries = 0; tries < 200; tries++)
        {
            using var health = JsonDocument.Parse(await http2.GetStringAsync("/api/health"));
            var o = health.RootElement.GetProperty("outbox");
            if (o.GetProperty("pending").GetInt32() == 0 && o.GetProperty("delivered").GetInt32() == Events + 1) break;
            await Task.Delay(50);
        }
        output.WriteLine($"restarted, resent, delivered: {clock.Elapsed.TotalSeconds:0.0} s");
        server.Kill();   // a second hard stop: what was confirmed must stay confirmed
        await server.WaitForExitAsync();

        // 3. Every event is stored; every entry of `cart` (a journey state with a pending wait, across the crash) sent its reminder.
        var carts = Enumerable.Range(0, Events).Where(i => i / Users % 2 == 0).ToList();
        var logins = Enumerable.Range(0, Events).Except(carts).ToList();
        using (var store = new LiveStore(db))
        {
            foreach (var i in Enumerable.Range(0, Events)) Assert.True(store.HasEvent(i / Users % 2 == 0 ? "cart_add" : "login", "e" + i),
                $"e{i} is not in the store");
            foreach (var i in carts) Assert.False(store.State("cart", "u" + (i % Users))!.Active);
            var counts = store.OutboxCounts();
            Assert.Equal((Events + 1, 0, 0), (counts[LiveStore.DeliveredStatus], counts[LiveStore.Pending], counts[LiveStore.Failed]));
        }
        var expectedReminders = carts.Select(i => $"cart|u{i % Users}|{Iso(Start.AddMinutes(10 * i))}|1").Order(StringComparer.Ordinal).ToList();
        var expectedHellos = logins.Select(i => $"welcome|u{i % Users}|{Iso(Start.AddMinutes(10 * i))}|0")
            .Append("welcome|u0|2025-04-01T00:00:00Z|0").Order(StringComparer.Ordinal).ToList();

        // The file adapter: each key exactly once (it skips keys already in the file after a crash).
        var fileKeys = File.ReadAllLines(Path.Combine(outbox, "push.jsonl")).Select(l =>
            JsonDocument.Parse(l).RootElement.GetProperty("key").GetString()!).ToList();
        Assert.Equal(expectedHellos, fileKeys.Order(StringComparer.Ordinal));

        // The webhook: each key took effect once at the receiver, which drops repeats by Idempotency-Key. A repeat
        // can only be a request the receiver answered while the server died before committing `delivered`:
        // at most one per delivery in flight (OutboxDispatcher.Parallelism), with the same body.
        Assert.Equal(expectedReminders, receiver.Effects.Keys.Order(StringComparer.Ordinal));
        var repeats = receiver.Requests.GroupBy(r => r.Key).Where(g => g.Count() > 1).ToList();
        output.WriteLine($"webhook: {receiver.Requests.Count} requests, {receiver.Effects.Count} keys, {repeats.Count} repeated; " +
            $"{clock.Elapsed.TotalSeconds:0.0} s");
        Assert.True(repeats.Sum(g => g.Count() - 1) <= OutboxDispatcher.Parallelism, $"{repeats.Count} keys repeated");
        Assert.All(repeats, g => Assert.Single(g.Select(r => r.Body).Distinct()));
    }


    /// <summary>
    /// The one window where a webhook action is sent twice: the receiver has applied it, and the
    /// server dies before it commits `delivered`. After the restart the action is still pending and
    /// goes again with the same Idempotency-Key and body; the receiver drops the repeat.
    /// </summary>
    [Fact]
    public async Task A_webhook_action_in_flight_at_a_sigkill_is_repeated_with_its_key_and_the_receiver_drops_the_repeat()
    {
        var workspace = Path.Combine(Root, "ws");
        Directory.CreateDirectory(workspace);
        File.WriteAllText(Path.Combine(workspace, "schema.mdsl"), Schema);
        File.WriteAllText(Path.Combine(workspace, "main.mdsl"), Main);
        var db = Path.Combine(Root, "live.db");
        var outbox = Path.Combine(Root, "outbox");
        await using var receiver = await DedupingReceiver.StartAsync();
        receiver.HoldFirst = new TaskCompletionSource();

        var (server, url) = await StartServe(workspace, db, outbox, receiver.Url);
        using (var http = new HttpClient { BaseAddress = url })
        {
            await http.PostAsync("/api/profiles", Json("""[{"user_id":"u0"}]"""));
            await http.PostAsync("/api/events", Json("""[{"type":"cart_add","user_id":"u0","ts":"2025-03-01T10:00:00Z","id":"c"}]"""));
            await http.PostAsync("/api/events", Json("""[{"type":"login","user_id":"u0","ts":"2025-03-01T12:00:00Z","id":"l"}]"""));
        }
        await receiver.FirstArrived.Task.WaitAsync(TimeSpan.FromSeconds(15));
        server.Kill();   // SIGKILL while the receiver holds its answer
        await server.WaitForExitAsync();
        receiver.HoldFirst.SetResult();

        (server, url) = await StartServe(workspace, db, outbox, receiver.Url);
        using (var http = new HttpClient { BaseAddress = url })
            for (var tries = 0; tries < 200; tries++)
            {
                using var health = JsonDocument.Parse(await http.GetStringAsync("/api/health"));
                if (health.RootElement.GetProperty("outbox").GetProperty("delivered").GetInt32() == 2) break;   // hello and the reminder
                await Task.Delay(50);
            }
        server.Kill();
        await server.WaitForExitAsync();

        const string key = "cart|u0|2025-03-01T10:00:00Z|1";
        var requests = receiver.Requests.ToList();
        Assert.Equal([key, key], requests.Select(r => r.Key));
        Assert.Equal(requests[0].Body, requests[1].Body);
        Assert.Equal([key], receiver.Effects.Keys);
        using var store = new LiveStore(db);
        Assert.Equal(LiveStore.DeliveredStatus, store.OutboxEntryOf(key)!.Status);
    }

    private static string Iso(DateTime t) => t.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>Starts the built CLI (`dotnet mdsl.dll serve …`) and waits for the address it prints.</summary>
    private Task<(Process Process, Uri Url)> StartServe(string workspace, string db, string outbox, Uri webhook) =>
        _serve.StartAsync([workspace, "--urls", "http://127.0.0.1:0", "--db", db, "--outbox-dir", outbox,
            "--grace", "3650d", "--webhook", "email=" + webhook, "--webhook-timeout", "5s"], startTimeout: TimeSpan.FromSeconds(20));

    /// <summary>A webhook receiver that applies each Idempotency-Key once and records every request.</summary>
    private sealed class DedupingReceiver : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private DedupingReceiver(WebApplication app) => _app = app;

        public ConcurrentQueue<(string Key, string Body)> Requests { get; } = new();
        /// <summary>When set, the first request is applied and then held (no answer) until this completes.</summary>
        public TaskCompletionSource? HoldFirst { get; set; }
        public TaskCompletionSource FirstArrived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public ConcurrentDictionary<string, string> Effects { get; } = new(StringComparer.Ordinal);
        public Uri Url => new(_app.Urls.First() + "/hook");

        public static async Task<DedupingReceiver> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--urls", "http://127.0.0.1:0"] });
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            var app = builder.Build();
            var receiver = new DedupingReceiver(app);
            app.MapPost("/hook", async (HttpContext http) =>
            {
                using var reader = new StreamReader(http.Request.Body);
                var body = await reader.ReadToEndAsync();
                var key = http.Request.Headers["Idempotency-Key"].ToString();
                receiver.Requests.Enqueue((key, body));
                receiver.Effects.TryAdd(key, body);   // a repeat is acknowledged and has no further effect
                if (receiver.FirstArrived.TrySetResult() && receiver.HoldFirst is { } hold) await hold.Task;
                return Results.Ok();
            });
            await app.StartAsync();
            return receiver;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
