using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace MarketingDsl.Web.Tests;

public sealed class ApiTests(EditorFactory factory) : IClassFixture<EditorFactory>
{
    private static StringContent Json(object body) => new(JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json");

    private static async Task<JsonElement> Ok(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    [Fact]
    public async Task Anonymous_requests_get_401_from_the_api_and_a_redirect_from_pages()
    {
        var client = factory.Anonymous();
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/files")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsync("/api/diagnostics", Json(new { path = "a.mdsl", text = "" }))).StatusCode);
        var page = await client.GetAsync("/History");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.StartsWith("/Account/Login", page.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_password_is_refused_and_login_needs_the_form_token()
    {
        var client = factory.Anonymous();
        var login = await client.GetStringAsync("/Account/Login");
        var token = EditorFactory.FormToken().Match(login).Groups[1].Value;
        var wrong = await client.PostAsync("/Account/Login",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["name"] = "editor1", ["password"] = "nope-nope",
            ["__RequestVerificationToken"] = token }));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        var noToken = await factory.Anonymous().PostAsync("/Account/Login",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["name"] = "editor1", ["password"] = "password-editor1" }));
        Assert.Equal(HttpStatusCode.BadRequest, noToken.StatusCode);
    }

    [Fact]
    public async Task Files_are_listed_and_read()
    {
        var client = await factory.SignedIn("viewer1");
        var files = await Ok(await client.GetAsync("/api/files"));
        var list = files.GetProperty("files").EnumerateArray().Select(f => f.GetString()).ToList();
        Assert.Contains("tags/behaviour.mdsl", list);
        Assert.DoesNotContain(list, f => f!.StartsWith('.'));
        Assert.False(files.GetProperty("canEdit").GetBoolean());
        var file = await Ok(await client.GetAsync("/api/files/read?path=schema.mdsl"));
        Assert.Contains("schema {", file.GetProperty("text").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/files/read?path=missing.mdsl")).StatusCode);
    }

    [Fact]
    public async Task Diagnostics_are_the_compilers_markers()
    {
        var client = await factory.SignedIn("viewer1");
        var result = await Ok(await client.PostAsync("/api/diagnostics",
            Json(new { path = "tags/extra.mdsl", text = "tag loyal = orders_30dd >= 2\n" })));
        var marker = Assert.Single(result.GetProperty("markers").EnumerateArray());
        Assert.Equal("MD2001", marker.GetProperty("code").GetString());
        Assert.Equal("error", marker.GetProperty("severity").GetString());
        Assert.Equal("orders_30d", marker.GetProperty("suggestion").GetString());
        Assert.Equal(13, marker.GetProperty("range").GetProperty("startColumn").GetInt32());
        Assert.True(result.GetProperty("serverMs").GetDouble() >= 0);
    }

    [Fact]
    public async Task Diagnostics_speak_the_ui_language()
    {
        var client = await factory.SignedIn("viewer1");
        var body = new { path = "tags/extra.mdsl", text = "tag loyal = orders_30dd >= 2\n" };
        await client.GetAsync("/History?lang=en"); // the language follows the user: another test may have chosen Chinese for viewer1
        var english = Assert.Single((await Ok(await client.PostAsync("/api/diagnostics", Json(body)))).GetProperty("markers").EnumerateArray());
        Assert.StartsWith("Unknown name 'orders_30dd'", english.GetProperty("message").GetString());
        await client.GetAsync("/History?lang=zh-CN"); // the page sets the language cookie the API reads
        var chinese = Assert.Single((await Ok(await client.PostAsync("/api/diagnostics", Json(body)))).GetProperty("markers").EnumerateArray());
        Assert.Equal("MD2001", chinese.GetProperty("code").GetString());
        Assert.StartsWith("未知的名称 'orders_30dd'", chinese.GetProperty("message").GetString());
        Assert.Contains("你是不是想写 'orders_30d'", chinese.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Completion_hover_signature_definition_references_rename_format_and_fixes()
    {
        var client = await factory.SignedIn("viewer1");
        var completion = await Ok(await client.PostAsync("/api/completion",
            Json(new { path = "tags/extra.mdsl", text = "tag a = count(order, ", line = 1, column = 22 })));
        Assert.Equal(["where:", "within:"], completion.GetProperty("items").EnumerateArray().Select(i =>
            i.GetProperty("label").GetString()!).ToArray());
        Assert.Equal("NamedArgument", completion.GetProperty("items")[0].GetProperty("kind").GetString());

        var hover = await Ok(await client.PostAsync("/api/hover", Json(new { path = "tags/extra.mdsl", text = "tag a = churned", line = 1,
            column = 10 })));
        Assert.Contains("(tag) churned \"流失用户\": bool", hover.GetProperty("hover").GetProperty("markdown").GetString());

        var signature = await Ok(await client.PostAsync("/api/signature",
            Json(new { path = "tags/extra.mdsl", text = "tag a = round(1.5, ", line = 1, column = 20 })));
        Assert.Equal(1, signature.GetProperty("signature").GetProperty("activeParameter").GetInt32());

        var definition = await Ok(await client.PostAsync("/api/definition", Json(new { path = "tags/extra.mdsl", text = "tag a = churned",
            line = 1, column = 10 })));
        Assert.Equal("tags/behaviour.mdsl", definition.GetProperty("locations")[0].GetProperty("path").GetString());

        var references = await Ok(await client.PostAsync("/api/references", Json(new { path = "tags/extra.mdsl", text = "tag a = churned",
            line = 1, column = 10 })));
        Assert.True(references.GetProperty("locations").GetArrayLength() > 3);

        var rename = await Ok(await client.PostAsync("/api/rename", Json(new { path = "tags/extra.mdsl", text = "tag a = churned",
            line = 1, column = 10, newName = "and" })));
        Assert.Contains("keyword", rename.GetProperty("error").GetString());

        var format = await Ok(await client.PostAsync("/api/format", Json(new { path = "tags/extra.mdsl", text = "tag   a=churned" })));
        Assert.Equal("tag a = churned\n", format.GetProperty("text").GetString());

        var fixes = await Ok(await client.PostAsync("/api/fixes", Json(new { path = "tags/extra.mdsl", text = "tag a = churnd" })));
        Assert.Equal("churned", fixes.GetProperty("fixes")[0].GetProperty("edit").GetProperty("newText").GetString());
    }

    [Fact]
    public async Task Saving_writes_the_formatted_text_and_records_a_version()
    {
        var client = await factory.SignedIn("editor1");
        var result = await Ok(await client.PostAsync("/api/files/save", Json(new { path = "tags/saved.mdsl", text = "tag   loyal=orders_30d>=2" })));
        Assert.True(result.GetProperty("formatted").GetBoolean());
        Assert.Equal("tag loyal = orders_30d >= 2\n", File.ReadAllText(Path.Combine(factory.Workspace, "tags", "saved.mdsl")));
        var version = factory.Store.FindVersion(result.GetProperty("version").GetInt32())!;
        Assert.Equal("tags/saved.mdsl", version.Path);
        Assert.Equal("editor1", version.Author);
        Assert.Equal("tag loyal = orders_30d >= 2\n", version.Text);
        Assert.True((DateTime.UtcNow - version.SavedUtc).TotalMinutes < 5);

        // A second save shows in the history page with a diff.
        await Ok(await client.PostAsync("/api/files/save", Json(new { path = "tags/saved.mdsl", text = "tag loyal = orders_30d >= 3\n" })));
        var history = await client.GetStringAsync("/History?path=tags%2Fsaved.mdsl");
        // The diff editor's texts: the previous version on the left, the selected one on the right.
        var start = history.IndexOf("<script type=\"application/json\" id=\"history-config\">", StringComparison.Ordinal);
        Assert.True(start >= 0, history);
        var json = history[(history.IndexOf('>', start) + 1)..history.IndexOf("</script>", start, StringComparison.Ordinal)];
        using var config = JsonDocument.Parse(json);
        Assert.Equal("tag loyal = orders_30d >= 2\n", config.RootElement.GetProperty("original").GetString());
        Assert.Equal("tag loyal = orders_30d >= 3\n", config.RootElement.GetProperty("modified").GetString());
        var api = await Ok(await client.GetAsync("/api/history?path=tags/saved.mdsl"));
        Assert.Equal(2, api.GetArrayLength());
    }

    [Fact]
    public async Task A_file_with_syntax_errors_is_saved_as_written()
    {
        var client = await factory.SignedIn("editor1");
        var result = await Ok(await client.PostAsync("/api/files/save", Json(new { path = "tags/broken.mdsl", text = "tag x = (" })));
        Assert.False(result.GetProperty("formatted").GetBoolean());
        Assert.Equal("tag x = (", File.ReadAllText(Path.Combine(factory.Workspace, "tags", "broken.mdsl")));
        Assert.NotEqual(0, result.GetProperty("markers").GetArrayLength());
        File.Delete(Path.Combine(factory.Workspace, "tags", "broken.mdsl"));
    }

    [Fact]
    public async Task A_viewer_cannot_save()
    {
        var client = await factory.SignedIn("viewer1");
        var response = await client.PostAsync("/api/files/save", Json(new { path = "tags/viewer.mdsl", text = "tag a = 1\n" }));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.False(File.Exists(Path.Combine(factory.Workspace, "tags", "viewer.mdsl")));
    }

    [Theory]
    [InlineData("publisher1")]
    [InlineData("admin1")]
    public async Task Publishers_and_admins_can_save(string user)
    {
        var client = await factory.SignedIn(user);
        await Ok(await client.PostAsync("/api/files/save", Json(new { path = $"tags/{user}.mdsl", text = "tag a_" + user + " = 1\n" })));
    }

    [Fact]
    public async Task Writes_need_the_antiforgery_header()
    {
        var client = await factory.SignedIn("editor1", withAntiforgery: false);
        var missing = await client.PostAsync("/api/files/save", Json(new { path = "tags/csrf.mdsl", text = "tag a = 1\n" }));
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        client.DefaultRequestHeaders.Add("X-CSRF-TOKEN", "forged");
        var forged = await client.PostAsync("/api/files/save", Json(new { path = "tags/csrf.mdsl", text = "tag a = 1\n" }));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.False(File.Exists(Path.Combine(factory.Workspace, "tags", "csrf.mdsl")));

        // A token issued to another user does not work either.
        var other = await factory.SignedIn("admin1");
        var token = other.DefaultRequestHeaders.GetValues("X-CSRF-TOKEN").Single();
        client.DefaultRequestHeaders.Remove("X-CSRF-TOKEN");
        client.DefaultRequestHeaders.Add("X-CSRF-TOKEN", token);
        Assert.Equal(HttpStatusCode.BadRequest,
            (await client.PostAsync("/api/files/save", Json(new { path = "tags/csrf.mdsl", text = "tag a = 1\n" }))).StatusCode);
    }

    [Theory]
    [InlineData("../outside.mdsl")]
    [InlineData("tags/../../outside.mdsl")]
    [InlineData("/tmp/outside.mdsl")]
    [InlineData("C:\\outside.mdsl")]
    [InlineData("tags\\..\\..\\outside.mdsl")]
    [InlineData(".mdsl/editor.db")]
    [InlineData(".hidden.mdsl")]
    [InlineData("tags/./basic.mdsl")]
    [InlineData("tags/basic.txt")]
    [InlineData("")]
    public async Task Traversal_and_other_paths_are_rejected(string path)
    {
        var client = await factory.SignedIn("admin1");
        var save = await client.PostAsync("/api/files/save", Json(new { path, text = "tag a = 1\n" }));
        Assert.Equal(HttpStatusCode.BadRequest, save.StatusCode);
        var read = await client.GetAsync("/api/files/read?path=" + Uri.EscapeDataString(path));
        Assert.Equal(HttpStatusCode.BadRequest, read.StatusCode);
        var diagnostics = await client.PostAsync("/api/diagnostics", Json(new { path, text = "" }));
        Assert.Equal(HttpStatusCode.BadRequest, diagnostics.StatusCode);
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(factory.Workspace)!, "outside.mdsl")));
    }

    [Fact]
    public async Task Symbolic_links_that_leave_the_workspace_are_rejected()
    {
        var outside = Path.Combine(Path.GetDirectoryName(factory.Workspace)!, "outside-dir");
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(outside, "secret.mdsl"), "tag secret = 1\n");
        var dirLink = Path.Combine(factory.Workspace, "linked");
        var fileLink = Path.Combine(factory.Workspace, "alias.mdsl");
        if (!Directory.Exists(dirLink)) Directory.CreateSymbolicLink(dirLink, outside);
        if (!File.Exists(fileLink)) File.CreateSymbolicLink(fileLink, Path.Combine(outside, "secret.mdsl"));
        try
        {
            var client = await factory.SignedIn("admin1");
            Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/api/files/read?path=linked/secret.mdsl")).StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/api/files/read?path=alias.mdsl")).StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest,
                (await client.PostAsync("/api/files/save", Json(new { path = "linked/new.mdsl", text = "tag a = 1\n" }))).StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest,
                (await client.PostAsync("/api/files/save", Json(new { path = "alias.mdsl", text = "tag a = 1\n" }))).StatusCode);
            Assert.Equal("tag secret = 1\n", File.ReadAllText(Path.Combine(outside, "secret.mdsl")));
            Assert.False(File.Exists(Path.Combine(outside, "new.mdsl")));
            var files = await Ok(await client.GetAsync("/api/files"));
            Assert.DoesNotContain(files.GetProperty("files").EnumerateArray(), f => f.GetString()!.Contains("secret")
                || f.GetString() == "alias.mdsl");
        }
        finally
        {
            Directory.Delete(dirLink);
            File.Delete(fileLink);
        }
    }

    [Fact]
    public async Task Oversized_requests_are_rejected()
    {
        var client = await factory.SignedIn("editor1");
        var big = new string('x', 300 * 1024);
        var response = await client.PostAsync("/api/diagnostics", Json(new { path = "tags/big.mdsl", text = big }));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var save = await client.PostAsync("/api/files/save", Json(new { path = "tags/big.mdsl", text = big }));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, save.StatusCode);
        Assert.False(File.Exists(Path.Combine(factory.Workspace, "tags", "big.mdsl")));
    }

    [Fact]
    public async Task Pages_speak_english_and_simplified_chinese()
    {
        var client = await factory.SignedIn("viewer1");
        var english = await client.GetStringAsync("/");
        Assert.Contains(">Editor<", english);
        Assert.Contains("id=\"editor-config\"", english);
        Assert.DoesNotContain("id=\"save\"", english); // a viewer gets no save button
        var chinese = await client.GetAsync("/History?lang=zh-CN");
        Assert.Contains("mdsl-lang=zh-CN", string.Join(";", chinese.Headers.GetValues("Set-Cookie")));
        Assert.Contains("已保存的版本", await chinese.Content.ReadAsStringAsync());
        Assert.Contains("编辑器", await client.GetStringAsync("/")); // remembered by the cookie
        var editorPage = await (await factory.SignedIn("editor1")).GetStringAsync("/");
        Assert.Contains("id=\"save\"", editorPage);
    }

    [Fact]
    public async Task Monaco_and_the_language_definition_are_served_locally()
    {
        var client = factory.Anonymous();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/lib/monaco/vs/loader.js")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/lib/monaco/vs/editor/editor.main.js")).StatusCode);
        var monarch = await client.GetStringAsync("/lib/marketingdsl.monarch.json");
        Assert.Equal(File.ReadAllText(Path.Combine(TestPaths.Root, "editor", "marketingdsl.monarch.json")), monarch);
        var page = await client.GetAsync("/Account/Login");
        Assert.Contains("script-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single());
    }
}
