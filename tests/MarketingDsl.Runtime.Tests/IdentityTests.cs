using System.Globalization;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;

namespace MarketingDsl.Runtime.Tests;

/// <summary>Identity keys live: events attributed by a known identity value as the batch importer does, the index kept across restarts, links of two users refused (no live merge yet).</summary>
public sealed class IdentityTests : IDisposable
{
    private const string Schema = """
        schema {
          profile {
            user_id: string key
            level: int?
          }
          identity { member_id, phone }
          event order { order_id: string unique, amount: decimal? }
          event login { platform: string? }
        }
        """;

    private const string Main = """
        tag orders_all = count(order)
        tag spend_30d = sum(order.amount, within: 30d)
        tag logins_7d = count(login, within: 7d)
        tag last_platform = last(login.platform)
        tag lvl = level
        """;

    private const string Profiles = """
        [{"user_id":"u1","level":1,"phone":"555-1"},
         {"user_id":"u2","member_id":"M2","phone":""},
         {"user_id":"u3","level":3}]
        """;

    private readonly LiveFixture _f = new(Schema, Main);
    public void Dispose() => _f.Dispose();

    [Fact]
    public void An_event_with_an_unknown_user_id_and_a_known_identity_value_goes_to_the_owner()
    {
        using var live = _f.Open();
        Assert.Equal("accepted,accepted,accepted", LiveFixture.Statuses(live.IngestProfiles(LiveFixture.Json(Profiles))));
        var results = live.IngestEvents(LiveFixture.Json("""
            [
              {"type":"order","user_id":"pos_77","ts":"2025-03-01T10:00:00Z","order_id":"o1","amount":10,"phone":"555-1"},
              {"type":"order","user_id":"app_9","ts":"2025-03-01T11:00:00Z","order_id":"o2","amount":5,"phone":"999","member_id":"M2"},
              {"type":"order","user_id":"u3","ts":"2025-03-01T12:00:00Z","order_id":"o3","amount":7,"phone":"555-1"},
              {"type":"login","user_id":"ghost","ts":"2025-03-01T12:00:00Z","phone":"nobody"},
              {"type":"login","user_id":"ghost2","ts":"2025-03-01T12:00:00Z","phone":""}
            ]
            """));
        Assert.Equal("accepted,accepted,accepted,accepted,accepted", LiveFixture.Statuses(results));
        Assert.Equal("attributed to user 'u1' by identity key 'phone'", results[0].Reason);
        Assert.Equal("attributed to user 'u2' by identity key 'member_id'", results[1].Reason);
        Assert.Null(results[2].Reason);   // a known user_id wins over another user's identity value (as in batch)
        Assert.StartsWith("no profile", results[3].Reason);
        Assert.StartsWith("no profile", results[4].Reason);   // an empty identity value is null
        var asOf = new DateTime(2025, 3, 2, 0, 0, 0, DateTimeKind.Utc);
        Assert.Equal(1L, live.Tags("u1", asOf)!["orders_all"]);
        Assert.Equal(1L, live.Tags("u2", asOf)!["orders_all"]);
        Assert.Equal(1L, live.Tags("u3", asOf)!["orders_all"]);
        Assert.Null(live.Tags("pos_77", asOf));
    }

    [Fact]
    public void The_identity_index_survives_a_restart()
    {
        using (var live = _f.Open()) live.IngestProfiles(LiveFixture.Json(Profiles));
        using (var live = _f.Open())
        {
            var r = live.IngestEvents(LiveFixture.Json("""[{"type":"login","user_id":"x","ts":"2025-03-01T10:00:00Z","phone":"555-1","platform":"ios"}]"""));
            Assert.Equal("attributed to user 'u1' by identity key 'phone'", r[0].Reason);
            Assert.Equal("ios", live.Tags("u1", new DateTime(2025, 3, 2, 0, 0, 0, DateTimeKind.Utc))!["last_platform"]);
        }
    }

    [Fact]
    public void A_bad_identity_value_is_rejected_and_a_profile_linking_two_users_is_refused_with_its_reason()
    {
        using var live = _f.Open();
        live.IngestProfiles(LiveFixture.Json(Profiles));
        var events = live.IngestEvents(LiveFixture.Json("""[{"type":"login","user_id":"u1","ts":"2025-03-01T10:00:00Z","phone":5551}]"""));
        Assert.Equal("rejected", events[0].Status);
        Assert.Equal("identity key 'phone': 5551 is not a valid string", events[0].Reason);
        var profiles = live.IngestProfiles(LiveFixture.Json("""
            [{"user_id":"u3","level":3,"phone":"555-1"},
             {"user_id":"u1","level":2,"phone":"555-1"},
             {"user_id":"u4","member_id":{"a":1}}]
            """));
        Assert.Equal("rejected,accepted,rejected", LiveFixture.Statuses(profiles));
        Assert.Equal("identity key 'phone': '555-1' belongs to user 'u1'; merging two users is not supported by the live runtime yet", profiles[0].Reason);
        Assert.Equal("identity key 'member_id': {\"a\":1} is not a valid string", profiles[2].Reason);
        // The refused profile left nothing behind: u3 keeps its profile, its events stay its own.
        var r = live.IngestEvents(LiveFixture.Json("""[{"type":"login","user_id":"u9","ts":"2025-03-01T10:00:00Z","phone":"555-1"}]"""));
        Assert.Equal("attributed to user 'u1' by identity key 'phone'", r[0].Reason);
        var asOf = new DateTime(2025, 3, 2, 0, 0, 0, DateTimeKind.Utc);
        Assert.Equal(3L, live.Tags("u3", asOf)!["lvl"]);
        Assert.Equal(2L, live.Tags("u1", asOf)!["lvl"]);
        Assert.Equal(1L, live.Tags("u1", asOf)!["logins_7d"]);
    }

    [Fact]
    public void Live_tags_with_identity_attribution_equal_the_batch_importer_on_the_same_rows()
    {
        string[] profileLines =
        [
            """{"user_id":"u1","level":1,"phone":"555-1"}""",
            """{"user_id":"u2","member_id":"M2"}""",
            """{"user_id":"u3","level":3,"member_id":"M3","phone":"555-3"}""",
        ];
        var random = new Random(7);
        string[] users = ["u1", "u2", "u3", "pos_1", "app_2", "ghost"];
        string[] phones = ["555-1", "555-3", "nobody", ""];
        string[] members = ["M2", "M3", "M9"];
        var start = new DateTime(2025, 3, 1, 0, 0, 0, DateTimeKind.Utc);
        var eventLines = new List<string>();
        for (var i = 0; i < 120; i++)
        {
            var ts = LiveFixture.Ts(start.AddHours(random.Next(20 * 24)));
            var user = users[random.Next(users.Length)];
            var identity = random.Next(3) switch
            {
                0 => $",\"phone\":\"{phones[random.Next(phones.Length)]}\"",
                1 => $",\"member_id\":\"{members[random.Next(members.Length)]}\",\"phone\":\"{phones[random.Next(phones.Length)]}\"",
                _ => "",
            };
            eventLines.Add(random.Next(2) == 0
                ? $$"""{"type":"order","user_id":"{{user}}","ts":"{{ts}}","order_id":"o{{random.Next(90)}}","amount":{{random.Next(1, 50)}}{{identity}}}"""
                : $$"""{"type":"login","user_id":"{{user}}","ts":"{{ts}}","platform":"p{{random.Next(3)}}"{{identity}}}""");
        }

        var dataDir = Path.Combine(_f.Root, "batch");
        Directory.CreateDirectory(dataDir);
        File.WriteAllLines(Path.Combine(dataDir, "profiles.jsonl"), profileLines);
        File.WriteAllLines(Path.Combine(dataDir, "events.jsonl"), eventLines);
        var model = _f.Compilation.Model;
        var data = DataImporter.Load(model.Schema, dataDir);

        using var live = _f.Open(cachedUsers: 2);
        live.IngestProfiles(LiveFixture.Json("[" + string.Join(",", profileLines) + "]"));
        var attributed = 0;
        for (var i = 0; i < eventLines.Count; i += 17)
        {
            var results = live.IngestEvents(LiveFixture.Json("[" + string.Join(",", eventLines.Skip(i).Take(17)) + "]"));
            Assert.All(results, r => Assert.NotEqual(IngestResult.Rejected, r.Status));
            attributed += results.Count(r => r.Reason?.StartsWith("attributed", StringComparison.Ordinal) == true);
        }
        Assert.True(attributed > 10, $"only {attributed} events attributed");

        var plan = CompiledEngine.PlanFor(model);
        var compared = 0;
        foreach (var asOf in new[] { start.AddDays(3), start.AddDays(10), start.AddDays(17.5), start.AddDays(30) })
        {
            var batch = CompiledEngine.Evaluate(plan, data, asOf);
            foreach (var user in users)
            {
                var tags = live.Tags(user, asOf);
                var index = data.IndexOfUser(user);
                if (index < 0) { Assert.Null(tags); continue; }
                Assert.NotNull(tags);
                foreach (var column in batch.Columns)
                {
                    Assert.Equal(Format(column.Get(index)), Format(tags[column.Symbol.Name]));
                    compared++;
                }
            }
        }
        Assert.Equal(4 * 3 * 5, compared);
    }

    private static string Format(object? value) => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "null";
}
