using System.Text.Json;
using MarketingDsl.Journeys.Measurement;
using MarketingDsl.LanguageService.Journeys;
using MarketingDsl.Runtime;
using MarketingDsl.Web.Compiling;
using MarketingDsl.Web.Localization;
using MarketingDsl.Web.Simulations;
using MarketingDsl.Web.Storage;

namespace MarketingDsl.Web.Api;

/// <summary>A journey of a file, with the file's current (unsaved) text when the page has one.</summary>
public sealed record CanvasRequest(string? Path, string? Text, string? Journey);

/// <summary>A canvas edit of the journey in the page's text.</summary>
public sealed record CanvasEditRequest(string? Path, string? Text, string? Journey, JourneyEdit? Edit);

/// <summary>
/// The journey canvas's API: the graph of a journey (from the text, with the compiler's diagnostics
/// on its nodes), edits applied as text edits through the formatter (answered with the new text, which
/// the page shows against the old in Monaco's diff editor; nothing is saved — the page saves through /api/files/save like the editor), and the
/// per-node counts of a replay (`journeys.json` written by `mdsl simulate --from --to` into a folder of
/// the data root) or, under `mdsl serve`, of the live runtime (its results up to its clock, the JSON of
/// GET /api/journeys/NAME/results). Reads need the viewer role, edits the editor role.
/// </summary>
public static class CanvasApi
{
    /// <summary>The largest `journeys.json` the counts endpoint reads.</summary>
    public const long MaxReplayBytes = 16 * 1024 * 1024;

    public static void MapCanvasApi(this WebApplication app)
    {
        var api = app.MapGroup("/api/canvas").RequireAuthorization(Policies.Read).WithMetadata(EditorApiEndpoint.Instance);

        api.MapGet("/journeys", (WorkspaceCompiler compiler) =>
        {
            var compilation = compiler.Compile();
            return Results.Ok(compilation.Workspace.Files.SelectMany(f => JourneyGraphBuilder.JourneysIn(compilation, f.Path).Select(j
                => new { path = f.Path, journey = j })));
        });
        api.MapGet("/graph", (string? path, string? journey, WorkspaceCompiler compiler, HttpContext ctx) =>
            EditorApi.Guard(() => Graph(compiler, path, null, journey, UiText.LanguageOf(ctx))));
        api.MapGet("/replays", (DataFolders folders) => Results.Ok(new { replays = Replays(folders) }));
        api.MapGet("/counts", (string? replay, string? journey, DataFolders folders) => EditorApi.Guard(() => Counts(folders, replay, journey)));
        api.MapGet("/counts/live", (string? journey, IServiceProvider services) => LiveCounts(services.GetService<LiveRuntime>(), journey));

        var writes = api.MapGroup("").AddEndpointFilter(EditorApi.RequireAntiforgery);
        writes.MapPost("/graph", (CanvasRequest r, WorkspaceCompiler compiler, HttpContext ctx) =>
            EditorApi.Guard(() => Graph(compiler, r.Path, r.Text, r.Journey, UiText.LanguageOf(ctx))));
        writes.MapPost("/edit", (CanvasEditRequest r, WorkspaceCompiler compiler, HttpContext ctx) => EditorApi.Guard(() =>
        {
            compiler.Folder.Resolve(r.Path);
            if (r.Edit is null || r.Journey is null
                && r.Edit.Op != "create_journey") return Results.BadRequest(new { error = "Send the journey and the edit." });
            var before = r.Text ?? (compiler.Folder.Exists(r.Path!) ? compiler.Folder.Read(r.Path!) : "");
            if (before.Length > WorkspaceFolder.MaxFileChars) return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
            var journey = r.Edit.Op == "create_journey" ? r.Edit.Properties?.GetValueOrDefault("name") ?? "" : r.Journey!;
            var result = JourneyEditor.Apply(r.Path!, before, journey, r.Edit);
            if (!result.Succeeded) return Results.UnprocessableEntity(new { error = result.Error });
            if (result.Text!.Length > WorkspaceFolder.MaxFileChars) return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
            var graph = Graph(compiler, r.Path, result.Text, journey, UiText.LanguageOf(ctx));
            return Results.Ok(new { text = result.Text, graph = (graph as IValueHttpResult)?.Value });
        })).RequireAuthorization(Policies.Edit);
    }

    private static IResult Graph(WorkspaceCompiler compiler, string? path, string? text, string? journey, string language)
    {
        compiler.Folder.Resolve(path);
        if (text is { Length: > WorkspaceFolder.MaxFileChars }) return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        var compilation = text is null ? compiler.Compile() : compiler.Compile(new EditorBuffer(path, text));
        var journeys = JourneyGraphBuilder.JourneysIn(compilation, path!);
        var name = journey is { Length: > 0 } ? journey : journeys.FirstOrDefault();
        var graph = name is null ? null : JourneyGraphBuilder.Build(compilation, path!, name, language);
        if (name is not null && graph is null) return Results.NotFound(new { error = $"There is no journey '{name}' in '{path}'.", journeys });
        var syntaxErrors = compilation.SyntaxTrees.FirstOrDefault(t => t.Text.Path == path)?.HasErrors ?? false;
        return Results.Ok(new { path, journeys, graph, syntaxErrors });
    }

    // ------------------------------------------------------------------ counts

    /// <summary>Folders of the data root (one or two levels deep) holding a replay's `journeys.json`, newest first.</summary>
    private static IReadOnlyList<object> Replays(DataFolders folders)
    {
        if (!folders.RootExists) return [];
        var options = new EnumerationOptions { AttributesToSkip = FileAttributes.Hidden | FileAttributes.System, IgnoreInaccessible = true };
        var found = new List<(string Folder, DateTime Written)>();
        foreach (var first in Directory.EnumerateDirectories(folders.Root, "*", options))
        {
            Add(first);
            foreach (var second in Directory.EnumerateDirectories(first, "*", options)) Add(second);
        }
        return [.. found.OrderByDescending(f => f.Written).ThenBy(f => f.Folder, StringComparer.Ordinal).Take(50)
            .Select(f => new { folder = f.Folder, writtenUtc = f.Written })];

        void Add(string dir)
        {
            var file = Path.Combine(dir, "journeys.json");
            if (!File.Exists(file)) return;
            var relative = Path.GetRelativePath(folders.Root, dir).Replace('\\', '/');
            try
            {
                folders.Resolve(relative); // a link leaving the root is not offered
                found.Add((relative, File.GetLastWriteTimeUtc(file)));
            }
            catch (UnsafePathException)
            {
            }
        }
    }

    /// <summary>The counts of one journey of a replay, per canvas node (step paths as in `journeys.json`'s `steps`).</summary>
    private static IResult Counts(DataFolders folders, string? replay, string? journey)
    {
        var file = Path.Combine(folders.Resolve(replay), "journeys.json");
        if (!File.Exists(file))
        {
            return Results.NotFound(new
            {
                error = $"The folder '{replay}' has no journeys.json; write one with `mdsl simulate --from F --to T --out`.",
            });
        }
        if (new FileInfo(file).Length > MaxReplayBytes)
            return Results.BadRequest(new { error = $"journeys.json in '{replay}' is larger than {MaxReplayBytes / (1024 * 1024)} MiB." });
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(file));
        }
        catch (JsonException ex)
        {
            return Results.BadRequest(new { error = $"journeys.json in '{replay}' is not valid JSON (line {ex.LineNumber + 1}): {ex.Message}" });
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("journeys", out var journeys)
                || journeys.ValueKind != JsonValueKind.Object)
                return Results.BadRequest(new { error = $"journeys.json in '{replay}' has no \"journeys\" object." });
            if (journey is null || !journeys.TryGetProperty(journey, out var j) || j.ValueKind != JsonValueKind.Object)
                return Results.NotFound(new { error = $"The replay in '{replay}' has no journey '{journey}'." });
            var results = j.TryGetProperty("results", out var r) && r.ValueKind == JsonValueKind.Object ? r : j;
            return Results.Ok(new
            {
                source = "replay",
                replay,
                from = Text(root, "from"),
                to = Text(root, "to"),
                nodes = NodeCounts(results, j),
            });
        }
    }

    /// <summary>The live runtime's counts of a journey: its results over everything up to the runtime's clock.</summary>
    private static IResult LiveCounts(LiveRuntime? runtime, string? journey)
    {
        if (runtime is null) return Results.NotFound(new { error = "No live runtime runs here: live counts need `mdsl serve`." });
        var to = new DateTime(runtime.Clock is > 0 and var clock ? clock : runtime.WallClock.GetUtcNow().UtcTicks, DateTimeKind.Utc);
        var from = new DateTime(0, DateTimeKind.Utc);
        if (journey is null || runtime.Results(journey, from, to) is not { } results)
            return Results.NotFound(new { error = $"The running workspace has no journey '{journey}' (publish it first)." });
        using var document = JsonDocument.Parse(ResultsJson.Document(results, from, to, LiveRuntime.Zone(runtime.Model)));
        return Results.Ok(new { source = "live", to = Text(document.RootElement, "to"), nodes = NodeCounts(document.RootElement, null) });
    }

    /// <summary>
    /// What each node shows, from a journey's results (the metrics engine's JSON, live or in a replay's
    /// `results`): the entry chain its share of the firings, each step its `steps` entry (users who reached
    /// it, a send's outcomes by status, the entries that converted after it, a wait's ends and the share of
    /// its arrivals that left the journey there, converted), the exits their users. A replay written before
    /// results had `steps` gives its own <paramref name="replayJourney"/>'s.
    /// </summary>
    internal static Dictionary<string, Dictionary<string, object?>> NodeCounts(JsonElement results, JsonElement? replayJourney)
    {
        static long N(JsonElement e, params string[] path)
        {
            foreach (var p in path)
                if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(p, out e)) return 0;
            return e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out var n) ? n : 0;
        }
        JsonElement Part(string name) => results.TryGetProperty(name, out var part) && part.ValueKind == JsonValueKind.Object ? part
            : replayJourney is { } j && j.TryGetProperty(name, out var old) && old.ValueKind == JsonValueKind.Object ? old : default;
        var funnel = results.TryGetProperty("funnel", out var f) ? f : default;
        var entered = N(funnel, "entered");
        var treated = N(funnel, "entered_treated");
        var audience = N(funnel, "suppressed", "audience");
        var reentry = N(funnel, "suppressed", "reentry");
        var alreadyIn = N(funnel, "suppressed", "already_in");
        var exited = Part("exited");
        var nodes = new Dictionary<string, Dictionary<string, object?>>(StringComparer.Ordinal)
        {
            ["trigger"] = new() { ["fired"] = entered + audience + reentry + alreadyIn, ["entered"] = entered },
            ["audience"] = new() { ["suppressed"] = audience },
            ["reentry"] = new() { ["suppressed"] = reentry, ["already_in"] = alreadyIn },
            ["holdout"] = new() { ["held_out"] = N(funnel, "held_out"), ["entered_treated"] = treated },
            ["goal"] = new() { ["converted"] = N(funnel, "converted"), ["converted_held_out"] = N(funnel, "converted_held_out"),
                ["goal_rate"] = treated == 0 ? null : Math.Round((decimal)N(funnel, "converted") / treated, 4, MidpointRounding.AwayFromZero) },
            ["converted"] = new() { ["users"] = N(exited, "converted") },
            ["end"] = new() { ["users"] = N(exited, "end_of_steps") },
        };
        if (Part("steps") is { ValueKind: JsonValueKind.Object } steps)
        {
            foreach (var step in steps.EnumerateObject())
            {
                if (step.Value.ValueKind != JsonValueKind.Object) continue;
                var counts = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var p in step.Value.EnumerateObject())
                {
                    if (p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetInt64(out var n)) counts[p.Name] = n;
                    else if (p.Value.ValueKind == JsonValueKind.Array) counts[p.Name] = p.Value.EnumerateArray().Select(x
                        => x.TryGetInt64(out var v) ? v : 0).ToList();
                    else if (p.Name == "step" && p.Value.ValueKind == JsonValueKind.String) counts["kind"] = p.Value.GetString()!.Split(' ')[0];
                }
                var reached = N(step.Value, "reached");
                if (step.Value.TryGetProperty("timed_out", out _))
                    counts["left_share"] = reached == 0 ? null : Math.Round((decimal)N(step.Value, "converted") / reached, 4);
                nodes[step.Name] = counts;
            }
        }
        return nodes;
    }

    private static string? Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
        ? v.GetString() : null;
}
