using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;

namespace MarketingDsl.Cli.Tests;

/// <summary>
/// `mdsl serve` as a separate process: the committer's and the collector's figures over HTTP for an
/// admin (`GET /api/admin/timings`, `POST /api/admin/timings/reset`), as a load client in another
/// process reads them, and the standing wall clock of <c>MDSL_SERVE_CLOCK</c> for replaying a history.
/// </summary>
public sealed class ServeTimingsTests : IDisposable
{
    private const string Token = "a-long-admin-token-for-tests";
    private readonly ServeSandbox _serve = new("mdsl-timings-tests");
    private string Root => _serve.Root;

    public ServeTimingsTests()
    {
        Directory.CreateDirectory(Path.Combine(Root, "ws"));
        File.WriteAllText(Path.Combine(Root, "ws", "schema.mdsl"),
            "schema {\n  profile { user_id: string key }\n  event login { id: string unique }\n}\n");
        File.WriteAllText(Path.Combine(Root, "ws", "main.mdsl"), "channel push { cost: 0 }\njourney welcome { trigger: login  steps { " +
            "send push \"hello\" } }\n");
    }

    public void Dispose() => _serve.Dispose();

    [Fact]
    public async Task Timings_answer_the_committers_groups_and_the_collectors_counts_to_an_admin_and_reset_forgets_the_groups()
    {
        var url = await StartServe(new Dictionary<string, string?> { ["MDSL_ADMIN_TOKEN"] = Token, ["MDSL_SERVE_CLOCK"] = null });
        using var http = new HttpClient { BaseAddress = url };
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("/api/profiles", Json("[{\"user_id\":\"u1\"}]"))).StatusCode);
        for (var i = 0; i < 3; i++)
        {
            var ts = DateTime.UtcNow.AddSeconds(-10).ToString("O");
            var posted = await http.PostAsync("/api/events", Json($"[{{\"type\":\"login\",\"user_id\":\"u1\",\"ts\":\"{ts}\",\"id\":\"e{i}\"}}]"));
            Assert.Contains("accepted", await posted.Content.ReadAsStringAsync());
        }

        // Without the token, or with another, the figures are refused like every admin call.
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/admin/timings")).StatusCode);
        using (var wrong = new HttpRequestMessage(HttpMethod.Get, "/api/admin/timings"))
        {
            wrong.Headers.Authorization = new("Bearer", "not-the-admin-token-at-all");
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(wrong)).StatusCode);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.PostAsync("/api/admin/timings/reset", Json("{}"))).StatusCode);

        using var before = await Timings(http);
        var committer = before.RootElement.GetProperty("committer");
        Assert.Equal(3, committer.GetProperty("events").GetInt64());
        Assert.True(committer.GetProperty("group_commits").GetInt64() >= 1);
        Assert.Equal(3, committer.GetProperty("requests").GetInt64());
        Assert.True(committer.GetProperty("request_p99_ms").GetDouble() > 0);
        Assert.Contains("groups", before.RootElement.GetProperty("summary").GetString());
        var collector = before.RootElement.GetProperty("collector");
        // The figures are the serve process's own: its runtimeconfig's collector, its allocations.
        Assert.True(collector.GetProperty("server").GetBoolean());
        // A blocking full collection stops every request for hundreds of milliseconds: a client sees by the index whether one ran.
        Assert.True(collector.GetProperty("full_blocking_index").GetInt64() >= 0);
        Assert.True(collector.GetProperty("full_blocking_pause_ms").GetDouble() >= 0);
        Assert.True(collector.GetProperty("allocated_bytes").GetInt64() > 0);
        Assert.True(collector.GetProperty("gen0_collections").GetInt32() >= 0);
        Assert.True(collector.GetProperty("pause_total_ms").GetDouble() >= 0);
        Assert.True(before.RootElement.GetProperty("process").GetProperty("cpu_ms").GetDouble() > 0);
        Assert.Equal(1, before.RootElement.GetProperty("runtime").GetProperty("cached_users").GetInt32());

        using (var reset = new HttpRequestMessage(HttpMethod.Post, "/api/admin/timings/reset") { Content = Json("{}") })
        {
            reset.Headers.Authorization = new("Bearer", Token);
            Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(reset)).StatusCode);
        }
        using var after = await Timings(http);
        Assert.Equal(0, after.RootElement.GetProperty("committer").GetProperty("events").GetInt64());
        Assert.Equal(0, after.RootElement.GetProperty("committer").GetProperty("group_commits").GetInt64());
        // The collector's counters are the process's since its start: a reset of the committer leaves them.
        Assert.True(after.RootElement.GetProperty("collector").GetProperty("allocated_bytes").GetInt64() >=
            collector.GetProperty("allocated_bytes").GetInt64());
    }

    [Fact]
    public async Task Without_an_admin_token_the_timings_are_disabled()
    {
        var url = await StartServe(new Dictionary<string, string?> { ["MDSL_ADMIN_TOKEN"] = null, ["MDSL_SERVE_CLOCK"] = null });
        using var http = new HttpClient { BaseAddress = url };
        var answer = await http.GetAsync("/api/admin/timings");
        Assert.Equal(HttpStatusCode.Forbidden, answer.StatusCode);
        Assert.Contains("MDSL_ADMIN_TOKEN", await answer.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_standing_clock_from_MDSL_SERVE_CLOCK_judges_future_events_against_that_instant()
    {
        var url = await StartServe(new Dictionary<string, string?> { ["MDSL_ADMIN_TOKEN"] = null, ["MDSL_SERVE_CLOCK"] = "2025-01-01T00:00:00Z" });
        using var http = new HttpClient { BaseAddress = url };
        await http.PostAsync("/api/profiles", Json("[{\"user_id\":\"u1\"}]"));
        // One minute after the standing clock is within the default skew (5m); a day after is ahead of it, though long past by the
        // system's clock.
        var posted = await http.PostAsync("/api/events", Json(
            "[{\"type\":\"login\",\"user_id\":\"u1\",\"ts\":\"2025-01-01T00:01:00Z\",\"id\":\"a\"}," +
            "{\"type\":\"login\",\"user_id\":\"u1\",\"ts\":\"2025-01-02T00:00:00Z\",\"id\":\"b\"}]"));
        using var results = JsonDocument.Parse(await posted.Content.ReadAsStringAsync());
        var statuses = results.RootElement.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("status").GetString()!).ToArray();
        Assert.Equal<string[]>(["accepted", "rejected"], statuses);
        using var health = JsonDocument.Parse(await http.GetStringAsync("/api/health"));
        Assert.StartsWith("2025-01-01T00:01:00", health.RootElement.GetProperty("clock").GetString());
    }

    [Fact]
    public async Task A_clock_that_is_no_instant_is_refused_at_start()
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "mdsl.dll"), "serve", Path.Combine(Root, "ws"), "--urls",
            "http://127.0.0.1:0", "--db", Path.Combine(Root, "live.db"), "--editor-db", Path.Combine(Root, "editor.db") })
            info.ArgumentList.Add(a);
        info.Environment["MDSL_SERVE_CLOCK"] = "yesterday";
        using var process = Process.Start(info)!;
        _serve.Track(process);
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.Equal(2, process.ExitCode);
        Assert.Contains("MDSL_SERVE_CLOCK must be an ISO-8601 instant", await stderr);
    }

    /// <summary>
    /// The bytes `mdsl serve` allocates per single-event ingest request (a workspace without
    /// journeys: the HTTP path and the store): the collector's pauses grow with them. The ingest
    /// endpoints run as soon as routing finds them, before the editor's sign-in middleware, whose
    /// cookie handler allocated about 1.5 KB per request; serve, started from the folder of its
    /// store, no longer watches that folder for configuration changes (every commit's writes were
    /// file events, 2.8 KB per request here). 12.4 KB per request before both, 11.8 with the first
    /// alone, 9.0 after.
    /// </summary>
    [Fact]
    public async Task A_single_event_ingest_request_allocates_no_sign_in_work()
    {
        Directory.CreateDirectory(Path.Combine(Root, "plain"));
        File.Copy(Path.Combine(Root, "ws", "schema.mdsl"), Path.Combine(Root, "plain", "schema.mdsl"));
        var url = await StartServe(new Dictionary<string, string?> { ["MDSL_ADMIN_TOKEN"] = Token, ["MDSL_SERVE_CLOCK"] = null }, "plain");
        using var http = new HttpClient { BaseAddress = url };
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("/api/profiles", Json("[{\"user_id\":\"u1\"}]"))).StatusCode);
        var start = DateTime.UtcNow.AddHours(-1);
        async Task Send(int from, int count)
        {
            for (var i = from; i < from + count; i++)
            {
                var ts = start.AddMilliseconds(i).ToString("O");
                var body = $"[{{\"type\":\"login\",\"user_id\":\"u1\",\"ts\":\"{ts}\",\"id\":\"e{i}\"}}]";
                using var posted = await http.PostAsync("/api/events", Json(body));
                Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
            }
        }
        // Warm: the JIT's tiers, the pools of Kestrel and of the store.
        await Send(0, 500);
        const int Measured = 2_000;
        using var before = await Timings(http);
        await Send(500, Measured);
        using var after = await Timings(http);
        static long Allocated(JsonDocument d) => d.RootElement.GetProperty("collector").GetProperty("allocated_bytes").GetInt64();
        var perRequest = (Allocated(after) - Allocated(before)) / (double)Measured;
        Assert.True(perRequest < 10_500, $"{perRequest:0} bytes allocated per single-event request");
    }

    private static async Task<JsonDocument> Timings(HttpClient http)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/admin/timings");
        request.Headers.Authorization = new("Bearer", Token);
        using var answer = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        return JsonDocument.Parse(await answer.Content.ReadAsStringAsync());
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private async Task<Uri> StartServe(IReadOnlyDictionary<string, string?> environment, string workspace = "ws")
    {
        // Started from the folder that holds the workspace and its store, as a user starts it.
        var (_, url) = await _serve.StartAsync(
            [Path.Combine(Root, workspace), "--urls", "http://127.0.0.1:0", "--db", Path.Combine(Root, "live.db"),
                "--editor-db", Path.Combine(Root, "editor.db"), "--outbox-dir", Path.Combine(Root, "outbox")], environment,
            workingDirectory: Root);
        return url;
    }
}
