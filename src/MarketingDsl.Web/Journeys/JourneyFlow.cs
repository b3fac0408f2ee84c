using System.Globalization;
using MarketingDsl.Core;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Core.Syntax;
using MarketingDsl.Core.Text;
using MarketingDsl.Engine.Simulation;
using MarketingDsl.Web.Compiling;

namespace MarketingDsl.Web.Journeys;

/// <summary>One line of a journey's header (trigger, audience, re-entry, goal, holdout): what it says and where.</summary>
public sealed record FlowClause(string Text, SourcePlace? Place);

/// <summary>
/// One step of a journey as the page draws it. Kind: wait · wait_until · send · if · split · exit.
/// Text is the step as one line of DSL; the other members are set for their kinds only.
/// </summary>
public sealed record FlowStep(string Kind, string Text, SourcePlace Place)
{
    public string? Duration { get; init; }
    public string? Until { get; init; }
    public string? Where { get; init; }
    public string? Channel { get; init; }
    public string? Template { get; init; }
    public string? Offer { get; init; }
    /// <summary>A send's `items:` as written (what list travels with each message).</summary>
    public string? Items { get; init; }
    public string? Condition { get; init; }
    public IReadOnlyList<FlowStep>? Then { get; init; }
    public IReadOnlyList<FlowStep>? Else { get; init; }
    public string? Name { get; init; }
    public string? WinnerAfter { get; init; }
    public IReadOnlyList<FlowBranch>? Branches { get; init; }
}

public sealed record FlowBranch(decimal Percent, IReadOnlyList<FlowStep> Steps);

/// <summary>The view of one journey: its header and its step tree.</summary>
public sealed record JourneyFlowView(string Name, string? Label, SourcePlace? Place, string TriggerKind, FlowClause Trigger,
    FlowClause? Audience, FlowClause Reentry, FlowClause? Goal, FlowClause? Holdout, IReadOnlyList<FlowStep> Steps);

/// <summary>
/// Builds the journey views of the editor page from the semantic model (what the journey
/// machine runs), with conditions shown as written and every part linked to its source line
/// (header clauses through the journey's syntax, steps through their bound locations).
/// </summary>
public static class JourneyFlow
{
    public static IReadOnlyList<JourneyFlowView> Build(Compilation compilation) =>
        [.. compilation.Model.Journeys.Select(j => Build(compilation, j))];

    public static JourneyFlowView Build(Compilation compilation, JourneySymbol journey)
    {
        var syntax = DeclarationOf(compilation, journey);
        var file = journey.Location?.File ?? new SourceText("", "");
        SourcePlace? PlaceOf<T>() where T : JourneyPropertySyntax =>
            syntax?.Properties.OfType<T>().FirstOrDefault() is { } p ? Place(file, p.Span.Start) : null;

        var (triggerKind, triggerText) = journey.Trigger switch
        {
            BoundEventTrigger e => ("event", e.Event.Name + Where(e.Where, file)),
            BoundCalendarTrigger c => ("schedule", $"every {(c.Weekday is { } d ? DayName(d) : "day")} at {c.AtMinute / 60:00}:{c.AtMinute % 60:00}"),
            BoundIntervalTrigger i => ("schedule", "every " + Duration(i.IntervalTicks)),
            BoundSegmentTrigger s => ("segment", $"{(s.Enters ? "enters" : "leaves")} segment {s.Segment.Name}"),
            _ => ("none", "(no trigger)"),
        };
        var reentry = journey.Reentry switch
        {
            { Always: true } => "always",
            { WindowTicks: { } w } => "once per " + Duration(w),
            _ => "once",
        };
        return new JourneyFlowView(
            journey.Name, journey.Label,
            journey.Location is { } l ? Place(l.File, l.Span.Start) : null,
            triggerKind, new FlowClause(triggerText, PlaceOf<TriggerPropertySyntax>()),
            journey.Audience is { } a ? new FlowClause(Written(a, file), PlaceOf<AudiencePropertySyntax>()) : null,
            new FlowClause(reentry, PlaceOf<ReentryPropertySyntax>()),
            journey.Goal is { } g ? new FlowClause($"{g.Event.Name}{Where(g.Where, file)} within {Duration(g.WindowTicks)}",
                PlaceOf<GoalPropertySyntax>()) : null,
            journey.HoldoutPercent > 0 ? new FlowClause(Percent(journey.HoldoutPercent), PlaceOf<HoldoutPropertySyntax>()) : null,
            Steps(journey.Steps, file));
    }

    private static List<FlowStep> Steps(IEnumerable<BoundStep> steps, SourceText file) => [.. steps.Select(s => Step(s, file))];

    private static FlowStep Step(BoundStep step, SourceText file)
    {
        var place = Place(step.Location.File, step.Location.Span.Start);
        switch (step)
        {
            case BoundWait w when w.Until is null:
                return new FlowStep("wait", "wait " + Duration(w.DurationTicks), place) { Duration = Duration(w.DurationTicks) };
            case BoundWait { Until: { } until } w:
                var where = w.UntilWhere is null ? null : Written(w.UntilWhere, file);
                return new FlowStep("wait_until", $"wait {Duration(w.DurationTicks)} until {until.Name}{Where(w.UntilWhere, file)}", place)
                    { Duration = Duration(w.DurationTicks), Until = until.Name, Where = where };
            case BoundSend s:
                return new FlowStep("send", s.Text, place) { Channel = s.Channel.Name, Template = s.Template, Offer = s.Offer, Items = s.ItemsText };
            case BoundIf i:
                return new FlowStep("if", "if " + Written(i.Condition, file), place) { Condition = Written(i.Condition, file),
                    Then = Steps(i.Then, file), Else = Steps(i.Else, file) };
            case BoundSplit s:
                var winner = s.WinnerAfterTicks is { } t ? Duration(t) : null;
                return new FlowStep("split", $"split \"{s.Name}\"{(winner is null ? "" : " winner after " + winner)}", place)
                    { Name = s.Name, WinnerAfter = winner, Branches = [.. s.Branches.Select(b => new FlowBranch(b.Percent, Steps(b.Steps, file)))] };
            default:
                return new FlowStep("exit", "exit", place);
        }
    }

    private static JourneyDeclarationSyntax? DeclarationOf(Compilation compilation, JourneySymbol journey)
    {
        if (journey.Location is not { } location) return null;
        var tree = compilation.SyntaxTrees.FirstOrDefault(t => ReferenceEquals(t.Text, location.File));
        return tree?.Root.Declarations.OfType<JourneyDeclarationSyntax>()
            .FirstOrDefault(d => d.Span.Start <= location.Span.Start && location.Span.Start < d.Span.End);
    }

    /// <summary>A condition as the marketer wrote it (the bound tree keeps the syntax it came from).</summary>
    private static string Written(BoundExpression expression, SourceText file)
    {
        for (BoundExpression? e = expression; e is not null; e = (e as BoundConversion)?.Operand)
            if (e.Syntax is { } syntax && syntax.Span.End <= file.Text.Length) return file.Text.Substring(syntax.Span.Start, syntax.Span.Length);
        return "…";
    }

    private static string Where(BoundExpression? where, SourceText file) => where is null ? "" : " where " + Written(where, file);

    private static string Duration(long ticks) => ValueFormatter.FormatDuration(TimeSpan.FromTicks(ticks));

    private static string DayName(int weekday) => CultureInfo.InvariantCulture.DateTimeFormat.GetDayName((DayOfWeek)(weekday % 7)).ToLowerInvariant();

    private static string Percent(decimal percent) => percent.ToString("0.##", CultureInfo.InvariantCulture) + "%";

    private static SourcePlace Place(SourceText file, int offset)
    {
        var position = file.GetPosition(offset);
        return new SourcePlace(file.Path, position.Line, position.Column);
    }
}
