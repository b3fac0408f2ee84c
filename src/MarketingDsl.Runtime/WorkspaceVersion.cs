using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Engine.Lowering;
using MarketingDsl.Engine.Scoring;
using MarketingDsl.Journeys;

namespace MarketingDsl.Runtime;

public sealed partial class LiveOptions
{
    /// <summary>
    /// The scorer of trained models for a compiled workspace (the CLI's model registry), asked once
    /// per semantic model (a reload gets its own); null, or a null scorer: model tags are empty.
    /// </summary>
    public Func<SemanticModel, IModelScorer?>? ModelScorer { get; init; }
}

/// <summary>
/// One published workspace version as the live runtime runs it: the semantic model, the event and
/// profile validation of its schema, a <see cref="JourneyMachine"/> and its <see cref="StepPaths"/> per journey with a
/// trigger (in declaration order: a journey's index is its position here), the segments some
/// journey triggers on, the workspace zone and the model scorer. Made whole when a version is
/// installed and replaced whole by a reload (<see cref="LiveRuntime.Reload"/>), so no part of the
/// runtime ever sees half of two versions. The machines' split states are the one mutable part:
/// counters the executor loads from the store (JourneyExecutor.LoadSplits) and writes through.
/// </summary>
internal sealed class WorkspaceVersion
{
    private readonly Func<SemanticModel, IModelScorer?> _scorerOf;

    /// <param name="scorerOf">The model scorer of a semantic model, asked once per model (<see cref="LiveOptions.ModelScorer"/>).</param>
    public WorkspaceVersion(SemanticModel model, Func<SemanticModel, IModelScorer?> scorerOf)
    {
        Model = model;
        _scorerOf = scorerOf;
        Validation = new Validation(model.Schema);
        Machines = [.. model.Journeys.Where(j => j.Trigger is not null).Select(j => new JourneyMachine(j))];
        Paths = [.. Machines.Select(m => new StepPaths(m.Journey))];
        var read = Machines.Select(m => JourneyInputs.EventTypesRead(m.Journey)).ToArray();
        ReadTypes = [.. read.Select(types => types?.Select(t => t.Name).Order(StringComparer.Ordinal).ToArray())];
        ReadMasks = [.. read.Select(MaskOf)];
        WaitedForMasks = [.. Machines.Select(m => MaskOf(m.EventsWaitedFor))];
        // More types than one read names: the batch reads whole rows of every type.
        var timeOnly = Machines.Select(m => JourneyInputs.EventTypesReadForTimeByAudience(m.Journey))
            .Select(types => types.Count <= LiveStore.MaxTypesPerRead ? types : new HashSet<EventTypeSymbol>()).ToArray();
        ReadTimeOnlyTypes = [.. timeOnly.Select(types => types.Select(t => t.Name).Order(StringComparer.Ordinal).ToArray())];
        ReadTimeOnlyMasks = [.. timeOnly.Select(MaskOf)];
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var j = 0; j < Machines.Length; j++) index[Machines[j].Journey.Name] = j;
        JourneyIndex = index;
        JourneyNames = [.. Machines.Select(m => m.Journey.Name)];
        Tracked = [.. Machines.Select(m => m.Journey.Trigger).OfType<BoundSegmentTrigger>().Select(t => t.Segment).Distinct()
            .Select(SegmentInputs.Of)];
        TrackedMasks = [.. Tracked.Select(segment => MaskOf(segment.Events))];
        Zone = LiveRuntime.Zone(model);
    }

    public SemanticModel Model { get; }
    public Validation Validation { get; }
    public JourneyMachine[] Machines { get; }
    public StepPaths[] Paths { get; }
    /// <summary>Per machine, the names of the event types its journey's expressions read (<see cref="JourneyInputs.EventTypesRead"/>);
    /// null: any type. A fan-out batch reads only these.</summary>
    public string[]?[] ReadTypes { get; }
    /// <summary>Per machine, those of <see cref="ReadTypes"/> of which its audience reads no field
    /// (<see cref="JourneyInputs.EventTypesReadForTimeByAudience"/>): a fan-out batch reads only their times, from the store's index.</summary>
    public string[][] ReadTimeOnlyTypes { get; }
    /// <summary>Per machine, the same types as a mask (an expression that reads a field of one is not evaluated over the batch).</summary>
    public ulong[] ReadTimeOnlyMasks { get; }
    /// <summary>Per machine, the same types as a mask of <see cref="TypeBit"/>s (every type: null in <see cref="ReadTypes"/>).</summary>
    public ulong[] ReadMasks { get; }
    /// <summary>Per machine, the event types its states wait for (<see cref="JourneyMachine.EventsWaitedFor"/>) as a mask: an event of
    /// another type reads a user's state only when it triggers the journey.</summary>
    public ulong[] WaitedForMasks { get; }
    /// <summary>A journey's index in <see cref="Machines"/> by name.</summary>
    public IReadOnlyDictionary<string, int> JourneyIndex { get; }
    /// <summary>The journeys' names by index in <see cref="Machines"/>.</summary>
    public string[] JourneyNames { get; }
    /// <summary>Segments some journey triggers on, distinct, in journey declaration order (as replay), with what they read.</summary>
    public SegmentInputs[] Tracked { get; }
    /// <summary>Per tracked segment, the types whose events its <see cref="SegmentInputs.NextChange"/> reads, as a mask (its
    /// evaluation asks <see cref="TypesRead"/>).</summary>
    public ulong[] TrackedMasks { get; }
    /// <summary>The workspace zone (schedules, the daily segment check, days in results): UTC without `settings`.</summary>
    public TimeZoneInfo Zone { get; }

    /// <summary>Live tags score models through the same engine path as batch: the user's features, then the model.</summary>
    public IModelScorer? Scorer => _scorerOf(Model);

    /// <summary>
    /// The event types an expression reads as a mask of <see cref="TypeBit"/>s (<see cref="ExpressionInputs"/>, transitively
    /// through tags and segments; every type when it may read any, as a model's output does): a cached user's history holds
    /// only the types some evaluation needed (UserStates.EnsureEvents). Asked per evaluation, so kept per expression node.
    /// </summary>
    public ulong TypesRead(BoundExpression expression) => ReadOf(expression).Types;

    /// <summary>The event types of which an expression reads a declared field (<see cref="ExpressionInputs.FieldsRead"/>; every
    /// type when it may read any), as a mask.</summary>
    public ulong FieldsRead(BoundExpression expression) => ReadOf(expression).Fields;

    private (ulong Types, ulong Fields) ReadOf(BoundExpression expression)
    {
        lock (_read)
        {
            if (_read.TryGetValue(expression, out var read)) return read;
            var inputs = ExpressionInputs.Of([expression]);
            return _read[expression] = inputs.ReadsEveryEvent ? (EveryType, EveryType) : (MaskOf(inputs.Events), MaskOf(inputs.FieldsRead));
        }
    }

    private readonly Dictionary<BoundExpression, (ulong Types, ulong Fields)> _read = new(ReferenceEqualityComparer.Instance);

    /// <summary>The mask of <paramref name="types"/>; null: every type.</summary>
    private ulong MaskOf(IEnumerable<EventTypeSymbol>? types) => types?.Aggregate(0UL, (mask, type) => mask | TypeBit(type)) ?? EveryType;

    /// <summary>
    /// A type's bit in a mask: its index in the schema's event types; the types from the 64th on share the last bit (they are
    /// loaded together).
    /// </summary>
    public ulong TypeBit(EventTypeSymbol type) => 1UL << Math.Min(63, Model.Schema.Events.IndexOf(type));

    /// <summary>Every event type of the schema.</summary>
    public ulong EveryType => Model.Schema.Events.Length >= 64 ? ulong.MaxValue : (1UL << Model.Schema.Events.Length) - 1;

    /// <summary>An evaluator of journey conditions over <paramref name="data"/> (one user's history, or a batch of users).</summary>
    public ConditionEvaluator NewEvaluator(DataSet data) => new(Model, data, Scorer);

    /// <summary>
    /// Compiles every condition the journeys evaluate (tracked segments, audiences, `if`
    /// conditions; trigger, goal and wait `where:` predicates) into the compiler's per-model cache,
    /// and runs each condition once as of <paramref name="at"/> for a user with an empty profile and
    /// no events (which also compiles the generated code to machine code): compile once, before a
    /// request needs them, rather than inside the first requests' transactions (a first batch of
    /// profiles or events would otherwise wait for all of it). A condition that does not compile or
    /// fails is left to the evaluation that needs it, which reports it as before.
    /// </summary>
    public void CompileConditions(long at)
    {
        var model = Model;
        var conditions = new List<BoundExpression>();
        foreach (var segment in Tracked) conditions.Add(segment.Condition);
        foreach (var machine in Machines)
            foreach (var (expression, kind, type) in JourneyInputs.Expressions(machine.Journey))
            {
                if (kind == JourneyExpressionKind.Condition) conditions.Add(expression);
                else if (kind == JourneyExpressionKind.Predicate) Try(() => ConditionCompiler.CompilePredicate(model, type!, expression));
            }
        ConditionEvaluator? evaluator = null;
        Try(() =>
        {
            var profile = new object?[model.Schema.ProfileFields.Length];
            profile[Math.Max(0, model.Schema.ProfileOrdinalOf(model.Schema.KeyField))] = "";
            return evaluator = NewEvaluator(new UserHistory(model.Schema, "", profile).Data);
        });
        foreach (var condition in conditions)
        {
            Try(() => ConditionCompiler.Compile(model, condition));
            if (evaluator is not null) Try(() => evaluator.Evaluate(condition, 0, at));
        }

        static void Try(Func<object> compile)
        {
            try { compile(); }
            catch (Exception) { }
        }
    }
}
