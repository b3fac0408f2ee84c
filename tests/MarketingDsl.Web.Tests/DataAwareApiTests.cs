using System.Diagnostics;
using System.Net;
using System.Text.Json;
using MarketingDsl.Core;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Functions.Loading;

namespace MarketingDsl.Web.Tests;

/// <summary>
/// Data-aware editing over the API: audience sizes of the working copy (against the reference
/// interpreter), value completion from the data, the MD5050 warning in both languages and only
/// with a data set, and the sample the sizes of a large data set are evaluated on.
/// </summary>
public sealed class DataAwareApiTests(EditorFactory factory) : IClassFixture<EditorFactory>
{
    private static StringContent Json(object body) => new(JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json");

    private static async Task<JsonElement> Answer(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"got {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    /// <summary>Asks until the data set is loaded (the first request starts the load and answers "loading").</summary>
    private static async Task<JsonElement> Sizes(HttpClient client, object[] buffers)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var answer = await Answer(await client.PostAsync("/api/editor-data/sizes", Json(new { folder = SimulationData.Folder, buffers })));
            var status = answer.GetProperty("status").GetString();
            if (status != "loading") return answer;
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(120), "the data set did not load");
            await Task.Delay(50);
        }
    }

    private string Read(string path) => File.ReadAllText(Path.Combine(factory.Workspace, path));

    [Fact]
    public async Task After_an_edit_only_what_it_changed_is_evaluated_again_and_the_sizes_are_the_reference_interpreters()
    {
        var client = await factory.SignedIn("viewer1");
        const string Old = "segment vip_repeat \"高价值复购\" = high_value and orders_365d >= 2";
        var segments = Read("segments.mdsl");
        Assert.Contains(Old, segments);
        await Sizes(client, [new { path = "segments.mdsl", text = segments }]);
        var edited = segments.Replace(Old, Old[..^1] + "7", StringComparison.Ordinal);
        var answer = await Sizes(client, [new { path = "segments.mdsl", text = edited }]);
        Assert.Equal("ready", answer.GetProperty("status").GetString());
        // vip_repeat and what reads it; every other declaration's column is kept from the request before.
        Assert.InRange(answer.GetProperty("computed").GetInt32(), 1, 3);
        Assert.True(answer.GetProperty("reused").GetInt32() > 50);

        var expected = SimulationData.Expected(new Workspace(Workspace.Load(factory.Workspace).AllFiles.Where(f => f.Path != "segments.mdsl")
            .Append(new Core.Text.SourceText("segments.mdsl", edited))));
        var sizes = answer.GetProperty("sizes").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!);
        foreach (var segment in expected.Model.Segments)
            Assert.Equal(SimulationData.Members(expected, segment.Name).Count, sizes[segment.Name].GetProperty("count").GetInt64());
    }

    [Fact]
    public async Task Workspace_problems_list_every_files_data_warnings_with_a_data_set_only()
    {
        var client = await factory.SignedIn("viewer1");
        await Sizes(client, []); // loads the data set
        object[] buffers = [new { path = "promo.mdsl", text = "segment tablet_fans = exists(login, where: platform == \"tablet\")\n" }];
        async Task<string[]> Warnings(string? dataFolder) =>
            [.. (await Answer(await client.PostAsync("/api/problems", Json(new { buffers, dataFolder })))).GetProperty("files").EnumerateArray()
                .Where(f => f.GetProperty("path").GetString() == "promo.mdsl")
                .SelectMany(f => f.GetProperty("markers").EnumerateArray())
                .Select(m => m.GetProperty("code").GetString() + " " + m.GetProperty("message").GetString())];
        Assert.Empty(await Warnings(null));
        var warning = Assert.Single(await Warnings(SimulationData.Folder));
        Assert.StartsWith("MD5050 ", warning);
        Assert.Contains("\"tablet\" never occurs in login.platform", warning);
    }

    [Fact]
    public async Task Audience_sizes_of_the_unsaved_working_copy_are_the_reference_interpreters_counts_beside_each_name()
    {
        var client = await factory.SignedIn("viewer1");
        var segments = Read("segments.mdsl") + "\nsegment android_fans = exists(login, where: platform == \"android\", within: 30d)\n";
        var answer = await Sizes(client, [new { path = "segments.mdsl", text = segments }]);
        Assert.Equal("ready", answer.GetProperty("status").GetString());
        var source = answer.GetProperty("source");
        Assert.Equal(SimulationData.Folder, source.GetProperty("name").GetString());
        Assert.False(source.GetProperty("sampled").GetBoolean());

        var workspace = new Workspace(Workspace.Load(factory.Workspace).AllFiles.Where(f => f.Path != "segments.mdsl")
            .Append(new Core.Text.SourceText("segments.mdsl", segments)));
        var expected = SimulationData.Expected(workspace);
        var users = expected.Data.UserCount;
        Assert.Equal(users, source.GetProperty("users").GetInt32());
        var sizes = answer.GetProperty("sizes").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!);

        var added = sizes["android_fans"];
        Assert.Equal(SimulationData.Members(expected, "android_fans").Count, added.GetProperty("count").GetInt64());
        Assert.Equal("segments.mdsl", added.GetProperty("path").GetString());
        var lines = segments.Split('\n');
        var line = added.GetProperty("line").GetInt32();
        Assert.StartsWith("segment android_fans", lines[line - 1]);
        Assert.Equal("segment android_fans".Length + 1, added.GetProperty("column").GetInt32());
        Assert.True(SimulationData.Members(expected, "android_fans").Count > 0, "the generated data has android logins");

        foreach (var segment in expected.Model.Segments)
            Assert.Equal(SimulationData.Members(expected, segment.Name).Count, sizes[segment.Name].GetProperty("count").GetInt64());
        foreach (var rule in expected.Model.Segmentations.Single(s => s.Name == "core_groups").Rules)
        {
            var size = sizes["core_groups." + rule.Name];
            Assert.Equal(SimulationData.InGroup(expected, "core_groups", rule.Name).Count, size.GetProperty("count").GetInt64());
            Assert.Equal("group", size.GetProperty("kind").GetString());
        }
        var boolTag = expected.Model.Tags.First(t => t.Type.Kind == Core.Semantics.TypeKind.Bool && t.Location!.File.Path == "tags/behaviour.mdsl");
        Assert.Equal(SimulationData.Members(expected, boolTag.Name).Count, sizes[boolTag.Name].GetProperty("count").GetInt64());
        Assert.Equal("tag", sizes[boolTag.Name].GetProperty("kind").GetString());
        Assert.DoesNotContain(sizes.Values, s => s.GetProperty("name").GetString() == "annual_spend"); // not a yes/no tag

        // A working copy with an error has no sizes, and says so.
        var broken = await Sizes(client, [new { path = "segments.mdsl", text = segments + "segment oops = nosuchtag\n" }]);
        Assert.Equal("errors", broken.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Quoted_literals_compared_with_a_field_complete_with_the_values_in_the_data_and_their_shares()
    {
        var client = await factory.SignedIn("editor1");
        await Sizes(client, []); // the data set is loaded
        var text = "tag t1 = exists(login, where: platform == \"\")\ntag t2 = city in [\"北京\", \"\"]\ntag t3 = gender != \"\"\n";
        var lines = text.Split('\n');
        // One-based column just inside the empty quotes of a line.
        int Inside(int line) => lines[line - 1].IndexOf("\"\"", StringComparison.Ordinal) + 2;
        var platform = await Complete(client, text, 1, Inside(1), SimulationData.Folder);
        var labels = platform.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("label").GetString()!).ToList();
        Assert.Equal(["android", "ios", "miniapp", "web"], labels.Order().ToArray());
        Assert.All(platform.GetProperty("items").EnumerateArray(),
            i => Assert.Matches(@"^\d+(\.\d)?% of login\.platform · retail$", i.GetProperty("detail").GetString()));
        // The range is the text between the quotes.
        var range = platform.GetProperty("range");
        Assert.Equal(Inside(1), range.GetProperty("startColumn").GetInt32());
        Assert.Equal(Inside(1), range.GetProperty("endColumn").GetInt32());

        var cities = await Complete(client, text, 2, Inside(2), SimulationData.Folder);
        Assert.Contains("上海", cities.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("label").GetString()));
        var gender = await Complete(client, text, 3, Inside(3), SimulationData.Folder);
        Assert.Equal(["F", "M"], gender.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("label").GetString()!).Order().ToArray());

        // Without a data set, nothing is offered inside quotes.
        Assert.Empty((await Complete(client, text, 1, Inside(1), null)).GetProperty("items").EnumerateArray());
    }

    private static async Task<JsonElement> Complete(HttpClient client, string text, int line, int column, string? folder) =>
        await Answer(await client.PostAsync("/api/completion", Json(new { path = "tags/new.mdsl", text, line, column, dataFolder = folder })));

    [Fact]
    public async Task A_literal_that_never_occurs_in_its_field_is_a_warning_in_the_ui_language_only_with_a_data_set()
    {
        var client = await factory.SignedIn("editor1");
        await Sizes(client, []);
        var text = "tag app_login = exists(login, where: platform == \"app\", within: 30d)\ntag north = city in [\"北京\", \"Atlantis\"]\n"
            + "tag fav_phone = \"phones\" in fav_categories\ntag fine = exists(login, where: platform in [\"ios\", \"web\"])\n";
        var markers = await Markers(client, text, SimulationData.Folder);
        var warnings = markers.Where(m => m.GetProperty("code").GetString() == "MD5050").ToList();
        Assert.Equal(3, warnings.Count);
        var app = warnings[0];
        Assert.Equal("warning", app.GetProperty("severity").GetString());
        Assert.Equal(1, app.GetProperty("range").GetProperty("startLine").GetInt32());
        Assert.Equal(text.IndexOf("\"app\"", StringComparison.Ordinal) + 1, app.GetProperty("range").GetProperty("startColumn").GetInt32());
        Assert.Contains("\"app\" never occurs in login.platform in the data set 'retail'", app.GetProperty("message").GetString());
        Assert.Equal(2, warnings[1].GetProperty("range").GetProperty("startLine").GetInt32());
        Assert.Contains("\"Atlantis\"", warnings[1].GetProperty("message").GetString());
        // Through a tag that is top() of a field: fav_categories holds values of order.category.
        Assert.Equal(3, warnings[2].GetProperty("range").GetProperty("startLine").GetInt32());
        Assert.Contains("order.category", warnings[2].GetProperty("message").GetString());
        Assert.Equal("phone", warnings[2].GetProperty("suggestion").GetString());

        // Without a data set: no MD5050 (it is an editor diagnostic, never a `check` one).
        Assert.DoesNotContain(await Markers(client, text, null), m => m.GetProperty("code").GetString() == "MD5050");
        var check = FunctionCompilation.Create(new Workspace(Workspace.Load(factory.Workspace).AllFiles
            .Append(new Core.Text.SourceText("tags/new.mdsl", text))));
        Assert.DoesNotContain(check.Diagnostics, d => d.Code == "MD5050");

        // In 简体中文 for a user whose UI language is Chinese.
        var chinese = await factory.SignedIn("publisher1");
        await chinese.GetAsync("/?lang=zh-CN");
        var zh = (await Markers(chinese, text, SimulationData.Folder)).First(m => m.GetProperty("code").GetString() == "MD5050");
        Assert.Contains("从未出现值 \"app\"", zh.GetProperty("message").GetString());
    }

    private static async Task<List<JsonElement>> Markers(HttpClient client, string text, string? folder)
    {
        var answer = await Answer(await client.PostAsync("/api/diagnostics", Json(new { path = "tags/new.mdsl", text, dataFolder = folder })));
        return [.. answer.GetProperty("markers").EnumerateArray()];
    }

    [Fact]
    public void A_sample_of_users_has_their_own_values_and_is_the_same_at_every_load()
    {
        var compilation = FunctionCompilation.Create(Workspace.Load(factory.Workspace));
        var data = DataImporter.Load(compilation.Model.Schema, SimulationData.RetailFolder);
        var picked = DataSetSubset.Sample(data, 150);
        Assert.Equal(150, picked.Length);
        Assert.Equal(picked, DataSetSubset.Sample(DataImporter.Load(compilation.Model.Schema, SimulationData.RetailFolder), 150));
        Assert.Equal(picked.Order().ToArray(), picked);
        var sample = DataSetSubset.Of(data, picked);
        var asOf = new DateTime(data.MaxTimestampTicks!.Value, DateTimeKind.Utc);
        var whole = new ReferenceInterpreter().Evaluate(compilation.Model, data, asOf);
        var part = CompiledEngine.Evaluate(CompiledEngine.PlanFor(compilation.Model), sample, asOf);
        // Population functions rank within the sample; every other value is the user's own.
        var population = compilation.Model.Outputs.Where(o => o.Phase > 0).Select(o => o.Name).ToHashSet();
        foreach (var column in whole.Columns.Where(c => !population.Contains(c.Symbol.Name)))
        for (var i = 0; i < picked.Length; i++)
            Assert.True(Equals(Engine.Simulation.ValueFormatter.Format(column.Get(picked[i])),
                Engine.Simulation.ValueFormatter.Format(part.Column(column.Symbol.Name).Get(i))),
                $"{column.Symbol.Name} of {data.UserIds[picked[i]]}");
        Assert.Equal([.. picked.Select(u => data.UserIds[u])], sample.UserIds);
    }
}
