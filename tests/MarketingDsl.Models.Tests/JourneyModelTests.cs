using System.Globalization;
using System.Text.Json;
using MarketingDsl.Journeys;
using MarketingDsl.Journeys.Replay;
using MarketingDsl.Models.Scoring;
using MarketingDsl.Models.Training;
using MarketingDsl.Runtime;

namespace MarketingDsl.Models.Tests;

/// <summary>
/// Journeys read models' per-user outputs (LANGUAGE.md §13): the audience and an `if` score the user
/// alone as of the event, with the registry's models, and replay and live send the same messages.
/// </summary>
[Collection("Training")]
public sealed class JourneyModelTests(RetailHistory history)
{
    private const string Workspace = """
        channel sms { cost: 0.05 }
        model churn_risk {
          predict: not exists(login, within: next 60d)
          features: last_login_days, logins_30d, logins_90d, recency_days, orders_90d, member_level
          seed: 42
        }
        clusters groups { features: logins_90d, orders_90d, spend_90d  k: 3  scale: standard }
        journey win_back {
          trigger: order
          audience: churn_risk.probability >= 0.2
          steps {
            if groups.cluster == 1 or groups.distance > 2 { send sms "cluster_one_or_far" } else { send sms "others" }
          }
        }
        """;

    [Fact]
    public void Replay_and_live_send_the_same_messages_from_model_outputs()
    {
        var compilation = history.Compile(Workspace);
        Assert.False(compilation.HasErrors, string.Join("\n", compilation.Diagnostics));
        var trained = ModelTrainer.Train(compilation, history.Data, history.AsOf).Models;
        Assert.Equal(2, trained.Count);

        var users = Enumerable.Range(1, 40).Select(i => "u" + i.ToString("D7", CultureInfo.InvariantCulture)).ToHashSet();
        var from = RetailHistory.End.AddDays(-400);
        var replay = new List<string>();
        var statistics = JourneyReplay.Run(compilation.Model, history.Data, from, history.AsOf, a =>
        {
            if (a is SendAction { Outcome: SendOutcome.Delivered } s && users.Contains(s.User.Id))
                replay.Add($"{s.Send.Template} {new DateTime(s.At, DateTimeKind.Utc):O} {s.User.Id}");
        }, new RegistryScorer(compilation.Model, trained));
        // The model decides: some orders are kept out by the audience, and both branches send.
        var journey = statistics.Journeys.Single();
        Assert.True(journey.Suppressed[SuppressionReason.Audience] > 0 && journey.Entered > 0,
            $"entered {journey.Entered}, kept out {journey.Suppressed[SuppressionReason.Audience]}");
        Assert.Contains(replay, r => r.StartsWith("cluster_one_or_far ", StringComparison.Ordinal));
        Assert.Contains(replay, r => r.StartsWith("others ", StringComparison.Ordinal));

        // Without trained models the outputs are null: nobody is in the audience.
        var untrained = JourneyReplay.Run(compilation.Model, history.Data, from, history.AsOf);
        Assert.Equal(0, untrained.Journeys.Single().Entered);

        var root = Path.Combine(Path.GetTempPath(), "mdsl-journey-models-" + Guid.NewGuid().ToString("N"));
        try
        {
            bool Mine(string line) => users.Any(u => line.Contains($"\"user_id\":\"{u}\"", StringComparison.Ordinal));
            using (var live = new LiveRuntime(compilation.Model, new LiveOptions
            {
                DbPath = Path.Combine(root, "live.db"), OutboxDir = Path.Combine(root, "outbox"), MaxFutureSkew = TimeSpan.MaxValue,
                Clock = new FixedWallClock(new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero)), TimerSliceTime = Timeout.InfiniteTimeSpan,
                ModelScorer = m => new RegistryScorer(m, trained),
            }))
            {
                using (var profiles = JsonDocument.Parse("["
                    + string.Join(",", File.ReadLines(Path.Combine(history.Directory, "profiles.jsonl")).Where(Mine)) + "]"))
                    Assert.All(live.IngestProfiles(profiles.RootElement), r => Assert.Equal("accepted", r.Status));
                // In time order, as replay sees them (the generator's file is not: a late event is judged by what arrived before it).
                var lines = File.ReadLines(Path.Combine(history.Directory, "events.jsonl")).Where(Mine)
                    .OrderBy(l => JsonDocument.Parse(l).RootElement.GetProperty("ts").GetString(), StringComparer.Ordinal);
                foreach (var chunk in lines.Chunk(500))
                    using (var events = JsonDocument.Parse("[" + string.Join(",", chunk) + "]"))
                        Assert.All(live.IngestEvents(events.RootElement), r => Assert.Contains(r.Status, new[] { "accepted", "duplicate" }));
            }
            var sent = Directory.GetFiles(Path.Combine(root, "outbox"), "*.jsonl").SelectMany(File.ReadLines).Where(l => l.Length > 0).Select(l =>
            {
                using var line = JsonDocument.Parse(l);
                var at = DateTime.Parse(line.RootElement.GetProperty("at").GetString()!, CultureInfo.InvariantCulture,
                    DateTimeStyles.AdjustToUniversal);
                return $"{line.RootElement.GetProperty("template").GetString()} {at:O} {line.RootElement.GetProperty("user_id").GetString()}";
            });
            Assert.NotEmpty(replay);
            Assert.Equal(replay.Order(StringComparer.Ordinal), sent.Order(StringComparer.Ordinal));
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    private sealed class FixedWallClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
