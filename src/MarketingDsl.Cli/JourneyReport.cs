using System.Globalization;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Simulation;
using MarketingDsl.Journeys;
using MarketingDsl.Journeys.Replay;

namespace MarketingDsl.Cli;

/// <summary>The readable summary of a journey replay that `mdsl simulate --from --to` prints.</summary>
public static class JourneyReport
{
    public static void Write(ReplayStatistics s, string path, TimeSpan elapsed, TextWriter o)
    {
        o.WriteLine();
        o.WriteLine($"journeys replayed on history: {ValueFormatter.FormatInstant(s.FromUtc)} < ts ≤ {ValueFormatter.FormatInstant(s.ToUtc)}, " +
                    $"{s.Users:N0} users (days in {s.Zone.Id})");
        foreach (var j in s.Journeys)
        {
            o.WriteLine();
            o.WriteLine($"{j.Journey.Name}{(j.Journey.Label is { } l ? $" \"{l}\"" : "")}");
            o.WriteLine($"  entered {j.Entered:N0} (treated {j.EnteredTreated:N0}, held out {j.EnteredHeldOut:N0}) · " +
                        $"suppressed: audience {j.Suppressed[SuppressionReason.Audience]:N0}, " +
                        $"re-entry {j.Suppressed[SuppressionReason.Reentry]:N0}, already in {j.Suppressed[SuppressionReason.AlreadyIn]:N0}");
            if (j.Journey.Goal is not null)
                o.WriteLine($"  goal: treated {j.ConvertedTreated:N0}/{j.EnteredTreated:N0} = {Percent(j.GoalRateTreated)} · " +
                            $"held out {j.ConvertedHeldOut:N0}/{j.EnteredHeldOut:N0} = {Percent(j.GoalRateHeldOut)}");
            foreach (var split in j.Splits)
            {
                var state = j.Machine.SplitStates[split.Split.Name];
                var winner = split.Split.WinnerAfterTicks is null ? ""
                    : state.Winner is { } w
                        ? $" — winner branch {w + 1} at {ValueFormatter.FormatInstant(new DateTime(state.WinnerAt!.Value, DateTimeKind.Utc))}"
                    : split.KeptBecause is { } kept ? $" — no winner yet: {kept.ReasonText}"
                    : " — no winner yet";
                o.WriteLine($"  split \"{split.Split.Name}\"{winner}");
                for (var b = 0; b < split.Split.Branches.Length; b++)
                {
                    var branch = split.Split.Branches[b];
                    var rate = JourneyStatistics.Rate(split.Converted[b], split.Entered[b]);
                    o.WriteLine($"    {b + 1}. {branch.Percent,3}% {ReplayStatistics.Describe(branch.Steps),-48} " +
                                $"entered {split.Entered[b],7:N0}  converted {split.Converted[b],6:N0}  {Percent(rate)}");
                }
            }
            foreach (var channel in j.Sends.Keys.Select(k => k.Channel).Distinct())
            {
                var t = new int[4];
                foreach (var (key, counts) in j.Sends) if (key.Channel == channel) for (var i = 0; i < 4; i++) t[i] += counts[i];
                o.WriteLine($"  {channel,-10} delivered {t[0],7:N0}  deferred {t[1],6:N0}  capped {t[2],6:N0}  held out {t[3],6:N0}");
            }
            foreach (var step in j.Steps.Where(st => st.Step is BoundSend { Items: not null } && st.ItemsSent.Count > 0))
                o.WriteLine($"  {((BoundSend)step.Step).Template} items most sent: " +
                            string.Join(", ", step.TopItems(5).Select(t => $"{t.Item} ({t.Sends:N0})")));
            o.WriteLine($"  cost {j.Cost.ToString("0.####", CultureInfo.InvariantCulture)}");
        }
        var overlaps = s.Overlaps;
        o.WriteLine();
        o.WriteLine($"overlap: {overlaps.Select(x => x.UserId).Distinct().Count():N0} users reached by two or more journeys " +
                    $"on the same day ({overlaps.Count:N0} user-days)");
        foreach (var (user, day, journeys) in overlaps.Take(3))
            o.WriteLine($"  e.g. {user} on {day:yyyy-MM-dd}: {string.Join(" + ", journeys)}");
        if (s.PendingDeferred > 0) o.WriteLine($"{s.PendingDeferred:N0} deferred sends would go after the window");
        o.WriteLine();
        o.WriteLine($"wrote {path} — replay {elapsed.TotalMilliseconds:N0} ms");
    }

    private static string Percent(decimal? rate) => rate is { } r ? (r * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%" : "–";
}
