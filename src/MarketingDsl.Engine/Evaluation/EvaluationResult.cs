using System.Collections.Immutable;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;

namespace MarketingDsl.Engine.Evaluation;

/// <summary>
/// Evaluates every computed symbol (tags, segments, segmentations) of a checked workspace for
/// every profile of a data set, as of an instant. Two implementations must agree exactly: the
/// compiled engine (expression trees) and the reference interpreter (a plain walk of the model).
/// </summary>
public interface ITagEvaluator
{
    EvaluationResult Evaluate(SemanticModel model, DataSet data, DateTime asOfUtc);
}

/// <summary>
/// The values of one computed symbol for every user (row = index in <see cref="DataSet.UserIds"/>).
/// Boxed values use the representation of <see cref="BoundLiteral"/>: null, bool, long (int),
/// decimal, string, DateOnly (date), DateTime UTC (datetime), TimeSpan (duration), and
/// IReadOnlyList&lt;object?&gt; (list). Boxing happens only here, at the edge (output, tests).
/// </summary>
public abstract class ResultColumn(ComputedSymbol symbol)
{
    public ComputedSymbol Symbol { get; } = symbol;
    public abstract object? Get(int user);

    /// <summary>The typed array behind the column (compiled engine), or null (boxed values).</summary>
    internal virtual Array? Typed => null;
}

/// <summary>A result column of already boxed values (the reference interpreter's).</summary>
public sealed class BoxedResultColumn(ComputedSymbol symbol, object?[] values) : ResultColumn(symbol)
{
    public override object? Get(int user) => values[user];
}

public sealed class EvaluationResult(SemanticModel model, DataSet data, DateTime asOfUtc, ImmutableArray<ResultColumn> columns,
    FunctionFailureLog? functionFailures = null)
{
    /// <summary>Custom function calls that failed (each value null); empty when every call returned.</summary>
    public FunctionFailureLog FunctionFailures { get; } = functionFailures ?? new FunctionFailureLog();

    public SemanticModel Model { get; } = model;
    public DataSet Data { get; } = data;
    public DateTime AsOfUtc { get; } = asOfUtc;

    /// <summary>Aligned with <see cref="SemanticModel.Outputs"/>.</summary>
    public ImmutableArray<ResultColumn> Columns { get; } = columns;

    /// <summary>Kept event rows after the as-of instant, when counted during the evaluation (a partitioned one); else
    /// <see cref="DataSet.CountEventsAfter"/> of <see cref="Data"/>.</summary>
    public long? EventsAfterAsOf { get; init; }

    public ResultColumn Column(string name) => Columns.First(c => c.Symbol.Name == name);
}
