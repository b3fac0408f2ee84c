using System.Collections.Immutable;
using MarketingDsl.Core;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Engine.Simulation;
using MarketingDsl.Engine.Testing;

namespace MarketingDsl.Functions.Tests;

/// <summary>
/// Benign functions (loops, tuples, LINQ, decimals, strings, dates, lists) give exactly what the
/// same C# gives as a program (the expected values below come from the same code, compiled into
/// this test), in the compiled engine and the reference interpreter alike, and in `test` blocks.
/// </summary>
public sealed class BenignFunctionTests
{
    private const string Source = """
        /// Steps of the Collatz sequence from n to 1.
        public static long Collatz(long n)
        {
            long steps = 0;
            while (n != 1) { n = n % 2 == 0 ? n / 2 : 3 * n + 1; steps++; }
            return steps;
        }

        public static decimal Gross(decimal net)
        {
            var (amount, rate) = (net, 0.13m);
            return Math.Round(amount * (1 + rate), 2, MidpointRounding.AwayFromZero);
        }

        public static string Initials(string name) =>
            string.Join("", name.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(w => char.ToUpperInvariant(w[0])));

        public static string SkuLine(string sku) => sku.Length >= 3 ? sku.Substring(0, 3).ToUpperInvariant() : sku.ToUpperInvariant();

        public static long LevelOrMinus(long? level) => level is null ? -1 : level.Value * 10;

        public static IReadOnlyList<string> Sorted(IReadOnlyList<string> items) => items.Distinct().OrderBy(s => s, StringComparer.Ordinal).ToList();

        public static decimal Third(decimal x) => x / 3;

        public static DateOnly NextMonday(DateTimeOffset t)
        {
            var d = DateOnly.FromDateTime(t.UtcDateTime);
            do { d = d.AddDays(1); } while (d.DayOfWeek != DayOfWeek.Monday);
            return d;
        }

        public static TimeSpan Twice(TimeSpan d) => d + d;

        public static long Fib(long n) => n < 2 ? n : Fib(n - 1) + Fib(n - 2);

        record Pair(string Key, long Count);

        public static string Histogram(string text) =>
            string.Join(",", text.GroupBy(c => c).Select(g => new Pair(g.Key.ToString(), g.LongCount()))
                .OrderByDescending(p => p.Count).ThenBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}{p.Count}"));
        """;

    // The same code, compiled into the test: what a C# program gives.
    private static long Collatz(long n) { long steps = 0; while (n != 1) { n = n % 2 == 0 ? n / 2 : 3 * n + 1; steps++; } return steps; }
    private static decimal Gross(decimal net) { var (amount, rate) = (net, 0.13m); return Math.Round(amount * (1 + rate), 2,
        MidpointRounding.AwayFromZero); }
    private static string Initials(string name) => string.Join("", name.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(w =>
        char.ToUpperInvariant(w[0])));
    private static long Fib(long n) => n < 2 ? n : Fib(n - 1) + Fib(n - 2);
    private sealed record Pair(string Key, long Count);
    private static string Histogram(string text) =>
        string.Join(",", text.GroupBy(c => c).Select(g => new Pair(g.Key.ToString(), g.LongCount())).OrderByDescending(p =>
            p.Count).ThenBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}{p.Count}"));

    private const string Tags = """
        tag collatz = Collatz(level ?? 27)
        tag gross = Gross(sum(order.amount))
        tag initials = Initials(city)
        tag line = SkuLine(last(order.sku))
        tag level_or_minus = LevelOrMinus(level)
        tag skus = Sorted(top(order.sku, 5))
        tag third = Third(sum(order.amount))
        tag monday = NextMonday(now())
        tag twice = Twice(2h)
        tag fib = Fib(20)
        tag histogram = Histogram(city)
        """;

    [Fact]
    public void Values_equal_the_same_csharp_in_both_engines()
    {
        var compilation = FunctionWorkspace.Compile(Source, Tags);
        Assert.False(compilation.HasErrors, string.Join("\n", compilation.Diagnostics));
        var model = compilation.Model;
        var order = model.Schema.FindEvent("order")!;
        var t0 = new DateTime(2025, 6, 4, 10, 0, 0, DateTimeKind.Utc); // a Wednesday
        var data = InMemoryData.Build(model.Schema,
            [["u1", "new york city", 7L], ["u2", null, null], ["u3", "shang hai", 1L]],
            [
                (order, ["u1", t0.AddDays(-2), "o1", 100.10m, "tv-55x"]),
                (order, ["u1", t0.AddDays(-1), "o2", 19.99m, "fan-1"]),
                (order, ["u1", t0.AddDays(-3), "o3", 5m, "fan-1"]),
                (order, ["u3", t0.AddDays(-1), "o4", 1m, "ac"]),
            ]);
        var compiled = CompiledEngine.Evaluate(CompiledEngine.PlanFor(compilation), data, t0);
        var reference = new ReferenceInterpreter().Evaluate(model, data, t0);

        object?[] Expected(string tag) => tag switch
        {
            "collatz" => [Collatz(7), Collatz(27), Collatz(1)],
            "gross" => [Gross(125.09m), Gross(0m), Gross(1m)],
            "initials" => [Initials("new york city"), null, Initials("shang hai")],
            "line" => ["FAN", null, "AC"],
            "level_or_minus" => [70L, -1L, 10L],
            "third" => [125.09m / 3, 0m / 3, 1m / 3],
            "monday" => [new DateOnly(2025, 6, 9), new DateOnly(2025, 6, 9), new DateOnly(2025, 6, 9)],
            "twice" => [TimeSpan.FromHours(4), TimeSpan.FromHours(4), TimeSpan.FromHours(4)],
            "fib" => [Fib(20), Fib(20), Fib(20)],
            "histogram" => [Histogram("new york city"), null, Histogram("shang hai")],
            _ => throw new InvalidOperationException(tag),
        };
        foreach (var tag in new[] { "collatz", "gross", "initials", "line", "level_or_minus", "third", "monday", "twice", "fib", "histogram" })
            for (var u = 0; u < 3; u++)
            {
                Assert.Equal(Expected(tag)[u], compiled.Column(tag).Get(u));
                Assert.Equal(Expected(tag)[u], reference.Column(tag).Get(u));
            }
        Assert.Equal(["fan-1", "tv-55x"], ((IEnumerable<object?>)compiled.Column("skus").Get(0)!).Cast<string>().ToArray());
        Assert.Equal(((IEnumerable<object?>)compiled.Column("skus").Get(0)!).ToArray(),
            ((IEnumerable<object?>)reference.Column("skus").Get(0)!).ToArray());
        Assert.Equal(0, compiled.FunctionFailures.Count);
        Assert.Equal(0, reference.FunctionFailures.Count);
    }

    [Fact]
    public void Test_blocks_pass_on_the_compiled_engine_and_the_interpreter()
    {
        var tests = """
            tag line = SkuLine(last(order.sku))
            test "product line of the last order" {
              given profile { user_id: "u1" }
              given order { user_id: "u1", order_id: "o1", ts: 2025-05-01T10:00:00Z, amount: 10, sku: "tv-55x" }
              expect line == "TV-"
              expect Gross(100) == 113
              expect Collatz(27) == 111
              expect Initials("new york") == "NY"
            }
            """;
        var compilation = FunctionWorkspace.Compile(Source, tests);
        Assert.False(compilation.HasErrors, string.Join("\n", compilation.Diagnostics));
        foreach (var evaluator in new ITagEvaluator[] { new CompiledEngine(), new ReferenceInterpreter() })
        {
            var result = Assert.Single(new TestRunner(evaluator).RunAll(compilation.Model));
            Assert.True(result.Passed, string.Join("; ", result.Failures.Select(f => f.Explanation)));
        }
    }

    [Fact]
    public void A_failing_call_is_null_for_that_user_counted_and_the_others_are_computed()
    {
        var source = """public static long Slow(long n) { long i = 0; while (n > 5 || i < 3) i++; return n * 2; }""";
        var compilation = FunctionWorkspace.Compile(source, "tag doubled = Slow(level)");
        Assert.False(compilation.HasErrors, string.Join("\n", compilation.Diagnostics));
        var data = InMemoryData.Build(compilation.Model.Schema, [["u1", null, 2L], ["u2", null, 9L], ["u3", null, 3L], ["u4", null, null]], []);
        var asOf = new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        foreach (var result in new[] { CompiledEngine.Evaluate(CompiledEngine.PlanFor(compilation), data, asOf),
            new ReferenceInterpreter().Evaluate(compilation.Model, data, asOf) })
        {
            Assert.Equal(new object?[] { 4L, null, 6L, null }, Enumerable.Range(0, 4).Select(u => result.Column("doubled").Get(u)).ToArray());
            Assert.Equal(1, result.FunctionFailures.Count); // u4's null level skips the call: not a failure
            var failure = Assert.Single(result.FunctionFailures.Samples);
            Assert.Equal("u2", failure.UserId);
            Assert.Contains("Slow() failed for user u2", failure.Message);
            Assert.Contains("steps", failure.Message);
            // The run's warning (CLI and web): a catalogue code, in English and 简体中文.
            var warning = Assert.Single(SimulationRunner.FailureMessages(result.FunctionFailures));
            Assert.Equal("MD7009", warning.Code);
            Assert.StartsWith("Slow() failed for 1 user(s), whose value is null; first: user u2: ", warning.English);
            Assert.StartsWith("Slow() 对 1 个用户执行失败，其值为空；第一个：用户 u2：", warning.Chinese);
        }
    }
}
