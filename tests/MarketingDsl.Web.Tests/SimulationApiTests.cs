using System.Diagnostics;
using System.Net;
using System.Text.Json;
using MarketingDsl.Core;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Simulation;
using MarketingDsl.Web.Simulations;
using MarketingDsl.Web.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace MarketingDsl.Web.Tests;

/// <summary>The simulation and audience-diff API over examples/retail and a generated retail history (see <see cref="SimulationData"/>).</summary>
public sealed class SimulationApiTests(EditorFactory factory) : IClassFixture<EditorFactory>
{
    private static StringContent Json(object body) => new(JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json");

    private static async Task<JsonElement> Answer(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    /// <summary>Starts a run and polls until it ends; returns the stored run and the phases seen while polling.</summary>
    private static async Task<(JsonElement Run, List<string> Seen)> RunToEnd(HttpClient client, object request)
    {
        var started = await Answer(await client.PostAsync("/api/simulations", Json(request)), HttpStatusCode.Accepted);
        Assert.Equal("queued", started.GetProperty("status").GetString());
        var id = started.GetProperty("id").GetInt32();
        var seen = new List<string>();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(120))
        {
            var answer = await Answer(await client.GetAsync($"/api/simulations/{id}"), HttpStatusCode.OK);
            var run = answer.GetProperty("run");
            var status = run.GetProperty("status").GetString()!;
            seen.Add(answer.GetProperty("progress").ValueKind == JsonValueKind.Object
                ? answer.GetProperty("progress").GetProperty("phase").GetString()! : status);
            if (status is not ("queued" or "running")) return (run, seen);
            await Task.Delay(20);
        }
        throw new TimeoutException($"simulation #{id} did not finish");
    }

    private static Dictionary<string, long> Bars(JsonElement bars) =>
        bars.EnumerateArray().ToDictionary(b => b.GetProperty("name").GetString()!, b => b.GetProperty("count").GetInt64());

    [Fact]
    public async Task A_run_of_the_working_copy_reports_sizes_distributions_quality_and_samples_as_the_reference_interpreter_computes_them()
    {
        var client = await factory.SignedIn("editor1");
        var folders = await Answer(await client.GetAsync("/api/data-folders"), HttpStatusCode.OK);
        Assert.Equal([SimulationData.Folder], folders.GetProperty("folders").EnumerateArray().Select(f => f.GetString()!).ToArray());

        var asOf = new DateTime(2025, 6, 15, 0, 0, 0, DateTimeKind.Utc);
        var (run, seen) = await RunToEnd(client, new { folder = SimulationData.Folder, asOf = "2025-06-15T00:00:00Z" });
        Assert.True(run.GetProperty("status").GetString() == "done", run.ToString());
        Assert.NotEmpty(seen);
        Assert.All(seen, phase => Assert.Contains(phase, new[] { "queued", "running", "loading", "evaluating", "summarising", "done" }));
        var expected = SimulationData.Expected(Workspace.Load(factory.Workspace), asOf);
        var users = expected.Data.UserCount;
        Assert.Equal(users, run.GetProperty("users").GetInt32());
        Assert.Equal(asOf, run.GetProperty("asOfUtc").GetDateTime().ToUniversalTime());

        // Segment and group sizes, with the declared labels.
        var segments = run.GetProperty("segments");
        foreach (var segment in expected.Model.Segments)
            Assert.Equal(SimulationData.Members(expected, segment.Name).Count, Bars(segments)[segment.Name]);
        Assert.Contains(segments.EnumerateArray(), s => s.GetProperty("name").GetString() == "vip_repeat"
            && s.GetProperty("label").GetString() == "高价值复购");
        Assert.Contains(Bars(segments).Values, n => n > 0);
        var core = run.GetProperty("segmentations").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "core_groups");
        Assert.Equal("八大核心客群", core.GetProperty("label").GetString());
        var groups = Bars(core.GetProperty("groups"));
        Assert.Equal(users, groups.Values.Sum());
        Assert.Equal(SimulationData.InGroup(expected, "core_groups", "others").Count, groups["others"]);
        Assert.Equal(SimulationData.InGroup(expected, "core_groups", "high_value_repeat").Count, groups["high_value_repeat"]);

        // Tag distributions: every user is in one bucket or empty; bools count true and false.
        foreach (var tag in run.GetProperty("tags").EnumerateArray())
        {
            var name = tag.GetProperty("name").GetString()!;
            var column = expected.Column(name);
            var empty = Enumerable.Range(0, users).Count(u => column.Get(u) is null or IReadOnlyCollection<object?> { Count: 0 });
            Assert.Equal(empty, tag.GetProperty("empty").GetInt64());
            if (tag.GetProperty("kind").GetString() is "numeric" or "months")
                Assert.Equal(users - empty, Bars(tag.GetProperty("buckets")).Values.Sum());
            if (column.Symbol.Type.Kind == TypeKind.Bool)
                Assert.Equal(Enumerable.Range(0, users).Count(u => column.Get(u) is true), Bars(tag.GetProperty("buckets"))["true"]);
        }
        var annualSpend = run.GetProperty("tags").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "annual_spend");
        Assert.Equal("numeric", annualSpend.GetProperty("kind").GetString());
        Assert.True(annualSpend.GetProperty("buckets").GetArrayLength() > 1);

        // Data quality from the importer's report.
        var quality = run.GetProperty("quality").EnumerateArray().ToDictionary(q => q.GetProperty("name").GetString()!, q =>
            q.GetProperty("value").GetInt64());
        var report = expected.Data.Report;
        Assert.Equal(report.EventsBeforeDeduplication, quality["event_rows"]);
        Assert.Equal(report.DuplicatesDropped.Values.Sum(), quality["duplicates_dropped"]);
        Assert.True(quality["duplicates_dropped"] > 0, "the generator writes duplicate orders");
        Assert.Equal(report.OrphanEvents, quality["orphan_events"]);
        Assert.Equal(report.RejectedCount, quality["rejected_rows"]);
        Assert.Equal(report.IdentityMerges.Count, quality["identity_merges"]);
        Assert.Equal(expected.Data.CountEventsAfter(asOf.Ticks), quality["events_after_as_of"]);

        // The sample of a segment: its first users with their tag values as tags.csv writes them.
        var tagNames = run.GetProperty("tagNames").EnumerateArray().Select(t => t.GetString()!).ToList();
        var sample = run.GetProperty("samples").EnumerateArray().Single(s => s.GetProperty("key").GetString() == "wake_up");
        var members = SimulationData.Members(expected, "wake_up");
        Assert.Equal(members.Count, sample.GetProperty("total").GetInt64());
        Assert.Equal(Math.Min(20, members.Count), sample.GetProperty("users").GetArrayLength());
        foreach (var user in sample.GetProperty("users").EnumerateArray())
        {
            var id = user.GetProperty("id").GetString()!;
            Assert.Contains(id, members);
            var u = expected.Data.IndexOfUser(id);
            var values = user.GetProperty("values").EnumerateArray().Select(v => v.GetString()).ToList();
            Assert.Equal(ValueFormatter.Format(expected.Column("last_login_days").Get(u)), values[tagNames.IndexOf("last_login_days")]);
        }
        Assert.Contains(run.GetProperty("samples").EnumerateArray(), s => s.GetProperty("key").GetString() == "core_groups=others");
    }

    [Fact]
    public void Progress_counts_every_user_of_every_phase()
    {
        var jobs = factory.Services.GetRequiredService<SimulationJobs>();
        var compilation = Compilation.Create(Workspace.Load(factory.Workspace));
        var progress = new RunProgress();
        Assert.Equal("queued", progress.Snapshot().Phase);
        var result = jobs.Evaluate(compilation, SimulationData.RetailFolder, null, progress, out _, out _, out _);
        var (phase, fraction, detail) = progress.Snapshot();
        var total = result.Data.UserCount * Engine.Evaluation.CompiledEngine.PlanFor(compilation).Phases.Length;
        Assert.Equal("evaluating", phase);
        Assert.Equal(1.0, fraction);
        Assert.Equal($"{total:N0} / {total:N0}", detail);
    }

    [Fact]
    public async Task A_stored_result_is_listed_and_reopened_by_a_viewer_and_a_second_run_reuses_the_loaded_data()
    {
        var editor = await factory.SignedIn("editor1");
        var (first, _) = await RunToEnd(editor, new { folder = SimulationData.Folder, asOf = "" });
        Assert.Equal("done", first.GetProperty("status").GetString());
        // Default as-of: the latest event of the folder.
        var latest = SimulationData.Expected(Workspace.Load(factory.Workspace)).AsOfUtc;
        Assert.Equal(latest, first.GetProperty("asOfUtc").GetDateTime().ToUniversalTime());
        // The same schema and folder again: the data set comes from memory.
        var (second, _) = await RunToEnd(editor, new { folder = SimulationData.Folder, asOf = "2025-05-01T00:00:00Z" });
        Assert.True(second.GetProperty("dataFromCache").GetBoolean());

        var viewer = await factory.SignedIn("viewer1");
        var list = await Answer(await viewer.GetAsync("/api/simulations"), HttpStatusCode.OK);
        Assert.False(list.GetProperty("canRun").GetBoolean());
        var ids = list.GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("id").GetInt32()).ToList();
        Assert.Contains(first.GetProperty("id").GetInt32(), ids);
        var reopened = (await Answer(await viewer.GetAsync($"/api/simulations/{first.GetProperty("id").GetInt32()}"),
            HttpStatusCode.OK)).GetProperty("run");
        Assert.Equal(first.GetProperty("segments").ToString(), reopened.GetProperty("segments").ToString());
        Assert.Equal(first.GetProperty("tags").ToString(), reopened.GetProperty("tags").ToString());
        // Straight from LiteDB as well.
        var stored = factory.Store.FindSimulation(first.GetProperty("id").GetInt32())!;
        Assert.Equal(first.GetProperty("users").GetInt32(), stored.Users);
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync($"/Simulation?run={stored.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await viewer.GetAsync("/api/simulations/999999")).StatusCode);
    }

    [Fact]
    public async Task After_a_restart_stored_results_reopen_and_unfinished_runs_are_marked_interrupted()
    {
        var first = new EditorFactory();
        var client = await first.SignedIn("editor1");
        var (run, _) = await RunToEnd(client, new { folder = SimulationData.Folder });
        var id = run.GetProperty("id").GetInt32();
        var stuck = first.Store.AddSimulation(new SimulationRecord { Folder = SimulationData.Folder, Status = RunStatus.Running,
            StartedUtc = DateTime.UtcNow }).Id;
        first.Dispose();

        await using var restarted = EditorApp.Build(["--Editor:Workspace", first.Workspace, "--Editor:Db", first.Db, "--Editor:DataRoot",
            SimulationData.Root, "--Logging:LogLevel:Default", "Warning"]);
        var store = restarted.Services.GetRequiredService<EditorStore>();
        var reopened = store.FindSimulation(id)!;
        Assert.Equal(RunStatus.Done, reopened.Status);
        Assert.Equal(Bars(run.GetProperty("segments")), reopened.Segments.ToDictionary(b => b.Name, b => b.Count));
        Assert.Equal(run.GetProperty("tags").GetArrayLength(), reopened.Tags.Count);
        Assert.Equal(run.GetProperty("samples").GetArrayLength(), reopened.Samples.Count);
        var interrupted = store.FindSimulation(stuck)!;
        Assert.Equal(RunStatus.Interrupted, interrupted.Status);
        Assert.Contains("run it again", interrupted.Error);
    }

    [Fact]
    public async Task Unsaved_buffers_are_simulated_and_compile_errors_come_back_with_their_locations()
    {
        var client = await factory.SignedIn("editor1");
        var (run, _) = await RunToEnd(client, new { folder = SimulationData.Folder,
            buffers = new[] { new { path = "extra.mdsl", text = "segment everyone \"所有人\" = true\n" } } });
        Assert.Equal("done", run.GetProperty("status").GetString());
        Assert.Equal(run.GetProperty("users").GetInt64(), Bars(run.GetProperty("segments"))["everyone"]);
        Assert.Equal(["extra.mdsl"], run.GetProperty("buffers").EnumerateArray().Select(b => b.GetString()!).ToArray());

        var broken = await Answer(await client.PostAsync("/api/simulations",
            Json(new { folder = SimulationData.Folder,
            buffers = new[] { new { path = "extra.mdsl", text = "segment x = orders_30dd >= 2\n" } } })), HttpStatusCode.UnprocessableEntity);
        Assert.Contains("extra.mdsl:1:13: MD2001", broken.GetProperty("error").GetString());
        var diagnostic = broken.GetProperty("diagnostics")[0];
        Assert.Equal("extra.mdsl", diagnostic.GetProperty("path").GetString());
        Assert.Equal(1, diagnostic.GetProperty("line").GetInt32());
        Assert.Equal(13, diagnostic.GetProperty("column").GetInt32());
        Assert.Equal("MD2001", diagnostic.GetProperty("code").GetString());

        var badPath = await Answer(await client.PostAsync("/api/simulations",
            Json(new { folder = SimulationData.Folder, buffers = new[] { new { path = "../x.mdsl", text = "" } } })), HttpStatusCode.BadRequest);
        Assert.Contains("'..'", badPath.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Viewers_cannot_run_or_diff_and_writes_need_the_antiforgery_token()
    {
        var viewer = await factory.SignedIn("viewer1");
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsync("/api/simulations", Json(new { folder = SimulationData.Folder }))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden,
            (await viewer.PostAsync("/api/audience/diff", Json(new { folder = SimulationData.Folder, gitFrom = "main" }))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync("/api/data-folders")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync("/Simulation")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync("/Audience")).StatusCode);
        var chinese = await viewer.GetStringAsync("/Simulation?lang=zh-CN");
        Assert.Contains("工作副本模拟", chinese);
        Assert.Contains("查看者可以打开已保存的结果", chinese);
        Assert.DoesNotContain("id=\"sim-run\"", chinese);

        var noToken = await factory.SignedIn("editor1", withAntiforgery: false);
        var refused = await Answer(await noToken.PostAsync("/api/simulations", Json(new { folder = SimulationData.Folder })),
            HttpStatusCode.BadRequest);
        Assert.Contains("anti-forgery", refused.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await factory.Anonymous().GetAsync("/api/simulations")).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await factory.Anonymous().GetAsync("/Simulation")).StatusCode);
    }

    [Theory]
    [InlineData("../retail")]
    [InlineData("..")]
    [InlineData("retail/../..")]
    [InlineData("/etc")]
    [InlineData("C:\\Windows")]
    [InlineData(".hidden")]
    [InlineData("not-there")]
    [InlineData("")]
    [InlineData("escape")]
    public async Task Data_folders_outside_the_root_or_missing_are_refused_with_a_reason(string folder)
    {
        // A link inside the root that leads outside it.
        var link = Path.Combine(SimulationData.Root, "escape");
        if (!Directory.Exists(link)) Directory.CreateSymbolicLink(link, Path.GetTempPath());
        var client = await factory.SignedIn("editor1");
        var simulate = await Answer(await client.PostAsync("/api/simulations", Json(new { folder })), HttpStatusCode.BadRequest);
        var message = simulate.GetProperty("error").GetString()!;
        Assert.False(string.IsNullOrWhiteSpace(message));
        Assert.DoesNotContain("Exception", message);
        var diff = await Answer(await client.PostAsync("/api/audience/diff", Json(new { folder, versionId = 1 })), HttpStatusCode.BadRequest);
        Assert.Equal(message, diff.GetProperty("error").GetString());
        // Not offered in the listing either.
        var folders = await Answer(await client.GetAsync("/api/data-folders"), HttpStatusCode.OK);
        Assert.DoesNotContain(folders.GetProperty("folders").EnumerateArray(), f => f.GetString() == "escape");
    }

    [Fact]
    public async Task A_folder_without_profiles_fails_the_run_with_the_importers_message()
    {
        var client = await factory.SignedIn("editor1");
        var (run, _) = await RunToEnd(client, new { folder = "not-data" });
        Assert.Equal("failed", run.GetProperty("status").GetString());
        Assert.Contains("profiles", run.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("2025-13-01T00:00:00Z")]
    [InlineData("1/2/2025")]
    [InlineData("2025-06-31")]
    public async Task A_bad_as_of_instant_is_refused(string asOf)
    {
        var client = await factory.SignedIn("editor1");
        var answer = await Answer(await client.PostAsync("/api/simulations", Json(new { folder = SimulationData.Folder, asOf })),
            HttpStatusCode.BadRequest);
        Assert.Contains("ISO-8601", answer.GetProperty("error").GetString());
        Assert.Contains(asOf, answer.GetProperty("error").GetString());
    }

    private const string SegmentsPath = "segments.mdsl";

    /// <summary>Two edits: vip_repeat needs a third order (users leave), wake_up starts at 20 days (users join).</summary>
    private static string Edit(string segments)
    {
        var edited = segments.Replace("segment vip_repeat \"高价值复购\" = high_value and orders_365d >= 2",
            "segment vip_repeat \"高价值复购\" = high_value and orders_365d >= 3", StringComparison.Ordinal)
            .Replace("segment wake_up \"待唤醒\" = last_login_days between 30 and 89",
                "segment wake_up \"待唤醒\" = last_login_days between 20 and 89", StringComparison.Ordinal)
            .Replace("about_to_churn \"即将流失用户\" when last_login_days between 30 and 89",
                "about_to_churn \"即将流失用户\" when last_login_days between 20 and 89", StringComparison.Ordinal);
        Assert.NotEqual(segments, edited);
        return edited;
    }

    private static void AssertChange(JsonElement change, HashSet<string> before, HashSet<string> after)
    {
        var added = after.Except(before).ToList();
        var removed = before.Except(after).ToList();
        Assert.Equal(before.Count, change.GetProperty("before").GetInt64());
        Assert.Equal(after.Count, change.GetProperty("after").GetInt64());
        Assert.Equal(added.Count, change.GetProperty("added").GetInt64());
        Assert.Equal(removed.Count, change.GetProperty("removed").GetInt64());
        Assert.Subset(added.ToHashSet(), change.GetProperty("addedSample").EnumerateArray().Select(i => i.GetString()!).ToHashSet());
        Assert.Subset(removed.ToHashSet(), change.GetProperty("removedSample").EnumerateArray().Select(i => i.GetString()!).ToHashSet());
        Assert.Equal(Math.Min(10, added.Count), change.GetProperty("addedSample").GetArrayLength());
    }

    private static void AssertDiff(JsonElement diff, EvaluationResultPair expected)
    {
        var (before, after) = expected;
        var segments = diff.GetProperty("segments").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!);
        AssertChange(segments["vip_repeat"], SimulationData.Members(before, "vip_repeat"), SimulationData.Members(after, "vip_repeat"));
        AssertChange(segments["wake_up"], SimulationData.Members(before, "wake_up"), SimulationData.Members(after, "wake_up"));
        Assert.True(segments["vip_repeat"].GetProperty("removed").GetInt64() > 0, "the test data must make the stricter threshold remove users");
        Assert.True(segments["wake_up"].GetProperty("added").GetInt64() > 0, "the test data must make the wider window add users");
        Assert.Equal(0, segments["win_back_target"].GetProperty("added").GetInt64() + segments["win_back_target"].GetProperty("removed").GetInt64());

        var core = diff.GetProperty("segmentations").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "core_groups");
        foreach (var group in core.GetProperty("groups").EnumerateArray())
        {
            var name = group.GetProperty("name").GetString()!;
            AssertChange(group, SimulationData.InGroup(before, "core_groups", name), SimulationData.InGroup(after, "core_groups", name));
        }
        // No tag reads the edited segments, so no tag value changes.
        Assert.All(diff.GetProperty("tags").EnumerateArray(), t => Assert.Equal(0, t.GetProperty("changed").GetInt64()));
    }

    private sealed record EvaluationResultPair(Engine.Evaluation.EvaluationResult Before, Engine.Evaluation.EvaluationResult After);

    [Fact]
    public async Task The_diff_against_a_saved_version_counts_exactly_who_joined_and_left()
    {
        var client = await factory.SignedIn("editor1");
        var original = File.ReadAllText(Path.Combine(factory.Workspace, SegmentsPath));
        var saved = await Answer(await client.PostAsync("/api/files/save", Json(new { path = SegmentsPath, text = original })), HttpStatusCode.OK);
        var version = saved.GetProperty("version").GetInt32();
        var savedText = saved.GetProperty("text").GetString()!;
        var before = Workspace.Load(factory.Workspace);
        try
        {
            File.WriteAllText(Path.Combine(factory.Workspace, SegmentsPath), Edit(savedText));
            var after = Workspace.Load(factory.Workspace);
            var asOf = new DateTime(2025, 6, 1, 0, 0, 0, DateTimeKind.Utc);
            var diff = await Answer(await client.PostAsync("/api/audience/diff",
                Json(new { folder = SimulationData.Folder, asOf = "2025-06-01T00:00:00Z", versionId = version })), HttpStatusCode.OK);
            Assert.Equal(asOf, diff.GetProperty("asOfUtc").GetDateTime().ToUniversalTime());
            Assert.Equal($"version #{version} of {SegmentsPath}", diff.GetProperty("before").GetString());
            Assert.Equal("working copy", diff.GetProperty("after").GetString());
            AssertDiff(diff, new(SimulationData.Expected(before, asOf), SimulationData.Expected(after, asOf)));

            // A tag edit is counted per user.
            var buffer = new { path = "tags/extra.mdsl", text = "tag spend_band = annual_spend > 3000\n" };
            var withTag = await Answer(await client.PostAsync("/api/audience/diff",
                Json(new { folder = SimulationData.Folder, versionId = version, buffers = new[] { buffer } })), HttpStatusCode.OK);
            var band = withTag.GetProperty("tags").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "spend_band");
            Assert.Equal("after", band.GetProperty("presence").GetString());
            Assert.Equal(withTag.GetProperty("users").GetInt64(), band.GetProperty("changed").GetInt64());

            Assert.Equal(HttpStatusCode.NotFound,
                (await client.PostAsync("/api/audience/diff", Json(new { folder = SimulationData.Folder, versionId = 999999 }))).StatusCode);
            // Neither a version nor a revision: the last saved files against the working copy (the buffers).
            var fromSaved = await Answer(await client.PostAsync("/api/audience/diff",
                Json(new { folder = SimulationData.Folder, buffers = new[] { buffer } })), HttpStatusCode.OK);
            Assert.Equal("last saved", fromSaved.GetProperty("before").GetString());
            Assert.Equal("after", fromSaved.GetProperty("tags").EnumerateArray().Single(t =>
                t.GetProperty("name").GetString() == "spend_band").GetProperty("presence").GetString());
            Assert.All(fromSaved.GetProperty("segments").EnumerateArray(), s => Assert.Equal(0, s.GetProperty("added").GetInt64()
                + s.GetProperty("removed").GetInt64()));
            Assert.Equal(HttpStatusCode.BadRequest,
                (await client.PostAsync("/api/audience/diff", Json(new { folder = SimulationData.Folder, versionId = version,
                gitFrom = "main" }))).StatusCode);
            var badAsOf = await Answer(await client.PostAsync("/api/audience/diff",
                Json(new { folder = SimulationData.Folder, versionId = version, asOf = "soon" })), HttpStatusCode.BadRequest);
            Assert.Contains("ISO-8601", badAsOf.GetProperty("error").GetString());
        }
        finally
        {
            File.WriteAllText(Path.Combine(factory.Workspace, SegmentsPath), original);
        }
    }

    [Fact]
    public async Task The_diff_between_two_git_revisions_of_the_workspace()
    {
        // A workspace of its own (the fixture's is shared with the other tests of this class).
        using var git = new EditorFactory();
        var client = await git.SignedIn("editor1");
        var notRepository = await Answer(await client.PostAsync("/api/audience/diff",
            Json(new { folder = SimulationData.Folder, gitFrom = "main" })), HttpStatusCode.BadRequest);
        Assert.Contains("not in a Git repository", notRepository.GetProperty("error").GetString());
        var sources = await Answer(await client.GetAsync("/api/audience/sources"), HttpStatusCode.OK);
        Assert.False(sources.GetProperty("git").GetProperty("isRepository").GetBoolean());

        Git(git.Workspace, "init", "-q", "-b", "main");
        Git(git.Workspace, "add", "-A");
        Git(git.Workspace, "commit", "-q", "-m", "original");
        var first = Git(git.Workspace, "rev-parse", "HEAD").Trim();
        var before = Workspace.Load(git.Workspace);
        var path = Path.Combine(git.Workspace, SegmentsPath);
        File.WriteAllText(path, Edit(File.ReadAllText(path)));
        Git(git.Workspace, "commit", "-q", "-am", "thresholds");
        var after = Workspace.Load(git.Workspace);
        var expected = new EvaluationResultPair(SimulationData.Expected(before), SimulationData.Expected(after));

        var diff = await Answer(await client.PostAsync("/api/audience/diff", Json(new { folder = SimulationData.Folder, gitFrom = first,
            gitTo = "main" })), HttpStatusCode.OK);
        Assert.Equal($"git {first}", diff.GetProperty("before").GetString());
        AssertDiff(diff, expected);
        // The working copy (now equal to main) against the first commit, by a short hash.
        var toWorking = await Answer(await client.PostAsync("/api/audience/diff",
            Json(new { folder = SimulationData.Folder, gitFrom = first[..10] })), HttpStatusCode.OK);
        Assert.Equal("working copy", toWorking.GetProperty("after").GetString());
        AssertDiff(toWorking, expected);

        sources = await Answer(await client.GetAsync("/api/audience/sources"), HttpStatusCode.OK);
        Assert.Equal(2, sources.GetProperty("git").GetProperty("commits").GetArrayLength());

        foreach (var bad in new[] { "HEAD~1", "main^", "--output=/tmp/x", "main..HEAD", "main@{1}", "a b", "main:segments.mdsl", "-n1" })
        {
            var refused = await Answer(await client.PostAsync("/api/audience/diff",
                Json(new { folder = SimulationData.Folder, gitFrom = bad })), HttpStatusCode.BadRequest);
            Assert.Contains("not a plain Git ref name", refused.GetProperty("error").GetString());
        }
        var unknown = await Answer(await client.PostAsync("/api/audience/diff",
            Json(new { folder = SimulationData.Folder, gitFrom = "no-such-branch" })), HttpStatusCode.BadRequest);
        Assert.Contains("does not know the revision 'no-such-branch'", unknown.GetProperty("error").GetString());
    }

    internal static string Git(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-C", directory, "-c", "user.name=test", "-c", "user.email=test@example.com", "-c",
            "commit.gpgsign=false" }.Concat(arguments)) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"git {string.Join(' ', arguments)}: {error}");
        return output;
    }
}
