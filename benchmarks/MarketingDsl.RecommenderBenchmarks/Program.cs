using System.Diagnostics;
using System.Globalization;
using System.Text;
using MarketingDsl.Core;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Models.Recommendations;

// The item-to-item recommender at catalogue scale: a synthetic history of U users over a catalogue
// of I items (Zipf popularity inside 50 categories, planted partner items), then
//  1. training (interactions + co-purchase similarity): wall time and the process's peak working set;
//  2. the offline evaluation lines (recommender against the two baselines);
//  3. scoring every user's top-k beside a warm evaluation of a few tags on the same data, as a
//     ratio to the evaluation alone (medians of alternating runs, so it holds on a busy machine
//     better than either time does);
//  4. the same inside `simulate`'s engine: the tags above plus `tag for_you = picks.items` of a trained
//     `recommender` declaration (scored per user from the user's events, as simulate, replay and the
//     live runtime do), as a ratio to the same tags without it (medians of alternating runs);
//  5. the whole `simulate` (import, evaluation, output files) with and without the recommender, as a ratio.
//
//   dotnet run -c Release --project benchmarks/MarketingDsl.RecommenderBenchmarks -- --users 200000 --items 5000 --runs 5
var options = args.Select((a, i) => (a, i)).Where(p => p.a.StartsWith("--", StringComparison.Ordinal))
    .ToDictionary(p => p.a, p => p.i + 1 < args.Length ? args[p.i + 1] : "");
int Option(string name, int fallback) => options.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
var users = Option("--users", 200_000);
var items = Option("--items", 5_000);
var runs = Option("--runs", 5);
var threads = Option("--threads", Environment.ProcessorCount);
var dir = Path.Combine(Path.GetTempPath(), $"mdsl-reco-bench-{users}-{items}");
var end = new DateTime(2025, 10, 1, 0, 0, 0, DateTimeKind.Utc);
if (!File.Exists(Path.Combine(dir, "events.jsonl"))) Write(dir, users, items, end);

var root = MarketingDsl.Testing.RepoRoot.FullPath;
var schema = File.ReadAllText(Path.Combine(root, "examples", "retail", "schema.mdsl"));
var tags = Compilation.Create(("schema.mdsl", schema), ("tags.mdsl", """
    tag orders_90d = count(order, within: 90d)
    tag views_30d = count(view, within: 30d)
    tag spend_90d = sum(order.amount, within: 90d)
    tag fav = top(order.category, 3, within: 180d)
    """));
var load = Stopwatch.StartNew();
var data = DataImporter.Load(tags.Model.Schema, dir);
Console.WriteLine($"loaded {data.UserCount:N0} users, {data.Events.Sum(e => e?.RowCount ?? 0):N0} events in {load.Elapsed.TotalSeconds:0.0} s; " +
                  $"working set {Environment.WorkingSet / 1e6:N0} MB");

var settings = new RecommenderSettings([new("view", 1), new("cart_add", 3), new("order", 5)], "sku", "order", "category",
    TimeSpan.FromDays(180).Ticks, K: 10);
var asOf = data.MaxTimestampTicks!.Value;
GC.Collect();
var before = Process.GetCurrentProcess().PeakWorkingSet64;
var train = Stopwatch.StartNew();
var interactions = Interactions.Build(data, settings, asOf - settings.WindowTicks, asOf);
var built = train.Elapsed;
var model = ItemToItemModel.Train(interactions, settings, threads);
train.Stop();
var peak = Process.GetCurrentProcess().PeakWorkingSet64;
Console.WriteLine($"training: {train.Elapsed.TotalSeconds:0.00} s (interactions {built.TotalSeconds:0.00} s, similarity " +
    $"{(train.Elapsed - built).TotalSeconds:0.00} s on {threads} threads), " +
                  $"{interactions.ItemCount:N0} items, {model.Neighbourhoods.Neighbours.Length:N0} neighbour links; " +
                  $"peak working set {peak / 1e6:N0} MB " +
                      $"(before training {before / 1e6:N0} MB)");

foreach (var line in RecommenderEvaluation.Run(data, settings, asOf, TimeSpan.FromDays(30).Ticks, "picks", threads)) Console.WriteLine(line.Line);

var plan = CompiledEngine.PlanFor(tags.Model);
var asOfUtc = new DateTime(asOf, DateTimeKind.Utc);
var scratch = new MarketingDsl.Engine.Scoring.RankBuffers();
double Evaluate() { var w = Stopwatch.StartNew(); CompiledEngine.Evaluate(plan, data, asOfUtc); return w.Elapsed.TotalSeconds; }
double EvaluateAndRecommend()
{
    var w = Stopwatch.StartNew();
    CompiledEngine.Evaluate(plan, data, asOfUtc);
    for (var u = 0; u < interactions.UserCount; u++) model.Recommend(interactions.ItemsOf(u), interactions.WeightsOf(u),
        interactions.BoughtBy(u), settings.K, scratch);
    return w.Elapsed.TotalSeconds;
}
Evaluate();
EvaluateAndRecommend();
var alone = new List<double>();
var with = new List<double>();
for (var r = 0; r < runs; r++) { alone.Add(Evaluate()); with.Add(EvaluateAndRecommend()); }
double Median(List<double> xs) { xs.Sort(); return xs[xs.Count / 2]; }
// Processor time of the whole process: on a machine shared with other work it says what a run costs better than wall time.
double Cpu() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
var (a, b) = (Median(alone), Median(with));
Console.WriteLine($"evaluation alone {a:0.000} s, with top-{settings.K} for every user {b:0.000} s: ratio {b / a:0.00}× " +
                  $"({(b - a) / data.UserCount * 1e6:0.0} µs per user, single thread)");

// 4. picks.items inside the engine, against the run without the recommender.
var withRecommender = Compilation.Create(("schema.mdsl", schema), ("tags.mdsl", """
    tag orders_90d = count(order, within: 90d)
    tag views_30d = count(view, within: 30d)
    tag spend_90d = sum(order.amount, within: 90d)
    tag fav = top(order.category, 3, within: 180d)
    recommender picks { items: order.sku  signals: view 1, cart_add 3, order 5  category: order.category  within: 180d  k: 10 }
    tag for_you = picks.items
    """));
if (withRecommender.HasErrors) throw new InvalidOperationException(string.Join("\n", withRecommender.Diagnostics));
var trainedPicks = MarketingDsl.Models.Recommendations.RecommenderTraining.Train(withRecommender.Model.Models.Single(), data, asOfUtc, threads).Model;
var scorer = new MarketingDsl.Models.Scoring.RegistryScorer(withRecommender.Model, [trainedPicks]);
var planWith = CompiledEngine.PlanFor(withRecommender.Model);
double EvaluateWithPicks() { var w = Stopwatch.StartNew(); CompiledEngine.Evaluate(planWith, data, asOfUtc, null, scorer);
    return w.Elapsed.TotalSeconds; }
var cpuTimes = new Dictionary<string, List<double>>();
double Timed(string name, Func<double> run)
{
    var cpu = Cpu();
    var wall = run();
    (cpuTimes.TryGetValue(name, out var list) ? list : cpuTimes[name] = []).Add(Cpu() - cpu);
    return wall;
}
var check = CompiledEngine.Evaluate(planWith, data, asOfUtc, null, scorer);
if (check.Columns.Single(c => c.Symbol.Name == "for_you").Get(0) is not IReadOnlyList<object?> { Count: > 0 })
    throw new InvalidOperationException("picks.items is empty: the recommender did not score");
EvaluateWithPicks();
// Scoring alone: every user's picks.items through the trained recommender, on one thread.
var trainedForYou = scorer.Find(withRecommender.Model.Models.Single())!;
var scoringAlone = new List<double>();
var scoringCpu = new List<double>();
for (var r = 0; r < runs; r++)
{
    var (w, cpu) = (Stopwatch.StartNew(), Cpu());
    for (var u = 0; u < data.UserCount; u++) trainedForYou.ItemsFor(data, u, asOf);
    scoringAlone.Add(w.Elapsed.TotalSeconds);
    scoringCpu.Add(Cpu() - cpu);
}
Console.WriteLine($"scoring alone: picks.items of every user {Median(scoringAlone):0.000} s ({Median(scoringAlone) / data.UserCount * 1e6:0.00} µs " +
    $"per user, single thread; processor time {Median(scoringCpu) / data.UserCount * 1e6:0.00} µs per user)");
var plain = new List<double>();
var picked = new List<double>();
for (var r = 0; r < runs; r++) { plain.Add(Timed("plain", Evaluate)); picked.Add(Timed("picked", EvaluateWithPicks)); }
var (p0, p1) = (Median(plain), Median(picked));
Console.WriteLine($"simulate engine: 4 tags {p0:0.000} s, with picks.items {p1:0.000} s: ratio {p1 / p0:0.00}× " +
                  $"({(p1 - p0) / data.UserCount * 1e6:0.0} µs per user on {Environment.ProcessorCount} threads); processor time ratio " +
                  $"{Median(cpuTimes["picked"]) / Median(cpuTimes["plain"]):0.00}×");

// 5. The whole `simulate` (import, evaluation, tags.csv and summary.json), with and without the recommender.
var simulateOut = Path.Combine(Path.GetTempPath(), $"mdsl-reco-bench-out-{Environment.ProcessId}");
var steps = new Dictionary<bool, List<MarketingDsl.Engine.Simulation.SimulationTimings>> { [false] = [], [true] = [] };
double Simulate(Compilation c, MarketingDsl.Engine.Scoring.IModelScorer? s)
{
    var w = Stopwatch.StartNew();
    var run = MarketingDsl.Engine.Simulation.SimulationRunner.Run(c, dir, simulateOut, asOfUtc, scorer: s);
    steps[s is not null].Add(run.Timings);
    return w.Elapsed.TotalSeconds;
}
Simulate(tags, null);
Simulate(withRecommender, scorer);
var whole = new List<double>();
var wholeWith = new List<double>();
for (var r = 0; r < Math.Max(1, runs / 2); r++)
{
    whole.Add(Timed("whole", () => Simulate(tags, null)));
    wholeWith.Add(Timed("wholeWith", () => Simulate(withRecommender, scorer)));
}
var (s0, s1) = (Median(whole), Median(wholeWith));
Console.WriteLine($"whole simulate: 4 tags {s0:0.000} s, with picks.items {s1:0.000} s: ratio {s1 / s0:0.00}×; processor time ratio " +
                  $"{Median(cpuTimes["wholeWith"]) / Median(cpuTimes["whole"]):0.00}×");
foreach (var (recommended, list) in steps)
    Console.WriteLine($"  {(recommended ? "with picks.items" : "4 tags")}: load {Median([.. list.Select(t => t.Load.TotalSeconds)]):0.000} s, " +
        $"evaluate {Median([.. list.Select(t => t.Evaluate.TotalSeconds)]):0.000} s, " +
        $"write {Median([.. list.Select(t => t.Write.TotalSeconds)]):0.000} s");
// The write step's two parts for the run with the recommender: tags.csv and the summary.
var written = CompiledEngine.Evaluate(planWith, data, asOfUtc, null, scorer);
var csvTimes = new List<double>();
var summaryTimes = new List<double>();
for (var r = 0; r < runs; r++)
{
    var w = Stopwatch.StartNew();
    MarketingDsl.Engine.Simulation.SimulationOutput.WriteTagsCsv(written, Stream.Null);
    csvTimes.Add(w.Elapsed.TotalSeconds);
    w.Restart();
    MarketingDsl.Engine.Simulation.SimulationSummary.Compute(written);
    summaryTimes.Add(w.Elapsed.TotalSeconds);
}
Console.WriteLine($"  with picks.items, write: tags.csv {Median(csvTimes):0.000} s, summary {Median(summaryTimes):0.000} s");
Directory.Delete(simulateOut, recursive: true);

// Each user: 1–3 favourite categories of 50; per day a small chance of a session viewing items of
// a favourite category (Zipf inside it), sometimes adding to the cart and ordering; an order of item
// i brings its partner (i + 1 inside the category) in half of the cases.
static void Write(string dir, int users, int items, DateTime end)
{
    Directory.CreateDirectory(dir);
    const int categories = 50;
    var perCategory = Math.Max(1, items / categories);
    var zipf = Enumerable.Range(1, perCategory).Select(r => 1.0 / r).ToArray();
    var total = zipf.Sum();
    var cumulative = new double[perCategory];
    for (double s = 0, r = 0; r < perCategory; r++) { s += zipf[(int)r] / total; cumulative[(int)r] = s; }
    var random = new Random(19);
    using var profiles = new StreamWriter(Path.Combine(dir, "profiles.jsonl"), false, new UTF8Encoding(false), 1 << 16);
    using var events = new StreamWriter(Path.Combine(dir, "events.jsonl"), false, new UTF8Encoding(false), 1 << 20);
    var order = 0L;
    for (var u = 0; u < users; u++)
    {
        var id = "u" + u.ToString("D7", CultureInfo.InvariantCulture);
        profiles.Write($"{{\"user_id\":\"{id}\",\"member_level\":0}}\n");
        var favourites = Enumerable.Range(0, 1 + random.Next(3)).Select(_ => random.Next(categories)).ToArray();
        var sessions = 1 + random.Next(8);
        for (var s = 0; s < sessions; s++)
        {
            var c = favourites[random.Next(favourites.Length)];
            var t = end.AddSeconds(-random.Next(200 * 86_400));
            var found = Array.BinarySearch(cumulative, random.NextDouble());
            var pick = found < 0 ? ~found : found;
            var item = c * perCategory + Math.Min(pick, perCategory - 1);
            string Sku(int i) => "sku" + i.ToString("D5", CultureInfo.InvariantCulture);
            string Ts(DateTime x) => x.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            for (var v = 0; v < 1 + random.Next(4); v++)
                events.Write($"{{\"type\":\"view\",\"user_id\":\"{id}\",\"ts\":\"{Ts(t.AddSeconds(v))}\",\"sku\":\"{Sku(item)}\"," +
                    $"\"category\":\"c{c}\",\"duration_s\":30}}\n");
            if (random.NextDouble() < 0.4)
                events.Write($"{{\"type\":\"cart_add\",\"user_id\":\"{id}\",\"ts\":\"{Ts(t.AddSeconds(60))}\",\"sku\":\"{Sku(item)}\"," +
                    $"\"category\":\"c{c}\",\"price\":10}}\n");
            if (random.NextDouble() < 0.25)
            {
                events.Write($"{{\"type\":\"order\",\"user_id\":\"{id}\",\"ts\":\"{Ts(t.AddSeconds(120))}\",\"order_id\":\"o{++order}\"," +
                    $"\"channel\":\"app\",\"amount\":10,\"category\":\"c{c}\",\"sku\":\"{Sku(item)}\",\"coupon_used\":false}}\n");
                var partner = c * perCategory + (item - c * perCategory + 1) % perCategory;
                var later = t.AddDays(1 + random.Next(10));
                if (random.NextDouble() < 0.5 && later < end)
                    events.Write($"{{\"type\":\"order\",\"user_id\":\"{id}\",\"ts\":\"{Ts(later)}\",\"order_id\":\"o{++order}\"," +
                        $"\"channel\":\"app\",\"amount\":10,\"category\":\"c{c}\",\"sku\":\"{Sku(partner)}\",\"coupon_used\":false}}\n");
            }
        }
    }
}
