using MarketingDsl.Core.Semantics;

namespace MarketingDsl.Journeys;

/// <summary>
/// What bound expressions read, transitively through the tags, segments and segmentations they
/// refer to: the event types their aggregates read with the backward windows over each, whether
/// they read the profile, the clock other than through a backward window, and events no
/// aggregate of theirs names (a model's features or recommendations, an expression that did not
/// bind). The one walk behind <see cref="SegmentInputs"/> and <see cref="JourneyInputs"/>.
/// </summary>
public sealed class ExpressionInputs
{
    private readonly HashSet<EventTypeSymbol> _events = [];
    // Lists, not sets: SegmentInputs.NextChange runs after every event, and a SortedSet's enumerator allocates.
    private readonly Dictionary<EventTypeSymbol, List<long>> _windows = [];
    private readonly HashSet<EventTypeSymbol> _fieldsRead = [];

    private ExpressionInputs() { }

    /// <summary>The event types an aggregate reads (every type when <see cref="ReadsEveryEvent"/>).</summary>
    public IReadOnlyCollection<EventTypeSymbol> Events => _events;
    /// <summary>The distinct backward windows (ticks) over each event type read.</summary>
    public IReadOnlyDictionary<EventTypeSymbol, List<long>> Windows => _windows;
    // The collections themselves, for loops that run per event: an interface's enumerator is an allocation.
    internal HashSet<EventTypeSymbol> EventSet => _events;
    internal Dictionary<EventTypeSymbol, List<long>> WindowMap => _windows;
    /// <summary>
    /// The event types of which a declared field is read (an aggregated field, a field in a `where:` or a trigger's predicate);
    /// of the other types in <see cref="Events"/> an evaluation reads only each event's time.
    /// </summary>
    public IReadOnlyCollection<EventTypeSymbol> FieldsRead => _fieldsRead;
    public bool ReadsProfile { get; private set; }
    /// <summary>Reads the clock other than through a backward window (`now()`, `days_since`, a forward window, a population
    /// `quantile_score`, a model's output): the value may change at any instant.</summary>
    public bool ReadsClock { get; private set; }
    /// <summary>May read events of any type: a model's features and recommendations are not walked, an unbound expression is unknown.</summary>
    public bool ReadsEveryEvent { get; private set; }

    public static ExpressionInputs Of(IEnumerable<BoundExpression> roots)
    {
        var inputs = new ExpressionInputs();
        var seen = new HashSet<ComputedSymbol>();
        var pending = new Stack<BoundExpression>(roots);
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
                    case BoundEventField { Field.IsImplicit: false } field:
                        inputs._fieldsRead.Add(field.Event);
                        break;
                    case BoundAggregate a:
                        inputs._events.Add(a.Event);
                        if (a.Field is { IsImplicit: false }) inputs._fieldsRead.Add(a.Event);
                        if (a.LooksForward) inputs.ReadsClock = true;
                        else if (a.WindowTicks is { } w)
                        {
                            if (!inputs._windows.TryGetValue(a.Event, out var windows)) inputs._windows[a.Event] = windows = [];
                            if (!windows.Contains(w)) windows.Add(w);
                        }
                        break;
                    case BoundModelOutput or BoundErrorExpression:
                        inputs.ReadsClock = inputs.ReadsEveryEvent = true;
                        break;
                    case BoundNow or BoundQuantileScore:
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
}
