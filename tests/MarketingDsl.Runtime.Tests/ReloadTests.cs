using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace MarketingDsl.Runtime.Tests;

/// <summary>Publishing a new workspace version to a running runtime: users in flight keep their state where the step is still there.</summary>
public sealed class ReloadTests : IDisposable
{
    private readonly LiveFixture _f = new();
    public void Dispose() => _f.Dispose();

    private string Version(Func<string, string> edit)
    {
        var main = edit(LiveFixture.Main);
        Assert.NotEqual(LiveFixture.Main, main);
        File.WriteAllText(Path.Combine(_f.Workspace, "main.mdsl"), main);
        return main;
    }

    private List<string> Sends() =>
        [.. _f.OutboxLines().Select(l => $"{l.Line.GetProperty("at").GetString()} {l.Line.GetProperty("user_id").GetString()} " +
            $"{l.Line.GetProperty("template").GetString()}").Order(StringComparer.Ordinal)];

    [Fact]
    public void Users_waiting_at_an_unchanged_step_continue_and_a_changed_step_or_journey_ends_them_with_a_reason()
    {
        using var live = _f.Open();
        live.IngestProfiles(LiveFixture.Json("""[{"user_id":"u1"},{"user_id":"u2"}]"""));
        live.IngestEvents(LiveFixture.Json("""
            [{"type":"cart_add","user_id":"u1","ts":"2025-03-01T10:00:00Z","price":200},
             {"type":"cart_add","user_id":"u2","ts":"2025-03-01T10:00:00Z","price":200}]
            """));

        // v2: the reminder's template changes; the first wait is the same, so both users continue on it.
        Version(m => m.Replace("send sms \"reminder\" offer \"c5\"", "send sms \"reminder_v2\" offer \"c5\""));
        var v2 = live.Reload(RuntimeApp.CompileWorkspace(_f.Workspace).Model);
        Assert.Empty(v2.Ended);
        Assert.Equal(2, v2.Continued);
        Assert.Equal(["2025-03-01T11:00:00Z u1 reminder_v2", "2025-03-01T11:00:00Z u2 reminder_v2", "2025-03-01T15:00:00Z u2 hello"],
            FirstSendsAfter(live, """
                [{"type":"cart_add","user_id":"u2","ts":"2025-03-01T15:00:00Z","price":1},
                 {"type":"login","user_id":"u2","ts":"2025-03-01T15:00:00Z"}]
                """));
        // u2's `late` send is deferred to 00:00Z (quiet hours until 08:00 in Asia/Shanghai).
        Assert.Contains(live.Store.AllTimers(), t => t is { Kind: LiveStore.DeferredTimer, Journey: "late", User: "u2" });

        // v3: the second wait becomes 2d (both users wait there: ended), and `late` is gone (u2's deferred send is dropped).
        Version(m => m.Replace("send sms \"reminder\" offer \"c5\"", "send sms \"reminder_v2\" offer \"c5\"").Replace("wait 1d", "wait 2d")
            .Replace("journey late { trigger: cart_add where price < 10  steps { send night \"good_morning\" } }", ""));
        var v3 = live.Reload(RuntimeApp.CompileWorkspace(_f.Workspace).Model);
        Assert.Equal(0, v3.Continued);
        Assert.Equal(["cart u1 step_changed", "cart u2 step_changed", "late u2 deferred_send_changed"],
            v3.Ended.Select(e => $"{e.Journey} {e.User} {e.Reason}").Order(StringComparer.Ordinal));
        Assert.Contains("wait ", v3.Ended[0].Detail);
        Assert.Equal(3, live.Store.JourneyEnds().Count);
        Assert.False(live.Store.State("cart", "u1")!.Active);

        live.IngestEvents(LiveFixture.Json("""[{"type":"login","user_id":"u1","ts":"2025-03-05T00:00:00Z"}]"""));
        Assert.DoesNotContain(Sends(), s => s.Contains("followup", StringComparison.Ordinal) || s.Contains("good_morning", StringComparison.Ordinal));
        Assert.Contains("2025-03-05T00:00:00Z u1 hello", Sends());

        // v4: `cart` is removed while u1 waits in it.
        live.IngestEvents(LiveFixture.Json("""[{"type":"cart_add","user_id":"u1","ts":"2025-03-05T01:00:00Z","price":500}]"""));
        Assert.True(live.Store.State("cart", "u1")!.Active);
        var main = File.ReadAllText(Path.Combine(_f.Workspace, "main.mdsl"));
        File.WriteAllText(Path.Combine(_f.Workspace, "main.mdsl"), main[..main.IndexOf("journey cart", StringComparison.Ordinal)]);
        var v4 = live.Reload(RuntimeApp.CompileWorkspace(_f.Workspace).Model);
        var end = Assert.Single(v4.Ended);
        Assert.Equal(("cart", "u1", LiveRuntime.EndJourneyRemoved), (end.Journey, end.User, end.Reason));
        Assert.Equal(new DateTime(2025, 3, 5, 1, 0, 0, DateTimeKind.Utc).Ticks, end.At);
        live.IngestEvents(LiveFixture.Json("""[{"type":"login","user_id":"u1","ts":"2025-03-07T00:00:00Z"}]"""));
        Assert.DoesNotContain(Sends(), s => s.StartsWith("2025-03-05T02", StringComparison.Ordinal));
    }

    /// <summary>Publishing by restarting `mdsl serve` on a changed workspace: the store remembers the shapes of the last version.</summary>
    [Fact]
    public void A_restart_on_a_changed_workspace_keeps_users_on_unchanged_steps_and_ends_the_others()
    {
        LiveRuntime OpenCurrent() => new(RuntimeApp.CompileWorkspace(_f.Workspace).Model,
            new LiveOptions { DbPath = _f.Db, OutboxDir = _f.Outbox, Clock = _f.WallClock, MaxFutureSkew = TimeSpan.MaxValue });
        using (var live = OpenCurrent())
        {
            live.IngestProfiles(LiveFixture.Json("""[{"user_id":"u1"},{"user_id":"u2"}]"""));
            live.IngestEvents(LiveFixture.Json("""
                [{"type":"cart_add","user_id":"u1","ts":"2025-03-01T10:00:00Z","price":200},
                 {"type":"cart_add","user_id":"u2","ts":"2025-03-01T13:00:00Z","price":200}]
                """));
            Assert.Empty(live.StartReport!.Ended);
        }
        // v2: another template for the follow-up; u1 waits at `wait 1d` (path 2), u2 at `wait 1h until order` (path 0).
        Version(m => m.Replace("send push \"followup\"", "send push \"followup_v2\""));
        using (var live = OpenCurrent())
        {
            Assert.Equal((2, 0), (live.StartReport!.Continued, live.StartReport.Ended.Count));
            live.IngestEvents(LiveFixture.Json("""[{"type":"login","user_id":"u1","ts":"2025-03-02T12:00:00Z"}]"""));
        }
        Assert.Contains("2025-03-02T11:00:00Z u1 followup_v2", Sends());
        // v3: `wait 1d` becomes `wait 2d`: u2 (waiting there since the reminder at 14:00) is ended at the restart, u1 is done.
        Version(m => m.Replace("send push \"followup\"", "send push \"followup_v2\"").Replace("wait 1d", "wait 2d"));
        using (var live = OpenCurrent())
        {
            var end = Assert.Single(live.StartReport!.Ended);
            Assert.Equal(("cart", "u2", LiveRuntime.EndStepChanged), (end.Journey, end.User, end.Reason));
            Assert.Contains("wait 864000000000", end.Detail);
            live.IngestEvents(LiveFixture.Json("""[{"type":"login","user_id":"u2","ts":"2025-03-05T00:00:00Z"}]"""));
        }
        Assert.Equal(["2025-03-01T11:00:00Z u1 reminder", "2025-03-01T14:00:00Z u2 reminder", "2025-03-02T11:00:00Z u1 followup_v2",
            "2025-03-02T12:00:00Z u1 hello", "2025-03-05T00:00:00Z u2 hello"], Sends());
    }

    [Fact]
    public async Task Reload_over_http_rejects_an_invalid_workspace_with_diagnostics_and_needs_the_admin_token()
    {
        var options = new LiveOptions { DbPath = _f.Db, OutboxDir = _f.Outbox, Clock = _f.WallClock, MaxFutureSkew = TimeSpan.MaxValue,
            Workspace = _f.Workspace, AdminToken = "s3cret-token" };
        var app = RuntimeApp.Build(_f.Compilation, options, ["--urls", "http://127.0.0.1:0"]);
        await app.StartAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
            await Post(http, "/api/profiles", """[{"user_id":"u1"}]""");
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.PostAsync("/api/workspace/reload", JsonBody())).StatusCode);
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "wrong");
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.PostAsync("/api/workspace/reload", JsonBody())).StatusCode);
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret-token");

            Version(m => m.Replace("send push \"hello\"", "send pushh \"hello\""));
            var bad = await http.PostAsync("/api/workspace/reload", JsonBody());
            Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
            using (var doc = JsonDocument.Parse(await bad.Content.ReadAsStringAsync()))
            {
                var diagnostic = doc.RootElement.GetProperty("diagnostics")[0];
                Assert.StartsWith("MD", diagnostic.GetProperty("code").GetString());
                Assert.Contains("pushh", diagnostic.GetProperty("message").GetString());
                Assert.True(diagnostic.GetProperty("start").GetProperty("line").GetInt32() > 0);
            }
            // The running version is unchanged: welcome still sends `hello` on push.
            await Post(http, "/api/events", """[{"type":"login","user_id":"u1","ts":"2025-03-01T10:00:00Z"}]""");

            await Post(http, "/api/events", """[{"type":"cart_add","user_id":"u1","ts":"2025-03-01T10:30:00Z","price":300}]""");
            Version(m => m.Replace("send push \"hello\"", "send push \"hello_v2\"").Replace("wait 1h until order", "wait 3h until order"));
            var good = await http.PostAsync("/api/workspace/reload", JsonBody());
            Assert.Equal(HttpStatusCode.OK, good.StatusCode);
            using (var doc = JsonDocument.Parse(await good.Content.ReadAsStringAsync()))
                Assert.Equal("step_changed", doc.RootElement.GetProperty("ended")[0].GetProperty("reason").GetString());
            using (var ends = JsonDocument.Parse(await http.GetStringAsync("/api/journey-ends")))
            {
                Assert.Equal(1, ends.RootElement.GetProperty("count").GetInt32());
                Assert.Equal("cart", ends.RootElement.GetProperty("ends")[0].GetProperty("journey").GetString());
            }
            await Post(http, "/api/events", """[{"type":"login","user_id":"u1","ts":"2025-03-01T11:00:00Z"}]""");
            for (var i = 0; i < 100 && _f.OutboxLines().Count < 2; i++) await Task.Delay(50);
            Assert.Equal(["2025-03-01T10:00:00Z u1 hello", "2025-03-01T11:00:00Z u1 hello_v2"], Sends());
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private List<string> FirstSendsAfter(LiveRuntime live, string events)
    {
        live.IngestEvents(LiveFixture.Json(events));
        return Sends();
    }

    private static async Task Post(HttpClient http, string path, string json)
    {
        var response = await http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static StringContent JsonBody() => new("{}", System.Text.Encoding.UTF8, "application/json");
}
