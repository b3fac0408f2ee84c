using System.Globalization;
using System.Text.Json;
using MarketingDsl.Core;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Engine.Lowering;
using MarketingDsl.Journeys;
using MarketingDsl.Journeys.Replay;
using MarketingDsl.Models.Recommendations;
using MarketingDsl.Models.Registry;
using MarketingDsl.Models.Scoring;
using MarketingDsl.Models.Training;
using MarketingDsl.Runtime;

namespace MarketingDsl.Models.Tests;

/// <summary>
/// The `recommender` declaration end to end on the planted history: `mdsl train`'s trainer writes it
/// into the registry with its evaluation against both baselines; the compiled engine and the
/// reference interpreter give the same lists; a list tag works in a segment; replay and the live
/// runtime send the same items; a stale or untrained recommender gives null with the models' warning.
/// </summary>
public sealed partial class RecommenderTests
{
    private const string Declarations = """
        channel app_push { cost: 0.001 }
        recommender picks "为你推荐" {
          items: order.sku
          signals: view 1, cart_add 3, order 5
          category: order.category
          within: 180d
          k: 10
        }
        tag for_you = picks.items
        tag for_you_categories = picks.categories
        tag after_last_view = picks.related(last(view.sku), 3)
        segment has_picks = size(picks.items) > 0
        segment likes_fans = "fan" in for_you_categories
        journey related_push {
          trigger: cart_add
          steps {
            send app_push "reco_push" items: picks.related(last(cart_add.sku), 3)
          }
        }
        """;

    private Compilation CompileWorkspace(string declarations = Declarations) => Compilation.Create(
        ("schema.mdsl", File.ReadAllText(RetailHistory.RepositoryRoot("examples", "retail", "schema.mdsl"))), ("reco.mdsl", declarations));

    private DateTime AsOf => new(_history.Data.MaxTimestampTicks!.Value, DateTimeKind.Utc);

    [Fact]
    public void Training_saves_the_recommender_and_reports_it_against_both_baselines()
    {
        var compilation = CompileWorkspace();
        Assert.False(compilation.HasErrors, string.Join("\n", compilation.Diagnostics));
        var result = ModelTrainer.Train(compilation, _history.Data, AsOf, "tester");
        var entry = Assert.Single(result.Models);
        Assert.Equal(("picks", "recommender", "tester"), (entry.Name, entry.Kind, entry.TrainedBy));
        var report = Assert.Single(result.Reports);
        output.WriteLine(report.Headline);
        Assert.Equal(["picks", "popularity", "category_bestsellers"], report.Recommendations!.Select(r => r.Name));
        var (picks, popularity) = (report.Recommendations![0], report.Recommendations[1]);
        Assert.True(picks.HitRate >= 1.5 * popularity.HitRate, $"picks {picks.HitRate:0.000} vs popularity {popularity.HitRate:0.000}");
        Assert.StartsWith("picks hit_rate@10 ", picks.Line, StringComparison.Ordinal);
        Assert.StartsWith("popularity hit_rate@10 ", popularity.Line, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(report.ToJson());
        var first = json.RootElement.GetProperty("recommendations")[0];
        foreach (var metric in new[] { "hit_rate", "precision", "recall", "ndcg", "coverage" })
            Assert.True(first.GetProperty(metric).GetDouble() > 0, metric);

        // The registry keeps it: a scorer over the saved entry is fresh and gives lists.
        var path = Path.Combine(Path.GetTempPath(), "mdsl-reco-registry-" + Guid.NewGuid().ToString("N") + ".db");
        try
        {
            using (var registry = new ModelRegistry(path)) registry.Save(entry);
            using var reopened = new ModelRegistry(path);
            var scorer = new RegistryScorer(compilation.Model, reopened.All());
            Assert.Empty(scorer.Warnings);
            var recommender = scorer.Find(compilation.Model.Models.Single())!;
            Assert.Equal(10, recommender.ItemsFor(_history.Data, 0, AsOf.Ticks).Length);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Compiled_engine_and_interpreter_give_the_same_recommendations()
    {
        var compilation = CompileWorkspace();
        var trained = ModelTrainer.Train(compilation, _history.Data, AsOf).Models;
        var scorer = new RegistryScorer(compilation.Model, trained);
        var compiled = CompiledEngine.Evaluate(PlanCompiler.Compile(compilation.Model), _history.Data, AsOf, null, scorer);
        var interpreted = new ReferenceInterpreter { Recommenders = scorer }.Evaluate(compilation.Model, _history.Data, AsOf);
        var compared = 0;
        foreach (var column in compiled.Columns)
        {
            var other = interpreted.Columns.Single(c => c.Symbol == column.Symbol);
            for (var u = 0; u < _history.Data.UserCount; u++)
            {
                Assert.True(Same(column.Get(u), other.Get(u)),
                    $"{column.Symbol.Name} of {_history.Data.UserIds[u]}: compiled {Show(column.Get(u))}, interpreted {Show(other.Get(u))}");
                compared++;
            }
        }
        Assert.True(compared > 10_000);
        // Lists are full for everyone (a cold user gets the most popular items), and a segment reads a list tag.
        var forYou = compiled.Columns.Single(c => c.Symbol.Name == "for_you");
        Assert.All(Enumerable.Range(0, _history.Data.UserCount), u => Assert.Equal(10, ((IReadOnlyList<object?>)forYou.Get(u)!).Count));
        Assert.All(Enumerable.Range(0, _history.Data.UserCount),
            u => Assert.Equal(true, compiled.Columns.Single(c => c.Symbol.Name == "has_picks").Get(u)));
        var likesFans = compiled.Columns.Single(c => c.Symbol.Name == "likes_fans");
        var fans = Enumerable.Range(0, _history.Data.UserCount).Count(u => likesFans.Get(u) is true);
        Assert.InRange(fans, 1, _history.Data.UserCount - 1);
        // Without the registry the members are null, not empty lists.
        var untrained = CompiledEngine.Evaluate(PlanCompiler.Compile(compilation.Model), _history.Data, AsOf, null,
            new RegistryScorer(compilation.Model, []));
        Assert.Null(untrained.Columns.Single(c => c.Symbol.Name == "for_you").Get(0));
        Assert.Equal(false, untrained.Columns.Single(c => c.Symbol.Name == "has_picks").Get(0));
    }

    [Fact]
    public void Untrained_or_stale_recommenders_warn_as_models_do()
    {
        var compilation = CompileWorkspace();
        var untrained = new RegistryScorer(compilation.Model, []);
        Assert.Equal("MD6007", Assert.Single(untrained.Warnings).Code);
        Assert.Null(untrained.Find(compilation.Model.Models.Single()));
        var trained = ModelTrainer.Train(compilation, _history.Data, AsOf).Models;
        var changed = CompileWorkspace(Declarations.Replace("k: 10", "k: 5", StringComparison.Ordinal));
        var stale = new RegistryScorer(changed.Model, trained);
        var warning = Assert.Single(stale.Warnings);
        Assert.Equal("MD6008", warning.Code);
        Assert.Contains("picks", warning.Message, StringComparison.Ordinal);
        Assert.Null(stale.Find(changed.Model.Models.Single()));
        // A damaged entry is one recommender's problem (MD6011), never an exception.
        var damaged = trained.Single();
        damaged.Zip = damaged.Zip[..(damaged.Zip.Length / 2)];
        Assert.Equal("MD6011", Assert.Single(new RegistryScorer(compilation.Model, [damaged]).Warnings).Code);
    }

    [Fact]
    public void Live_recommendations_and_sent_items_equal_the_batch_and_the_replay()
    {
        var compilation = CompileWorkspace();
        var trained = ModelTrainer.Train(compilation, _history.Data, AsOf).Models;
        var batch = CompiledEngine.Evaluate(PlanCompiler.Compile(compilation.Model), _history.Data, AsOf, null,
            new RegistryScorer(compilation.Model, trained));
        var users = Enumerable.Range(1, 25).Select(i => "u" + i.ToString("D7", CultureInfo.InvariantCulture)).ToHashSet();
        var from = AsOf.AddDays(-60);
        var replay = new List<string>();
        JourneyReplay.Run(compilation.Model, _history.Data, from, AsOf, a =>
        {
            if (a is SendAction { Outcome: SendOutcome.Delivered } s && users.Contains(s.User.Id))
                replay.Add($"{s.User.Id} {new DateTime(s.At, DateTimeKind.Utc):O} {string.Join("|", s.Items!)}");
        }, new RegistryScorer(compilation.Model, trained));
        Assert.NotEmpty(replay);
        Assert.Contains(replay, r => r.Contains("sku_", StringComparison.Ordinal));

        var root = Path.Combine(Path.GetTempPath(), "mdsl-live-reco-" + Guid.NewGuid().ToString("N"));
        try
        {
            bool Mine(string line) => users.Any(u => line.Contains($"\"user_id\":\"{u}\"", StringComparison.Ordinal));
            using (var live = new LiveRuntime(compilation.Model, new LiveOptions
            {
                DbPath = Path.Combine(root, "live.db"), OutboxDir = Path.Combine(root, "outbox"), MaxFutureSkew = TimeSpan.MaxValue,
                TimerSliceTime = Timeout.InfiniteTimeSpan, ModelScorer = m => new RegistryScorer(m, trained),
            }))
            {
                using (var profiles = JsonDocument.Parse(
                    "[" + string.Join(",", File.ReadLines(Path.Combine(_history.Directory, "profiles.jsonl")).Where(Mine)) + "]"))
                    Assert.All(live.IngestProfiles(profiles.RootElement), r => Assert.Equal("accepted", r.Status));
                var lines = File.ReadLines(Path.Combine(_history.Directory, "events.jsonl")).Where(Mine)
                    .OrderBy(l => JsonDocument.Parse(l).RootElement.GetProperty("ts").GetString(), StringComparer.Ordinal).ToList();
                // The whole history goes in; each cart_add sends at once (no wait, re-entry always), so the sends after `from` are the replay's.
                foreach (var chunk in lines.Chunk(500))
                    using (var events = JsonDocument.Parse("[" + string.Join(",", chunk) + "]"))
                        Assert.All(live.IngestEvents(events.RootElement), r => Assert.Contains(r.Status, new[] { "accepted", "duplicate" }));
                foreach (var user in users)
                {
                    var tags = live.Tags(user, AsOf)!;
                    var index = _history.Data.IndexOfUser(user);
                    foreach (var name in new[] { "for_you", "for_you_categories", "after_last_view" })
                    {
                        var expected = batch.Columns.Single(c => c.Symbol.Name == name).Get(index);
                        Assert.True(Same(expected, tags[name]), $"{user} {name}: batch {Show(expected)}, live {Show(tags[name])}");
                    }
                }
            }
            var sent = Directory.GetFiles(Path.Combine(root, "outbox"), "*.jsonl").SelectMany(File.ReadLines).Where(l => l.Length > 0).Select(l =>
            {
                using var line = JsonDocument.Parse(l);
                var at = DateTime.Parse(line.RootElement.GetProperty("at").GetString()!,
                    CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);
                var items = line.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetString());
                return (At: at, Text: $"{line.RootElement.GetProperty("user_id").GetString()} {at:O} {string.Join("|", items)}");
            }).Where(s => s.At > from).Select(s => s.Text);
            Assert.Equal(replay.Order(StringComparer.Ordinal), sent.Order(StringComparer.Ordinal));
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Recommender_bytes_round_trip_and_damage_is_refused()
    {
        var compilation = CompileWorkspace();
        var definition = compilation.Model.Models.Single().Recommender!;
        var settings = RecommenderTraining.SettingsOf(definition);
        var end = _history.Data.MaxTimestampTicks!.Value;
        var model = ItemToItemModel.Train(Interactions.Build(_history.Data, settings, end - settings.WindowTicks, end), settings);
        var bytes = RecommenderFile.Write(model.Neighbourhoods);
        var read = RecommenderFile.Read(bytes, definition);
        Assert.Equal(model.Neighbourhoods.Neighbours, read.Neighbourhoods.Neighbours);
        Assert.Equal(model.Training.Items, read.Neighbourhoods.Items);
        // The persisted recommender ranks exactly as the one trained in memory.
        for (var u = 0; u < _history.Data.UserCount; u += 11)
            Assert.Equal(model.Recommend(u), read.ItemsFor(_history.Data, u, end).Cast<string>());
        foreach (var cut in new[] { 0, 5, bytes.Length / 3, bytes.Length - 1 })
            Assert.Throws<InvalidDataException>(() => RecommenderFile.Read(bytes[..cut], definition));
        var flipped = (byte[])bytes.Clone();
        flipped[^5] = 0xFF;
        flipped[^6] = 0x7F;
        Assert.Throws<InvalidDataException>(() => RecommenderFile.Read(flipped, definition));
    }

    [Fact]
    public void Scoring_one_user_at_two_instants_in_any_order_gives_each_instants_own_lists()
    {
        // Scoring keeps per-thread buffers and the last user's lists (so `items` and `categories` share one pass):
        // interleaving users, instants and members must never return another call's answer.
        var compilation = CompileWorkspace();
        var trained = ModelTrainer.Train(compilation, _history.Data, AsOf).Models;
        var picks = new RegistryScorer(compilation.Model, trained).Find(compilation.Model.Models.Single())!;
        long[] instants = [AsOf.Ticks, AsOf.AddDays(-45).Ticks];
        var users = Enumerable.Range(0, 60).Select(i => i * 7 % _history.Data.UserCount).Distinct().ToArray();
        var flush = _history.Data.UserCount - 1;
        var expected = new Dictionary<(int, long, bool), string>();
        foreach (var u in users)
            foreach (var t in instants)
            {
                picks.ItemsFor(_history.Data, flush, AsOf.Ticks);
                expected[(u, t, false)] = Show(picks.ItemsFor(_history.Data, u, t));
                picks.ItemsFor(_history.Data, flush, AsOf.Ticks);
                expected[(u, t, true)] = Show(picks.CategoriesFor(_history.Data, u, t));
            }
        Assert.Contains(users, u => expected[(u, instants[0], false)] != expected[(u, instants[1], false)]);
        Assert.Contains(users, u => expected[(u, instants[0], true)] != expected[(u, instants[1], true)]);
        foreach (var u in users)
        {
            Assert.Equal(expected[(u, instants[0], false)], Show(picks.ItemsFor(_history.Data, u, instants[0])));
            Assert.Equal(expected[(u, instants[1], true)], Show(picks.CategoriesFor(_history.Data, u, instants[1])));
            Assert.Equal(expected[(u, instants[0], true)], Show(picks.CategoriesFor(_history.Data, u, instants[0])));
            Assert.Equal(expected[(u, instants[1], false)], Show(picks.ItemsFor(_history.Data, u, instants[1])));
        }
        // Threads each keep their own buffers: scoring every user on many threads gives the one-thread lists.
        var parallel = new string[users.Length];
        Parallel.For(0, users.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 },
            i => parallel[i] = Show(picks.ItemsFor(_history.Data, users[i], instants[0])) +
                Show(picks.CategoriesFor(_history.Data, users[i], instants[0])));
        Assert.Equal(users.Select(u => expected[(u, instants[0], false)] + expected[(u, instants[0], true)]), parallel);
    }

    private static bool Same(object? a, object? b) => (a, b) switch
    {
        (IReadOnlyList<object?> x, IReadOnlyList<object?> y) => x.SequenceEqual(y),
        _ => Equals(a, b),
    };

    private static string Show(object? value) => value is IReadOnlyList<object?> list ?
        "[" + string.Join(", ", list) + "]" : value?.ToString() ?? "null";
}
