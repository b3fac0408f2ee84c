using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Evaluation;

namespace MarketingDsl.Engine.Lowering;

/// <summary>
/// A journey condition (an `audience:`, an `if`, a segment of `enters segment`) lowered for one
/// user at one instant: the condition and the tags it needs (transitively, in evaluation order),
/// with their aggregates fused per event type as in the tag plan, in one phase-0 program run over
/// the user range [u, u + 1) as of <see cref="EvalContext.AsOf"/>.
/// </summary>
public sealed record CompiledCondition(BoundExpression Condition, PhaseProgram Program, int AggregateCount);

/// <summary>
/// Compiles journey conditions with <see cref="PhaseLowering"/> (the tag plan's lowering), once per
/// semantic model and expression. Population tags (phase &gt; 0) are rejected by the binder in
/// journeys (MD3012), so every condition is phase 0.
/// </summary>
public static class ConditionCompiler
{
    private sealed class Cache
    {
        public readonly ConcurrentDictionary<BoundExpression, CompiledCondition> Conditions = new(ReferenceEqualityComparer.Instance);
        public readonly ConcurrentDictionary<BoundExpression, EventPredicateProgram> Predicates = new(ReferenceEqualityComparer.Instance);
    }

    private static readonly ConditionalWeakTable<SemanticModel, Cache> Caches = new();

    public static CompiledCondition Compile(SemanticModel model, BoundExpression condition) =>
        Caches.GetValue(model, _ => new Cache()).Conditions.GetOrAdd(condition, c => CompileUncached(model, c));

    public static EventPredicateProgram CompilePredicate(SemanticModel model, EventTypeSymbol type, BoundExpression where) =>
        Caches.GetValue(model, _ => new Cache()).Predicates.GetOrAdd(where, w =>
            new PhaseLowering(model, 0, 0).CompilePredicate(model.Schema.Events.IndexOf(type), w));

    private static CompiledCondition CompileUncached(SemanticModel model, BoundExpression condition)
    {
        if (BoundTree.PhaseOf(condition) > 0)
            throw new NotSupportedException("a journey condition cannot depend on a population tag (quantile_score); the binder reports MD3012");
        var needed = new HashSet<ComputedSymbol>();
        var pending = new Stack<ComputedSymbol>(BoundTree.Descendants(condition).OfType<BoundSymbolReference>().Select(r => r.Symbol));
        while (pending.Count > 0)
        {
            var symbol = pending.Pop();
            if (!needed.Add(symbol)) continue;
            foreach (var d in symbol.Dependencies) pending.Push(d);
        }
        var symbols = model.EvaluationOrder.Where(needed.Contains).ToList();
        var lowering = new PhaseLowering(model, 0, 0);
        var program = lowering.Compile(symbols, [], [condition]);
        return new CompiledCondition(condition, program, lowering.NextAggregateIndex);
    }
}
