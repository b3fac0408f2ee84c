using System.Diagnostics;
using BenchmarkDotNet.Running;
using MarketingDsl.Benchmarks;
using MarketingDsl.Core;

// dotnet run -c Release --project benchmarks/MarketingDsl.Benchmarks [-- [--quick] [--retail PATH] [BenchmarkDotNet args]]
//   --quick        a Stopwatch harness (warm-up, then medians) instead of BenchmarkDotNet: seconds, not minutes
//   --retail PATH  check this workspace folder instead of the embedded conformance retail workspace
var rest = new List<string>(args);
var at = rest.IndexOf("--retail");
if (at >= 0 && at + 1 < rest.Count)
{
    CheckBenchmarks.RetailPath = rest[at + 1];
    rest.RemoveRange(at, 2);
}
if (rest.Remove("--quick"))
{
    Quick();
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(CheckBenchmarks).Assembly).Run([.. rest]);

static void Quick()
{
    var b = new CheckBenchmarks();
    b.Setup();
    Report("retail", Median(() => b.RetailParseOnly()), Median(() => b.RetailFullCheck()));
    Report("1000 tags", Median(() => b.Tags1000ParseOnly()), Median(() => b.Tags1000FullCheck()));

    static double Median(Func<int> action)
    {
        for (var i = 0; i < 20; i++) action(); // warm-up: JIT tiers, ANTLR's DFA cache
        var times = new List<double>();
        for (var i = 0; i < 51; i++)
        {
            var watch = Stopwatch.StartNew();
            action();
            times.Add(watch.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }

    static void Report(string what, double parse, double check) =>
        Console.WriteLine($"{what,-10} parse only (baseline) {parse,8:F3} ms   full check {check,8:F3} ms   ratio {check / parse,5:F2}");
}
