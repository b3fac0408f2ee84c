using System.Collections.Immutable;
using MarketingDsl.Core.Syntax;

namespace MarketingDsl.Core.Semantics;

/// <summary>
/// A checked expression: every node knows its type, names are resolved to symbols, implicit
/// conversions are explicit nodes. This is what the engine lowers to expression trees and what
/// the reference interpreter walks.
/// </summary>
public abstract record BoundExpression(DslType Type)
{
    public ExpressionSyntax? Syntax { get; init; }
}

/// <summary>Stands where binding failed; a diagnostic was reported.</summary>
public sealed record BoundErrorExpression() : BoundExpression(DslType.Error);

/// <summary>
/// A constant: null, bool, long, decimal, string, DateOnly, DateTime (UTC), long ticks (duration), or an
/// ImmutableArray&lt;object?&gt; (list).
/// </summary>
public sealed record BoundLiteral(object? Value, DslType Type) : BoundExpression(Type);

public sealed record BoundProfileField(FieldSymbol Field, int Ordinal) : BoundExpression(Field.Type);

/// <summary>The value of another tag, segment or segmentation for the same user.</summary>
public sealed record BoundSymbolReference(ComputedSymbol Symbol) : BoundExpression(Symbol.Type);

/// <summary>A field of the event being looked at, inside an aggregate's `where:` or a journey trigger/goal.</summary>
public sealed record BoundEventField(EventTypeSymbol Event, FieldSymbol Field, int Ordinal) : BoundExpression(Field.Type);

public sealed record BoundNow() : BoundExpression(DslType.DateTime);

/// <summary>int → decimal, the only implicit conversion.</summary>
public sealed record BoundConversion(BoundExpression Operand, DslType Target) : BoundExpression(Target);

public enum BoundUnaryOperator { Negate, Not }
public sealed record BoundUnary(BoundUnaryOperator Operator, BoundExpression Operand, DslType Type) : BoundExpression(Type);

public enum BoundBinaryOperator { And, Or, Equal, NotEqual, Less, LessOrEqual, Greater, GreaterOrEqual, Add, Subtract, Multiply, Divide, Coalesce }

/// <summary>Both operands already have the operand type the operator works in (after conversions).</summary>
public sealed record BoundBinary(BoundBinaryOperator Operator, BoundExpression Left, BoundExpression Right, DslType Type) : BoundExpression(Type);

public sealed record BoundIn(BoundExpression Value, BoundExpression List, bool Negated) : BoundExpression(DslType.Bool);
public sealed record BoundBetween(BoundExpression Value, BoundExpression Low, BoundExpression High, bool Negated) : BoundExpression(DslType.Bool);
public sealed record BoundIsNull(BoundExpression Operand, bool Negated) : BoundExpression(DslType.Bool);
public sealed record BoundList(ImmutableArray<BoundExpression> Items, DslType Type) : BoundExpression(Type);
public sealed record BoundCase(ImmutableArray<(BoundExpression Condition, BoundExpression Result)> Whens, BoundExpression? Else, DslType Type)
    : BoundExpression(Type);

public enum BuiltinFunction
{
    DaysSince, HoursSince, YearsBetween, Date, Hour, Weekday,
    Lower, Upper, Contains, StartsWith, Round, Abs, Coalesce,
    /// <summary>`contains(list, x)`: some non-null item equals x; null when either is null.</summary>
    ListContains,
    /// <summary>`size(list)`: the number of items (null items count); null for a null list.</summary>
    Size,
}

public sealed record BoundCall(BuiltinFunction Function, ImmutableArray<BoundExpression> Arguments, DslType Type) : BoundExpression(Type);

/// <summary>A call of a custom C# function (LANGUAGE.md §17); arguments are already converted to its parameter types.</summary>
public sealed record BoundCustomCall(Functions.CustomFunctionSymbol Function, ImmutableArray<BoundExpression> Arguments)
    : BoundExpression(Function.Returns);

public enum AggregateKind { Count, Exists, Sum, Avg, Min, Max, First, Last, Distinct, Top }

/// <summary>
/// An aggregate over one event stream of the user: events with T − Window &lt; ts ≤ T (or, for a
/// `next` window in a model label, T &lt; ts ≤ T + Window), filtered by <see cref="Where"/>.
/// <see cref="Field"/> is null for count/exists.
/// </summary>
public sealed record BoundAggregate(
    AggregateKind Kind,
    EventTypeSymbol Event,
    FieldSymbol? Field,
    int FieldOrdinal,
    BoundExpression? Where,
    long? WindowTicks,
    bool LooksForward,
    int TopCount,
    DslType Type) : BoundExpression(Type)
{
    /// <summary>
    /// The aggregate reads the items of a `list&lt;T&gt;` field, not the lists: sum, avg, min, max,
    /// distinct and top over every non-null item of every qualifying event (first and last keep
    /// the whole list of one event).
    /// </summary>
    public bool OverItems => Field is { Type.IsList: true } && Kind is AggregateKind.Sum or AggregateKind.Avg or AggregateKind.Min
        or AggregateKind.Max or AggregateKind.Distinct or AggregateKind.Top;
}

/// <summary>
/// `quantile_score(x, n[, descending])`: needs x for every profile, so it is computed in a later
/// phase than x. <see cref="Id"/> numbers the population nodes of a workspace.
/// </summary>
public sealed record BoundQuantileScore(int Id, BoundExpression Value, int Buckets, bool Descending) : BoundExpression(DslType.Int);

/// <summary>What a tag reads of a trained model; <see cref="Percentile"/> ranks the probability or value in the population.</summary>
/// <remarks>A recommender's members (<see cref="Items"/>, <see cref="Categories"/>, <see cref="Related"/>) are computed per user
/// from the user's events as of T and the trained item neighbourhoods, in the phase of the expression that reads them.</remarks>
public enum ModelOutput { Probability, Predicted, Percentile, Value, Cluster, Distance, Items, Categories, Related }
public sealed record BoundModelOutput(ModelSymbol Model, ModelOutput Output, DslType Type) : BoundExpression(Type)
{
    /// <summary>`r.related(item, n)`: the item (a string) and how many (an int).</summary>
    public BoundExpression? Item { get; init; }
    public BoundExpression? Count { get; init; }
    public bool IsRecommendation => Output is ModelOutput.Items or ModelOutput.Categories or ModelOutput.Related;
}
