using System.Diagnostics;
using System.Net;
using System.Text.Json;
using MarketingDsl.Core;
using MarketingDsl.Engine.Data;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace MarketingDsl.Web.Tests;

/// <summary>
/// The data picker (`GET /api/data-folders`) offers import snapshots beside data folders, and a
/// simulation of a snapshot it offers gives the results of the files it was imported from.
/// </summary>
public sealed class DataFoldersTests
{
    [Fact]
    public async Task A_snapshot_is_offered_beside_data_folders_and_simulates_as_its_source()
    {
        var root = TestFolders.New();
        var schema = Compilation.Create(Workspace.Load(MarketingDsl.Testing.RepoRoot.Combine("examples", "retail"))).Model.Schema;
        RetailDataGenerator.Generate(Path.Combine(root, "exports"), users: 60, days: 60, seed: 3,
            endUtc: new DateTime(2025, 6, 30, 0, 0, 0, DateTimeKind.Utc));
        DataSource.Import(schema, Path.Combine(root, "exports"), Path.Combine(root, "snapshots", "june"), new ImportOptions());
        Directory.CreateDirectory(Path.Combine(root, "notes"));
        File.WriteAllText(Path.Combine(root, "notes", "readme.txt"), "not data");

        using var editor = new EditorFactory();
        using var withRoot = editor.WithWebHostBuilder(b => b.UseSetting("Editor:DataRoot", root));
        var client = await EditorFactory.SignIn(
            withRoot.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true }), "editor1");

        var folders = await Answer(await client.GetAsync("/api/data-folders"));
        Assert.Equal(["exports", "snapshots/june"], folders.GetProperty("folders").EnumerateArray().Select(f => f.GetString()!).ToArray());

        var fromFiles = await RunToEnd(client, "exports");
        var fromSnapshot = await RunToEnd(client, "snapshots/june");
        Assert.Equal("done", fromSnapshot.GetProperty("status").GetString());
        Assert.Equal(fromFiles.GetProperty("users").GetInt64(), fromSnapshot.GetProperty("users").GetInt64());
        Assert.Equal(fromFiles.GetProperty("segments").GetRawText(), fromSnapshot.GetProperty("segments").GetRawText());
        Assert.Equal(fromFiles.GetProperty("tags").GetRawText(), fromSnapshot.GetProperty("tags").GetRawText());
    }

    private static async Task<JsonElement> Answer(HttpResponseMessage response, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    private static async Task<JsonElement> RunToEnd(HttpClient client, string folder)
    {
        var body = new StringContent(JsonSerializer.Serialize(new { folder }), System.Text.Encoding.UTF8, "application/json");
        var id = (await Answer(await client.PostAsync("/api/simulations", body), HttpStatusCode.Accepted)).GetProperty("id").GetInt32();
        for (var clock = Stopwatch.StartNew(); clock.Elapsed < TimeSpan.FromSeconds(120); await Task.Delay(20))
        {
            var run = (await Answer(await client.GetAsync($"/api/simulations/{id}"))).GetProperty("run");
            if (run.GetProperty("status").GetString() is not ("queued" or "running")) return run;
        }
        throw new TimeoutException($"simulation #{id} of {folder} did not finish");
    }
}
