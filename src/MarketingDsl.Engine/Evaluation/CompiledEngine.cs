using System.Runtime.CompilerServices;
using MarketingDsl.Core;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Lowering;
using MarketingDsl.Engine.Scoring;

namespace MarketingDsl.Engine.Evaluation;

/// <summary>
/// The fast evaluator: runs the compiled plan phase by phase over all users (in parallel
/// partitions), computing `quantile_score` populations between phases. Plans are compiled once
/// per semantic model and cached.
/// </summary>
public sealed class CompiledEngine : ITagEvaluator
{
    private static readonly ConditionalWeakTable<SemanticModel, CompiledPlan> Plans = new();
    private static readonly PlanCache ByContent = new(capacity: 16);

    public static CompiledPlan PlanFor(SemanticModel model) => Plans.GetValue(model, PlanCompiler.Compile);

    /// <summary>
    /// The plan of a compilation, shared by every compilation of the same text (content hash):
    /// re-checking an unchanged workspace, or switching back to an earlier version in the
    /// editor, does not compile expression trees again.
    /// </summary>
    public static CompiledPlan PlanFor(Compilation compilation) => ByContent.GetOrAdd(compilation.ContentHash, () => PlanFor(compilation.Model));

    public EvaluationResult Evaluate(SemanticModel model, DataSet data, DateTime asOfUtc) => Evaluate(PlanFor(model), data, asOfUtc);

    /// <param name="scorer">Scores the models the plan reads; without one, model outputs are null.</param>
    public static EvaluationResult Evaluate(CompiledPlan plan, DataSet data, DateTime asOfUtc, IProgress<int>? usersDone = null, IModelScorer? scorer = null)
    {
        var model = plan.Model;
        var context = new EvalContext(model, data, asOfUtc, ClrTypes.NewArray);
        var users = data.UserCount;
        var emptyOutputs = new ModelOutputColumns(users).ByOutput;
        for (var m = 0; m < model.Models.Length; m++) context.ModelOutputs[m] = emptyOutputs;
        foreach (var (m, index, _) in plan.ScoredModels)
            context.ModelFeatures[index] = [.. m.Features.Select(_ => new float[users])];
        var partitions = Math.Max(1, Math.Min(Environment.ProcessorCount * 4, users / 2048));
        for (var phase = 0; phase < plan.Phases.Length; phase++)
        {
            var program = plan.Phases[phase];
            Parallel.For(0, partitions, () => new EvalScratch(plan.AggregateCount), (p, _, scratch) =>
            {
                var from = (int)((long)users * p / partitions);
                var to = (int)((long)users * (p + 1) / partitions);
                program(context, scratch, from, to);
                usersDone?.Report(to - from);
                return scratch;
            }, _ => { });
            // Populations are independent: one sort each, in parallel.
            var populations = plan.Population.Where(q => q.InputPhase == phase).ToArray();
            Parallel.ForEach(populations, q => context.PopulationScores[q.Id] = Runtime.QuantileScores(context.PopulationInputs[q.Id], q.Buckets, q.Descending));
            // Models are independent too: each is scored (and its percentile ranked) on its own.
            var scored = scorer is null ? [] : plan.ScoredModels.Where(m => m.FeaturePhase == phase).ToArray();
            Parallel.ForEach(scored, entry =>
            {
                var (m, index, _) = entry;
                var outputs = new ModelOutputColumns(users);
                scorer!.Score(m, context.ModelFeatures[index], outputs);
                // percentile ranks as quantile_score(x, 100) does: exact values, ties share a rank.
                var ranked = m.IsClusters ? null : m.IsRegression ? outputs.Value : outputs.Probability;
                if (ranked is not null) Array.Copy(Runtime.QuantileScores(ranked, 100, false), outputs.Percentile, users);
                context.ModelOutputs[index] = outputs.ByOutput;
            });
        }
        var columns = model.Outputs.Select((s, i) => (ResultColumn)Activator.CreateInstance(
            typeof(TypedResultColumn<>).MakeGenericType(ClrTypes.Of(s.Type)), s, context.Results[i])!).ToList();
        return new EvaluationResult(model, data, asOfUtc, [.. columns], context.FunctionFailures);
    }
}

/// <summary>A small least-recently-used cache of compiled plans by workspace content hash.</summary>
internal sealed class PlanCache(int capacity)
{
    private readonly LinkedList<(string Key, CompiledPlan Plan)> _order = new();
    private readonly Dictionary<string, LinkedListNode<(string Key, CompiledPlan Plan)>> _byKey = new(StringComparer.Ordinal);

    public CompiledPlan GetOrAdd(string key, Func<CompiledPlan> compile)
    {
        lock (_order)
        {
            if (_byKey.TryGetValue(key, out var hit))
            {
                _order.Remove(hit);
                _order.AddFirst(hit);
                return hit.Value.Plan;
            }
        }
        var plan = compile(); // outside the lock: compiling takes milliseconds, lookups must not wait
        lock (_order)
        {
            if (_byKey.TryGetValue(key, out var raced)) return raced.Value.Plan;
            _byKey[key] = _order.AddFirst((key, plan));
            while (_order.Count > capacity)
            {
                _byKey.Remove(_order.Last!.Value.Key);
                _order.RemoveLast();
            }
            return plan;
        }
    }
}
