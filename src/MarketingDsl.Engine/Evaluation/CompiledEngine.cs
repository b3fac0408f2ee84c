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
    public static EvaluationResult Evaluate(
        CompiledPlan plan, DataSet data, DateTime asOfUtc, IProgress<int>? usersDone = null, IModelScorer? scorer = null) =>
        Evaluate(plan, data, asOfUtc, usersDone, scorer, known: null);

    /// <param name="known">Aligned with the model's outputs: the values of symbols the plan does not compute
    /// (a partial plan, <see cref="PlanCompiler.Compile(SemanticModel, IReadOnlySet{ComputedSymbol})"/>), read and never written.</param>
    internal static EvaluationResult Evaluate(CompiledPlan plan, DataSet data, DateTime asOfUtc, IProgress<int>? usersDone, IModelScorer? scorer,
        IReadOnlyList<Array?>? known)
    {
        var model = plan.Model;
        var context = new EvalContext(model, data, asOfUtc, ClrTypes.NewArray, plan.Columns) { Recommenders = scorer as IRecommenderScorer };
        if (known is not null)
            for (var i = 0; i < known.Count; i++)
                if (known[i] is { } values) context.Results[i] = values;
        var users = data.UserCount;
        var emptyOutputs = new ModelOutputColumns(users).ByOutput;
        for (var m = 0; m < model.Models.Length; m++) context.ModelOutputs[m] = emptyOutputs;
        foreach (var (m, index, _) in plan.ScoredModels)
            context.ModelFeatures[index] = [.. m.Features.Select(_ => new float[users])];
        for (var phase = 0; phase < plan.Phases.Length; phase++)
        {
            RunPhase(plan, plan.Phases[phase], context, users, usersDone);
            ScorePopulationsAndModels(plan, phase, users, context.PopulationInputs, context.PopulationScores, context.ModelFeatures,
                context.ModelOutputs, scorer);
        }
        return new EvaluationResult(model, data, asOfUtc, ResultColumns(model, context.Results), context.FunctionFailures);
    }

    /// <summary>Runs one phase's program over the <paramref name="users"/> of <paramref name="context"/>, in parallel slices of users.</summary>
    internal static void RunPhase(CompiledPlan plan, PhaseProgram program, EvalContext context, int users, IProgress<int>? usersDone)
    {
        var slices = Math.Max(1, Math.Min(Environment.ProcessorCount * 4, users / 2048));
        Parallel.For(0, slices, () => new EvalScratch(plan.AggregateCount), (k, _, scratch) =>
        {
            var from = (int)((long)users * k / slices);
            var to = (int)((long)users * (k + 1) / slices);
            program(context, scratch, from, to);
            usersDone?.Report(to - from);
            return scratch;
        }, _ => { });
    }

    internal static System.Collections.Immutable.ImmutableArray<ResultColumn> ResultColumns(SemanticModel model, Array[] results) =>
        [.. model.Outputs.Select((s, i) =>
            (ResultColumn)Activator.CreateInstance(typeof(TypedResultColumn<>).MakeGenericType(ClrTypes.Of(s.Type)), s, results[i])!)];

    /// <summary>
    /// After a phase, over all users: the populations whose inputs it
    /// computed (exact ranks), and the models whose features it computed.
    /// </summary>
    internal static void ScorePopulationsAndModels(CompiledPlan plan, int phase, int users, decimal?[][] populationInputs, long?[][] populationScores,
        float[][][] modelFeatures, Array[][] modelOutputs, IModelScorer? scorer)
    {
        // Populations are independent: one sort each, in parallel.
        var populations = plan.Population.Where(q => q.InputPhase == phase).ToArray();
        Parallel.ForEach(populations, q => populationScores[q.Id] = Runtime.QuantileScores(populationInputs[q.Id], q.Buckets, q.Descending));
        // Models are independent too: each is scored (and its percentile ranked) on its own.
        var scored = scorer is null ? [] : plan.ScoredModels.Where(m => m.FeaturePhase == phase).ToArray();
        Parallel.ForEach(scored, entry =>
        {
            var (m, index, _) = entry;
            var outputs = new ModelOutputColumns(users);
            scorer!.Score(m, modelFeatures[index], outputs);
            // percentile ranks as quantile_score(x, 100) does: exact values, ties share a rank.
            var ranked = m.IsClusters ? null : m.IsRegression ? outputs.Value : outputs.Probability;
            if (ranked is not null) Array.Copy(Runtime.QuantileScores(ranked, 100, false), outputs.Percentile, users);
            modelOutputs[index] = outputs.ByOutput;
        });
    }

    /// <summary>
    /// Bytes the partitioned evaluation (<see cref="PartitionedEvaluation"/>) holds for every user
    /// whatever the partition: while a phase's populations and models are ranked over all users,
    /// their inputs and scores (nullable decimals and longs), model features and outputs. Results stay
    /// with their partition (in memory or in its file), not with every user. The memory limit's
    /// plan takes this off the limit before sizing partitions (<see cref="SpillPlan.ForUsers"/>).
    /// </summary>
    public static int KeptBytesPerUser(CompiledPlan plan)
    {
        var bytes = plan.Model.PopulationNodeCount * (24 + 16) + ModelOutputBytes * plan.ScoredModels.Length;
        foreach (var (m, _, _) in plan.ScoredModels) bytes += sizeof(float) * m.Features.Length;
        return bytes;
    }

    // ModelOutputColumns: probability, value, distance (decimal?), percentile, cluster (long?), predicted (bool?).
    private const int ModelOutputBytes = 3 * 24 + 2 * 16 + 2;

    /// <summary>Bytes of every output's result for one user (nullable values; strings and lists with a small object of their own):
    /// what a run in memory keeps for every user besides <see cref="KeptBytesPerUser"/>.</summary>
    public static int ResultBytesPerUser(CompiledPlan plan) => plan.Model.Outputs.Sum(o => ResultBytes(o.Type));

    private static int ResultBytes(DslType type) => type.Kind switch
    {
        TypeKind.Bool => 2,
        TypeKind.Date => 8,
        TypeKind.Int or TypeKind.DateTime or TypeKind.Duration => 16,
        TypeKind.Decimal => 24,
        TypeKind.String => 8 + 40,
        TypeKind.List => 8 + 64,
        _ => 8,
    };

    /// <summary>
    /// A partition's arrays are garbage once its results are copied out: collected (large objects
    /// compacted, freed memory returned) before the next partition is built, so the heap holds one
    /// partition, not as many as the collector would let pile up.
    /// </summary>
    internal static void ReleasePartition() => HeapGuard.Collect();
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
