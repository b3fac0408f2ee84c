using System.Diagnostics;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Runtime;

namespace MarketingDsl.LoadBenchmarks;

/// <summary>
/// (d) Per-user evaluation, in memory, without HTTP or store: for a user with k events, one new
/// event then the `checkout_nudge` audience (`engaged`: a windowed count) as of its ts.
/// Before (the runtime until this change): a one-user data set rebuilt by
/// <see cref="InMemoryData.Build"/> with all k + 1 events and a new <see cref="ConditionEvaluator"/>
/// per event (the old path also re-read and re-parsed the user's events from LiteDB, not
/// counted here). Now: <see cref="UserHistory.Add"/> and the cached evaluator.
/// </summary>
public static class EvaluationBaseline
{
    public static void Run(LoadOptions options, Report report)
    {
        var root = Path.Combine(Path.GetTempPath(), "mdsl-load", Guid.NewGuid().ToString("N"));
        LoadWorkspace.Write(root, withJourneys: true);
        var model = RuntimeApp.CompileWorkspace(root).Model;
        Directory.Delete(root, recursive: true);
        var audience = model.Journeys.Single(j => j.Name == "checkout_nudge").Audience!;
        var view = model.Schema.FindEvent("view")!;
        object?[] profile = ["u1", "gold"];

        report.Line("");
        report.Line("## (d) per-user evaluation in memory: one event + the audience condition as of its ts");
        report.Line("");
        report.Line("| events of the user | rebuild per event (before) µs | incremental (now) µs | before ÷ now |");
        report.Line("|---:|---:|---:|---:|");
        foreach (var k in new[] { 10, 100, 1000 })
        {
            var events = Enumerable.Range(1, k).Select(i => (view, Row(i))).ToList();
            var rounds = Math.Max(20, 20_000 / k);

            // Before: rebuild everything for each new event.
            var before = Measure(rounds, r =>
            {
                var all = new List<(EventTypeSymbol, object?[])>(events) { (view, Row(k + r + 1)) };
                var data = InMemoryData.Build(model.Schema, [profile], all);
                return new ConditionEvaluator(model, data).Evaluate(audience, 0, LoadWorkspace.TsOf(k + r + 1).Ticks);
            });

            // Now: the history grows by one event; the evaluator is reused.
            var history = new UserHistory(model.Schema, "u1", profile);
            long line = 0;
            foreach (var (type, values) in events) history.Add(type, values, ++line);
            var evaluator = new ConditionEvaluator(model, history.Data);
            var layout = history.Layout;
            var now = Measure(rounds, r =>
            {
                history.Add(view, Row(k + r + 1), ++line);
                if (history.Layout != layout) { evaluator = new ConditionEvaluator(model, history.Data); layout = history.Layout; }
                return evaluator.Evaluate(audience, 0, LoadWorkspace.TsOf(k + r + 1).Ticks);
            });
            report.Line($"| {k:N0} | {before:0.0} | {now:0.00} | {before / now:0} |");
        }

        static object?[] Row(int i) => ["u1", LoadWorkspace.TsOf(i * 60_000L), i % 5 == 0 ? "checkout" : "home"];
    }

    /// <summary>Median over 5 repetitions of µs per call.</summary>
    private static double Measure(int calls, Func<int, bool> call)
    {
        var sink = 0;
        for (var i = 0; i < Math.Min(calls, 50); i++) sink += call(i) ? 1 : 0;   // warm-up (JIT)
        var times = new List<double>();
        var offset = calls;
        for (var rep = 0; rep < 5; rep++)
        {
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < calls; i++) sink += call(offset++) ? 1 : 0;
            times.Add(watch.Elapsed.TotalMicroseconds / calls);
        }
        GC.KeepAlive(sink);
        return times.Order().ElementAt(2);
    }
}
