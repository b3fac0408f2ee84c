using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;

namespace MarketingDsl.Runtime.Tests;

/// <summary>The HTTP API of `mdsl serve` on a real Kestrel port.</summary>
public sealed class HttpApiTests : IDisposable
{
    private readonly LiveFixture _f = new();
    public void Dispose() => _f.Dispose();

    [Fact]
    public async Task Events_profiles_health_and_tags_over_http()
    {
        var app = RuntimeApp.Build(_f.Compilation, new LiveOptions { DbPath = _f.Db, OutboxDir = _f.Outbox, Clock = _f.WallClock,
            MaxFutureSkew = TimeSpan.MaxValue,
            AdminToken = LiveFixture.AdminToken }, ["--urls", "http://127.0.0.1:0"]);
        await app.StartAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
            var profiles = await Post(http, "/api/profiles", """[{"user_id":"u1"},{"nope":1}]""");
            Assert.Equal(
                """{"results":[{"index":0,"status":"accepted"},"""
                + """{"index":1,"status":"rejected","code":"MD9513","field":"nope","reason":"unknown profile field 'nope'"}]}""",
                profiles);
            var events = await Post(http, "/api/events", """
                [{"type":"order","user_id":"u1","ts":"2025-03-01T10:00:00Z","order_id":"o1","amount":12.5},
                 {"type":"order","user_id":"u1","ts":"2025-03-01T10:00:00Z","order_id":"o1","amount":12.5},
                 {"type":"login","user_id":"u1"}]
                """);
            Assert.Equal(
                """{"results":[{"index":0,"status":"accepted"},{"index":1,"status":"duplicate"},"""
                + """{"index":2,"status":"rejected","code":"MD9520","field":"ts","reason":"missing ts"}]}""",
                events);

            var bad = await http.PostAsync("/api/events", new StringContent("""{"type":"login"}""", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

            using var health = JsonDocument.Parse(await http.GetStringAsync("/api/health"));
            Assert.Equal("ok", health.RootElement.GetProperty("status").GetString());
            Assert.StartsWith("2025-03-01T10:00:00", health.RootElement.GetProperty("clock").GetString());

            Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/users/u1/tags")).StatusCode);
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", LiveFixture.AdminToken);
            using var tags = JsonDocument.Parse(await http.GetStringAsync("/api/users/u1/tags?at=2025-03-02T00:00:00Z"));
            Assert.Equal(1, tags.RootElement.GetProperty("tags").GetProperty("orders_7d").GetInt64());
            Assert.Equal(12.5m, tags.RootElement.GetProperty("tags").GetProperty("spend_30d").GetDecimal());
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/users/ghost/tags")).StatusCode);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private static async Task<string> Post(HttpClient http, string path, string json)
    {
        var response = await http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }
}
