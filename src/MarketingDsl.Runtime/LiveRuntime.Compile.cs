using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Engine.Lowering;

namespace MarketingDsl.Runtime;

/// <summary>Compiling a workspace version's conditions when it is installed.</summary>
public sealed partial class LiveRuntime
{
    /// <summary>
    /// Compiles every condition the journeys evaluate (tracked segments, audiences, `if`
    /// conditions; trigger, goal and wait `where:` predicates) when a version is installed, into
    /// the compiler's per-model cache, and runs each condition once for a user with an empty
    /// profile and no events (which also compiles the generated code to machine code): compile
    /// once, before a request needs them, rather than inside the first requests' transactions (a
    /// first batch of profiles or events would otherwise wait for all of it). A condition that does
    /// not compile or fails is left to the evaluation that needs it, which reports it as before.
    /// </summary>
    private void CompileConditions()
    {
        var model = _model;
        var conditions = new List<BoundExpression>();
        foreach (var segment in Tracked) conditions.Add(segment.Condition);
        foreach (var machine in _machines)
        {
            var journey = machine.Journey;
            if (journey.Audience is { } audience) conditions.Add(audience);
            if (journey.Trigger is BoundEventTrigger { Where: { } where } trigger)
                Try(() => ConditionCompiler.CompilePredicate(model, trigger.Event, where));
            if (journey.Goal is { Where: { } goalWhere } goal) Try(() => ConditionCompiler.CompilePredicate(model, goal.Event, goalWhere));
            Steps(journey.Steps);
        }
        ConditionEvaluator? evaluator = null;
        Try(() =>
        {
            var profile = new object?[model.Schema.ProfileFields.Length];
            profile[Math.Max(0, model.Schema.ProfileOrdinalOf(model.Schema.KeyField))] = "";
            return evaluator = OneUserEvaluator(new UserHistory(model.Schema, "", profile).Data);
        });
        var at = _options.Clock.GetUtcNow().UtcTicks;
        foreach (var condition in conditions)
        {
            Try(() => ConditionCompiler.Compile(model, condition));
            if (evaluator is not null) Try(() => evaluator.Evaluate(condition, 0, at));
        }

        void Steps(IEnumerable<BoundStep> steps)
        {
            foreach (var step in steps)
                switch (step)
                {
                    case BoundIf branch:
                        conditions.Add(branch.Condition);
                        Steps(branch.Then);
                        Steps(branch.Else);
                        break;
                    case BoundSplit split:
                        foreach (var arm in split.Branches) Steps(arm.Steps);
                        break;
                    case BoundWait { Until: { } until, UntilWhere: { } untilWhere }:
                        Try(() => ConditionCompiler.CompilePredicate(model, until, untilWhere));
                        break;
                }
        }

        static void Try(Func<object> compile)
        {
            try { compile(); }
            catch (Exception) { }
        }
    }
}
