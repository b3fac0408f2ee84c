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
    private readonly HashSet<EventTypeSymbol> _events = [];
    // Lists, not sets: NextChange runs after every event, and a SortedSet's enumerator allocates.
    private readonly Dictionary<EventTypeSymbol, List<long>> _windows = [];

    private SegmentInputs(SegmentSymbol segment)
    {
        Segment = segment;
        Condition = new BoundSymbolReference(segment);
    }

    public SegmentSymbol Segment { get; }
    /// <summary>The segment as a condition: one node for the segment's lifetime (compiled conditions are cached by node identity).</summary>
    public BoundExpression Condition { get; }
    /// <summary>Reads the clock other than through a backward window: may change at any instant.</summary>
    public bool ReadsClock { get; private set; }
    public bool ReadsProfile { get; private set; }
    public IReadOnlyCollection<EventTypeSymbol> Events => _events;

    /// <summary>Whether an event of this type can change the segment (directly or by moving the instant it is evaluated at).</summary>
    public bool Reads(EventTypeSymbol type) => ReadsClock || _events.Contains(type);

    public static SegmentInputs Of(SegmentSymbol segment)
    {
        var inputs = new SegmentInputs(segment);
        var seen = new HashSet<ComputedSymbol> { segment };
        var pending = new Stack<BoundExpression>();
        pending.Push(segment.Condition);
        while (pending.Count > 0)
        {
            foreach (var node in BoundTree.Descendants(pending.Pop()))
            {
                switch (node)
                {
                    case BoundSymbolReference { Symbol: var symbol } when seen.Add(symbol):
                        foreach (var body in BodiesOf(symbol)) pending.Push(body);
                        break;
                    case BoundProfileField:
                        inputs.ReadsProfile = true;
                        break;
                    case BoundAggregate a:
                        inputs._events.Add(a.Event);
                        if (a.LooksForward) inputs.ReadsClock = true;
                        else if (a.WindowTicks is { } w)
                        {
                            if (!inputs._windows.TryGetValue(a.Event, out var windows)) inputs._windows[a.Event] = windows = [];
                            if (!windows.Contains(w)) windows.Add(w);
                        }
                        break;
                    case BoundNow or BoundQuantileScore or BoundModelOutput or BoundErrorExpression:
                    case BoundCall { Function: BuiltinFunction.DaysSince or BuiltinFunction.HoursSince or BuiltinFunction.YearsBetween }:
                        inputs.ReadsClock = true;
                        break;
                }
            }
        }
        // A population score or a model reads what the whole population or its features read: treat as reading everything.
        if (inputs.ReadsClock) inputs.ReadsProfile = true;
        return inputs;
    }

    private static IEnumerable<BoundExpression> BodiesOf(ComputedSymbol symbol) => symbol switch
    {
        TagSymbol t => [t.Body],
        SegmentSymbol s => [s.Condition],
        SegmentationSymbol g => g.Rules.Where(r => r.Condition is not null).Select(r => r.Condition!),
        _ => [new BoundErrorExpression()],   // an unknown kind of symbol: assume it reads everything
    };

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
        foreach (var type in _events)
        {
            if (data.Events[type.Index(data.Schema)] is not { } table) continue;
            int lo = table.UserStart[user], hi = table.UserStart[user + 1];
            var after = DataSet.UpperBound(table.Ts, lo, hi, t);
            if (after < hi) next = Math.Min(next, table.Ts[after]);
            if (!_windows.TryGetValue(type, out var windows)) continue;
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
