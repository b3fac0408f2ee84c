using System.Collections.Immutable;

namespace MarketingDsl.Core.Semantics;

public abstract record BoundTrigger;
public sealed record BoundEventTrigger(EventTypeSymbol Event, BoundExpression? Where) : BoundTrigger;
/// <summary>`every day at 10:00` (Weekday null) or `every monday at 10:00` (ISO weekday 1–7), local time.</summary>
public sealed record BoundCalendarTrigger(int? Weekday, int AtMinute) : BoundTrigger;
public sealed record BoundIntervalTrigger(long IntervalTicks) : BoundTrigger;
public sealed record BoundSegmentTrigger(SegmentSymbol Segment, bool Enters) : BoundTrigger;

/// <summary>Re-entry: Always (when not in the journey), Once (ever), or once per window.</summary>
public sealed record BoundReentry(bool Always, long? WindowTicks);

/// <summary>A journey's goal; <see cref="ValueField"/> (a number field of the goal event, `value FIELD`) is a conversion's revenue.</summary>
public sealed record BoundGoal(EventTypeSymbol Event, BoundExpression? Where, long WindowTicks, FieldSymbol? ValueField = null);

public abstract record BoundStep(SymbolLocation Location);
public sealed record BoundWait(long DurationTicks, EventTypeSymbol? Until, BoundExpression? UntilWhere, SymbolLocation Location)
    : BoundStep(Location);
/// <summary>A send; <see cref="Items"/> (`items: picks.items`, a list) is evaluated for the user when the message goes and travels with it.</summary>
public sealed record BoundSend(ChannelSymbol Channel, string Template, string? Offer, SymbolLocation Location, BoundExpression? Items = null)
    : BoundStep(Location)
{
    /// <summary>The `items:` expression as written (null without one).</summary>
    public string? ItemsText => Items?.Syntax is { } syntax ? Location.File.ToString(syntax.Span).ReplaceLineEndings(" ") : null;

    /// <summary>The step as reports and the editor show it: `send CH "template" [offer "o"] [items: EXPR]`.</summary>
    public string Text => $"send {Channel.Name} \"{Template}\""
        + (Offer is null ? "" : $" offer \"{Offer}\"")
        + (ItemsText is { } items ? $" items: {items}" : "");
}
public sealed record BoundIf(BoundExpression Condition, ImmutableArray<BoundStep> Then, ImmutableArray<BoundStep> Else, SymbolLocation Location)
    : BoundStep(Location);
public sealed record BoundSplitBranch(decimal Percent, ImmutableArray<BoundStep> Steps);
public sealed record BoundSplit(string Name, long? WinnerAfterTicks, ImmutableArray<BoundSplitBranch> Branches, SymbolLocation Location)
    : BoundStep(Location);
public sealed record BoundExit(SymbolLocation Location) : BoundStep(Location);

public sealed class JourneySymbol(string name, SymbolLocation? location) : Symbol(name, SymbolKind.Journey, location)
{
    public BoundTrigger? Trigger { get; internal set; }
    public BoundExpression? Audience { get; internal set; }
    public BoundReentry Reentry { get; internal set; } = new(true, null);
    public BoundGoal? Goal { get; internal set; }
    public decimal HoldoutPercent { get; internal set; }
    public ImmutableArray<BoundStep> Steps { get; internal set; } = [];
}
