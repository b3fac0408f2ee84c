namespace MarketingDsl.Runtime.Tests;

/// <summary>
/// A batch of profiles evaluates its new users' first segment memberships together (one data set
/// and evaluator for the batch): it must give what feeding the same profiles one by one gives.
/// </summary>
public sealed class ProfileBatchTests
{
    private const string Schema = """
        schema {
          profile {
            user_id: string key
            level: int?
          }
          identity { phone }
          event order { order_id: string unique, amount: decimal? }
        }
        """;

    private const string Main = """
        tag orders_7d = count(order, within: 7d)
        segment vip = level >= 2
        segment buyer = orders_7d >= 1
        channel push { cost: 0 }
        journey enter_vip { trigger: enters segment vip  steps { send push "vip" } }
        journey leave_vip { trigger: leaves segment vip  steps { send push "bye" } }
        journey enter_buyer { trigger: enters segment buyer  steps { send push "buyer" } }
        """;

    private const string Seed = """
        [{"user_id":"a","level":1},{"user_id":"b","level":3},{"user_id":"c","phone":"P1"}]
        """;

    private const string Orders = """
        [{"type":"order","user_id":"a","ts":"2025-03-01T10:00:00Z","order_id":"o1","amount":5},
         {"type":"order","user_id":"n1","ts":"2025-03-01T11:00:00Z","order_id":"o2","amount":7}]
        """;

    // New users with mixed memberships (n1 has an order from before its profile), changes of
    // existing users (a enters vip, b leaves it), a new user updated twice (n3 leaves vip), an
    // identity merge into an existing user (n4 → c: c enters vip) and one of two new users of the
    // batch (n6 → n5: n5, first evaluated without a level, enters vip).
    private static readonly string[] Batch =
    [
        """{"user_id":"n1","level":3}""", """{"user_id":"n2","level":1}""", """{"user_id":"a","level":2}""",
        """{"user_id":"b","level":1}""", """{"user_id":"n3","level":3}""", """{"user_id":"n3","level":1}""",
        """{"user_id":"n4","level":3,"phone":"P1"}""", """{"user_id":"n5","phone":"P2"}""", """{"user_id":"n6","level":2,"phone":"P2"}""",
    ];

    private const string Later = """
        [{"type":"order","user_id":"n2","ts":"2025-03-02T09:00:00Z","order_id":"o3","amount":9},
         {"type":"order","user_id":"n1","ts":"2025-03-02T10:00:00Z","order_id":"o4","amount":9}]
        """;

    private static readonly string[] Users = ["a", "b", "c", "n1", "n2", "n3", "n4", "n5", "n6"];

    /// <summary>Everything the runtime decided: sends, journey states, memberships, dues, merges.</summary>
    private static List<string> Run(bool oneByOne)
    {
        using var f = new LiveFixture(Schema, Main);
        using var live = f.Open();
        var lines = new List<string>();
        Assert.Equal("accepted,accepted,accepted", LiveFixture.Statuses(live.IngestProfiles(LiveFixture.Json(Seed))));
        Assert.Equal("accepted,accepted", LiveFixture.Statuses(live.IngestEvents(LiveFixture.Json(Orders))));
        var statuses = oneByOne
            ? [.. Batch.SelectMany(p => live.IngestProfiles(LiveFixture.Json("[" + p + "]")))]
            : live.IngestProfiles(LiveFixture.Json("[" + string.Join(",", Batch) + "]"));
        lines.Add("statuses " + LiveFixture.Statuses(statuses));
        lines.AddRange(statuses.Where(r => r.Reason is not null).Select(r => "reason " + r.Reason));
        foreach (var user in Users)
            lines.Add($"members {user} vip={live.Store.Membership("vip", user)} buyer={live.Store.Membership("buyer", user)}");
        Assert.Equal("accepted,accepted", LiveFixture.Statuses(live.IngestEvents(LiveFixture.Json(Later))));
        lines.AddRange(live.Store.OutboxEntries(null, 1000).OrderBy(e => e.Seq).Select(e => $"send {e.Channel} {e.Line}"));
        lines.AddRange(live.Store.AllStates().Select(s => $"state {s.Journey} {s.User} active={s.State.Active} entries={s.State.Entries}")
            .Order(StringComparer.Ordinal));
        lines.AddRange(live.Store.SegmentDues().Select(d => $"due {d.User} {d.Due}").Order(StringComparer.Ordinal));
        lines.AddRange(live.Store.IdentityMerges().Select(m => $"merge {m}"));
        lines.AddRange(live.Store.JourneyEnds().Select(e => $"end {e}"));
        lines.Add($"segment evaluations {live.SegmentEvaluations}");
        return lines;
    }

    [Fact]
    public void A_batch_of_profiles_gives_the_memberships_and_sends_of_the_same_profiles_one_by_one()
    {
        var batch = Run(oneByOne: false);
        var single = Run(oneByOne: true);
        Assert.Equal(single, batch);
        // What both decided: a enters buyer by its order before the batch; a, c (by the merge) and n5 (by the merge in the batch) enter vip; b and
        // n3 (its second profile) leave it; a new user's first evaluation fires nothing, so n2's
        // later order enters buyer while n1, a buyer from its profile on, gets nothing.
        var sends = batch.Where(l => l.StartsWith("send ", StringComparison.Ordinal)).ToList();
        Assert.Equal(7, sends.Count);
        var expected = new[] { ("a", "buyer"), ("a", "vip"), ("b", "bye"), ("n3", "bye"), ("c", "vip"), ("n5", "vip"), ("n2", "buyer") };
        foreach (var (user, message) in expected)
            Assert.Single(sends, l => l.Contains($"\"{user}\"", StringComparison.Ordinal) && l.Contains($"\"{message}\"", StringComparison.Ordinal));
        Assert.Contains("members n1 vip=True buyer=True", batch);
        Assert.Contains("members n2 vip=False buyer=False", batch);
    }
}
