using MarketingDsl.Core.Semantics;

namespace MarketingDsl.Journeys;

/// <summary>An expression a journey evaluates: a condition over the user, a `where:` over an event of <see cref="Event"/>, or a
/// value (a send's `items:` list).</summary>
public readonly record struct JourneyExpression(BoundExpression Expression, JourneyExpressionKind Kind, EventTypeSymbol? Event = null);

public enum JourneyExpressionKind { Condition, Predicate, Value }

/// <summary>What a journey evaluates and, through <see cref="ExpressionInputs"/>, what that reads.</summary>
public static class JourneyInputs
{
    /// <summary>
    /// Every expression of the journey: the audience, the trigger's, goal's and waits' `where:`
    /// predicates, the `if` conditions and the sends' `items:`, in source order. A segment
    /// trigger's segment is not among them: the runtime tracks it apart (<see cref="SegmentInputs"/>).
    /// </summary>
    public static IEnumerable<JourneyExpression> Expressions(JourneySymbol journey)
    {
        if (journey.Trigger is BoundEventTrigger { Where: { } where } trigger)
            yield return new(where, JourneyExpressionKind.Predicate, trigger.Event);
        if (journey.Audience is { } audience) yield return new(audience, JourneyExpressionKind.Condition);
        if (journey.Goal is { Where: { } goalWhere } goal) yield return new(goalWhere, JourneyExpressionKind.Predicate, goal.Event);
        foreach (var (_, step, _) in StepPath.Walk(journey.Steps))
            switch (step)
            {
                case BoundIf branch:
                    yield return new(branch.Condition, JourneyExpressionKind.Condition);
                    break;
                case BoundWait { Until: { } until, UntilWhere: { } untilWhere }:
                    yield return new(untilWhere, JourneyExpressionKind.Predicate, until);
                    break;
                case BoundSend { Items: { } items }:
                    yield return new(items, JourneyExpressionKind.Value);
                    break;
            }
    }

    /// <summary>
    /// The event types the journey's expressions read (a user's other events cannot change what the journey decides for
    /// them); null when they may read any type (<see cref="ExpressionInputs.ReadsEveryEvent"/>).
    /// </summary>
    public static IReadOnlySet<EventTypeSymbol>? EventTypesRead(JourneySymbol journey)
    {
        var inputs = ExpressionInputs.Of(Expressions(journey).Select(e => e.Expression));
        return inputs.ReadsEveryEvent ? null : inputs.EventSet;
    }

    /// <summary>
    /// Of <see cref="EventTypesRead"/>, the types of which the audience reads no declared field (`count(login, within: 30d)`,
    /// `last(login.ts)`, or none at all): a schedule's fan-out evaluates its audience over their events' times alone. Empty
    /// when the journey may read any type.
    /// </summary>
    public static IReadOnlySet<EventTypeSymbol> EventTypesReadForTimeByAudience(JourneySymbol journey)
    {
        if (EventTypesRead(journey) is not { } read) return new HashSet<EventTypeSymbol>();
        return read.Except(journey.Audience is { } audience ? ExpressionInputs.Of([audience]).FieldsRead : []).ToHashSet();
    }
}
