using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Lowering;

namespace MarketingDsl.Runtime;

/// <summary>Compiling a workspace version's conditions when it is installed.</summary>
public sealed partial class LiveRuntime
{
    /// <summary>
    /// Compiles every condition the journeys evaluate (tracked segments, audiences, `if`
    /// conditions; trigger, goal and wait `where:` predicates) when a version is installed, into
    /// the compiler's per-model cache: compile once, before a request needs them, rather than
    /// inside the first requests' transactions (a first batch of profiles or events would otherwise
    /// wait for every expression tree to compile). A condition that does not compile is left to
    /// the evaluation that needs it, which reports it as before.
    /// </summary>
    private void CompileConditions()
    {
        var model = _model;
        foreach (var segment in Tracked) Try(() => ConditionCompiler.Compile(model, segment.Condition));
        foreach (var machine in _machines)
        {
            var journey = machine.Journey;
            if (journey.Audience is { } audience) Try(() => ConditionCompiler.Compile(model, audience));
            if (journey.Trigger is BoundEventTrigger { Where: { } where } trigger) Try(() => ConditionCompiler.CompilePredicate(model, trigger.Event, where));
            if (journey.Goal is { Where: { } goalWhere } goal) Try(() => ConditionCompiler.CompilePredicate(model, goal.Event, goalWhere));
            Steps(journey.Steps);
        }

        void Steps(IEnumerable<BoundStep> steps)
        {
            foreach (var step in steps)
                switch (step)
                {
                    case BoundIf branch:
                        Try(() => ConditionCompiler.Compile(model, branch.Condition));
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
