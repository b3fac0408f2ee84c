using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Evaluation;

namespace MarketingDsl.Engine.Lowering;

/// <summary>
/// A journey condition (an `audience:`, an `if`, a segment of `enters segment`) lowered for one
/// user at one instant: the condition and the tags it needs (transitively, in evaluation order),
/// with their aggregates fused per event type as in the tag plan, run over the user range
/// [u, u + 1) as of <see cref="EvalContext.AsOf"/>. A condition that reads a model's per-user
/// outputs has one program per phase, as the tag plan: the models' features in the phase named by
/// <see cref="ScoredModels"/>, the user scored alone, then the rest; any other condition has one.
/// </summary>
/// <param name="ModelsRead">The indexes of the models whose outputs the programs read (scored, or null when a model cannot be).</param>
public sealed record CompiledCondition(BoundExpression Condition, ImmutableArray<PhaseProgram> Phases, int AggregateCount,
    ImmutableArray<(ModelSymbol Model, int Index, int FeaturePhase)> ScoredModels, ImmutableArray<int> ModelsRead);

/// <summary>
/// Compiles journey conditions with <see cref="PhaseLowering"/> (the tag plan's lowering), once per
/// semantic model and expression. Population values (quantile_score, a model's percentile) are
/// rejected by the binder in journeys (MD3012, MD3080), so a phase after 0 only ever follows the
/// scoring of a model.
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

    public static EventPredicateProgram CompilePredicate(SemanticModel model, EventTypeSymbol type, BoundExpression where)
    {
        // Looked up before compiling: the live runtime asks once per event, and the factory's closure would cost an object each time.
        var predicates = Caches.GetValue(model, _ => new Cache()).Predicates;
        return predicates.TryGetValue(where, out var compiled) ? compiled : CompilePredicateUncached(model, type, where, predicates);
    }

    // Apart from the look-up: a lambda capturing the parameters makes its closure on entry to the method that declares it, hit or miss.
    private static EventPredicateProgram CompilePredicateUncached(SemanticModel model, EventTypeSymbol type, BoundExpression where,
        System.Collections.Concurrent.ConcurrentDictionary<BoundExpression, EventPredicateProgram> predicates) =>
        predicates.GetOrAdd(where, w => new PhaseLowering(model, 0, 0).CompilePredicate(model.Schema.Events.IndexOf(type), w));

    private static CompiledCondition CompileUncached(SemanticModel model, BoundExpression condition)
    {
        if (BoundTree.Descendants(condition).Any(n => n is BoundQuantileScore or BoundModelOutput { Output: ModelOutput.Percentile }))
            throw new NotSupportedException("a journey condition cannot depend on a population value; the binder reports MD3012 or MD3080");
        // The symbols and models the condition reads, through tags and through models' features.
        var needed = new HashSet<ComputedSymbol>();
        var models = new HashSet<ModelSymbol>();
        var pending = new Stack<BoundExpression>([condition]);
        while (pending.Count > 0)
        {
            foreach (var node in BoundTree.Descendants(pending.Pop()))
            {
                if (node is BoundSymbolReference { Symbol: var symbol } && needed.Add(symbol))
                    foreach (var root in PlanCompiler.RootsOf(symbol)) pending.Push(root);
                if (node is BoundModelOutput { Model: var m } && models.Add(m))
                    foreach (var feature in m.Features) pending.Push(feature);
            }
        }
        if (needed.Any(s => PlanCompiler.RootsOf(s).SelectMany(BoundTree.Descendants).Any(n =>
            n is BoundQuantileScore or BoundModelOutput { Output: ModelOutput.Percentile })))
            throw new NotSupportedException("a journey condition cannot depend on a population value; the binder reports MD3012 or MD3080");
        var scored = model.Models.Select((m, i) => (Model: m, Index: i, FeaturePhase: BoundTree.FeaturePhase(m)))
            .Where(m => models.Contains(m.Model) && !m.Model.Features.IsEmpty && m.Model.Features.All(f => !f.Type.IsError)).ToImmutableArray();
        var last = BoundTree.PhaseOf(condition);
        var phases = ImmutableArray.CreateBuilder<PhaseProgram>();
        var aggregates = 0;
        for (var phase = 0; phase <= last; phase++)
        {
            var symbols = model.EvaluationOrder.Where(s => s.Phase == phase && needed.Contains(s)).ToList();
            var lowering = new PhaseLowering(model, phase, aggregates);
            phases.Add(lowering.Compile(symbols, [], phase == last ? [condition] : [],
                [.. scored.Where(m => m.FeaturePhase == phase).Select(m => (m.Model, m.Index))]));
            aggregates = lowering.NextAggregateIndex;
        }
        return new CompiledCondition(condition, phases.ToImmutable(), aggregates, scored, [.. models.Select(m => model.Models.IndexOf(m))]);
    }
}
