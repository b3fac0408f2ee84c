using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Lowering;

namespace MarketingDsl.Engine.Evaluation;

/// <summary>
/// Evaluates journey conditions for one user as of one instant over a <see cref="DataSet"/>
/// (events with ts ≤ the instant only), with compiled programs (<see cref="ConditionCompiler"/>).
/// One instance holds one evaluation context: not thread-safe.
/// </summary>
public sealed class ConditionEvaluator
{
    private readonly SemanticModel _model;
    private readonly EvalContext _context;
    private readonly Dictionary<BoundExpression, (CompiledCondition Compiled, EvalScratch Scratch)> _conditions = new(ReferenceEqualityComparer.Instance);
    private readonly bool[] _result = new bool[1];

    public ConditionEvaluator(SemanticModel model, DataSet data)
    {
        _model = model;
        Data = data;
        _context = new EvalContext(model, data, DateTime.UnixEpoch, ClrTypes.NewArray) { ConditionResults = _result };
    }

    public DataSet Data { get; }

    /// <summary>The condition (null counts as false) for user <paramref name="user"/> (an index into <see cref="DataSet.UserIds"/>) as of <paramref name="atTicks"/> (UTC).</summary>
    public bool Evaluate(BoundExpression condition, int user, long atTicks)
    {
        if (!_conditions.TryGetValue(condition, out var entry))
        {
            var compiled = ConditionCompiler.Compile(_model, condition);
            _conditions[condition] = entry = (compiled, new EvalScratch(compiled.AggregateCount));
        }
        _context.AsOf = atTicks;
        _context.ConditionResults = _result;
        entry.Compiled.Program(_context, entry.Scratch, user, user + 1);
        return _result[0];
    }

    /// <summary>A `where:` predicate on row <paramref name="row"/> of <paramref name="type"/>'s table (null counts as false).</summary>
    public bool Matches(EventTypeSymbol type, BoundExpression where, int user, int row, long atTicks)
    {
        _context.AsOf = atTicks;
        return ConditionCompiler.CompilePredicate(_model, type, where)(_context, user, row);
    }
}
