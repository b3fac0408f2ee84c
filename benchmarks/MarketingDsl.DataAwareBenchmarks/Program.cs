using System.Diagnostics;
using System.Globalization;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Web.Compiling;
using MarketingDsl.Web.DataAware;
using MarketingDsl.Web.Simulations;
using MarketingDsl.Web.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using LS = MarketingDsl.LanguageService.LanguageService;

// dotnet run -c Release --project benchmarks/MarketingDsl.DataAwareBenchmarks [-- --users 200000 --days 365 --data DIR --runs 31]
// The server side of the data-aware editor on examples/retail, per pause in typing. Each request
// follows a realistic edit: one character of one tag's threshold (`churned`: `last_login_days >= 90`,
// then 91, 92, …; every text is new, so nothing of the edited tag is kept), which also changes what
// reads it (segments, the core groups):
//   baseline     check: compile the working copy with the edited buffer and turn its diagnostics into markers
//                (what /api/diagnostics does without a data set);
//   sizes        /api/editor-data/sizes: compile + lower and evaluate the declarations the edit changed on the
//                data set's sample, the others' columns kept from the previous request (target ≤ 300 ms);
//   from scratch the same sizes with the whole plan built again and every declaration evaluated (the cost
//                before incremental evaluation; the cost of a first request);
//   completion   /api/completion inside `platform == "`: compile + the field's values (target ≤ 50 ms);
//   markers      /api/diagnostics with a data set: the baseline + MD5050 (target: the keystroke → marker
//                median ≤ 100 ms, whose browser part BrowserEditorTests' latency test measures).
// Data: `mdsl generate-data`'s generator, written once under /tmp (never committed); loading and the
// value counts are one-off per data set and reported apart. Stopwatch medians after a warm-up.
var users = Option("--users", 200_000);
var days = Option("--days", 365);
var runs = Option("--runs", 31);
var root = MarketingDsl.Testing.RepoRoot.Combine("examples", "retail");
var dataRoot = OptionText("--data") ?? Path.Combine(Path.GetTempPath(), "mdsl-dataaware-bench");
var folder = $"retail-{users}";
var dataPath = Path.Combine(dataRoot, folder);
if (!File.Exists(Path.Combine(dataPath, "profiles.jsonl")))
{
    var clock = Stopwatch.StartNew();
    RetailDataGenerator.Generate(dataPath, users: users, days: days, seed: 7, endUtc: new DateTime(2025, 6, 30, 0, 0, 0, DateTimeKind.Utc));
    Console.WriteLine($"generated {folder} in {clock.Elapsed.TotalSeconds:F1} s");
}

var compiler = new WorkspaceCompiler(new WorkspaceFolder(root));
var schema = compiler.Compile().Model.Schema;
var sets = new EditorDataSets(new DataFolders(dataRoot), new DataSetCache(1), NullLogger<EditorDataSets>.Instance);
var load = Stopwatch.StartNew();
var data = await sets.LoadAsync(folder, schema);
Console.WriteLine($"data set {folder}: {data.Data.UserCount:N0} users, {data.Data.Events.Sum(t => t?.RowCount ?? 0):N0} events; "
    + $"import + sample + value counts {load.Elapsed.TotalSeconds:F1} s (once per data set); sizes evaluated on {data.Sample.UserCount:N0} users"
    + (data.Sampled ? $" (sampled above {EditorDataSets.SampleAbove:N0})" : ""));
var watch = Stopwatch.StartNew();
var counted = FieldValueCounts.Of(data.Data).Count();
Console.WriteLine($"value counts alone: {counted} string fields in {watch.Elapsed.TotalMilliseconds:F0} ms");

const string Path_ = "tags/behaviour.mdsl";
var behaviour = File.ReadAllText(Path.Combine(root, Path_));
const string Threshold = "last_login_days >= 90";
if (!behaviour.Contains(Threshold, StringComparison.Ordinal)) throw new InvalidOperationException($"{Path_} no longer has `{Threshold}`");
var iteration = 0;
// Each call is the next keystroke's text: the threshold one more than before (one character changed, mostly).
EditorBuffer Edit() => new(Path_, behaviour.Replace(Threshold, $"last_login_days >= {90 + ++iteration}", StringComparison.Ordinal));
const string SegmentsPath = "segments.mdsl";
var segments = File.ReadAllText(Path.Combine(root, SegmentsPath));
var platformText = segments + "\nsegment app_fans = exists(login, where: platform == \"\")\n";
var platformLine = platformText.Split('\n').Length - 1;
var platformColumn = "segment app_fans = exists(login, where: platform == \"".Length + 1;

var baseline = Measure("baseline: check (compile + markers)", () =>
{
    var service = new LS(compiler.Compile(Edit()));
    return service.Diagnostics(Path_).Length;
});
var computed = new List<int>();
var sizes = Measure("audience sizes (compile + changed declarations)", () =>
{
    var compilation = compiler.Compile(Edit());
    var count = AudienceSizes.Evaluate(compilation, data, null, null, out var evaluated).Count;
    computed.Add(evaluated.Computed);
    return count;
});
var outputs = compiler.Compile().Model.Outputs.Length;
Console.WriteLine($"  each edit computed {computed.Order().ElementAt(computed.Count / 2)} of {outputs} declarations (median), "
    + $"kept columns: {data.Sizes.Kept.Columns} ({data.Sizes.Kept.Bytes / 1024.0 / 1024:F1} MiB)");
// The part after compiling: keys, lowering the changed declarations, evaluating them, counting (each edit compiled beforehand).
var compiled = new Queue<MarketingDsl.Core.Compilation>(Enumerable.Range(0, runs + 3).Select(_ => compiler.Compile(Edit())));
Measure("  of which after compiling (lower + evaluate + count)", () => AudienceSizes.Evaluate(compiled.Dequeue(), data, null, null).Count);
var scratch = Measure("from scratch (compile + whole plan + evaluate all)", () =>
{
    var compilation = compiler.Compile(Edit());
    return CompiledEngine.Evaluate(CompiledEngine.PlanFor(compilation), data.Sample, data.AsOfUtc).Columns.Length;
}, Math.Min(runs, 7));
var completion = Measure("value completion in quotes", () =>
{
    var service = new LS(compiler.Compile(new EditorBuffer(SegmentsPath, platformText + $"// {++iteration}\n")));
    return service.Complete(SegmentsPath, platformLine, platformColumn, data.Values).Items.Length;
});
var markers = Measure("markers with a data set (check + MD5050)", () =>
{
    var service = new LS(compiler.Compile(Edit()));
    return service.Diagnostics(Path_).Length + service.DataDiagnostics(Path_, data.Values).Length;
});
Console.WriteLine($"ratios to the baseline: sizes {sizes / baseline:F1}× (from scratch {scratch / baseline:F1}×), "
    + $"completion {completion / baseline:F2}×, markers {markers / baseline:F2}×");
Console.WriteLine($"targets: sizes ≤ 300 ms: {Verdict(sizes, 300)}; completion ≤ 50 ms: {Verdict(completion, 50)}; "
    + $"markers (server part) ≤ 100 ms: {Verdict(markers, 100)}");

// What sampling saves: the same evaluation over every user (3 runs).
var plan = CompiledEngine.PlanFor(compiler.Compile(Edit()));
var whole = new List<double>();
for (var i = 0; i < 3; i++)
{
    var clock = Stopwatch.StartNew();
    CompiledEngine.Evaluate(plan, data.Data, data.AsOfUtc);
    whole.Add(clock.Elapsed.TotalMilliseconds);
}
whole.Sort();
Console.WriteLine($"for comparison, evaluating all {data.Data.UserCount:N0} users (plan compiled): median {whole[1]:F0} ms");

double Measure(string what, Func<int> action, int? times_ = null)
{
    for (var i = 0; i < 3; i++) action();
    var times = new List<double>();
    for (var i = 0; i < (times_ ?? runs); i++)
    {
        var clock = Stopwatch.StartNew();
        action();
        times.Add(clock.Elapsed.TotalMilliseconds);
    }
    times.Sort();
    var median = times[times.Count / 2];
    Console.WriteLine($"{what,-52} median {median,8:F1} ms, p90 {times[(int)(times.Count * 0.9)],8:F1} ms, max {times[^1],8:F1} ms");
    return median;
}

static string Verdict(double ms, double target) => ms <= target ? "met" : "missed";

int Option(string name, int fallback) => OptionText(name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

string? OptionText(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
