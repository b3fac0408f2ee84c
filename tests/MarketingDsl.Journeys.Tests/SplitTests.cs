using MarketingDsl.Core.Semantics;

namespace MarketingDsl.Journeys.Tests;

public sealed class SplitTests
{
    private const string From = "2025-06-01T00:00:00Z";
    private const string To = "2025-06-10T00:00:00Z";

    [Fact]
    public void Bucket_is_sha256_prefix_big_endian()
    {
        Assert.Equal(15345318224298365598UL, StableBucket.Raw("u1", "j", ""));
        Assert.Equal(11493878922105857055UL, StableBucket.Raw("u0000001", "cart_recovery", "copy_test"));
        Assert.Equal(Hashing.Bucket("用户", "旅程", "#1"), StableBucket.Of("用户", "旅程", "#1"));
    }

    [Fact]
    public void Branch_shares_are_within_one_percent_at_100k_users()
    {
        decimal[] shares = [50m, 30m, 20m];
        var counts = new int[3];
        for (var i = 0; i < 100_000; i++) counts[StableBucket.Branch(StableBucket.Raw($"user{i}", "journey", "copy"), shares)]++;
        for (var b = 0; b < 3; b++) Assert.InRange(counts[b] / 100_000m, shares[b] / 100 - 0.01m, shares[b] / 100 + 0.01m);
        var held = Enumerable.Range(0, 100_000).Count(i => StableBucket.Below(StableBucket.Raw($"user{i}", "journey", ""), 10m));
        Assert.InRange(held / 100_000m, 0.09m, 0.11m);
    }

    [Fact]
    public void Below_compares_exactly_at_the_boundary()
    {
        Assert.True(StableBucket.Below(0, 0.000001m));
        Assert.False(StableBucket.Below(0, 0m));
        Assert.True(StableBucket.Below(ulong.MaxValue, 100m));
        Assert.False(StableBucket.Below(9223372036854775808UL, 50m)); // exactly 0.5
        Assert.True(StableBucket.Below(9223372036854775807UL, 50m));
    }

    [Fact]
    public void Below_agrees_with_the_definition_in_big_integers()
    {
        // The definition: u · 10^8 < truncate(percent · 10^6) · 2^64, in integers without bounds.
        static bool Definition(ulong raw, decimal percent) =>
            (System.Numerics.BigInteger)raw * 100_000_000 < new System.Numerics.BigInteger(decimal.Truncate(percent * 1_000_000m)) << 64;
        var random = new Random(20);
        decimal[] edges = [0m, 0.0000001m, 0.000001m, 1m, 10m, 33.333333m, 50m, 99.999999m, 100m, 100.000001m, 1_000_000_000_000m, -1m];
        ulong[] raws = [0, 1, 9223372036854775807UL, 9223372036854775808UL, ulong.MaxValue - 1, ulong.MaxValue];
        foreach (var percent in edges)
            foreach (var raw in raws) Assert.Equal(Definition(raw, percent), StableBucket.Below(raw, percent));
        for (var i = 0; i < 100_000; i++)
        {
            var raw = (ulong)random.NextInt64() << 1 | (uint)random.Next(2);
            var percent = Math.Round((decimal)random.NextDouble() * 100m, random.Next(0, 8));
            Assert.Equal(Definition(raw, percent), StableBucket.Below(raw, percent));
        }
    }

    private const string SplitJourney = """
        channel push { cost: 0 }
        journey s {
          trigger: cart_add
          steps {
            split { 50%: send push "a"  50%: send push "b" }
            if level >= 1 {
              split "named" { 30%: send push "c"  70%: send push "d" }
            }
            split { 10%: send push "e"  90%: exit }
          }
        }
        """;

    [Fact]
    public void Unnamed_splits_are_numbered_in_source_order()
    {
        var s = new JourneyScenario(SplitJourney);
        var names = JourneyMachine.Splits(s.Model.Journeys.Single().Steps).Select(x => x.Name);
        Assert.Equal(["#1", "named", "#3"], names);
    }

    [Fact]
    public void Assignment_follows_the_bucket_and_is_stable_across_runs()
    {
        var s = new JourneyScenario(SplitJourney);
        var users = Enumerable.Range(1, 30).Select(i => $"u{i}").ToArray();
        foreach (var u in users) s.Profile(u, level: 1).Event("cart_add", u, "2025-06-01T10:00:00Z", 1m);
        s.Replay(From, To);
        var first = s.Actions.OfType<SplitAssignedAction>().Select(a => (a.User.Id, a.Split.Name, a.Branch)).ToList();
        s.Replay(From, To);
        var second = s.Actions.OfType<SplitAssignedAction>().Select(a => (a.User.Id, a.Split.Name, a.Branch)).ToList();
        Assert.Equal(first, second);
        Assert.Equal(90, first.Count);
        foreach (var (user, split, branch) in first)
        {
            var bucket = Hashing.Bucket(user, "s", split);
            var expected = split switch
            {
                "named" => bucket < 0.3m ? 0 : 1,
                "#1" => bucket < 0.5m ? 0 : 1,
                _ => bucket < 0.1m ? 0 : 1,
            };
            Assert.Equal(expected, branch);
        }
        // The branch that exits ends the journey there; the other reaches the end.
        Assert.Equal(first.Count(f => f.Name == "#3" && f.Branch == 1), s.Actions.OfType<ExitedAction>().Count(e => e.Reason == ExitReason.ExitStep));
    }

    [Fact]
    public void Winner_after_sends_every_later_arrival_to_the_best_branch_once_the_difference_is_significant()
    {
        var s = new JourneyScenario("""
            channel push { cost: 0 }
            journey w {
              trigger: cart_add
              reentry: always
              goal: order within 1d
              steps { split "t" winner after 2d { 50%: send push "a"  50%: send push "b" } }
            }
            """);
        // 40 users: all of branch 2 convert, none of branch 1 — significant under the sequential test.
        var users = Enumerable.Range(1, 40).Select(i => $"u{i}").ToArray();
        s.Users(users);
        var branchOf = users.ToDictionary(u => u, u => Hashing.Bucket(u, "w", "t") < 0.5m ? 0 : 1);
        Assert.Contains(0, branchOf.Values);
        Assert.Contains(1, branchOf.Values);
        foreach (var u in users)
        {
            s.Event("cart_add", u, "2025-06-01T10:00:00Z", 1m);
            if (branchOf[u] == 1) s.Event("order", u, "2025-06-01T12:00:00Z");  // branch 2 converts, branch 1 does not
            s.Event("cart_add", u, "2025-06-04T10:00:00Z", 1m);                 // after the decision
        }
        var stats = s.Replay(From, To);
        var trace = s.Actions.Select(JourneyScenario.Describe).OfType<string>().ToList();
        Assert.Contains("2025-06-03 10:00 w winner t → 2", trace);
        var later = s.Actions.OfType<SplitAssignedAction>().Where(a => a.At > JourneyScenario.Instant("2025-06-03T10:00:00Z").Ticks).ToList();
        Assert.Equal(40, later.Count);
        Assert.All(later, a => Assert.True(a.Branch == 1 && a.ByWinner));
        var split = stats.Journeys.Single().Machine.SplitStates["t"];
        Assert.Equal((1, JourneyScenario.Instant("2025-06-03T10:00:00Z").Ticks), (split.Winner!.Value, split.WinnerAt!.Value));
    }

    [Fact]
    public void Winner_is_not_declared_on_noise_the_split_goes_on_and_is_looked_at_daily()
    {
        var s = new JourneyScenario("""
            channel push { cost: 0 }
            journey w {
              trigger: cart_add  reentry: always  goal: order within 1d
              steps { split "t" winner after 1h { 50%: send push "a"  50%: send push "b" } }
            }
            """);
        var users = Enumerable.Range(1, 12).Select(i => $"u{i}").ToArray();
        s.Users(users);
        var branchOf = users.ToDictionary(u => u, u => Hashing.Bucket(u, "w", "t") < 0.5m ? 0 : 1);
        foreach (var u in users)
        {
            s.Event("cart_add", u, "2025-06-01T10:00:00Z", 1m);
            if (branchOf[u] == 1) s.Event("order", u, "2025-06-01T10:30:00Z");  // 6 of 6 against 0 of 6: too few to tell
            s.Event("cart_add", u, "2025-06-03T10:00:00Z", 1m);
        }
        var stats = s.Replay(From, To);
        Assert.Empty(s.Actions.OfType<WinnerChosenAction>());
        var looks = s.Actions.OfType<WinnerKeptSplitAction>().ToList();
        Assert.Equal([JourneyScenario.Instant("2025-06-01T11:00:00Z").Ticks, JourneyScenario.Instant("2025-06-02T11:00:00Z").Ticks],
            looks.Take(2).Select(l => l.At));
        Assert.All(looks, l => Assert.Equal(MarketingDsl.Journeys.Measurement.WinnerReason.NotSignificant, l.Decision.Reason));
        Assert.All(s.Actions.OfType<SplitAssignedAction>(), a => Assert.False(a.ByWinner));
        Assert.Contains("not significant", stats.Journeys.Single().Splits.Single().KeptBecause!.ReasonText);
    }

    [Fact]
    public void Winner_ties_keep_the_split()
    {
        var s = new JourneyScenario("""
            channel push { cost: 0 }
            journey w { trigger: cart_add  goal: order within 1d  steps { split "t" winner after 1h { 50%: send push "a"  50%: send push "b" } } }
            """);
        s.Users("u1", "u2", "u3", "u4");
        foreach (var u in new[] { "u1", "u2", "u3", "u4" }) s.Event("cart_add", u, "2025-06-01T10:00:00Z", 1m);
        s.Replay(From, To);
        Assert.Empty(s.Actions.OfType<WinnerChosenAction>());
        Assert.Equal(MarketingDsl.Journeys.Measurement.WinnerReason.NotSignificant,
            s.Actions.OfType<WinnerKeptSplitAction>().First().Decision.Reason);
    }

    [Fact]
    public void Journey_condition_on_a_population_tag_is_an_error()
    {
        var compilation = MarketingDsl.Core.Compilation.Create(("schema.mdsl", JourneyScenario.Schema), ("main.mdsl", """
            tag level_score = quantile_score(level, 5)
            tag top = level_score >= 4
            channel push { cost: 0 }
            journey j { trigger: login  steps { if top { send push "a" } } }
            """));
        var error = Assert.Single(compilation.Diagnostics, d => d.IsError);
        Assert.Equal("MD3012", error.Code);
        Assert.Contains("'top'", error.Message);
    }
}
