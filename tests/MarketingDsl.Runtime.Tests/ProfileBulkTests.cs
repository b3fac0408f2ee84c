using System.Globalization;

namespace MarketingDsl.Runtime.Tests;

/// <summary>
/// A batch of profiles reads the stored events of its new users in a few statements (up to 64
/// users each) for their first segment evaluations: with events stored before the profiles (orphans),
/// for more users than one statement takes, it gives the memberships, dues and sends that the
/// same profiles give one by one.
/// </summary>
public sealed class ProfileBulkTests
{
    private const string Schema = """
        schema {
          profile { user_id: string key, level: int? }
          event order { order_id: string unique, amount: decimal? }
        }
        """;

    private const string Main = """
        tag orders_7d = count(order, within: 7d)
        segment buyer = orders_7d >= 2
        segment vip = level >= 2 and orders_7d >= 1
        channel push { cost: 0 }
        journey enter_buyer { trigger: enters segment buyer  steps { send push "buyer" } }
        journey leave_buyer { trigger: leaves segment buyer  steps { send push "bye" } }
        journey enter_vip { trigger: enters segment vip  steps { send push "vip" } }
        """;

    private const int UserCount = 87;   // one full statement of LiveStore.UsersPerRead and one part-filled

    private static string U(int i) => "u" + i.ToString("000", CultureInfo.InvariantCulture);

    private static List<string> Run(bool oneByOne)
    {
        using var f = new LiveFixture(Schema, Main);
        using var live = f.Open();
        // Orders before the profiles (orphans): user i has i % 4 of them, on days 1–3.
        var orders = new List<string>();
        for (var i = 0; i < UserCount; i++)
            for (var k = 0; k < i % 4; k++)
                orders.Add($$"""{"type":"order","user_id":"{{U(i)}}","ts":"2025-03-0{{k + 1}}T10:00:00Z",""" +
                           $"\"order_id\":\"o{i}-{k}\",\"amount\":{k + 1}}}");
        Assert.All(live.IngestEvents(LiveFixture.Json("[" + string.Join(",", orders) + "]")), r => Assert.Equal(IngestResult.Accepted, r.Status));
        var profiles = Enumerable.Range(0, UserCount).Select(i => $$"""{"user_id":"{{U(i)}}","level":{{i % 3}}}""").ToList();
        var statuses = oneByOne
            ? [.. profiles.SelectMany(p => live.IngestProfiles(LiveFixture.Json("[" + p + "]")))]
            : live.IngestProfiles(LiveFixture.Json("[" + string.Join(",", profiles) + "]"));
        Assert.All(statuses, r => Assert.Equal(IngestResult.Accepted, r.Status));
        var lines = new List<string>();
        for (var i = 0; i < UserCount; i++)
            lines.Add($"members {U(i)} buyer={live.Store.Membership("buyer", U(i))} vip={live.Store.Membership("vip", U(i))}");
        // Later orders and the week passing: memberships move from what the first evaluations established.
        var later = Enumerable.Range(0, UserCount).Where(i => i % 5 == 0)
            .Select(i => $$"""{"type":"order","user_id":"{{U(i)}}","ts":"2025-03-04T10:00:00Z","order_id":"p{{i}}","amount":3}""")
            .Append("""{"type":"order","user_id":"u000","ts":"2025-03-12T10:00:00Z","order_id":"late","amount":1}""");
        live.IngestEvents(LiveFixture.Json("[" + string.Join(",", later) + "]"));
        // The late order's eight 00:00 checks may run in several slices (by time on a busy machine): wait for the last.
        Assert.True(SpinWait.SpinUntil(() => !live.TimerBacklog, TimeSpan.FromMinutes(1)), "due timer work left after a minute");
        lines.AddRange(live.Store.OutboxEntries(null, 10_000).OrderBy(e => e.Seq).Select(e => $"send {e.Channel} {e.Line}"));
        lines.AddRange(live.Store.SegmentDues().Select(d => $"due {d.User} {d.Due}").Order(StringComparer.Ordinal));
        return lines;
    }

    [Fact]
    public void A_batch_of_profiles_with_earlier_events_gives_what_the_profiles_one_by_one_give()
    {
        var batch = Run(oneByOne: false);
        Assert.Equal(Run(oneByOne: true), batch);
        // The first evaluations saw the orphans: users with 2 or 3 earlier orders are buyers from their profile on.
        Assert.Contains("members u002 buyer=True vip=True", batch);
        Assert.Contains("members u003 buyer=True vip=False", batch);
        Assert.Contains("members u001 buyer=False vip=False", batch);
        Assert.Contains(batch, l => l.StartsWith("send ", StringComparison.Ordinal));
    }
}
