using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MarketingDsl.Runtime;

namespace MarketingDsl.Web.Tests;

/// <summary>Publishing the saved workspace from the editor to the live runtime in the same process (`mdsl serve`).</summary>
public sealed class PublishApiTests : IAsyncLifetime
{
    private LiveEditorHost _host = null!;

    public async Task InitializeAsync() => _host = await LiveEditorHost.StartAsync();
    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static StringContent Json(object body) => new(JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json");

    private static async Task<JsonElement> Answer(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    private async Task Ingest(string path, string json)
    {
        using var client = _host.Anonymous();
        var answer = await Answer(await client.PostAsync(path, new StringContent(json, System.Text.Encoding.UTF8, "application/json")),
            HttpStatusCode.OK);
        Assert.All(answer.GetProperty("results").EnumerateArray(), r => Assert.Equal("accepted", r.GetProperty("status").GetString()));
    }

    private static async Task Save(HttpClient client, string path, string text) =>
        await Answer(await client.PostAsync("/api/files/save", Json(new { path, text })), HttpStatusCode.OK);

    /// <summary>The main file without the `cart` journey.</summary>
    private static string WithoutCart() => LiveEditorHost.Main[..LiveEditorHost.Main.IndexOf("journey cart", StringComparison.Ordinal)];

    /// <summary>The editor's preview and the runtime's dry run are one answer written once, each in its API's names.</summary>
    [Fact]
    public async Task The_editors_preview_and_the_runtimes_dry_run_give_the_same_answer_in_their_own_names()
    {
        const string token = "a-long-admin-token-for-tests";
        await using var host = await LiveEditorHost.StartAsync(adminToken: token);
        using (var client = host.Anonymous())
        {
            foreach (var (path, json) in new[] { ("/api/profiles", """[{"user_id":"u1"},{"user_id":"u2"}]"""),
                ("/api/events", """[{"type":"cart_add","user_id":"u1","ts":"2025-03-01T10:00:00Z","price":200}]""") })
                await Answer(await client.PostAsync(path, new StringContent(json, System.Text.Encoding.UTF8, "application/json")), HttpStatusCode.OK);
        }
        var publisher = await host.SignedIn("publisher1");
        await Save(publisher, "main.mdsl", WithoutCart());
        var editor = await Answer(await publisher.PostAsync("/api/publish/preview", Json(new { })), HttpStatusCode.OK);
        using var admin = host.Anonymous();
        admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        var runtime = await Answer(await admin.PostAsync("/api/workspace/reload?dry_run=true", Json(new { })), HttpStatusCode.OK);

        Assert.True(runtime.GetProperty("dry_run").GetBoolean());
        foreach (var (camel, snake) in new[] { ("journeys", "journeys"), ("continued", "continued"), ("moved", "moved"), ("added", "added"),
            ("removed", "removed"), ("stepsChanged", "steps_changed"), ("inFlight", "in_flight") })
            Assert.True(editor.GetProperty(camel).GetRawText() == runtime.GetProperty(snake).GetRawText(),
                $"{camel}: {editor.GetProperty(camel)} in the editor, {snake}: {runtime.GetProperty(snake)} in the runtime");
        Assert.Equal(1, runtime.GetProperty("in_flight").GetProperty("cart").GetInt32());
        var ended = Assert.Single(editor.GetProperty("ended").EnumerateArray());
        var endedLive = Assert.Single(runtime.GetProperty("ended").EnumerateArray());
        Assert.Equal("u1", ended.GetProperty("userId").GetString());
        foreach (var (camel, snake) in new[]
            { ("journey", "journey"), ("userId", "user_id"), ("at", "at"), ("reason", "reason"), ("detail", "detail") })
            Assert.Equal(ended.GetProperty(camel).GetRawText(), endedLive.GetProperty(snake).GetRawText());
    }

    [Fact]
    public async Task A_publish_that_removes_a_journey_ends_its_users_as_previewed_and_is_recorded()
    {
        await Ingest("/api/profiles", """[{"user_id":"u1"},{"user_id":"u2"}]""");
        await Ingest("/api/events", """[{"type":"cart_add","user_id":"u1","ts":"2025-03-01T10:00:00Z","price":200}]""");
        Assert.True(_host.Runtime.Store.State("cart", "u1")!.Active);

        var publisher = await _host.SignedIn("publisher1");
        await Save(publisher, "main.mdsl", WithoutCart());
        var preview = await Answer(await publisher.PostAsync("/api/publish/preview", Json(new { })), HttpStatusCode.OK);
        Assert.Equal(["cart"], preview.GetProperty("removed").EnumerateArray().Select(n => n.GetString()));
        Assert.Equal(0, preview.GetProperty("added").GetArrayLength());
        Assert.Equal(1, preview.GetProperty("endedCount").GetInt32());
        var ends = Assert.Single(preview.GetProperty("ends").EnumerateArray());
        Assert.Equal(("cart", LiveRuntime.EndJourneyRemoved, 1), (ends.GetProperty("journey").GetString(),
            ends.GetProperty("reason").GetString(), ends.GetProperty("count").GetInt32()));
        // The preview changed nothing: u1 still waits in `cart`, which still runs.
        Assert.True(_host.Runtime.Store.State("cart", "u1")!.Active);
        Assert.Contains(_host.Runtime.Model.Journeys, j => j.Name == "cart");
        Assert.Empty(_host.Runtime.Store.JourneyEnds());

        var published = await Answer(await publisher.PostAsync("/api/publish",
            Json(new { hash = preview.GetProperty("hash").GetString() })), HttpStatusCode.OK);
        // The reload did what the preview said, end for end.
        Assert.Equal(preview.GetProperty("ended").GetRawText(), published.GetProperty("ended").GetRawText());
        Assert.Equal(preview.GetProperty("ends").GetRawText(), published.GetProperty("ends").GetRawText());
        Assert.Equal(preview.GetProperty("continued").GetInt32(), published.GetProperty("continued").GetInt32());
        var end = Assert.Single(_host.Runtime.Store.JourneyEnds());
        Assert.Equal(("cart", "u1", LiveRuntime.EndJourneyRemoved), (end.Journey, end.User, end.Reason));
        Assert.False(_host.Runtime.Store.State("cart", "u1")!.Active);
        Assert.DoesNotContain(_host.Runtime.Model.Journeys, j => j.Name == "cart");

        // A big cart no longer enters anyone; a login still says hello.
        await Ingest("/api/events", """
            [{"type":"cart_add","user_id":"u2","ts":"2025-03-01T11:00:00Z","price":500},
             {"type":"login","user_id":"u2","ts":"2025-03-01T11:00:00Z"}]
            """);
        Assert.Null(_host.Runtime.Store.State("cart", "u2"));
        Assert.Equal(1, _host.Runtime.Store.State("welcome", "u2")!.Entries);

        var publication = Assert.Single(_host.Store.PublicationHistory());
        Assert.Equal(("publisher1", preview.GetProperty("hash").GetString(), 2), (publication.Author, publication.Hash, publication.Files));
        Assert.Equal(64, publication.Hash.Length);
        // Publishing confirms and records the workspace's one hash, the compilation's.
        Assert.Equal(MarketingDsl.Core.Compilation.Create(MarketingDsl.Core.Workspace.Load(_host.Workspace)).ContentHash, publication.Hash);
        Assert.Equal(["cart"], publication.Removed);
        Assert.Equal(1, publication.Ended);
        Assert.Equal(("cart", LiveRuntime.EndJourneyRemoved, 1), (publication.Ends[0].Journey, publication.Ends[0].Reason,
            publication.Ends[0].Count));
        var listed = await Answer(await publisher.GetAsync("/api/publish"), HttpStatusCode.OK);
        Assert.True(listed.GetProperty("runtime").GetBoolean());
        Assert.Equal(publication.Id, listed.GetProperty("publications")[0].GetProperty("id").GetInt32());
        // Every role can read the list; the page shows the publication.
        var viewer = await _host.SignedIn("viewer1");
        var page = await viewer.GetStringAsync("/Publications");
        Assert.Contains("#" + publication.Id, page);
        Assert.Contains("1 × cart (journey_removed)", page);
        Assert.Contains(publication.Hash[..12], page);
    }

    [Fact]
    public async Task Editors_and_viewers_get_403_and_a_missing_antiforgery_token_is_refused()
    {
        File.WriteAllText(Path.Combine(_host.Workspace, "main.mdsl"), WithoutCart());
        var hash = "0000";
        foreach (var user in new[] { "editor1", "viewer1" })
        {
            var client = await _host.SignedIn(user);
            Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsync("/api/publish/preview", Json(new { }))).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsync("/api/publish", Json(new { hash }))).StatusCode);
            Assert.False((await Answer(await client.GetAsync("/api/publish"), HttpStatusCode.OK)).GetProperty("canPublish").GetBoolean());
            Assert.DoesNotContain("id=\"publish\"", await client.GetStringAsync("/"));
        }
        var noToken = await _host.SignedIn("admin1", withAntiforgery: false);
        var refused = await Answer(await noToken.PostAsync("/api/publish/preview", Json(new { })), HttpStatusCode.BadRequest);
        Assert.Contains("anti-forgery", refused.GetProperty("error").GetString());
        await Answer(await noToken.PostAsync("/api/publish", Json(new { hash })), HttpStatusCode.BadRequest);
        // Nothing was published by any of them.
        Assert.Contains(_host.Runtime.Model.Journeys, j => j.Name == "cart");
        Assert.Empty(_host.Store.PublicationHistory());
        // The admin's page has the Publish button, enabled (a runtime is hosted here).
        var admin = await _host.SignedIn("admin1");
        var editorPage = await admin.GetStringAsync("/");
        Assert.Matches("<button type=\"button\" id=\"publish\" title=\"[^\"]*\">", editorPage);
    }

    [Fact]
    public async Task A_workspace_with_errors_is_refused_with_its_diagnostics_and_the_runtime_keeps_the_old_version()
    {
        await Ingest("/api/profiles", """[{"user_id":"u1"}]""");
        var publisher = await _host.SignedIn("publisher1");
        // The new version drops `welcome` and has a typo in `cart`.
        await Save(publisher, "main.mdsl", WithoutCart().Replace("journey welcome { trigger: login  steps { send push \"hello\" } }", "") +
            "journey cart {\n  trigger: cart_add where pricee > 100\n  steps { send push \"reminder\" }\n}\n");
        var refused = await Answer(await publisher.PostAsync("/api/publish/preview", Json(new { })), HttpStatusCode.UnprocessableEntity);
        var error = refused.GetProperty("diagnostics").EnumerateArray().First();
        Assert.Equal("main.mdsl", error.GetProperty("file").GetString());
        // Saving formatted the file: the error is on the line of the typo as saved.
        var line = File.ReadAllLines(Path.Combine(_host.Workspace, "main.mdsl")).ToList().FindIndex(l =>
            l.Contains("pricee", StringComparison.Ordinal)) + 1;
        Assert.True(line > 0);
        Assert.Equal(line, error.GetProperty("start").GetProperty("line").GetInt32());
        Assert.Contains("pricee", error.GetProperty("message").GetString());
        Assert.Contains($"main.mdsl:{line}:", refused.GetProperty("text").GetString());
        // Publishing with any hash is refused the same way.
        await Answer(await publisher.PostAsync("/api/publish", Json(new { hash = "0000" })), HttpStatusCode.UnprocessableEntity);

        // The old version still runs: a login enters `welcome`, which only the old version has.
        await Ingest("/api/events", """[{"type":"login","user_id":"u1","ts":"2025-03-01T10:00:00Z"}]""");
        Assert.Equal(1, _host.Runtime.Store.State("welcome", "u1")!.Entries);
        Assert.Empty(_host.Store.PublicationHistory());
    }

    [Fact]
    public async Task A_publish_needs_the_previewed_hash_and_is_refused_when_the_workspace_was_saved_since()
    {
        var publisher = await _host.SignedIn("publisher1");
        await Save(publisher, "main.mdsl", WithoutCart());
        var preview = await Answer(await publisher.PostAsync("/api/publish/preview", Json(new { })), HttpStatusCode.OK);
        await Answer(await publisher.PostAsync("/api/publish", Json(new { })), HttpStatusCode.BadRequest);
        await Save(publisher, "main.mdsl", LiveEditorHost.Main);
        var stale = await Answer(await publisher.PostAsync("/api/publish", Json(new { hash = preview.GetProperty("hash").GetString() })),
            HttpStatusCode.Conflict);
        Assert.Contains("preview again", stale.GetProperty("error").GetString());
        Assert.Contains(_host.Runtime.Model.Journeys, j => j.Name == "cart");
        Assert.Empty(_host.Store.PublicationHistory());
    }
}

/// <summary>`mdsl web`: the editor alone, without a live runtime, says so instead of publishing.</summary>
public sealed class PublishWithoutRuntimeTests(EditorFactory factory) : IClassFixture<EditorFactory>
{
    [Fact]
    public async Task The_editor_alone_answers_that_there_is_no_live_runtime()
    {
        var client = await factory.SignedIn("publisher1");
        var status = await client.GetFromJsonAsync<JsonElement>("/api/publish");
        Assert.False(status.GetProperty("runtime").GetBoolean());
        Assert.Contains("no live runtime in this process (mdsl web); use mdsl serve", status.GetProperty("message").GetString());
        foreach (var (path, body) in new[] { ("/api/publish/preview", "{}"), ("/api/publish", "{\"hash\":\"00\"}") })
        {
            var response = await client.PostAsync(path, new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
            Assert.Contains("no live runtime in this process (mdsl web); use mdsl serve", await response.Content.ReadAsStringAsync());
        }
        // The button is shown to a publisher but disabled, with the reason.
        var page = await client.GetStringAsync("/");
        Assert.Matches("<button type=\"button\" id=\"publish\" disabled=\"disabled\" title=\"No live runtime in this process \\(mdsl " +
            "web\\); use mdsl serve to publish.\">", page);
        Assert.Contains("No live runtime in this process (mdsl web): publishing needs mdsl serve.", await client.GetStringAsync("/Publications"));
    }
}
