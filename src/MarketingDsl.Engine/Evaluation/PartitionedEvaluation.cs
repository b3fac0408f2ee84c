using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Lowering;
using MarketingDsl.Engine.Scoring;

namespace MarketingDsl.Engine.Evaluation;

/// <summary>What a partitioned evaluation counted besides the values it handed on partition by partition.</summary>
/// <param name="MostResultRowsHeld">The most users whose results were in memory at once: one partition's, never every user's.</param>
public sealed record PartitionedOutcome(FunctionFailureLog FunctionFailures, long EventsAfterAsOf, int MostResultRowsHeld);

/// <summary>
/// <see cref="CompiledEngine"/>'s evaluation for data that does not fit in memory. Each phase runs
/// partition by partition (one partition's events in memory at a time); between phases, populations
/// (quantile_score) and models are ranked over all users exactly as in memory. Nothing per user is
/// kept in memory across partitions but a phase's population inputs and model features while they
/// are ranked: a partition's results, and its slices of population scores and model outputs, wait
/// in files in the spill directory for the partition's next phase, and after the last phase each
/// partition's results go to the caller (tags.csv rows, the streamed summary) and are dropped.
/// </summary>
public static class PartitionedEvaluation
{
    /// <param name="partitionDone">Called once per partition after the last phase, in user order, with the partition's users
    /// (<see cref="EvaluationResult.Data"/>: its users and their events) and every output's values for them.</param>
    public static PartitionedOutcome Evaluate(CompiledPlan plan, PartitionedData data, DateTime asOfUtc, Action<EvaluationResult> partitionDone,
        IProgress<int>? usersDone = null, IModelScorer? scorer = null)
    {
        var model = plan.Model;
        var users = data.Users.UserCount;
        var failures = new FunctionFailureLog();
        var eventsAfter = data.CountLooseAfter(asOfUtc.Ticks);
        var mostRows = 0;
        var resultShapes = model.Outputs.Select(o => ClrTypes.NewArray(o.Type, 0)).ToArray();
        var phases = plan.Phases.Length;
        if (phases == 0)
        {
            for (var p = 0; p < data.Partitions; p++)
            {
                var part = data.Load(p);
                eventsAfter += part.CountEventsAfter(asOfUtc.Ticks);
                mostRows = Math.Max(mostRows, part.UserCount);
                partitionDone(new EvaluationResult(model, part, asOfUtc, CompiledEngine.ResultColumns(model,
                    [.. model.Outputs.Select(o => ClrTypes.NewArray(o.Type, part.UserCount))])));
                CompiledEngine.ReleasePartition();
            }
            return new PartitionedOutcome(failures, eventsAfter, mostRows);
        }

        for (var phase = 0; phase < phases; phase++)
        {
            var program = plan.Phases[phase];
            var last = phase == phases - 1;
            // Over all users, only while this phase's populations and models are ranked.
            var populationInputs = new decimal?[model.PopulationNodeCount][];
            foreach (var q in plan.Population.Where(q => q.InputPhase == phase)) populationInputs[q.Id] = new decimal?[users];
            var modelFeatures = new float[model.Models.Length][][];
            foreach (var (m, index, featurePhase) in plan.ScoredModels)
                if (featurePhase == phase) modelFeatures[index] = [.. m.Features.Select(_ => new float[users])];

            for (var p = 0; p < data.Partitions; p++)
            {
                int lo = data.FirstUser(p), n = data.FirstUser(p + 1) - lo;
                if (n == 0) continue;
                var part = data.Load(p);
                var context = new EvalContext(model, part, asOfUtc, ClrTypes.NewArray, plan.Columns) { Recommenders = scorer as IRecommenderScorer };
                if (phase > 0)
                {
                    var results = UserValueFile.Read(ResultsFile(data, p), resultShapes);
                    for (var i = 0; i < results.Length; i++) context.Results[i] = results[i];
                }
                var emptyOutputs = new ModelOutputColumns(n).ByOutput;
                for (var m = 0; m < model.Models.Length; m++) context.ModelOutputs[m] = emptyOutputs;
                for (var earlier = 0; earlier < phase; earlier++) ReadScored(plan, data, earlier, p, context);
                foreach (var (m, index, _) in plan.ScoredModels) context.ModelFeatures[index] = [.. m.Features.Select(_ => new float[n])];
                mostRows = Math.Max(mostRows, n);

                CompiledEngine.RunPhase(plan, program, context, n, usersDone);

                foreach (var q in plan.Population.Where(q => q.InputPhase == phase))
                    Array.Copy(context.PopulationInputs[q.Id], 0, populationInputs[q.Id], lo, n);
                foreach (var (_, index, featurePhase) in plan.ScoredModels)
                    if (featurePhase == phase)
                        for (var f = 0; f < modelFeatures[index].Length; f++)
                            Array.Copy(context.ModelFeatures[index][f], 0, modelFeatures[index][f], lo, n);
                failures.Add(context.FunctionFailures);
                if (last)
                {
                    eventsAfter += part.CountEventsAfter(asOfUtc.Ticks);
                    partitionDone(new EvaluationResult(model, part, asOfUtc, CompiledEngine.ResultColumns(model, context.Results)));
                }
                else UserValueFile.Write(ResultsFile(data, p), context.Results);
                CompiledEngine.ReleasePartition();
            }
            if (last) break;
            var populationScores = new long?[model.PopulationNodeCount][];
            var modelOutputs = new Array[model.Models.Length][];   // a model left null: no scorer
            CompiledEngine.ScorePopulationsAndModels(plan, phase, users, populationInputs, populationScores, modelFeatures, modelOutputs, scorer);
            WriteScored(plan, data, phase, populationScores, modelOutputs);
        }
        for (var p = 0; p < data.Partitions; p++) File.Delete(ResultsFile(data, p));
        return new PartitionedOutcome(failures, eventsAfter, mostRows);
    }

    private static string ResultsFile(PartitionedData data, int p) => Path.Combine(data.SpillDirectory, $"part-{p}-results.bin");

    private static string ScoredFile(PartitionedData data, int phase, int p) => Path.Combine(data.SpillDirectory, $"part-{p}-scored-{phase}.bin");

    /// <summary>
    /// Each partition's slice of the population scores and model outputs ranked after <paramref name="phase"/>
    /// (a model no scorer scored: empty outputs, as in memory).
    /// </summary>
    private static void WriteScored(CompiledPlan plan, PartitionedData data, int phase, long?[][] populationScores, Array[]?[] modelOutputs)
    {
        var scored = ScoredAfter(plan, phase).ToArray();
        if (scored.Length == 0) return;
        for (var p = 0; p < data.Partitions; p++)
        {
            int lo = data.FirstUser(p), n = data.FirstUser(p + 1) - lo;
            var slices = scored.SelectMany(s => s.Population is { } q ? [Slice(populationScores[q], lo, n)]
                : modelOutputs[s.Model!.Value] is { } outputs ? outputs.Select(a => Slice(a, lo, n)) : new ModelOutputColumns(n).ByOutput);
            UserValueFile.Write(ScoredFile(data, phase, p), [.. slices]);
        }
    }

    private static void ReadScored(CompiledPlan plan, PartitionedData data, int phase, int p, EvalContext context)
    {
        var scored = ScoredAfter(plan, phase).ToArray();
        if (scored.Length == 0) return;
        var modelShape = new ModelOutputColumns(0).ByOutput;
        Array[] shapes = [.. scored.SelectMany(s => s.Population is not null ? [new long?[0]] : modelShape)];
        var arrays = UserValueFile.Read(ScoredFile(data, phase, p), shapes);
        var next = 0;
        foreach (var s in scored)
            if (s.Population is { } q) context.PopulationScores[q] = (long?[])arrays[next++];
            else
            {
                context.ModelOutputs[s.Model!.Value] = arrays[next..(next + modelShape.Length)];
                next += modelShape.Length;
            }
    }

    /// <summary>The populations and scored models ranked after <paramref name="phase"/>, in a fixed order.</summary>
    private static IEnumerable<(int? Population, int? Model)> ScoredAfter(CompiledPlan plan, int phase) =>
        plan.Population.Where(q => q.InputPhase == phase).Select(q => ((int?)q.Id, (int?)null))
            .Concat(plan.ScoredModels.Where(m => m.FeaturePhase == phase).Select(m => ((int?)null, (int?)m.Index)));

    private static Array Slice(Array a, int from, int n)
    {
        var slice = Array.CreateInstance(a.GetType().GetElementType()!, n);
        Array.Copy(a, from, slice, 0, n);
        return slice;
    }
}
