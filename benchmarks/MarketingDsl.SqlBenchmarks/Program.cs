using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using MarketingDsl.Core;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Engine.Simulation;
using MarketingDsl.Sql;
using MarketingDsl.Sql.Dialects;
using MarketingDsl.Sql.Execution;
using MarketingDsl.Testing;

// The DuckDB engine vs the in-process engine on one generated history: each engine runs in a
// child process of its own (so each peak working set is that engine's alone), end to end as
// `mdsl simulate [--engine duckdb]` does, `--runs` times; the parent compares their tags.csv.
//
//   dotnet run -c Release --project benchmarks/MarketingDsl.SqlBenchmarks -- \
//       --users 200000 --days 180 --seed 1 --data-root /tmp/mdsl-sqlbench --runs 3
var options = args.Select((a, i) => (a, i)).Where(p => p.a.StartsWith("--", StringComparison.Ordinal))
    .ToDictionary(p => p.a, p => p.i + 1 < args.Length ? args[p.i + 1] : "", StringComparer.Ordinal);
string Option(string name, string fallback) => options.GetValueOrDefault(name, fallback);
var workspace = Option("--workspace", RepoRoot.Combine("tests", "conformance", "retail-core", "workspace"));
var runs = int.Parse(Option("--runs", "3"), CultureInfo.InvariantCulture);

if (options.TryGetValue("--child", out var child))
{
    var report = Child.Run(child, workspace, Option("--data", ""), Option("--out", ""), runs);
    File.WriteAllText(Option("--report", ""), JsonSerializer.Serialize(report));
    return 0;
}

var users = int.Parse(Option("--users", "200000"), CultureInfo.InvariantCulture);
var days = int.Parse(Option("--days", "180"), CultureInfo.InvariantCulture);
var seed = int.Parse(Option("--seed", "1"), CultureInfo.InvariantCulture);
var root = Option("--data-root", Path.Combine(Path.GetTempPath(), "mdsl-sqlbench"));
var data = Path.Combine(root, $"retail-{users}-{days}-{seed}");
if (!File.Exists(Path.Combine(data, "events.jsonl")))
{
    var generated = RetailDataGenerator.Generate(data, users, days, seed);
    EventFileOrder.SortByTime(generated.EventsPath);
}
var reports = new Dictionary<string, Report>();
foreach (var engine in new[] { "inprocess", "duckdb" })
{
    var outDir = Path.Combine(root, $"out-{engine}");
    var reportPath = Path.Combine(root, $"report-{engine}.json");
    var start = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false };
    // Under `dotnet X.dll` the process is dotnet: the child needs the dll as its first argument.
    if (!Environment.ProcessPath!.EndsWith("MarketingDsl.SqlBenchmarks", StringComparison.Ordinal))
        start.ArgumentList.Add(typeof(Child).Assembly.Location);
    string[] childArguments = ["--child", engine, "--workspace", workspace, "--data", data, "--out", outDir,
        "--runs", runs.ToString(CultureInfo.InvariantCulture), "--report", reportPath];
    foreach (var a in childArguments) start.ArgumentList.Add(a);
    using (var process = Process.Start(start)!) process.WaitForExit();
    reports[engine] = JsonSerializer.Deserialize<Report>(File.ReadAllText(reportPath))!;
}
var same = File.ReadAllBytes(Path.Combine(root, "out-inprocess", "tags.csv")).AsSpan()
    .SequenceEqual(File.ReadAllBytes(Path.Combine(root, "out-duckdb", "tags.csv")));
var (inProcess, duckDb) = (reports["inprocess"], reports["duckdb"]);
var text = new StringBuilder();
text.AppendLine(CultureInfo.InvariantCulture, $"{inProcess.Users:N0} users, {inProcess.Events:N0} events kept, "
    + $"workspace {Path.GetFileName(Path.GetDirectoryName(workspace))}, {runs} run(s), median s");
text.AppendLine("| engine | end to end | 1st run | compile | load | evaluate | write | peak working set |");
text.AppendLine("|---|---|---|---|---|---|---|---|");
foreach (var (engine, r) in reports)
    text.AppendLine(CultureInfo.InvariantCulture, $"| {engine} | {Median(r.EndToEnd):F2} | {r.EndToEnd[0]:F2} | {Median(r.Compile):F2} | "
        + $"{Median(r.Load):F2} | "
        + $"{Median(r.Evaluate):F2} | {Median(r.Write):F2} | {r.PeakWorkingSet / 1048576.0:N0} MB |");
text.AppendLine(CultureInfo.InvariantCulture,
    $"duckdb evaluate, once more on loaded data: staging the rows {duckDb.Stage:F2} s, the query {duckDb.Query:F2} s");
text.AppendLine(CultureInfo.InvariantCulture, $"duckdb ÷ inprocess end to end: {Median(duckDb.EndToEnd) / Median(inProcess.EndToEnd):F2}; "
    + $"evaluate: {Median(duckDb.Evaluate) / Median(inProcess.Evaluate):F2}; tags.csv {(same ? "byte-identical" : "DIFFERENT")}");
Console.Write(text);
File.WriteAllText(Path.Combine(root, "results.md"), text.ToString());
return same ? 0 : 1;

static double Median(double[] values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
}

/// <summary>Seconds per run; evaluate is the engine's (DuckDB: staging the rows and the query).</summary>
internal sealed record Report(long Users, long Events, double[] EndToEnd, double[] Compile, double[] Load, double[] Evaluate, double[] Write,
    long PeakWorkingSet,
    double Stage = 0, double Query = 0);

internal static class Child
{
    public static Report Run(string engine, string workspace, string data, string outDir, int runs)
    {
        List<double> endToEnd = [], compile = [], load = [], evaluate = [], write = [];
        long users = 0, events = 0;
        SimulationRun? last = null;
        for (var i = 0; i < runs; i++)
        {
            GC.Collect();
            var clock = Stopwatch.StartNew();
            var compilation = Compilation.Create(Workspace.Load(workspace));
            var check = clock.Elapsed;
            SimulationRun run;
            if (engine == "duckdb")
            {
                var (duck, sql) = DuckDbSimulation.Run(compilation, data, outDir, null);
                run = duck ?? throw new InvalidOperationException(string.Join("\n", sql.Diagnostics));
            }
            else run = SimulationRunner.Run(compilation, data, outDir, null);
            endToEnd.Add(clock.Elapsed.TotalSeconds);
            compile.Add((check + run.Timings.Compile).TotalSeconds);
            load.Add(run.Timings.Load.TotalSeconds);
            evaluate.Add(run.Timings.Evaluate.TotalSeconds);
            write.Add(run.Timings.Write.TotalSeconds);
            last = run;
            users = run.Data.UserCount;
            events = run.Data.Report.EventsKept;
            Console.Error.WriteLine($"  {engine} run {i + 1}/{runs}: {endToEnd[^1]:F2} s "
                + $"(load {load[^1]:F2}, evaluate {evaluate[^1]:F2}, write {write[^1]:F2})");
        }
        var peak = PeakWorkingSet();
        // DuckDB's evaluate split once more on the last run's data: appending the rows, then the query alone.
        double stage = 0, query = 0;
        if (engine == "duckdb" && last is not null)
        {
            var sql = SqlCompilation.Create(Compilation.Create(Workspace.Load(workspace)), SqlTarget.DuckDb);
            var clock = Stopwatch.StartNew();
            using var connection = DuckDbEngine.Open();
            DuckDbEngine.Stage(connection, sql, last.Data);
            stage = clock.Elapsed.TotalSeconds;
            clock.Restart();
            DuckDbEngine.Run(connection, sql.Preamble, sql.Query!, sql.Outputs, last.Data, last.Summary.AsOfUtc);
            query = clock.Elapsed.TotalSeconds;
        }
        return new Report(users, events, [.. endToEnd], [.. compile], [.. load], [.. evaluate], [.. write], peak, stage, query);
    }

    private static long PeakWorkingSet()
    {
        using var process = Process.GetCurrentProcess();
        return process.PeakWorkingSet64;
    }
}
