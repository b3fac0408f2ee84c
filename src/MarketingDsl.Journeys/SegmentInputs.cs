using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;

namespace MarketingDsl.Journeys;

/// <summary>
/// What a segment's membership reads (LANGUAGE.md §15.7), from the bound model, transitively
/// through the tags, segments and segmentations it refers to: the event types its aggregates
/// read, the backward windows over each, whether it reads the profile, and whether it reads the
/// clock in a way no window edge describes (`now()`, `days_since`, `hours_since`,
/// `years_between`, a forward window, a population `quantile_score`, a model's output). The live
/// runtime re-evaluates a segment only when one of its inputs can have changed: after an event
/// of a type it reads, after a profile change, and when the clock reaches
/// <see cref="NextChange"/>, the earliest instant at which a window edge can flip it.
/// </summary>
public sealed class SegmentInputs
{
    private readonly ExpressionInputs _inputs;

    private SegmentInputs(SegmentSymbol segment)
    {
        Segment = segment;
        Condition = new BoundSymbolReference(segment);
        _inputs = ExpressionInputs.Of([segment.Condition]);
    }

    public SegmentSymbol Segment { get; }
    /// <summary>The segment as a condition: one node for the segment's lifetime (compiled conditions are cached by node identity).</summary>
    public BoundExpression Condition { get; }
    /// <summary>Reads the clock other than through a backward window: may change at any instant.</summary>
    public bool ReadsClock => _inputs.ReadsClock;
    public bool ReadsProfile => _inputs.ReadsProfile;
    public IReadOnlyCollection<EventTypeSymbol> Events => _inputs.Events;

    /// <summary>Whether an event of this type can change the segment (directly or by moving the instant it is evaluated at).</summary>
    public bool Reads(EventTypeSymbol type) => ReadsClock || _inputs.EventSet.Contains(type);

    public static SegmentInputs Of(SegmentSymbol segment) => new(segment);

    /// <summary>
    /// A lower bound of the first instant after <paramref name="t"/> at which the segment can have
    /// another value without another event of the user: an event of a read type enters the view
    /// at its ts (events that arrived late), and leaves a window of length W at ts + W (an aggregate
    /// sees T − W &lt; ts ≤ T). <see cref="long.MaxValue"/>: never; t + 1: at every instant.
    /// </summary>
    public long NextChange(DataSet data, int user, long t)
    {
        if (ReadsClock) return t + 1;
        var next = long.MaxValue;
        foreach (var type in _inputs.EventSet)
        {
            if (data.Events[type.Index(data.Schema)] is not { } table) continue;
            int lo = table.UserStart[user], hi = table.UserStart[user + 1];
            var after = DataSet.UpperBound(table.Ts, lo, hi, t);
            if (after < hi) next = Math.Min(next, table.Ts[after]);
            if (!_inputs.WindowMap.TryGetValue(type, out var windows)) continue;
            foreach (var w in windows)
            {
                var oldest = DataSet.UpperBound(table.Ts, lo, hi, t - w);
                if (oldest < after) next = Math.Min(next, table.Ts[oldest] + w);
            }
        }
        return next;
    }
}

internal static class EventTypeIndex
{
    public static int Index(this EventTypeSymbol type, SchemaModel schema) => schema.Events.IndexOf(type);
}
