using System.Net;
using System.Text.Json;

namespace MarketingDsl.Web.Tests;

/// <summary>/api/canvas over HTTP: graphs for viewers, edits for editors only, bad input refused with a reason, the disk untouched.</summary>
public sealed class CanvasApiTests(EditorFactory factory) : IClassFixture<EditorFactory>
{
    private const string Cart = "journeys/cart_recovery.mdsl";

    private static StringContent Json(object body) => new(JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json");

    private static async Task<JsonElement> Ok(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    [Fact]
    public async Task A_viewer_reads_the_graph_with_chinese_labels_but_cannot_edit()
    {
        var client = await factory.SignedIn("viewer1");
        var answer = await Ok(await client.GetAsync("/api/canvas/graph?path=" + Uri.EscapeDataString(Cart) + "&journey=cart_recovery"));
        var graph = answer.GetProperty("graph");
        Assert.Equal("加购未支付提醒", graph.GetProperty("label").GetString());
        Assert.Contains(graph.GetProperty("nodes").EnumerateArray(), n => n.GetProperty("id").GetString() == "3.1.0"
            && n.GetProperty("kind").GetString() == "split");
        var journeys = await Ok(await client.GetAsync("/api/canvas/journeys"));
        Assert.Contains(journeys.EnumerateArray(), j => j.GetProperty("journey").GetString() == "win_back_gift");

        var edit = await client.PostAsync("/api/canvas/edit", Json(new { path = Cart, journey = "cart_recovery",
            edit = new { op = "remove_step", node = "0" } }));
        Assert.Equal(HttpStatusCode.Forbidden, edit.StatusCode);
    }

    [Fact]
    public async Task An_edit_answers_the_new_text_and_saves_nothing()
    {
        var client = await factory.SignedIn("editor1");
        var before = File.ReadAllText(Path.Combine(factory.Workspace, Cart));
        var answer = await Ok(await client.PostAsync("/api/canvas/edit", Json(new
        {
            path = Cart, journey = "cart_recovery",
            edit = new { op = "set_properties", node = "holdout", properties = new Dictionary<string, string> { ["percent"] = "20%" } },
        })));
        Assert.Contains("holdout: 20%  // control group", answer.GetProperty("text").GetString());
        var after = answer.GetProperty("text").GetString()!;
        Assert.Equal(before.Replace("  holdout: 10%  // control group", "  holdout: 20%  // control group", StringComparison.Ordinal), after);
        Assert.Equal(before, File.ReadAllText(Path.Combine(factory.Workspace, Cart)));
    }

    [Theory]
    [InlineData("{\"path\":\"../outside.mdsl\",\"journey\":\"x\",\"edit\":{\"op\":\"remove_step\",\"node\":\"0\"}}", HttpStatusCode.BadRequest, "")]
    [InlineData("{\"path\":\"journeys/cart_recovery.mdsl\",\"journey\":\"cart_recovery\"}", HttpStatusCode.BadRequest, "edit")]
    [InlineData("{\"path\":\"journeys/cart_recovery.mdsl\",\"journey\":\"cart_recovery\",\"edit\":{\"op\":\"set_properties\",\"node\":\"3\"," +
        "\"properties\":{\"condition\":\"high_value } steps { exit\"}}}", (HttpStatusCode)422, "not valid")]
    [InlineData("{\"path\":\"journeys/cart_recovery.mdsl\",\"journey\":\"cart_recovery\",\"edit\":{\"op\":\"explode\"}}",
        (HttpStatusCode)422, "Unknown edit")]
    public async Task Bad_edits_are_refused_with_a_reason(string body, HttpStatusCode status, string reason)
    {
        var client = await factory.SignedIn("editor1");
        var response = await client.PostAsync("/api/canvas/edit", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(status, response.StatusCode);
        Assert.Contains(reason, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Counts_read_only_replays_inside_the_data_root()
    {
        var client = await factory.SignedIn("viewer1");
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/api/canvas/counts?replay=../retail&journey=cart_recovery")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/canvas/counts?replay=retail&journey=cart_recovery")).StatusCode);
        var folder = Path.Combine(SimulationData.Root, "broken-replay");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "journeys.json"), "{\"journeys\": [1,");
        var broken = await client.GetAsync("/api/canvas/counts?replay=broken-replay&journey=cart_recovery");
        Assert.Equal(HttpStatusCode.BadRequest, broken.StatusCode);
        Assert.Contains("not valid JSON", await broken.Content.ReadAsStringAsync());
        // `mdsl web` has no runtime: live counts say where they come from.
        var live = await client.GetAsync("/api/canvas/counts/live?journey=cart_recovery");
        Assert.Equal(HttpStatusCode.NotFound, live.StatusCode);
        Assert.Contains("mdsl serve", await live.Content.ReadAsStringAsync());
        var replays = await Ok(await client.GetAsync("/api/canvas/replays"));
        Assert.Contains(replays.GetProperty("replays").EnumerateArray(), r => r.GetProperty("folder").GetString() == "broken-replay");
    }
}
