using System.Diagnostics;
using System.Globalization;
using MarketingDsl.Core;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Engine.Lowering;
using MarketingDsl.Engine.Scoring;
using MarketingDsl.Engine.Simulation;
using MarketingDsl.Models.Scoring;
using MarketingDsl.Models.Training;

// Training time per algorithm, and per-user scoring inside simulate as a ratio to the same
// evaluation without models (target ≤ 1.3×). Both evaluations run warm on the same loaded data,
// alternately, and the medians are compared, so the ratio holds on a busy machine better than
// either time does.
//
//   dotnet run -c Release --project benchmarks/MarketingDsl.ModelBenchmarks -- --users 200000 --days 180 --runs 5
var options = args.Select((a, i) => (a, i)).Where(p => p.a.StartsWith("--", StringComparison.Ordinal))
    .ToDictionary(p => p.a, p => p.i + 1 < args.Length ? args[p.i + 1] : "");
int Option(string name, int fallback) => options.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
var users = Option("--users", 200_000);
var days = Option("--days", 180);
var runs = Option("--runs", 5);
var dataRoot = options.GetValueOrDefault("--data-root") ?? Path.Combine(Path.GetTempPath(), "mdsl-model-bench");
var dataDir = Path.Combine(dataRoot, $"retail-{users}-{days}");
if (!File.Exists(Path.Combine(dataDir, "events.jsonl")))
{
    Console.WriteLine($"generating {users:N0} users × {days} days into {dataDir} …");
    RetailDataGenerator.Generate(dataDir, users, days, seed: 1);
}

var root = Root();
var schema = File.ReadAllText(Path.Combine(root, "examples", "retail", "schema.mdsl"));
const string Features = """
    tag last_login_days = days_since(last(login.ts))
    tag logins_30d = count(login, within: 30d)
    tag logins_90d = count(login, within: 90d)
    tag recency_days = days_since(last(order.ts))
    tag orders_30d = count(order, within: 30d)
    tag orders_90d = count(order, within: 90d)
    tag spend_90d = sum(order.amount, within: 90d)
    tag views_30d = count(view, within: 30d)
    tag carts_30d = count(cart_add, within: 30d)
    tag high_value = spend_90d >= 5000
    """;
const string Models = """
    model churn_fasttree { predict: not exists(login, within: next 60d)
      features: last_login_days, logins_30d, logins_90d, recency_days, orders_90d, member_level  algorithm: fasttree }
    model churn_lightgbm { predict: not exists(login, within: next 60d)
      features: last_login_days, logins_30d, logins_90d, recency_days, orders_90d, member_level  algorithm: lightgbm }
    model churn_logistic { predict: not exists(login, within: next 60d)
      features: last_login_days, logins_30d, logins_90d, recency_days, orders_90d, member_level  algorithm: logistic }
    model ltv_fasttree { predict: sum(order.amount, within: next 60d)  features: spend_90d, orders_90d, member_level, recency_days, logins_30d }
    clusters value_kmeans { features: last_login_days, orders_90d, spend_90d  k: 4  scale: standard }
    tag churn_a = churn_fasttree.probability
    tag churn_b = churn_lightgbm.probability
    tag churn_c = churn_logistic.probability
    tag churn_pct = churn_fasttree.percentile
    tag ltv = ltv_fasttree.value
    tag cluster = value_kmeans.cluster
    segment at_risk = churn_pct > 80 and high_value
    """;
var withModels = Compilation.Create(("schema.mdsl", schema), ("features.mdsl", Features), ("models.mdsl", Models));
var withoutModels = Compilation.Create(("schema.mdsl", schema), ("features.mdsl", Features));
if (withModels.HasErrors || withoutModels.HasErrors) throw new InvalidOperationException(string.Join("\n",
    withModels.Diagnostics.Concat(withoutModels.Diagnostics)));

var clock = Stopwatch.StartNew();
var data = DataImporter.Load(withModels.Model.Schema, dataDir);
var asOf = new DateTime(data.MaxTimestampTicks!.Value, DateTimeKind.Utc);
Console.WriteLine($"loaded {data.UserCount:N0} users in {clock.Elapsed.TotalSeconds:0.0} s; as of {asOf:O}");

Console.WriteLine();
Console.WriteLine("training, one model at a time (features and labels included; one run each, after one untimed warm-up training):");
ModelTrainer.Train(Compilation.Create(("schema.mdsl", schema), ("features.mdsl", Features), ("models.mdsl", Models.Split('\n')[0])), data, asOf);
var trained = new List<TrainedModel>();
foreach (var model in withModels.Model.Models)
{
    // A workspace with this model alone, so the time is its own.
    var alone = Compilation.Create(("schema.mdsl", schema), ("features.mdsl", Features),
        ("models.mdsl", Models.Split('\n').First(l => l.Contains(' ' + model.Name + ' ', StringComparison.Ordinal))));
    clock.Restart();
    var result = ModelTrainer.Train(alone, data, asOf);
    var seconds = clock.Elapsed.TotalSeconds;
    trained.AddRange(result.Models);
    var headline = result.Reports.FirstOrDefault()?.Headline ?? string.Join("; ", result.Diagnostics.Select(d => d.Code + " " + d.Message));
    Console.WriteLine($"  {model.Name,-16} {seconds,8:0.0} s   {headline}");
}

Console.WriteLine();
var scorer = new RegistryScorer(withModels.Model, trained);
var planWith = PlanCompiler.Compile(withModels.Model);
var planWithout = PlanCompiler.Compile(withoutModels.Model);
CompiledEngine.Evaluate(planWith, data, asOf, null, scorer); // warm-up
CompiledEngine.Evaluate(planWithout, data, asOf);
var timesWith = new List<double>();
var timesWithout = new List<double>();
for (var run = 0; run < runs; run++)
{
    clock.Restart();
    CompiledEngine.Evaluate(planWithout, data, asOf);
    timesWithout.Add(clock.Elapsed.TotalSeconds);
    clock.Restart();
    CompiledEngine.Evaluate(planWith, data, asOf, null, scorer);
    timesWith.Add(clock.Elapsed.TotalSeconds);
}
double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);
var (a, b) = (Median(timesWith), Median(timesWithout));
// Each model's scoring alone, one at a time (the evaluation scores them in parallel), median of the runs.
var capture = new FeatureCapture();
CompiledEngine.Evaluate(PlanCompiler.Compile(withModels.Model, everyModel: true), data, asOf, null, capture);
var scorerSeconds = 0.0;
foreach (var model in withModels.Model.Models)
{
    var features = capture.FeaturesOf(model);
    var times = new List<double>();
    for (var run = 0; run < runs; run++)
    {
        clock.Restart();
        scorer.Score(model, features, new ModelOutputColumns(data.UserCount));
        times.Add(clock.Elapsed.TotalSeconds);
    }
    scorerSeconds += Median(times);
    Console.WriteLine($"  scoring {model.Name,-16} {Median(times) * 1000,8:0.0} ms ({Median(times) * 1e9 / data.UserCount,6:0} ns/user)");
}
Console.WriteLine($"  the five models' scoring together {scorerSeconds * 1000:0.0} ms");
Console.WriteLine($"evaluation of {data.UserCount:N0} users, median of {runs}: without models {b:0.000} s " +
    $"({b * 1e6 / data.UserCount:0.0} µs/user), " +
                  $"with 5 models scored {a:0.000} s ({a * 1e6 / data.UserCount:0.0} µs/user): ratio {a / b:0.00}× (target ≤ 1.3×)");

static string Root() => MarketingDsl.Testing.RepoRoot.FullPath;

// The whole `mdsl simulate` (load, evaluate, write tags.csv and summary.json), with and without the
// models, alternately: what a marketer waits for.
var simulateWith = new List<double>();
var simulateWithout = new List<double>();
var outRoot = Path.Combine(dataRoot, "simulate-out");
for (var run = 0; run < Math.Min(runs, 3); run++)
{
    clock.Restart();
    SimulationRunner.Run(withoutModels, dataDir, Path.Combine(outRoot, "without"), asOf);
    simulateWithout.Add(clock.Elapsed.TotalSeconds);
    clock.Restart();
    SimulationRunner.Run(withModels, dataDir, Path.Combine(outRoot, "with"), asOf, scorer: scorer,
        modelWarnings: scorer.Warnings.Select(d => d.Message).ToList());
    simulateWith.Add(clock.Elapsed.TotalSeconds);
}
var (c, d) = (Median(simulateWith), Median(simulateWithout));
Console.WriteLine($"whole simulate of {data.UserCount:N0} users, median of {simulateWith.Count}: without models {d:0.00} s, with 5 " +
    $"models {c:0.00} s: ratio {c / d:0.00}×");
