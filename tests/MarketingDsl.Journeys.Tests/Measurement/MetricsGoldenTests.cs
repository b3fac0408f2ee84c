using System.Globalization;
using System.Text;
using MarketingDsl.Journeys.Measurement;

namespace MarketingDsl.Journeys.Tests.Measurement;

/// <summary>
/// The metrics engine's output, byte for byte, on a fixed pseudo-random stream of measurement
/// events in three zones (UTC; America/New_York across a daylight-saving change; Asia/Kolkata at
/// +05:30) with default and narrowed attribution: every kind of event, held-out entries, nested
/// splits and arrivals a winner took, conversions shared by two journeys, events of a journey the
/// workspace does not declare, and live-style string copies instead of shared instances. The golden
/// files hold the engine's output; a change of the engine that is meant to change the output
/// regenerates them with `MDSL_UPDATE_BASELINES=1 dotnet test tests/MarketingDsl.Journeys.Tests -c Release
/// --filter MetricsGolden` and the diff is reviewed.
/// </summary>
public sealed class MetricsGoldenTests
{
    private const string Main = """
        channel push { cost: 0.01 }
        channel sms { cost: 0.05 }
        channel email { cost: 0.002 }
        journey cart {
          trigger: cart_add
          goal: order within 7d value amount
          holdout: 10%
          steps {
            send push "r"
            split "copy" winner after 3d {
              40%: send sms "a"
              30%: { send push "b"  send email "b2" }
              30%: split "inner" { 50%: send email "c"  50%: send sms "d" }
            }
          }
        }
        journey welcome { trigger: login  goal: order within 3d  steps { send email "hello"  send push "again" } }
        """;

    public static TheoryData<string, string> Cases => new()
    {
        { "UTC", "default" },
        { "America/New_York", "default" },
        { "Asia/Kolkata", "narrow" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Results_are_unchanged_on_a_fixed_stream(string zoneId, string attribution)
    {
        var compilation = MarketingDsl.Core.Compilation.Create(("schema.mdsl", JourneyScenario.Schema), ("main.mdsl", Main));
        Assert.False(compilation.HasErrors);
        var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
        var options = attribution == "narrow"
            ? new AttributionOptions { Window = TimeSpan.FromDays(2), HalfLife = TimeSpan.FromHours(30) }
            : AttributionOptions.Default;
        var events = Stream(seed: 16);
        var results = JourneyMetrics.Compute(compilation.Model.Journeys, events, zone, options);
        var text = new StringBuilder();
        foreach (var journey in new[] { "cart", "welcome" })
            text.Append(ResultsJson.Document(results[journey], new DateTime(Start, DateTimeKind.Utc),
                new DateTime(Start, DateTimeKind.Utc).AddDays(40), zone)).Append('\n');
        var path = MarketingDsl.Testing.RepoRoot.Combine("tests", "MarketingDsl.Journeys.Tests", "Measurement", "Golden",
            $"metrics-{zoneId.Replace('/', '_')}-{attribution}.json");
        if (Environment.GetEnvironmentVariable("MDSL_UPDATE_BASELINES") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, text.ToString());
        }
        var expected = File.ReadAllText(path);
        Assert.True(expected == text.ToString(), $"{path} differs from the engine's output (regenerate with MDSL_UPDATE_BASELINES=1 "
            + "and review the diff)");
    }

    private static readonly long Start = new DateTime(2025, 3, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;

    /// <summary>A deterministic stream in time order (ties in generation order), as replay and the live store give it.</summary>
    internal static List<MeasureEvent> Stream(int seed, int entries = 2500)
    {
        var random = new Random(seed);
        var events = new List<MeasureEvent>();
        // Fresh string instances, as rows read from the live store are.
        string S(string s) => new(s.AsSpan());
        long Minutes(int m) => m * TimeSpan.TicksPerMinute;
        for (var i = 0; i < entries; i++)
        {
            var user = S("u" + random.Next(entries / 2).ToString("D4", CultureInfo.InvariantCulture));
            var at = Start + Minutes(random.Next(30 * 24 * 60));
            var journey = random.Next(4) == 0 ? "welcome" : "cart";
            switch (random.Next(12))
            {
                case 0:
                    events.Add(new MeasureEvent(S(journey), user, at, MeasureKind.Suppressed)
                        { Reason = S(new[] { "audience", "reentry", "already_in" }[random.Next(3)]), EntryAt = at });
                    continue;
                case 1:
                    // A journey this workspace does not declare: left out of the results, its sends still credit conversions.
                    events.Add(new MeasureEvent(S("retired"), user, at, MeasureKind.Sent) { EntryAt = at, Channel = S("sms"), Step = S("0"),
                        Cost = 0.05m });
                    continue;
            }
            var heldOut = random.Next(10) == 0;
            events.Add(new MeasureEvent(S(journey), user, at, MeasureKind.Entered) { HeldOut = heldOut, EntryAt = at });
            var sends = new List<(string Channel, string Step, decimal Cost, string? Split, int Branch)>();
            var branches = new SortedDictionary<string, int>(StringComparer.Ordinal);
            if (journey == "welcome") sends.AddRange([("email", "0", 0.002m, null, 0), ("push", "1", 0.01m, null, 0)]);
            else
            {
                sends.Add(("push", "0", 0.01m, null, 0));
                var branch = random.Next(10) switch { < 4 => 0, < 7 => 1, _ => 2 };
                var byWinner = at > Start + 20 * TimeSpan.TicksPerDay && random.Next(3) == 0;
                events.Add(new MeasureEvent(S(journey), user, at, MeasureKind.Assigned)
                    { HeldOut = heldOut, EntryAt = at, Split = S("copy"), Branch = branch, Reason = byWinner ? S(MeasureEvents.ByWinner) : null });
                branches["copy"] = branch;
                if (branch == 0) sends.Add(("sms", "1.0.0", 0.05m, "copy", 0));
                else if (branch == 1) sends.AddRange([("push", "1.1.0", 0.01m, "copy", 1), ("email", "1.1.1", 0.002m, "copy", 1)]);
                else
                {
                    var inner = random.Next(2);
                    events.Add(new MeasureEvent(S(journey), user, at, MeasureKind.Assigned)
                        { HeldOut = heldOut, EntryAt = at, Split = S("inner"), Branch = inner });
                    branches["inner"] = inner;
                    sends.Add(inner == 0 ? ("email", "1.2.0.0", 0.002m, "inner", 0) : ("sms", "1.2.0.1", 0.05m, "inner", 1));
                }
            }
            var t = at;
            foreach (var (channel, step, cost, split, b) in sends)
            {
                t += Minutes(random.Next(0, 600));
                var common = new MeasureEvent(S(journey), user, t, MeasureKind.Sent)
                    { EntryAt = at, Channel = S(channel), Step = S(step), Split = split is null ? null : S(split), Branch = b };
                if (heldOut) { events.Add(common with { Kind = MeasureKind.HeldOutSend, HeldOut = true }); continue; }
                var fate = random.Next(20);
                if (fate == 0) { events.Add(common with { Kind = MeasureKind.Capped }); continue; }
                if (fate == 1)
                {
                    events.Add(common with { Kind = MeasureKind.Deferred });
                    t += Minutes(random.Next(60, 600));
                    common = common with { At = t };
                }
                events.Add(common with { Cost = cost });
                var feedback = random.Next(10);
                if (feedback == 0) events.Add(common with { Kind = MeasureKind.Failed, At = t + Minutes(1) });
                if (feedback >= 3) events.Add(common with { Kind = MeasureKind.Delivered, At = t + Minutes(1) });
                if (feedback >= 5) events.Add(common with { Kind = MeasureKind.Opened, At = t + Minutes(random.Next(2, 3000)) });
                if (feedback >= 8) events.Add(common with { Kind = MeasureKind.Clicked, At = t + Minutes(random.Next(3000, 4000)) });
            }
            if (random.Next(3) == 0)
            {
                // At the instant of the last send now and then: a send at the conversion's instant is a touch.
                var converted = t + (random.Next(8) == 0 ? 0 : Minutes(random.Next(1, 5 * 24 * 60)));
                var revenue = random.Next(3) == 0 ? 0m : random.Next(100, 90000) / 100m;
                events.Add(new MeasureEvent(S(journey), user, converted, MeasureKind.Converted)
                    { HeldOut = heldOut, EntryAt = at, Revenue = revenue, Branches = MeasureEvent.FormatBranches(branches) });
                // The same goal event converting the user's entry of the other journey: one conversion for attribution.
                if (random.Next(4) == 0)
                    events.Add(new MeasureEvent(S(journey == "cart" ? "welcome" : "cart"), user, converted, MeasureKind.Converted)
                        { EntryAt = at, Revenue = revenue });
            }
        }
        return [.. events.Select((e, i) => (e, i)).OrderBy(x => x.e.At).ThenBy(x => x.i).Select(x => x.e)];
    }
}
