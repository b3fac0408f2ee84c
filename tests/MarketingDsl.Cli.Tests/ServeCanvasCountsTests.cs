using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using MarketingDsl.Web.Storage;

namespace MarketingDsl.Cli.Tests;

/// <summary>
/// The canvas's live counts against a real `mdsl serve`: a viewer signed in to the editor reads, per
/// node, the running journeys' counts — the numbers of GET /api/journeys/NAME/results — and they move
/// as events arrive.
/// </summary>
public sealed partial class ServeCanvasCountsTests : IDisposable
{
    private const string Schema = """
        schema {
          profile { user_id: string key }
          event cart_add { price: decimal? }
          event order { order_id: string unique, amount: decimal }
        }
        """;

    private const string Main = """
        channel push { cost: 0.02 }
        journey cart "购物车挽回" {
          trigger: cart_add where price > 100
          goal: order within 2d value amount
          steps {
            wait 1h until order
            send push "reminder"
            split "copy" {
              50%: send push "a"
              50%: exit
            }
          }
        }
        """;

    private readonly ServeSandbox _serve = new("mdsl-serve-canvas-tests");
    private string Root => _serve.Root;

    public void Dispose() => _serve.Dispose();

    [Fact]
    public async Task A_viewer_sees_the_live_counts_of_each_node_and_they_follow_new_events()
    {
        var workspace = Path.Combine(Root, "ws");
        Directory.CreateDirectory(workspace);
        File.WriteAllText(Path.Combine(workspace, "schema.mdsl"), Schema);
        File.WriteAllText(Path.Combine(workspace, "main.mdsl"), Main);
        using (var store = new EditorStore(Path.Combine(Root, "editor.db")))
            Assert.Null(new Web.Security.Accounts(store, TimeProvider.System).AddOrUpdate("view", "password-of-view", "viewer", out _));
        var (_, url) = await _serve.StartAsync(
            [workspace, "--urls", "http://127.0.0.1:0", "--db", Path.Combine(Root, "live.db"), "--editor-db", Path.Combine(Root, "editor.db"),
                "--outbox-dir", Path.Combine(Root, "outbox")],
            new Dictionary<string, string?> { ["MDSL_ADMIN_TOKEN"] = null });
        using var anonymous = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(30) };
        var events = new StringBuilder("[");
        for (var i = 0; i < 12; i++)
        {
            var user = "u" + i;
            var at = new DateTime(2025, 6, 1, 10, 0, 0, DateTimeKind.Utc).AddMinutes(i);
            var price = i == 11 ? 50 : 200;
            events.Append($$"""{"type":"cart_add","user_id":"{{user}}","ts":"{{at:yyyy-MM-ddTHH:mm:ssZ}}","price":{{price}}},""");
            // A third order within the hour (converted at the wait); the rest time out at the next event's clock.
            var paid = at.AddMinutes(30);
            if (i % 3 == 0)
                events.Append($$"""{"type":"order","user_id":"{{user}}","ts":"{{paid:yyyy-MM-ddTHH:mm:ssZ}}","order_id":"o{{i}}","amount":80},""");
        }
        events.Append("""{"type":"cart_add","user_id":"late","ts":"2025-06-01T15:00:00Z","price":10}]""");
        var profiles = Enumerable.Range(0, 12).Select(i => "u" + i).Append("late").Select(u => $$"""{"user_id":"{{u}}"}""");
        await Post(anonymous, "/api/profiles", "[" + string.Join(",", profiles) + "]");
        await Post(anonymous, "/api/events", events.ToString());

        using var viewer = await EditorSignIn.Client(url, "view", "password-of-view");
        Assert.Contains("\"live\":true", await viewer.GetStringAsync("/Canvas?file=main.mdsl&journey=cart"));
        var counts = await Nodes(viewer);
        Assert.Equal(11, counts.GetProperty("trigger").GetProperty("entered").GetInt64());
        Assert.Equal(11, counts.GetProperty("trigger").GetProperty("fired").GetInt64()); // a cart of 100 or less does not fire
        var wait = counts.GetProperty("0");
        Assert.Equal(11, wait.GetProperty("reached").GetInt64());
        Assert.Equal(4, wait.GetProperty("converted").GetInt64());
        Assert.Equal(7, wait.GetProperty("timed_out").GetInt64());
        Assert.Equal(0.3636m, wait.GetProperty("left_share").GetDecimal());
        Assert.Equal(7, counts.GetProperty("1").GetProperty("sent").GetInt64());
        Assert.Equal(7, counts.GetProperty("2").GetProperty("branches").EnumerateArray().Sum(b => b.GetInt64()));
        Assert.Equal(4, counts.GetProperty("converted").GetProperty("users").GetInt64());

        // The same numbers as the runtime's results endpoint.
        using var results = JsonDocument.Parse(await anonymous.GetStringAsync("/api/journeys/cart/results"));
        var steps = results.RootElement.GetProperty("steps");
        foreach (var path in new[] { "0", "1", "2", "2.0.0", "2.1.0" })
            Assert.Equal(steps.GetProperty(path).GetProperty("reached").GetInt64(), counts.GetProperty(path).GetProperty("reached").GetInt64());

        // A new arrival shows at the next read.
        await Post(anonymous, "/api/events", """[{"type":"cart_add","user_id":"u11","ts":"2025-06-01T16:00:00Z","price":500}]""");
        Assert.Equal(12, (await Nodes(viewer)).GetProperty("0").GetProperty("reached").GetInt64());
        Assert.Equal(HttpStatusCode.NotFound, (await viewer.GetAsync("/api/canvas/counts/live?journey=nope")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/canvas/counts/live?journey=cart")).StatusCode);
    }

    private static async Task<JsonElement> Nodes(HttpClient viewer)
    {
        var response = await viewer.GetAsync("/api/canvas/counts/live?journey=cart");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        using var document = JsonDocument.Parse(body);
        Assert.Equal("live", document.RootElement.GetProperty("source").GetString());
        return document.RootElement.GetProperty("nodes").Clone();
    }

    private static async Task Post(HttpClient http, string path, string json)
    {
        var response = await http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        Assert.DoesNotContain("rejected", body);
    }

}
