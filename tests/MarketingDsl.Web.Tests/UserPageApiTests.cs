using System.Net;
using System.Text.Json;
using MarketingDsl.Core;
using MarketingDsl.Engine.Simulation;

namespace MarketingDsl.Web.Tests;

/// <summary>The user page's API: one user's profile, tags with definitions, segments, groups, journeys (replayed or live) and events.</summary>
public sealed class UserPageApiTests(EditorFactory factory) : IClassFixture<EditorFactory>
{
    private static StringContent Json(object body) => new(JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json");

    private static async Task<JsonElement> Answer(HttpResponseMessage response, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    [Fact]
    public async Task A_users_page_holds_the_reference_values_of_the_working_copy_with_definitions_memberships_journeys_and_events()
    {
        var client = await factory.SignedIn("editor1");
        // An unsaved tag is part of the working copy the page evaluates.
        var tags = File.ReadAllText(Path.Combine(factory.Workspace, "tags/behaviour.mdsl")) + "\ntag logins_ever = count(login)\n";
        var workspace = new Workspace(Workspace.Load(factory.Workspace).AllFiles.Where(f => f.Path != "tags/behaviour.mdsl")
            .Append(new Core.Text.SourceText("tags/behaviour.mdsl", tags)));
        var expected = SimulationData.Expected(workspace);
        var member = SimulationData.Members(expected, "wake_up").Order(StringComparer.Ordinal).First();
        var u = expected.Data.IndexOfUser(member);

        var answer = await Answer(await client.PostAsync("/api/user-page", Json(new
        {
            id = member, folder = SimulationData.Folder, buffers = new[] { new { path = "tags/behaviour.mdsl", text = tags } },
        })));
        Assert.Equal("none", answer.GetProperty("live").GetString()); // mdsl web: no runtime
        var page = answer.GetProperty("user");
        Assert.Equal(member, page.GetProperty("userId").GetString());
        Assert.Equal(expected.AsOfUtc, page.GetProperty("asOfUtc").GetDateTime().ToUniversalTime());

        var profile = page.GetProperty("profile").EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!,
            f => f.GetProperty("value").GetString());
        for (var f = 0; f < expected.Model.Schema.ProfileFields.Length; f++)
            Assert.Equal(ValueFormatter.Format(expected.Data.Profiles.Columns[f]?.GetBoxed(u)), profile[expected.Model.Schema.ProfileFields[f].Name]);

        var values = page.GetProperty("tags").EnumerateArray().ToDictionary(t => t.GetProperty("name").GetString()!);
        foreach (var tag in expected.Model.Tags)
            Assert.True(ValueFormatter.Format(expected.Column(tag.Name).Get(u)) == values[tag.Name].GetProperty("value").GetString(), tag.Name);
        var added = values["logins_ever"].GetProperty("definition");
        Assert.Equal("tags/behaviour.mdsl", added.GetProperty("path").GetString());
        Assert.Equal(tags.Split('\n').ToList().FindIndex(l => l.StartsWith("tag logins_ever", StringComparison.Ordinal)) + 1,
            added.GetProperty("line").GetInt32());
        Assert.Equal("tag logins_ever = count(login)", added.GetProperty("text").GetString());

        var segments = page.GetProperty("segments").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!,
            s => s.GetProperty("value").GetString());
        foreach (var segment in expected.Model.Segments)
            Assert.Equal(SimulationData.Members(expected, segment.Name).Contains(member) ? "true" : "false", segments[segment.Name]);
        var group = page.GetProperty("groups").EnumerateArray().Single(g => g.GetProperty("name").GetString() == "core_groups");
        Assert.Equal(expected.Column("core_groups").Get(u), group.GetProperty("group").GetString());
        Assert.Equal("segments.mdsl", group.GetProperty("definition").GetProperty("path").GetString());

        // Events up to the as-of instant, newest first, all of them counted.
        var events = page.GetProperty("events").EnumerateArray().ToList();
        var count = expected.Data.Events.Where(t => t is not null)
            .Sum(t => Enumerable.Range(t!.UserStart[u], t.UserStart[u + 1] - t.UserStart[u]).Count(r => t.Ts[r] <= expected.AsOfUtc.Ticks));
        Assert.Equal(count, page.GetProperty("eventCount").GetInt32());
        Assert.Equal(Math.Min(count, 50), events.Count);
        var times = events.Select(e => e.GetProperty("tsUtc").GetDateTime()).ToList();
        Assert.Equal(times.OrderDescending(), times);
        Assert.Equal("replay", page.GetProperty("journeySource").GetString());
    }

    [Fact]
    public async Task The_user_page_needs_the_editor_role_a_known_user_and_a_data_folder_of_the_root()
    {
        var viewer = await factory.SignedIn("viewer1");
        Assert.Equal(HttpStatusCode.Forbidden,
            (await viewer.PostAsync("/api/user-page", Json(new { id = "u0000001", folder = SimulationData.Folder }))).StatusCode);
        var editor = await factory.SignedIn("editor1");
        var missing = await Answer(await editor.PostAsync("/api/user-page", Json(new { id = "nobody", folder = SimulationData.Folder })),
            HttpStatusCode.NotFound);
        Assert.Contains("There is no user 'nobody'", missing.GetProperty("error").GetString());
        await Answer(await editor.PostAsync("/api/user-page", Json(new { id = "u0000001", folder = "../etc" })), HttpStatusCode.BadRequest);
        await Answer(await editor.PostAsync("/api/user-page", Json(new { id = "", folder = SimulationData.Folder })), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Under_serve_a_publisher_sees_the_journeys_in_flight_from_the_live_runtime_and_an_editor_the_replay()
    {
        await using var host = await LiveEditorHost.StartAsync();
        var data = Path.Combine(host.Root, "data", "live");
        Directory.CreateDirectory(data);
        File.WriteAllText(Path.Combine(data, "profiles.jsonl"), "{\"user_id\":\"u1\"}\n{\"user_id\":\"u2\"}\n");
        File.WriteAllText(Path.Combine(data, "events.jsonl"),
            "{\"type\":\"cart_add\",\"user_id\":\"u1\",\"ts\":\"2025-06-01T10:00:00Z\",\"price\":150}\n");
        var ingest = host.Anonymous();
        await Answer(await ingest.PostAsync("/api/profiles", Json(new[] { new { user_id = "u1" } })));
        await Answer(await ingest.PostAsync("/api/events",
            Json(new[] { new { type = "cart_add", user_id = "u1", ts = "2025-06-01T10:00:00Z", price = 150 } })));

        var publisher = await host.SignedIn("publisher1");
        var live = await Answer(await publisher.PostAsync("/api/user-page", Json(new { id = "u1", folder = "live" })));
        Assert.Equal("found", live.GetProperty("live").GetString());
        var page = live.GetProperty("user");
        Assert.Equal("live", page.GetProperty("journeySource").GetString());
        var cart = page.GetProperty("journeys").EnumerateArray().Single(j => j.GetProperty("journey").GetString() == "cart");
        Assert.True(cart.GetProperty("inFlight").GetBoolean());
        Assert.Equal("wait 1h until order", cart.GetProperty("step").GetString());
        Assert.Equal(new DateTime(2025, 6, 1, 11, 0, 0, DateTimeKind.Utc), cart.GetProperty("waitUntilUtc").GetDateTime().ToUniversalTime());

        // An editor may not read the runtime's member data: the journeys are replayed on the data set instead.
        var editor = await host.SignedIn("editor1");
        var replayed = await Answer(await editor.PostAsync("/api/user-page", Json(new { id = "u1", folder = "live" })));
        Assert.Equal("denied", replayed.GetProperty("live").GetString());
        var again = replayed.GetProperty("user").GetProperty("journeys").EnumerateArray().Single(j => j.GetProperty("journey").GetString() == "cart");
        Assert.True(again.GetProperty("inFlight").GetBoolean());
        Assert.Equal("wait 1h until order", again.GetProperty("step").GetString());
    }
}
