using MarketingDsl.Core.Semantics;

namespace MarketingDsl.Journeys.Measurement;

/// <summary>
/// What happened at one step (by path): who reached it, treated and held out; an `if`'s arrivals per
/// block ([then, else, neither]) or a split's per branch; how its waits ended ([event, timeout,
/// converted]; the rest are still waiting); and the treated entries that converted after reaching it.
/// A send's outcomes are its slice of the funnel (<see cref="JourneyResults.ByStep"/>).
/// </summary>
public sealed class StepCounts(string path, BoundStep step)
{
    public string Path { get; } = path;
    public BoundStep Step { get; } = step;
    public long Reached { get; internal set; }
    public long ReachedHeldOut { get; internal set; }
    public long ConvertedAfter { get; internal set; }
    public long[] Branches { get; } = new long[step switch { BoundIf => 3, BoundSplit s => s.Branches.Length, _ => 0 }];
    public long[] WaitEnds { get; } = new long[step is BoundWait ? 3 : 0];
    /// <summary>Reached and not ended in the window (a window that starts late can hold ends of earlier arrivals).</summary>
    public long Waiting => Math.Max(0, Reached - WaitEnds.Sum());

    public static string WaitEndName(WaitEnd end) => end switch
    {
        WaitEnd.Event => "event",
        WaitEnd.Timeout => "timeout",
        _ => "converted",
    };

    public static string ExitName(ExitReason reason) => reason switch
    {
        ExitReason.EndOfSteps => "end_of_steps",
        ExitReason.ExitStep => "exit_step",
        _ => "converted",
    };
}

/// <summary>
/// The per-step counts of one journey in source order, and how its users left it (converted, at the
/// end of the steps, at an `exit`), from the <see cref="MeasureKind.Reached"/>, <see cref="MeasureKind.WaitEnded"/>,
/// <see cref="MeasureKind.Exited"/> and conversion events: the canvas's counts, live and replayed alike.
/// </summary>
public sealed class StepTable
{
    private readonly Dictionary<string, StepCounts> _byPath = new(StringComparer.Ordinal);
    // The steps each treated entry reached so far, until it converts.
    private readonly Dictionary<(string User, long EntryAt), List<StepCounts>> _reachedBy = [];

    public StepTable(JourneySymbol journey)
    {
        Steps = [.. StepPath.Walk(journey.Steps).Select(p => new StepCounts(p.Path, p.Step))];
        foreach (var s in Steps) _byPath[s.Path] = s;
    }

    public IReadOnlyList<StepCounts> Steps { get; }
    public SortedDictionary<string, long> Exited { get; } =
        new(StringComparer.Ordinal) { ["converted"] = 0, ["end_of_steps"] = 0, ["exit_step"] = 0 };

    internal void Add(MeasureEvent e)
    {
        switch (e.Kind)
        {
            case MeasureKind.Reached when e.Step is { } path && _byPath.TryGetValue(path, out var step):
                step.Reached++;
                if (e.HeldOut) step.ReachedHeldOut++;
                if (step.Branches.Length > 0) step.Branches[e.Branch >= 0 && e.Branch < step.Branches.Length ? e.Branch : step.Branches.Length - 1]++;
                if (!e.HeldOut)
                {
                    if (!_reachedBy.TryGetValue((e.User, e.EntryAt), out var reached)) _reachedBy[(e.User, e.EntryAt)] = reached = [];
                    if (!reached.Contains(step)) reached.Add(step);
                }
                break;
            case MeasureKind.WaitEnded when e.Step is { } path && _byPath.TryGetValue(path, out var wait) && wait.WaitEnds.Length == 3:
                wait.WaitEnds[e.Reason switch { "event" => 0, "timeout" => 1, _ => 2 }]++;
                break;
            case MeasureKind.Exited when e.Reason is { } reason:
                Exited[reason] = Exited.GetValueOrDefault(reason) + 1;
                break;
            case MeasureKind.Converted when !e.HeldOut && _reachedBy.Remove((e.User, e.EntryAt), out var before):
                foreach (var s in before) s.ConvertedAfter++;
                break;
        }
    }
}
