using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Lowering;
using MarketingDsl.Engine.Scoring;

namespace MarketingDsl.Engine.Evaluation;

/// <summary>
/// Evaluates journey conditions for one user as of one instant over a <see cref="DataSet"/>
/// (events with ts ≤ the instant only), with compiled programs (<see cref="ConditionCompiler"/>).
/// A condition that reads a model's per-user outputs scores the user alone with the scorer (the
/// same scorer as batch tags, so replay and live agree); without one those outputs are null.
/// One instance holds one evaluation context: not thread-safe.
/// </summary>
public sealed class ConditionEvaluator
{
    private readonly SemanticModel _model;
    private readonly EvalContext _context;
    private readonly Dictionary<BoundExpression, (CompiledCondition Compiled, EvalScratch Scratch)> _conditions =
        new(ReferenceEqualityComparer.Instance);
    private readonly bool[] _result = new bool[1];

    private readonly IModelScorer? _scorer;

    public ConditionEvaluator(SemanticModel model, DataSet data, IModelScorer? scorer = null)
    {
        _model = model;
        Data = data;
        _scorer = scorer;
        _context = new EvalContext(model, data, DateTime.UnixEpoch, ClrTypes.NewArray)
        {
            ConditionResults = _result,
            Recommenders = scorer as IRecommenderScorer,
        };
    }

    public DataSet Data { get; private set; }

    /// <summary>
    /// Evaluates over <paramref name="data"/> from now on, a data set of as many users: the context,
    /// the compiled conditions and their scratch are kept (the live runtime's one-user histories
    /// share one evaluator, and a history that grew needs no new one).
    /// </summary>
    public void Rebind(DataSet data)
    {
        if (ReferenceEquals(data, Data)) return;
        _context.Rebind(data);
        Data = data;
    }

    /// <summary>
    /// The condition (null counts as false) for user <paramref name="user"/> (an index
    /// into <see cref="DataSet.UserIds"/>) as of <paramref name="atTicks"/> (UTC).
    /// </summary>
    public bool Evaluate(BoundExpression condition, int user, long atTicks)
    {
        if (!_conditions.TryGetValue(condition, out var entry))
        {
            var compiled = ConditionCompiler.Compile(_model, condition);
            _conditions[condition] = entry = (compiled, new EvalScratch(compiled.AggregateCount));
            // Model outputs and features per user, allocated for the models conditions read; written as users are scored one at a time.
            foreach (var m in compiled.ModelsRead) _context.ModelOutputs[m] ??= new ModelOutputColumns(Data.UserCount).ByOutput;
            foreach (var (m, index, _) in compiled.ScoredModels)
                _context.ModelFeatures[index] ??= [.. m.Features.Select(_ => new float[Data.UserCount])];
        }
        _context.AsOf = atTicks;
        _context.ConditionResults = _result;
        var phases = entry.Compiled.Phases;
        for (var phase = 0; phase < phases.Length; phase++)
        {
            phases[phase](_context, entry.Scratch, user, user + 1);
            foreach (var (m, index, featurePhase) in entry.Compiled.ScoredModels)
                if (featurePhase == phase) ScoreOne(m, index, user);
        }
        return _result[0];
    }

    /// <summary>
    /// A list (a send's `items:`) for one user as of an instant, by the reference interpreter over
    /// the same data and recommenders: sends are few, and the interpreter is the definition the
    /// compiled engine is checked against. Null for a null list.
    /// </summary>
    public IReadOnlyList<object?>? List(BoundExpression list, int user, long atTicks)
    {
        var interpreter = new ReferenceInterpreter { Recommenders = _scorer as IRecommenderScorer };
        return interpreter.EvaluateExpression(_model, Data, new DateTime(atTicks, DateTimeKind.Utc), user, list) as IReadOnlyList<object?>;
    }

    /// <summary>The user's outputs of one model, from the features the phase just computed (null without a scorer).</summary>
    private void ScoreOne(ModelSymbol model, int index, int user)
    {
        var outputs = new ModelOutputColumns(1);
        if (_scorer is not null)
            _scorer.Score(model, [.. _context.ModelFeatures[index].Select(f => new[] { f[user] })], outputs);
        var columns = _context.ModelOutputs[index];
        var single = outputs.ByOutput;
        for (var o = 0; o < columns.Length; o++) columns[o].SetValue(single[o].GetValue(0), user);
    }

    /// <summary>A `where:` predicate on row <paramref name="row"/> of <paramref name="type"/>'s table (null counts as false).</summary>
    public bool Matches(EventTypeSymbol type, BoundExpression where, int user, int row, long atTicks)
    {
        _context.AsOf = atTicks;
        return ConditionCompiler.CompilePredicate(_model, type, where)(_context, user, row);
    }
}
