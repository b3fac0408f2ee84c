using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace MarketingDsl.Runtime.Tests;

/// <summary>
/// /api/health never waits for the runtime's lock nor scans a table (its counts are kept in memory
/// as commits land), and a store whose disk fills answers 503 with a JSON error, keeps what was
/// acknowledged and serves again once there is space.
/// </summary>
public sealed class HealthAndFullDiskTests : IDisposable
{
    private const string Schema = """
        schema {
          profile { user_id: string key }
          identity { member_id, phone }
          event login { note: string? }
        }
        """;

    private const string Main = """
        channel push { cost: 0 }
        journey hello { trigger: login  steps { send push "hi" } }
        """;

    private readonly LiveFixture _f = new(Schema, Main);
    public void Dispose() => _f.Dispose();

    private WebApplication App() => RuntimeApp.Build(_f.Compilation, new LiveOptions
    {
        DbPath = _f.Db, OutboxDir = _f.Outbox, Clock = _f.WallClock, MaxFutureSkew = TimeSpan.MaxValue, AdminToken = LiveFixture.AdminToken,
    }, ["--urls", "http://127.0.0.1:0"]);

    private static Task<HttpResponseMessage> Post(HttpClient http, string path, string json) =>
        http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    private static string Logins(int from, int count, string note = "") => "[" + string.Join(",", Enumerable.Range(from, count).Select(i =>
        $$"""{"type":"login","user_id":"a","ts":"2025-03-01T10:00:{{i % 60:00}}Z","id":"L{{i}}","note":"{{note}}"}""")) + "]";

    [Fact]
    public async Task Health_answers_exact_counts_while_another_thread_holds_the_runtimes_lock()
    {
        var app = App();
        await app.StartAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
            var merged = await Post(http, "/api/profiles", """[{"user_id":"b","phone":"1"},{"user_id":"a","phone":"1","member_id":"M"}]""");
            Assert.Contains("merged user 'b' into 'a'", await merged.Content.ReadAsStringAsync());
            // The same identity values again: an update of the index, not new values.
            Assert.Equal(200, (int)(await Post(http, "/api/profiles", """[{"user_id":"a","phone":"1","member_id":"M"}]""")).StatusCode);
            Assert.Equal(200, (int)(await Post(http, "/api/events", Logins(0, 3))).StatusCode);

            var runtime = app.Services.GetRequiredService<LiveRuntime>();
            using var held = new ManualResetEventSlim();
            using var release = new ManualResetEventSlim();
            var holder = new Thread(() =>
            {
                lock (runtime.Gate)
                {
                    held.Set();
                    release.Wait();
                }
            });
            holder.Start();
            held.Wait();
            try
            {
                // Before: health took the lock, so this waited for the holder (the timeout only guards against that hang).
                var text = await http.GetStringAsync("/api/health").WaitAsync(TimeSpan.FromSeconds(20));
                using var health = JsonDocument.Parse(text);
                var identity = health.RootElement.GetProperty("identity");
                Assert.Equal(2, identity.GetProperty("values").GetInt32());
                Assert.Equal(1, identity.GetProperty("merges").GetInt32());
                Assert.Equal("2025-03-01T10:00:02.0000000Z", health.RootElement.GetProperty("clock").GetString());
                var outbox = health.RootElement.GetProperty("outbox");
                Assert.Equal(3, outbox.GetProperty("pending").GetInt32() + outbox.GetProperty("delivered").GetInt32());
            }
            finally
            {
                release.Set();
                holder.Join();
            }
            Assert.Equal(2, runtime.Store.IdentityCount());
            Assert.Single(runtime.Store.IdentityMerges());
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
        // Reopened, the counts are read once from the file: the same.
        using var reopened = _f.Open();
        Assert.Equal((2, 1), reopened.IdentityCounts());
    }

    [Fact]
    public async Task A_full_disk_answers_503_with_a_json_error_keeps_what_was_acknowledged_and_serves_again_once_there_is_space()
    {
        var app = App();
        await app.StartAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
            Assert.Equal(200, (int)(await Post(http, "/api/profiles", """[{"user_id":"a"}]""")).StatusCode);
            Assert.Contains("accepted", await (await Post(http, "/api/events", Logins(0, 1))).Content.ReadAsStringAsync());

            var store = app.Services.GetRequiredService<LiveRuntime>().Store;
            store.LimitPages(store.LimitPages(long.MaxValue));   // no page more: the next write that grows the file fails
            var note = new string('x', 2_000);
            var full = await Post(http, "/api/events", Logins(1, 200, note));
            Assert.Equal(503, (int)full.StatusCode);
            Assert.Equal("application/json; charset=utf-8", full.Content.Headers.ContentType?.ToString());
            Assert.True(full.Headers.RetryAfter is not null, "no Retry-After");
            using (var error = JsonDocument.Parse(await full.Content.ReadAsStringAsync()))
                Assert.Contains("disk is full", error.RootElement.GetProperty("error").GetString());
            Assert.True((await http.GetAsync("/api/health")).IsSuccessStatusCode);

            store.LimitPages(1L << 30);   // space again
            using (var again = JsonDocument.Parse(await (await Post(http, "/api/events", Logins(0, 201, note))).Content.ReadAsStringAsync()))
            {
                var statuses = again.RootElement.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("status").GetString()).ToList();
                Assert.Equal("duplicate", statuses[0]);   // acknowledged before the disk filled: kept
                Assert.All(statuses.Skip(1), s => Assert.Equal("accepted", s));
            }
            Assert.Equal(201, store.EventCount("a"));
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
