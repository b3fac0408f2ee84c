using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace MarketingDsl.Cli.Tests;

/// <summary>
/// Hostile custom functions loaded by a real `mdsl serve` (at start and by a reload): each request
/// that runs one gets its answer (the value null), and the process answers the next request.
/// </summary>
public sealed partial class ServeFunctionTests : IDisposable
{
    private const string Schema = """
        schema {
          profile { user_id: string key, city: string? }
          event login { }
        }
        """;

    private const string Tags = """
        tag line = SkuLine("tv-55x")
        tag spin = Spin(1)
        tag deep = Deep(0)
        tag hog = Hog(1)
        """;

    private const string Functions = """
        public static string SkuLine(string sku) => sku.Substring(0, 3);
        public static long Spin(long x) { while (x > 0) { } return x; }
        public static long Deep(long n) => Deep(n + 1) + 1;
        public static long Hog(long x) { var s = "x"; while (x > 0) s += s; return s.Length; }
        """;

    private readonly ServeSandbox _serve = new("mdsl-serve-function-tests");
    private string Root => _serve.Root;

    public void Dispose() => _serve.Dispose();

    [Fact]
    public async Task Hostile_functions_do_not_stop_the_process_from_answering_the_next_request()
    {
        var workspace = Path.Combine(Root, "ws");
        Directory.CreateDirectory(Path.Combine(workspace, "functions"));
        File.WriteAllText(Path.Combine(workspace, "schema.mdsl"), Schema);
        File.WriteAllText(Path.Combine(workspace, "tags.mdsl"), Tags);
        File.WriteAllText(Path.Combine(workspace, "functions", "f.csx"), Functions);
        var url = await StartServe(workspace);
        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);

        var profiles = await http.PostAsync("/api/profiles", new StringContent("""[{"user_id":"u1"}]""", Encoding.UTF8, "application/json"));
        Assert.True(profiles.IsSuccessStatusCode, await profiles.Content.ReadAsStringAsync());
        var tags = await TagsOf(http);
        Assert.Equal("tv-", tags.GetProperty("line").GetString());
        foreach (var hostile in new[] { "spin", "deep", "hog" }) Assert.Equal(JsonValueKind.Null, tags.GetProperty(hostile).ValueKind);
        Assert.True((await http.GetAsync("/api/health")).IsSuccessStatusCode);

        // A reload with a file the sandbox refuses is refused, and the running version keeps answering.
        File.WriteAllText(Path.Combine(workspace, "functions", "f.csx"), Functions
            + "\npublic static long Bye() { System.Environment.Exit(9); return 0; }");
        var refused = await http.PostAsync("/api/workspace/reload", JsonContent.Create(new { }));
        Assert.Equal(422, (int)refused.StatusCode);
        Assert.Contains("MD7002", await refused.Content.ReadAsStringAsync());
        Assert.Equal("tv-", (await TagsOf(http)).GetProperty("line").GetString());

        // A reload with a changed, allowed file takes the new code; its hostile calls still end in null.
        File.WriteAllText(Path.Combine(workspace, "functions", "f.csx"), Functions.Replace("sku.Substring(0, 3)", "sku.Substring(0, 2)"));
        var reloaded = await http.PostAsync("/api/workspace/reload", JsonContent.Create(new { }));
        Assert.True(reloaded.IsSuccessStatusCode, await reloaded.Content.ReadAsStringAsync());
        tags = await TagsOf(http);
        Assert.Equal("tv", tags.GetProperty("line").GetString());
        Assert.Equal(JsonValueKind.Null, tags.GetProperty("spin").ValueKind);
        Assert.True((await http.GetAsync("/api/health")).IsSuccessStatusCode);
        Assert.False(_serve.Started!.HasExited);
    }

    private static async Task<JsonElement> TagsOf(HttpClient http)
    {
        var response = await http.GetAsync("/api/users/u1/tags?at=2025-06-01T00:00:00Z");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("tags").Clone();
    }

    private const string AdminToken = "a-test-admin-token-of-enough-length";

    private async Task<Uri> StartServe(string workspace)
    {
        var (_, url) = await _serve.StartAsync(
            [workspace, "--urls", "http://127.0.0.1:0", "--db", Path.Combine(Root, "live.db"), "--outbox-dir", Path.Combine(Root, "outbox")],
            new Dictionary<string, string?> { ["MDSL_ADMIN_TOKEN"] = AdminToken });
        return url;
    }
}
