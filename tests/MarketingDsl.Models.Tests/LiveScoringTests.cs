using System.Text.Json;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Engine.Lowering;
using MarketingDsl.Models.Scoring;
using MarketingDsl.Models.Training;
using MarketingDsl.Runtime;

namespace MarketingDsl.Models.Tests;

/// <summary>The live runtime scores a user's model tags from the user's stored events: the same values as the batch run.</summary>
[Collection("Training")]
public sealed class LiveScoringTests(RetailHistory history)
{
    [Fact]
    public void Live_scores_equal_batch_scores()
    {
        var compilation = history.Compile("""
            model churn_risk {
              predict: not exists(login, within: next 60d)
              features: last_login_days, logins_30d, logins_90d, recency_days, orders_90d, member_level
              seed: 42
            }
            model ltv { predict: sum(order.amount, within: next 60d)  features: spend_90d, orders_90d, member_level }
            clusters groups { features: logins_90d, orders_90d, spend_90d  k: 3  scale: standard }
            tag churn_prob = churn_risk.probability
            tag churn_yes = churn_risk.predicted
            tag ltv_value = ltv.value
            tag group = groups.cluster
            tag group_distance = groups.distance
            """);
        var trained = ModelTrainer.Train(compilation, history.Data, history.AsOf).Models;
        Assert.Equal(3, trained.Count);
        var batch = CompiledEngine.Evaluate(PlanCompiler.Compile(compilation.Model), history.Data, history.AsOf, null,
            new RegistryScorer(compilation.Model, trained));

        var users = Enumerable.Range(1, 12).Select(i => "u" + i.ToString("D7", System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();
        bool Mine(string line) => users.Any(u => line.Contains($"\"user_id\":\"{u}\"", StringComparison.Ordinal));
        var db = Path.Combine(Path.GetTempPath(), "mdsl-live-models-" + Guid.NewGuid().ToString("N") + ".db");
        try
        {
            using var live = new LiveRuntime(compilation.Model, new LiveOptions { DbPath = db, ModelScorer = m => new RegistryScorer(m, trained) });
            using (var profiles = JsonDocument.Parse("["
                + string.Join(",", File.ReadLines(Path.Combine(history.Directory, "profiles.jsonl")).Where(Mine)) + "]"))
                Assert.All(live.IngestProfiles(profiles.RootElement), r => Assert.Equal("accepted", r.Status));
            foreach (var chunk in File.ReadLines(Path.Combine(history.Directory, "events.jsonl")).Where(Mine).Chunk(2000))
                using (var events = JsonDocument.Parse("[" + string.Join(",", chunk) + "]"))
                    live.IngestEvents(events.RootElement);

            var compared = 0;
            foreach (var user in users)
            {
                var index = history.Data.IndexOfUser(user);
                var tags = live.Tags(user, history.AsOf)!;
                foreach (var name in new[] { "churn_prob", "churn_yes", "ltv_value", "group", "group_distance" })
                {
                    var expected = batch.Columns.Single(c => c.Symbol.Name == name).Get(index);
                    Assert.True(Equals(expected, tags[name]), $"{user} {name}: batch {expected}, live {tags[name]}");
                }
                Assert.NotNull(tags["churn_prob"]);
                compared++;
            }
            Assert.Equal(12, compared);
        }
        finally { File.Delete(db); }
    }
}
