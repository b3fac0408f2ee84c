using System.Net;
using System.Text.Json;

namespace MarketingDsl.Runtime.Tests;

/// <summary>The dry run of a reload: what it would end and keep, with nothing changed; the real reload then does exactly that.</summary>
public sealed class ReloadPreviewTests : IDisposable
{
    private readonly LiveFixture _f = new();
    public void Dispose() => _f.Dispose();

    private Core.Semantics.SemanticModel Version(Func<string, string> edit)
    {
        var main = edit(LiveFixture.Main);
        Assert.NotEqual(LiveFixture.Main, main);
        File.WriteAllText(Path.Combine(_f.Workspace, "main.mdsl"), main);
        return RuntimeApp.CompileWorkspace(_f.Workspace).Model;
    }

    private static string Ends(IEnumerable<JourneyEnd> ends) =>
        string.Join("; ", ends.Select(e => $"{e.Journey} {e.User} {e.At} {e.Reason} {e.Detail}").Order(StringComparer.Ordinal));

    private static string States(LiveRuntime live) =>
        string.Join("; ", live.Store.AllStates().Select(s =>
            $"{s.Journey} {s.User} {JsonSerializer.Serialize(s.State)}").Order(StringComparer.Ordinal))
        + " | " + string.Join("; ", live.Store.AllTimers().Select(t => t.ToString()));

    [Fact]
    public void A_preview_changes_nothing_and_the_reload_then_does_what_it_said()
    {
        using var live = _f.Open();
        live.IngestProfiles(LiveFixture.Json("""[{"user_id":"u1"},{"user_id":"u2"},{"user_id":"u3"}]"""));
        live.IngestEvents(LiveFixture.Json("""
            [{"type":"cart_add","user_id":"u1","ts":"2025-03-01T10:00:00Z","price":200},
             {"type":"cart_add","user_id":"u2","ts":"2025-03-01T14:30:00Z","price":200},
             {"type":"cart_add","user_id":"u3","ts":"2025-03-01T15:00:00Z","price":1}]
            """));
        // u1 waits at `wait 1d` (step 2), u2 at `wait 1h until order` (step 0), u3 has a deferred `late` send (quiet hours).
        Assert.Contains(live.Store.AllTimers(), t => t is { Kind: LiveStore.DeferredTimer, Journey: "late", User: "u3" });
        var before = States(live);

        // v2: `wait 1d` becomes 2d (u1 ends, u2 continues), `late` is removed (u3's deferred send is dropped), `promo` is new.
        var v2 = Version(m => m.Replace("wait 1d", "wait 2d")
            .Replace("journey late { trigger: cart_add where price < 10  steps { send night \"good_morning\" } }",
                "journey promo { trigger: login  steps { send push \"promo\" } }"));
        var preview = live.Preview(v2);
        Assert.Equal(["promo"], preview.Added);
        Assert.Equal(["late"], preview.Removed);
        Assert.Equal(["cart"], preview.StepsChanged);
        Assert.Equal(1, preview.Continued);
        Assert.Equal("cart u1 step_changed|late u3 deferred_send_changed",
            string.Join("|", preview.Ended.Select(e => $"{e.Journey} {e.User} {e.Reason}").Order(StringComparer.Ordinal)));
        // Nothing changed: the same states, timers, no recorded ends, the old version still runs.
        Assert.Equal(before, States(live));
        Assert.Empty(live.Store.JourneyEnds());
        Assert.Contains(live.Model.Journeys, j => j.Name == "late");
        Assert.Equal(preview.Ended.Count, live.Preview(v2).Ended.Count);   // and it can be asked again

        var report = live.Reload(v2);
        Assert.Equal(Ends(preview.Ended), Ends(report.Ended));
        Assert.Equal(Ends(preview.Ended), Ends(live.Store.JourneyEnds()));
        Assert.Equal((preview.Journeys, preview.Continued), (report.Journeys, report.Continued));
        Assert.False(live.Store.State("cart", "u1")!.Active);
        Assert.True(live.Store.State("cart", "u2")!.Active);
        Assert.DoesNotContain(live.Store.AllTimers(), t => t.Journey == "late");
    }

    [Fact]
    public void A_preview_of_the_running_version_ends_nobody_and_changes_nothing()
    {
        using var live = _f.Open();
        live.IngestProfiles(LiveFixture.Json("""[{"user_id":"u1"}]"""));
        live.IngestEvents(LiveFixture.Json("""[{"type":"cart_add","user_id":"u1","ts":"2025-03-01T10:00:00Z","price":200}]"""));
        var preview = live.Preview(_f.Compilation.Model);
        Assert.Equal((3, 1), (preview.Journeys, preview.Continued));
        Assert.Empty(preview.Ended);
        Assert.Empty(preview.Added);
        Assert.Empty(preview.Removed);
        Assert.Empty(preview.StepsChanged);
        var report = live.Reload(_f.Compilation.Model);
        Assert.Equal((preview.Journeys, preview.Continued, 0), (report.Journeys, report.Continued, report.Ended.Count));
    }

    [Fact]
    public async Task Reload_over_http_with_dry_run_answers_the_preview_and_keeps_the_running_version()
    {
        var options = new LiveOptions { DbPath = _f.Db, OutboxDir = _f.Outbox, Clock = _f.WallClock, MaxFutureSkew = TimeSpan.MaxValue,
            Workspace = _f.Workspace,
            AdminToken = "an-admin-token-long-enough" };
        var app = RuntimeApp.Build(_f.Compilation, options, ["--urls", "http://127.0.0.1:0"]);
        await app.StartAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "an-admin-token-long-enough");
            var live = (LiveRuntime)app.Services.GetService(typeof(LiveRuntime))!;
            live.IngestProfiles(LiveFixture.Json("""[{"user_id":"u1"}]"""));
            live.IngestEvents(LiveFixture.Json("""[{"type":"cart_add","user_id":"u1","ts":"2025-03-01T10:00:00Z","price":200}]"""));
            var main = File.ReadAllText(Path.Combine(_f.Workspace, "main.mdsl"));
            File.WriteAllText(Path.Combine(_f.Workspace, "main.mdsl"), main[..main.IndexOf("journey cart", StringComparison.Ordinal)]);

            // A value that is no boolean answered 400 with an empty body (the binding's failure) and changed nothing.
            var unreadable = await http.PostAsync("/api/workspace/reload?dry_run=maybe", JsonBody());
            Assert.Equal(HttpStatusCode.BadRequest, unreadable.StatusCode);
            Assert.Contains("dry_run must be true or false, not 'maybe'", await unreadable.Content.ReadAsStringAsync());
            Assert.True(live.Store.State("cart", "u1")!.Active);

            var dry = await http.PostAsync("/api/workspace/reload?dry_run=true", JsonBody());
            var body = JsonDocument.Parse(await dry.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(HttpStatusCode.OK, dry.StatusCode);
            Assert.True(body.GetProperty("dry_run").GetBoolean());
            Assert.Equal("cart", body.GetProperty("removed")[0].GetString());
            var end = Assert.Single(body.GetProperty("ended").EnumerateArray());
            Assert.Equal(("cart", "u1", "journey_removed"), (end.GetProperty("journey").GetString(),
                end.GetProperty("user_id").GetString(), end.GetProperty("reason").GetString()));
            Assert.True(live.Store.State("cart", "u1")!.Active);
            Assert.Contains(live.Model.Journeys, j => j.Name == "cart");

            var real = JsonDocument.Parse(await (await http.PostAsync("/api/workspace/reload", JsonBody())).Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(body.GetProperty("ended").GetRawText(), real.GetProperty("ended").GetRawText());
            Assert.False(live.Store.State("cart", "u1")!.Active);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private static StringContent JsonBody() => new("{}", System.Text.Encoding.UTF8, "application/json");
}
