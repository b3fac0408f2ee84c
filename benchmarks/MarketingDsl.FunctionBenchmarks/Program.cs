using System.Diagnostics;
using System.Globalization;
using MarketingDsl.Core;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Functions.Loading;

// Usage: dotnet run -c Release -- [users=1000000] [rounds=5]
// Ratios are measured in one run against a baseline of the same run (medians of the rounds).
var users = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;

const string Schema = "schema { profile { user_id: string key, level: int?, city: string? } }";
const string Functions = """
    public static long Score(long level) => Math.Abs(level - 5) * 2 + 1;
    public static string Upper(string city) => city.ToUpperInvariant();
    public static long LoopSum(long n) { long total = 0; for (long i = 0; i < n; i++) total += i % 7; return total; }
    """;

var data = default(DataSet);
var asOf = new DateTime(2025, 6, 1, 0, 0, 0, DateTimeKind.Utc);

Compilation Compile(string tags, FunctionLoader loader)
{
    var compilation = FunctionCompilation.Create(Workspace.FromFiles(("schema.mdsl", Schema), ("tags.mdsl", tags),
        ("functions/f.csx", Functions)), loader: loader);
    if (compilation.HasErrors) throw new InvalidOperationException(string.Join("\n", compilation.Diagnostics));
    return compilation;
}

double Median(IEnumerable<double> values) { var s = values.Order().ToArray(); return s[s.Length / 2]; }

double EvaluateMs(Compilation compilation)
{
    var plan = CompiledEngine.PlanFor(compilation);
    data ??= InMemoryData.Build(compilation.Model.Schema,
        Enumerable.Range(0, users).Select(u => new object?[] { $"u{u:D7}", (long)(u % 11), u % 5 == 0 ? null : "city" + (u % 97) }), []);
    CompiledEngine.Evaluate(plan, data, asOf); // warm up
    return Median(Enumerable.Range(0, rounds).Select(_ =>
    {
        var clock = Stopwatch.StartNew();
        CompiledEngine.Evaluate(plan, data, asOf);
        return clock.Elapsed.TotalMilliseconds;
    }));
}

var loader = new FunctionLoader();
Console.WriteLine($"custom functions, {users:N0} users, median of {rounds} rounds (one tag per workspace, compiled engine):");
foreach (var (name, builtin, custom) in new[]
{
    ("int arithmetic", "tag t = abs(level - 5) * 2 + 1", "tag t = Score(level)"),
    ("string", "tag t = upper(city)", "tag t = Upper(city)"),
})
{
    var b = EvaluateMs(Compile(builtin, loader));
    var c = EvaluateMs(Compile(custom, loader));
    Console.WriteLine($"  {name,-15} built-in {b,8:F1} ms   custom {c,8:F1} ms   ratio {c / b:F2}x (target <= 2x)");
}

// The budget's cost: the same loop-heavy function, instrumented and not, called through its typed invoker.
var plain = Compile("tag t = LoopSum(level)", new FunctionLoader(instrument: false)).Functions.Find("LoopSum")!.Invoker;
var metered = Compile("tag t = LoopSum(level)", new FunctionLoader()).Functions.Find("LoopSum")!.Invoker;
double CallsMs(Delegate invoker)
{
    var call = (Func<long?, long?>)invoker;
    long? sink = 0;
    for (var i = 0; i < 1000; i++) sink += call(1000);
    return Median(Enumerable.Range(0, rounds).Select(_ =>
    {
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 20_000; i++) sink += call(1000);
        return clock.Elapsed.TotalMilliseconds + (sink == -1 ? 1 : 0);
    }));
}
var p = CallsMs(plain);
var m = CallsMs(metered);
Console.WriteLine($"budget instrumentation, LoopSum(1000) x 20,000 calls: uninstrumented {p:F1} ms, instrumented {m:F1} ms, ratio {m / p:F2}x " +
                  $"({(m - p) * 1e6 / (20_000.0 * 1000):F1} ns per loop step)");
