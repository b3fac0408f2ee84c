using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace MarketingDsl.Cli.Tests;

/// <summary>
/// Channel feedback against a real `mdsl serve`: POST /api/feedback by send key (admin, JSON only,
/// a result per item, idempotent, out of order), schema events naming a journey and step, and the
/// journey's results over HTTP.
/// </summary>
public sealed class ServeFeedbackTests : IDisposable
{
    private const string Schema = """
        schema {
          profile { user_id: string key }
          event login { }
          event order { order_id: string unique, amount: decimal }
          event message_clicked { journey: string, step: string }
        }
        """;

    private const string Main = """
        channel push { cost: 0.5 }
        journey welcome { trigger: login  goal: order within 2d value amount  steps { send push "hello" } }
        """;

    private const string AdminToken = "a-test-admin-token-for-feedback";
    private readonly ServeSandbox _serve = new("mdsl-serve-feedback-tests");
    private string Root => _serve.Root;

    public void Dispose() => _serve.Dispose();

    [Fact]
    public async Task Feedback_moves_sends_through_their_states_once_whatever_the_order()
    {
        var workspace = Path.Combine(Root, "ws");
        Directory.CreateDirectory(workspace);
        File.WriteAllText(Path.Combine(workspace, "schema.mdsl"), Schema);
        File.WriteAllText(Path.Combine(workspace, "main.mdsl"), Main);
        var (_, url) = await _serve.StartAsync(
            [workspace, "--urls", "http://127.0.0.1:0", "--db", Path.Combine(Root, "live.db"), "--outbox-dir", Path.Combine(Root, "outbox")],
            new Dictionary<string, string?> { ["MDSL_ADMIN_TOKEN"] = AdminToken });
        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(30) };

        await Post(http, "/api/profiles", """[{"user_id":"u1"},{"user_id":"u2"},{"user_id":"u3"}]""", token: true);
        await Post(http, "/api/events", """
            [{"type":"login","user_id":"u1","ts":"2025-06-01T10:00:00Z"},
             {"type":"login","user_id":"u2","ts":"2025-06-01T10:00:00Z"},
             {"type":"login","user_id":"u3","ts":"2025-06-01T10:00:00Z"},
             {"type":"order","user_id":"u1","ts":"2025-06-01T12:00:00Z","order_id":"o1","amount":80}]
            """, token: true);
        const string K1 = "welcome|u1|2025-06-01T10:00:00Z|0", K2 = "welcome|u2|2025-06-01T10:00:00Z|0";

        // Admin only, JSON only.
        Assert.Equal(401, (int)(await Send(http, "/api/feedback", $$"""[{"key":"{{K1}}","status":"delivered"}]""", token: false)).StatusCode);
        var form = new HttpRequestMessage(HttpMethod.Post, "/api/feedback") { Content = new StringContent("key=x", Encoding.UTF8,
            "application/x-www-form-urlencoded") };
        form.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        Assert.Equal(415, (int)(await http.SendAsync(form)).StatusCode);
        Assert.Equal(400, (int)(await Send(http, "/api/feedback", """{"key":"x"}""", token: true)).StatusCode);

        var batch = $$"""
            [{"key":"{{K1}}","status":"clicked","at":"2025-06-01T11:00:00Z"},
             {"key":"{{K1}}","status":"delivered","at":"2025-06-01T10:00:05Z"},
             {"key":"{{K1}}","status":"opened","at":"2025-06-01T10:30:00Z"},
             {"key":"{{K2}}","status":"failed","at":"2025-06-01T10:00:02Z"},
             {"key":"welcome|nobody|2025-06-01T10:00:00Z|0","status":"delivered"},
             {"key":"{{K2}}","status":"bounced"},
             {"key":"{{K2}}","status":"delivered","at":"2025-05-01T00:00:00Z"},
             {"key":"{{K1}}","status":"delivered","at":"2025-06-01T10:00:05Z","extra":1}]
            """;
        var first = await Results(http, batch);
        Assert.Equal(["accepted", "accepted", "accepted", "accepted", "rejected", "rejected", "rejected", "rejected"], first.Select(r => r.Status));
        Assert.Contains("no send with key", first[4].Reason);
        Assert.Contains("'status' must be one of", first[5].Reason);
        Assert.Contains("before the send", first[6].Reason);
        Assert.Contains("unknown field 'extra'", first[7].Reason);
        // The same batch again changes nothing: duplicates (and the same rejections).
        var again = await Results(http, batch);
        Assert.Equal(["duplicate", "duplicate", "duplicate", "duplicate", "rejected", "rejected", "rejected", "rejected"],
            again.Select(r => r.Status));
        // A failure after delivery is refused; engagement after a failure receipt proves delivery.
        Assert.Equal("rejected", (await Results(http, $$"""[{"key":"{{K1}}","status":"failed"}]"""))[0].Status);
        await Post(http, "/api/events",
            """[{"type":"message_clicked","user_id":"u2","ts":"2025-06-01T13:00:00Z","journey":"welcome","step":"0"}]""", token: true);

        var response = await http.GetAsync("/api/journeys/welcome/results?from=2025-06-01T00:00:00Z&to=2025-06-02T00:00:00Z");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        var funnel = JsonDocument.Parse(body).RootElement.GetProperty("funnel");
        Assert.Equal((3, 3, 2, 0, 2, 2, 1), (funnel.GetProperty("entered").GetInt32(), funnel.GetProperty("sent").GetInt32(),
            funnel.GetProperty("delivered").GetInt32(), funnel.GetProperty("failed").GetInt32(), funnel.GetProperty("opened").GetInt32(),
            funnel.GetProperty("clicked").GetInt32(), funnel.GetProperty("converted").GetInt32()));
        Assert.Equal(80m, funnel.GetProperty("revenue").GetDecimal());
        Assert.Equal(1.5m, funnel.GetProperty("cost").GetDecimal());
        var lastTouch = JsonDocument.Parse(body).RootElement.GetProperty("attribution").GetProperty("last_touch");
        Assert.Equal(1, lastTouch.GetProperty("conversions").GetDouble());

        Assert.Equal(404, (int)(await http.GetAsync("/api/journeys/nope/results")).StatusCode);
        Assert.Equal(400, (int)(await http.GetAsync("/api/journeys/welcome/results?from=yesterday")).StatusCode);
        Assert.False(_serve.Started!.HasExited);
    }

    private static async Task<HttpResponseMessage> Send(HttpClient http, string path, string json, bool token)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (token) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        return await http.SendAsync(request);
    }

    private static async Task Post(HttpClient http, string path, string json, bool token)
    {
        var response = await Send(http, path, json, token);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        Assert.DoesNotContain("rejected", body);
    }

    private static async Task<List<(string Status, string? Reason)>> Results(HttpClient http, string json)
    {
        var response = await Send(http, "/api/feedback", json, token: true);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return [.. JsonDocument.Parse(body).RootElement.GetProperty("results").EnumerateArray()
            .Select(r => (r.GetProperty("status").GetString()!, r.TryGetProperty("reason", out var reason) ? reason.GetString() : null))];
    }
}
