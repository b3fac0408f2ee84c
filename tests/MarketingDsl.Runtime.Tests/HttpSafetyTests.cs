using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;

namespace MarketingDsl.Runtime.Tests;

/// <summary>
/// The live API against careless and hostile clients on a real Kestrel port: future-dated events,
/// broken strings and duplicate keys are rejected per item, and nothing else in the batch is lost.
/// </summary>
public sealed class HttpSafetyTests : IDisposable
{
    private const string Main = LiveFixture.Main + """

        tag days_on_record = days_since(2025-03-01)
        """;

    private readonly LiveFixture _f = new(Main);
    private readonly FixedClock _now = new(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));
    public void Dispose() => _f.Dispose();

    private async Task<WebApplication> Start(TimeSpan? skew = null)
    {
        var options = new LiveOptions
        {
            DbPath = _f.Db, OutboxDir = _f.Outbox, Clock = _now, MaxFutureSkew = skew ?? FutureEventsDefault, AdminToken = LiveFixture.AdminToken,
        };
        var app = RuntimeApp.Build(_f.Compilation, options, ["--urls", "http://127.0.0.1:0"]);
        await app.StartAsync();
        return app;
    }

    private static readonly TimeSpan FutureEventsDefault = Engine.Data.FutureEvents.DefaultMaxSkew;

    [Fact]
    public async Task An_event_beyond_the_allowed_skew_is_rejected_per_item_and_never_moves_the_clock()
    {
        await using var app = await Start();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        await Post(http, "/api/profiles", """[{"user_id":"u1"}]""");
        var results = await Post(http, "/api/events", """
            [{"type":"login","user_id":"u1","ts":"2025-03-01T11:00:00Z"},
             {"type":"login","user_id":"u1","ts":"9999-12-31T23:59:59Z"},
             {"type":"login","user_id":"u1","ts":"2025-03-01T12:04:00Z"},
             {"type":"cart_add","user_id":"u1","ts":"2025-03-31T12:00:00Z","price":500},
             {"type":"login","user_id":"u1","ts":"2025-03-01T12:06:00Z"}]
            """);
        var items = results.RootElement.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(["accepted", "rejected", "accepted", "rejected", "rejected"], items.Select(i => i.GetProperty("status").GetString()));
        Assert.Contains("in the future", items[1].GetProperty("reason").GetString());
        Assert.Contains("2025-03-01T12:05:00Z", items[4].GetProperty("reason").GetString());

        using var health = JsonDocument.Parse(await http.GetStringAsync("/api/health"));
        Assert.StartsWith("2025-03-01T12:04:00", health.RootElement.GetProperty("clock").GetString());
        Assert.Equal(0, health.RootElement.GetProperty("pending_timers").GetInt32());

        // The wall clock moves on: the same event is now within the skew.
        _now.Now = _now.Now.AddMinutes(10);
        results = await Post(http, "/api/events", """[{"type":"login","user_id":"u1","ts":"2025-03-01T12:06:00Z"}]""");
        Assert.Equal("accepted", results.RootElement.GetProperty("results")[0].GetProperty("status").GetString());
    }

    [Fact]
    public async Task Invalid_utf8_and_lone_surrogates_are_rejected_per_item_with_their_index()
    {
        await using var app = await Start();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        await Post(http, "/api/profiles", """[{"user_id":"u1"},{"user_id":"u2"}]""");
        var body = new List<byte>();
        body.AddRange("""[{"type":"login","user_id":"u1","ts":"2025-03-01T10:00:00Z","platform":"ios"},"""u8.ToArray());
        body.AddRange("{\"type\":\"login\",\"user_id\":\"u"u8.ToArray());
        body.AddRange(new byte[] { 0xFF, 0xFE });
        body.AddRange("\",\"ts\":\"2025-03-01T10:00:01Z\"},"u8.ToArray());
        body.AddRange("""{"type":"login","user_id":"u2","ts":"2025-03-01T10:00:02Z","platform":"\ud800"},"""u8.ToArray());
        body.AddRange("""{"type":"login","user_id":"u2","ts":"2025-03-01T10:00:03Z","pl\udfffatform":"x"},"""u8.ToArray());
        body.AddRange("""{"type":"login","user_id":"u2","ts":"2025-03-01T10:00:04Z","platform":"\ud83d\ude00"}]"""u8.ToArray());
        using var content = new ByteArrayContent([.. body]);
        content.Headers.ContentType = new("application/json");
        var response = await http.PostAsync("/api/events", content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var results = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var items = results.RootElement.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal([0, 1, 2, 3, 4], items.Select(i => i.GetProperty("index").GetInt32()));
        Assert.Equal(["accepted", "rejected", "rejected", "rejected", "accepted"], items.Select(i => i.GetProperty("status").GetString()));
        Assert.Contains("'user_id': the string is not valid Unicode", items[1].GetProperty("reason").GetString());
        Assert.Contains("'platform': the string is not valid Unicode", items[2].GetProperty("reason").GetString());
        Assert.Contains("property name is not valid Unicode", items[3].GetProperty("reason").GetString());

        var profiles = await Post(http, "/api/profiles", """[{"user_id":"\udc00"},{"user_id":"u3"}]""");
        Assert.Equal(["rejected", "accepted"], profiles.RootElement.GetProperty("results").EnumerateArray().Select(i =>
            i.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task A_duplicate_key_rejects_the_item_so_a_row_cannot_change_its_user()
    {
        await using var app = await Start();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        await Post(http, "/api/profiles", """[{"user_id":"u1"},{"user_id":"u2","user_id":"u1"}]""");
        var results = await Post(http, "/api/events", """
            [{"type":"order","user_id":"u1","order_id":"o1","amount":5,"ts":"2025-03-01T10:00:00Z","user_id":"u2"},
             {"type":"order","user_id":"u1","order_id":"o2","amount":5,"ts":"2025-03-01T10:00:00Z"}]
            """);
        var items = results.RootElement.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(["rejected", "accepted"], items.Select(i => i.GetProperty("status").GetString()));
        Assert.Contains("the property 'user_id' appears twice", items[0].GetProperty("reason").GetString());
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", LiveFixture.AdminToken);
        using var tags = JsonDocument.Parse(await http.GetStringAsync("/api/users/u1/tags?at=2025-03-01T12:00:00Z"));
        Assert.Equal(1, tags.RootElement.GetProperty("tags").GetProperty("orders_7d").GetInt64());
    }

    [Fact]
    public async Task Tags_before_any_event_are_evaluated_as_of_the_wall_clock_not_year_one()
    {
        await using var app = await Start();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        await Post(http, "/api/profiles", """[{"user_id":"u1"}]""");
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", LiveFixture.AdminToken);
        using var tags = JsonDocument.Parse(await http.GetStringAsync("/api/users/u1/tags"));
        // The wall clock is 2025-03-01T12:00Z: 0 days since 2025-03-01, not −738,000.
        Assert.Equal(0, tags.RootElement.GetProperty("tags").GetProperty("days_on_record").GetInt64());
    }

    private static async Task<JsonDocument> Post(HttpClient http, string path, string json)
    {
        var response = await http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    }
}
