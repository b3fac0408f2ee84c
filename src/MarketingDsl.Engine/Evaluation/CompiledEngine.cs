using System.Runtime.CompilerServices;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Lowering;

namespace MarketingDsl.Engine.Evaluation;

/// <summary>
/// The fast evaluator: runs the compiled plan phase by phase over all users (in parallel
/// partitions), computing `quantile_score` populations between phases. Plans are compiled once
/// per semantic model and cached.
/// </summary>
public sealed class CompiledEngine : ITagEvaluator
{
    private static readonly ConditionalWeakTable<SemanticModel, CompiledPlan> Plans = new();

    public static CompiledPlan PlanFor(SemanticModel model) => Plans.GetValue(model, PlanCompiler.Compile);

    public EvaluationResult Evaluate(SemanticModel model, DataSet data, DateTime asOfUtc) => Evaluate(PlanFor(model), data, asOfUtc);

    public static EvaluationResult Evaluate(CompiledPlan plan, DataSet data, DateTime asOfUtc, IProgress<int>? usersDone = null)
    {
        var model = plan.Model;
        var context = new EvalContext(model, data, asOfUtc, (type, n) => Array.CreateInstance(ClrTypes.Of(type), n));
        var users = data.UserCount;
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
            foreach (var (id, inputPhase, buckets, descending) in plan.Population)
                if (inputPhase == phase) context.PopulationScores[id] = Runtime.QuantileScores(context.PopulationInputs[id], buckets, descending);
        }
        var columns = model.Outputs.Select((s, i) => (ResultColumn)Activator.CreateInstance(
            typeof(TypedResultColumn<>).MakeGenericType(ClrTypes.Of(s.Type)), s, context.Results[i])!).ToList();
        return new EvaluationResult(model, data, asOfUtc, [.. columns]);
    }
}
