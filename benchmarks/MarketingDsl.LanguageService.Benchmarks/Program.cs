using System.Diagnostics;
using MarketingDsl.Core;
using MarketingDsl.Core.Text;
using MarketingDsl.LanguageService;

// dotnet run -c Release --project benchmarks/MarketingDsl.LanguageService.Benchmarks [-- WORKSPACE]
// What the web editor's /api/diagnostics does per keystroke batch: compile the workspace with the
// edited buffer in place of one file, then turn that file's diagnostics into markers. Also completion
// and hover, which compile the same way. Stopwatch medians after a warm-up (JIT tiers, ANTLR's DFA cache).
var root = args.Length > 0 ? args[0] : FindRetail();
var workspace = Workspace.Load(root);
var file = workspace.Files.First(f => f.Path == "tags/behaviour.mdsl");
var edited = file.Text + "\ntag typo = orders_30dd >= 2\n";
var lines = edited.Split('\n').Length;

Report("diagnostics (compile + markers)", () => LanguageService.ForBuffer(workspace, file.Path, edited).Diagnostics(file.Path).Length);
// The web editor before its compiler cache: every request read the folder again and parsed every file.
Report("  same, reading the folder each time", () => LanguageService.ForBuffer(Workspace.Load(root), file.Path,
    edited).Diagnostics(file.Path).Length);
// The web editor now (WorkspaceCompiler): unchanged files keep their text and syntax tree; only the buffer is parsed.
var previous = Compilation.Create(workspace);
var others = workspace.Files.Where(f => f.Path != file.Path).ToList();
Report("  same, reparsing only the buffer", () =>
    new LanguageService(Compilation.Create(new Workspace(others.Append(new SourceText(file.Path, edited))),
    previous.SyntaxTrees)).Diagnostics(file.Path).Length);
Report("completion (compile + items)", () => LanguageService.ForBuffer(workspace, file.Path, edited).Complete(file.Path, lines - 1, 12).Items.Length);
Report("hover (compile + symbol)", () => LanguageService.ForBuffer(workspace, file.Path, edited).Hover(file.Path, 3, 6) is null ? 0 : 1);

void Report(string what, Func<int> action)
{
    for (var i = 0; i < 200; i++) action();
    var times = new List<double>();
    for (var i = 0; i < 101; i++)
    {
        var watch = Stopwatch.StartNew();
        action();
        times.Add(watch.Elapsed.TotalMilliseconds);
    }
    times.Sort();
    Console.WriteLine($"{what,-34} {workspace.Files.Count} files, {workspace.Files.Sum(f => f.Text.Length):N0} chars: median " +
        $"{times[50]:F2} ms, p90 {times[90]:F2} ms, max {times[^1]:F2} ms");
}

static string FindRetail() => MarketingDsl.Testing.RepoRoot.Combine("examples", "retail");
