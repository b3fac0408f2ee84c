using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace MarketingDsl.Cli.Tests;

/// <summary>
/// What a reload of a real `mdsl serve` does with the users in flight (LANGUAGE.md §15.7): a wait
/// that moved to another step path (a step added before it) is the equivalent step, where its
/// users continue (its `until` event resumes them there and the next step sends); `?end=JOURNEY` ends a
/// journey's users in flight instead (`ended_on_publish`), as the dry run said; an unknown journey
/// in `end` is refused.
/// </summary>
public sealed class ServeReloadPolicyTests : IDisposable
{
    private const string Token = "a-long-admin-token-for-reload-tests";
    private const string Schema = "schema {\n  profile { user_id: string key }\n  event login { }\n  event cart_add { }\n}\n";
    private const string Version1 = """
        channel push { cost: 0 }
        journey cart { trigger: cart_add  steps { wait 1d until login  send push "remind" } }
        journey welcome { trigger: login  steps { wait 2d  send push "hi" } }

        """;
    private readonly ServeSandbox _serve = new("mdsl-reload-policy-tests");
    private string Root => _serve.Root;

    public ServeReloadPolicyTests()
    {
        Directory.CreateDirectory(Path.Combine(Root, "ws"));
        File.WriteAllText(Path.Combine(Root, "ws", "schema.mdsl"), Schema);
        File.WriteAllText(Path.Combine(Root, "ws", "main.mdsl"), Version1);
    }

    public void Dispose() => _serve.Dispose();

    [Fact]
    public async Task Users_continue_at_the_equivalent_wait_or_end_as_the_publisher_chose()
    {
        var (_, url) = await _serve.StartAsync(
            [Path.Combine(Root, "ws"), "--urls", "http://127.0.0.1:0", "--db", Path.Combine(Root, "live.db"),
                "--outbox-dir", Path.Combine(Root, "outbox")],
            new Dictionary<string, string?> { ["MDSL_ADMIN_TOKEN"] = Token });
        using var http = new HttpClient { BaseAddress = url };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        await Post(http, "/api/profiles", """[{"user_id":"u1"},{"user_id":"u2"},{"user_id":"u3"}]""");
        // Instants just before the wall clock: the runtime also fires due waits by wall clock, and these are a day away.
        var now = DateTime.UtcNow;
        string At(int minutesAgo) => now.AddMinutes(-minutesAgo).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'",
            System.Globalization.CultureInfo.InvariantCulture);
        await Post(http, "/api/events", $$"""
            [{"type":"login","user_id":"u1","ts":"{{At(12)}}"},
             {"type":"cart_add","user_id":"u1","ts":"{{At(11)}}"},
             {"type":"cart_add","user_id":"u2","ts":"{{At(10)}}"}]
            """);

        // v2: an acknowledgement before cart's wait, so the wait is now step 1; welcome is unchanged.
        var version2 = Version1.Replace("steps { wait 1d until", "steps { send push \"ack\"  wait 1d until", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(Root, "ws", "main.mdsl"), version2);
        var unknown = await http.PostAsync("/api/workspace/reload?end=nope", Json("{}"));
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("'nope'", await unknown.Content.ReadAsStringAsync());

        var dry = await Post(http, "/api/workspace/reload?dry_run=true&end=welcome", "{}");
        Assert.Equal(2, dry.GetProperty("moved").GetInt32());
        Assert.Equal(2, dry.GetProperty("continued").GetInt32());
        Assert.Equal(2, dry.GetProperty("in_flight").GetProperty("cart").GetInt32());
        Assert.Equal(1, dry.GetProperty("in_flight").GetProperty("welcome").GetInt32());
        Assert.Equal("welcome u1 ended_on_publish", string.Join("|", Ends(dry)));

        var reload = await Post(http, "/api/workspace/reload?end=welcome", "{}");
        Assert.Equal((2, 2), (reload.GetProperty("continued").GetInt32(), reload.GetProperty("moved").GetInt32()));
        Assert.Equal("welcome u1 ended_on_publish", string.Join("|", Ends(reload)));
        var ends = await Get(http, "/api/journey-ends");
        Assert.Equal("welcome u1 ended_on_publish", string.Join("|", Ends(ends, "ends")));

        // Their logins resume cart's users at the equivalent wait, and the step after it sends; welcome sends nothing.
        await Post(http, "/api/events", $$"""
            [{"type":"login","user_id":"u1","ts":"{{At(2)}}"}, {"type":"login","user_id":"u2","ts":"{{At(1)}}"}]
            """);
        var outbox = await Get(http, "/api/outbox?limit=100");
        var sends = outbox.GetProperty("items").EnumerateArray()
            .Select(i => i.GetProperty("action"))
            .Select(a => $"{a.GetProperty("journey").GetString()} {a.GetProperty("user_id").GetString()} {a.GetProperty("template").GetString()}")
            .Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["cart u1 remind", "cart u2 remind"], sends);
    }

    private static IEnumerable<string> Ends(JsonElement answer, string property = "ended") =>
        answer.GetProperty(property).EnumerateArray()
            .Select(e => $"{e.GetProperty("journey").GetString()} {e.GetProperty("user_id").GetString()} {e.GetProperty("reason").GetString()}")
            .Order(StringComparer.Ordinal);

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task<JsonElement> Post(HttpClient http, string path, string body)
    {
        var response = await http.PostAsync(path, Json(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task<JsonElement> Get(HttpClient http, string path)
    {
        var response = await http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
