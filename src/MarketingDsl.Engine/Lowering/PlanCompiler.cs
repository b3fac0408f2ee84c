using System.Collections.Immutable;
using System.Linq.Expressions;
using System.Reflection;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Engine.Scoring;
using E = System.Linq.Expressions.Expression;

namespace MarketingDsl.Engine.Lowering;

/// <summary>One evaluation pass: computes the symbols of one phase for a range of users.</summary>
public delegate void PhaseProgram(EvalContext context, EvalScratch scratch, int fromUser, int toUser);

/// <summary>A `where:` predicate evaluated on one row of one event table (see <see cref="EvalContext.Events"/>).</summary>
public delegate bool EventPredicateProgram(EvalContext context, int user, int row);

/// <summary>
/// A workspace lowered to expression trees: one compiled delegate per phase. Inside a phase,
/// for each user, every aggregate over the same event type is computed in one fused loop over
/// that user's events, then the symbols are evaluated in dependency order into typed locals.
/// </summary>
public sealed class CompiledPlan
{
    internal CompiledPlan(SemanticModel model, ImmutableArray<PhaseProgram> phases,
        ImmutableArray<(int Id, int InputPhase, int Buckets, bool Descending)> population,
        int aggregateCount, ImmutableArray<(ModelSymbol Model, int Index, int FeaturePhase)> scoredModels, DataColumns columns)
    {
        Model = model;
        Columns = columns;
        Phases = phases;
        Population = population;
        AggregateCount = aggregateCount;
        ScoredModels = scoredModels;
    }

    /// <summary>The models whose features this plan computes (in the phase named), to be scored before the next phase.</summary>
    public ImmutableArray<(ModelSymbol Model, int Index, int FeaturePhase)> ScoredModels { get; }

    public SemanticModel Model { get; }
    public ImmutableArray<PhaseProgram> Phases { get; }
    public ImmutableArray<(int Id, int InputPhase, int Buckets, bool Descending)> Population { get; }
    public int AggregateCount { get; }

    /// <summary>The columns of a data set this plan reads (its phases' code and the recommenders it scores): a reader may skip the others.</summary>
    public DataColumns Columns { get; }
}

/// <summary>Lowers a checked <see cref="SemanticModel"/> to a <see cref="CompiledPlan"/>.</summary>
public static class PlanCompiler
{
    /// <param name="everyModel">Compute the features of every declared model (training), not only of the models tags read.</param>
    public static CompiledPlan Compile(SemanticModel model) => Compile(model, everyModel: false);

    public static CompiledPlan Compile(SemanticModel model, bool everyModel) => Compile(model, everyModel, null);

    /// <summary>
    /// A plan that computes only <paramref name="only"/> (with the populations and models they read);
    /// every other symbol is read from its result array, which the caller fills with values it kept
    /// (<see cref="Evaluation.IncrementalEvaluator"/>). The symbols' own code is lowered exactly as in a
    /// whole plan, so their values are the same.
    /// </summary>
    public static CompiledPlan Compile(SemanticModel model, IReadOnlySet<ComputedSymbol> only) => Compile(model, everyModel: false, only);

    private static CompiledPlan Compile(SemanticModel model, bool everyModel, IReadOnlySet<ComputedSymbol>? only)
    {
        var computed = only is null ? model.Outputs : [.. model.Outputs.Where(only.Contains)];
        var order = only is null ? model.EvaluationOrder : [.. model.EvaluationOrder.Where(only.Contains)];
        var maxPhase = order.Select(s => s.Phase).DefaultIfEmpty(0).Max();
        var population = new List<(int, int, int, bool)>();
        var populationNodes = computed.SelectMany(RootsOf).SelectMany(BoundTree.Descendants).OfType<BoundQuantileScore>()
            .GroupBy(q => q.Id).Select(g => g.First()).ToList();
        foreach (var q in populationNodes) population.Add((q.Id, BoundTree.PhaseOf(q.Value), q.Buckets, q.Descending));
        maxPhase = Math.Max(maxPhase, population.Select(p => p.Item2).DefaultIfEmpty(0).Max());

        var read = computed.SelectMany(RootsOf).SelectMany(BoundTree.Descendants).OfType<BoundModelOutput>().Select(o => o.Model).ToHashSet();
        var scored = model.Models.Select((m, i) => (Model: m, Index: i, FeaturePhase: BoundTree.FeaturePhase(m)))
            .Where(m => (everyModel || read.Contains(m.Model)) && !m.Model.Features.IsEmpty && m.Model.Features.All(f => !f.Type.IsError))
            .ToImmutableArray();
        maxPhase = Math.Max(maxPhase, scored.Select(m => m.FeaturePhase).DefaultIfEmpty(0).Max());

        var phases = ImmutableArray.CreateBuilder<PhaseProgram>();
        var columns = new DataColumns.Builder();
        var aggregateCount = 0;
        for (var phase = 0; phase <= maxPhase; phase++)
        {
            var symbols = order.Where(s => s.Phase == phase).ToList();
            var inputs = populationNodes.Where(q => BoundTree.PhaseOf(q.Value) == phase).ToList();
            var modelInputs = scored.Where(m => m.FeaturePhase == phase).Select(m => (m.Model, m.Index)).ToList();
            if (only is not null && symbols.Count == 0 && inputs.Count == 0 && modelInputs.Count == 0)
            {
                // A phase with nothing to compute in a partial plan: no expression tree to compile.
                phases.Add(static (_, _, _, _) => { });
                continue;
            }
            var lowering = new PhaseLowering(model, phase, aggregateCount, columns);
            phases.Add(lowering.Compile(symbols, inputs, modelInputs: modelInputs));
            aggregateCount = lowering.NextAggregateIndex;
        }
        return new CompiledPlan(model, phases.ToImmutable(), [.. population], aggregateCount, scored, columns.Build());
    }

    internal static IEnumerable<BoundExpression> RootsOf(ComputedSymbol symbol) => BoundTree.RootsOf(symbol);
}

/// <summary>Builds the delegate of one phase.</summary>
/// <param name="columns">Where the columns the code reads are recorded (null: not recorded).</param>
internal sealed class PhaseLowering(SemanticModel model, int phase, int firstAggregateIndex, DataColumns.Builder? columns = null)
{
    private static readonly MethodInfo UpperBound = typeof(DataSet).GetMethod(nameof(DataSet.UpperBound))!;
    private static readonly MethodInfo Accumulate = typeof(Runtime).GetMethod(nameof(Runtime.Accumulate))!;

    private readonly ParameterExpression _context = E.Parameter(typeof(EvalContext), "context");
    private readonly ParameterExpression _scratch = E.Parameter(typeof(EvalScratch), "scratch");
    private readonly ParameterExpression _from = E.Parameter(typeof(int), "from");
    private readonly ParameterExpression _to = E.Parameter(typeof(int), "to");
    private readonly ParameterExpression _user = E.Variable(typeof(int), "u");
    private readonly ParameterExpression _asOf = E.Variable(typeof(long), "asOf");
    private readonly ParameterExpression _zone = E.Variable(typeof(TimeZoneInfo), "zone");

    private readonly List<ParameterExpression> _hoisted = [];
    private readonly List<E> _hoistInit = [];
    private readonly Dictionary<(string, int, int), (ParameterExpression Values, ParameterExpression Nulls)> _columns = [];
    private readonly Dictionary<int, (ParameterExpression Starts, ParameterExpression Ts)> _tables = [];
    private readonly Dictionary<int, ParameterExpression> _results = [];
    private readonly Dictionary<ComputedSymbol, ParameterExpression> _symbolLocals = [];
    private readonly Dictionary<BoundAggregate, ParameterExpression> _aggregateResults = new(ReferenceEqualityComparer.Instance);
    private readonly List<ParameterExpression> _perUserLocals = [];

    public int NextAggregateIndex { get; private set; } = firstAggregateIndex;

    /// <param name="conditions">Extra bool expressions (journey conditions, ConditionCompiler): after the
    /// symbols, condition i is written, null as false, to <see cref="EvalContext.ConditionResults"/>[i].</param>
    /// <param name="modelInputs">Models whose features are known in this phase: feature f of model i is written to
    /// <see cref="EvalContext.ModelFeatures"/>[i][f] for the scorer (FeatureValue: null as NaN).</param>
    public PhaseProgram Compile(List<ComputedSymbol> symbols, List<BoundQuantileScore> populationInputs,
        IReadOnlyList<BoundExpression>? conditions = null, IReadOnlyList<(ModelSymbol Model, int Index)>? modelInputs = null)
    {
        var perUser = new List<E>();
        conditions ??= [];
        modelInputs ??= [];

        // 1. Aggregates of this phase, fused per event type.
        var aggregates = symbols.SelectMany(PlanCompiler.RootsOf).Concat(populationInputs.Select(q => q.Value)).Concat(conditions)
            .Concat(modelInputs.SelectMany(m => m.Model.Features))
            .SelectMany(AggregatesOutsidePopulation).Distinct(ReferenceEqualityComparer.Instance).Cast<BoundAggregate>().ToList();
        foreach (var group in aggregates.GroupBy(a => model.Schema.Events.IndexOf(a.Event)))
            perUser.Add(FusedLoop(group.Key, [.. group]));

        // 2. Symbols in dependency order, each into a local and its result array.
        foreach (var symbol in symbols)
        {
            var local = E.Variable(ClrTypes.Of(symbol.Type), symbol.Name);
            _perUserLocals.Add(local);
            _symbolLocals[symbol] = local;
            perUser.Add(E.Assign(local, LowerSymbol(symbol)));
            perUser.Add(E.Assign(E.ArrayAccess(Result(symbol), _user), local));
        }

        // 3. Inputs of quantile_score nodes whose value is known by now.
        foreach (var q in populationInputs)
        {
            var inputs = E.ArrayIndex(E.Property(_context, nameof(EvalContext.PopulationInputs)), E.Constant(q.Id));
            var input = Lower(q.Value, null);
            var value = typeof(Runtime).GetMethod(nameof(Runtime.RankKey), [input.Type]) is { } typed
                ? E.Call(typed, input)
                : E.Call(typeof(Runtime).GetMethod(nameof(Runtime.RankKey), [typeof(object)])!, E.Convert(input, typeof(object)));
            perUser.Add(E.Assign(E.ArrayAccess(inputs, _user), value));
        }

        // 4. Features of the models scored after this phase.
        foreach (var (m, index) in modelInputs)
        {
            for (var f = 0; f < m.Features.Length; f++)
            {
                var column = E.ArrayIndex(E.ArrayIndex(E.Property(_context, nameof(EvalContext.ModelFeatures)), E.Constant(index)), E.Constant(f));
                var value = Lower(m.Features[f], null);
                var convert = typeof(FeatureValue).GetMethod(nameof(FeatureValue.Of), [value.Type])!;
                perUser.Add(E.Assign(E.ArrayAccess(column, _user), E.Call(convert, value)));
            }
        }

        // 5. Journey conditions (one user, one instant).
        for (var i = 0; i < conditions.Count; i++)
        {
            var results = E.Property(_context, nameof(EvalContext.ConditionResults));
            perUser.Add(E.Assign(E.ArrayAccess(results, E.Constant(i)), AsBool(Lower(conditions[i], null))));
        }

        var breakLabel = E.Label("done");
        var loop = E.Block(
            E.Assign(_user, _from),
            E.Loop(
                E.IfThenElse(E.LessThan(_user, _to),
                    E.Block(_perUserLocals, perUser.Append(E.PostIncrementAssign(_user))),
                    E.Break(breakLabel)),
                breakLabel));

        var body = E.Block(
            new[] { _user, _asOf, _zone }.Concat(_hoisted),
            new E[]
            {
                E.Assign(_asOf, E.Property(_context, nameof(EvalContext.AsOf))),
                E.Assign(_zone, E.Property(_context, nameof(EvalContext.Zone))),
            }.Concat(_hoistInit).Append(loop));
        return E.Lambda<PhaseProgram>(body, $"phase{phase}", [_context, _scratch, _from, _to]).Compile();
    }

    /// <summary>
    /// A `where:` predicate over one event row (a trigger's, a goal's, a `wait … until`'s): true
    /// when it holds, null as false. Event fields are read from the context's tables.
    /// </summary>
    public EventPredicateProgram CompilePredicate(int eventIndex, BoundExpression where)
    {
        var userParameter = E.Parameter(typeof(int), "user");
        var row = E.Parameter(typeof(int), "row");
        var value = AsBool(Lower(where, new EventScope(eventIndex, row)));
        var body = E.Block(
            new[] { _user, _asOf, _zone }.Concat(_hoisted),
            new E[]
            {
                E.Assign(_user, userParameter),
                E.Assign(_asOf, E.Property(_context, nameof(EvalContext.AsOf))),
                E.Assign(_zone, E.Property(_context, nameof(EvalContext.Zone))),
            }.Concat(_hoistInit).Append(value));
        return E.Lambda<EventPredicateProgram>(body, "where", [_context, userParameter, row]).Compile();
    }

    /// <summary>Aggregates in an expression, except inside quantile_score values (those belong to the population pass).</summary>
    private static IEnumerable<BoundAggregate> AggregatesOutsidePopulation(BoundExpression root)
    {
        var stack = new Stack<BoundExpression>([root]);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            if (node is BoundAggregate a) { yield return a; continue; }
            if (node is BoundQuantileScore && !ReferenceEquals(node, root)) continue;
            foreach (var child in BoundTree.Children(node)) stack.Push(child);
        }
    }

    // ------------------------------------------------------------------ hoisted arrays

    private ParameterExpression Result(ComputedSymbol symbol)
    {
        if (_results.TryGetValue(symbol.OutputIndex, out var local)) return local;
        var type = ClrTypes.Of(symbol.Type).MakeArrayType();
        local = E.Variable(type, $"result_{symbol.Name}");
        _hoisted.Add(local);
        var result = E.ArrayIndex(E.Property(_context, nameof(EvalContext.Results)), E.Constant(symbol.OutputIndex));
        _hoistInit.Add(E.Assign(local, E.Convert(result, type)));
        return _results[symbol.OutputIndex] = local;
    }

    private (ParameterExpression Values, ParameterExpression Nulls) ColumnArrays(int eventIndex, int ordinal, DslType type)
    {
        var key = (eventIndex < 0 ? "profile" : "event", eventIndex, ordinal);
        if (_columns.TryGetValue(key, out var arrays)) return arrays;
        if (eventIndex < 0) columns?.Profile(ordinal);
        else columns?.Field(eventIndex, ordinal);
        var columnType = ColumnType(type);
        var valuesType = columnType.GetProperty("Values")!.PropertyType;
        var values = E.Variable(valuesType, $"values_{eventIndex}_{ordinal}");
        var nulls = E.Variable(typeof(bool[]), $"nulls_{eventIndex}_{ordinal}");
        E column = eventIndex < 0
            ? E.ArrayIndex(E.Property(_context, nameof(EvalContext.ProfileColumns)), E.Constant(ordinal))
            : E.ArrayIndex(
                E.Property(E.ArrayIndex(E.Property(_context, nameof(EvalContext.Events)), E.Constant(eventIndex)), nameof(EventTable.Fields)),
                E.Constant(ordinal));
        var typed = E.Variable(columnType, "column");
        _hoisted.Add(values);
        _hoisted.Add(nulls);
        _hoistInit.Add(E.Block([typed],
            E.Assign(typed, E.Convert(column, columnType)),
            E.Assign(values, E.Property(typed, "Values")),
            E.Assign(nulls, E.Property(typed, nameof(Column.Nulls)))));
        return _columns[key] = (values, nulls);
    }

    private static Type ColumnType(DslType type) => type.Kind switch
    {
        TypeKind.Bool => typeof(BoolColumn),
        TypeKind.Int => typeof(IntColumn),
        TypeKind.Decimal => typeof(DecimalColumn),
        TypeKind.Date => typeof(DateColumn),
        TypeKind.DateTime => typeof(DateTimeColumn),
        TypeKind.Duration => typeof(DurationColumn),
        TypeKind.List => typeof(ListColumn),
        _ => typeof(StringColumn),
    };

    private (ParameterExpression Starts, ParameterExpression Ts) Table(int eventIndex)
    {
        if (_tables.TryGetValue(eventIndex, out var t)) return t;
        columns?.Table(eventIndex);
        var starts = E.Variable(typeof(int[]), $"starts_{eventIndex}");
        var ts = E.Variable(typeof(long[]), $"ts_{eventIndex}");
        var table = E.ArrayIndex(E.Property(_context, nameof(EvalContext.Events)), E.Constant(eventIndex));
        _hoisted.Add(starts);
        _hoisted.Add(ts);
        _hoistInit.Add(E.Assign(starts, E.Property(table, nameof(EventTable.UserStart))));
        _hoistInit.Add(E.Assign(ts, E.Property(table, nameof(EventTable.Ts))));
        return _tables[eventIndex] = (starts, ts);
    }

    /// <summary>Reads row <paramref name="row"/> of a typed column as a nullable CLR value.</summary>
    private E ReadColumn(int eventIndex, int ordinal, DslType type, E row)
    {
        var (values, nulls) = ColumnArrays(eventIndex, ordinal, type);
        var target = ClrTypes.Of(type);
        E raw = E.ArrayIndex(values, row);
        if (type.Kind is TypeKind.String or TypeKind.List) return raw;
        E value = type.Kind switch
        {
            TypeKind.Date => E.Call(typeof(DateOnly).GetMethod(nameof(DateOnly.FromDayNumber))!, raw),
            TypeKind.DateTime => E.New(typeof(DateTime).GetConstructor([typeof(long), typeof(DateTimeKind)])!, raw, E.Constant(DateTimeKind.Utc)),
            TypeKind.Duration => E.New(typeof(TimeSpan).GetConstructor([typeof(long)])!, raw),
            _ => raw,
        };
        var isNull = E.AndAlso(E.NotEqual(nulls, E.Constant(null, typeof(bool[]))), E.ArrayIndex(nulls, row));
        return E.Condition(isNull, E.Constant(null, target), E.Convert(value, target));
    }

    // ------------------------------------------------------------------ fused aggregate loop

    private sealed record Accumulator(
        BoundAggregate Aggregate,
        int Index,
        ParameterExpression Count,
        ParameterExpression Sum,
        ParameterExpression Value,
        ParameterExpression Found,
        ParameterExpression Result);

    private E FusedLoop(int eventIndex, List<BoundAggregate> aggregates)
    {
        var (starts, ts) = Table(eventIndex);
        var userStart = E.Variable(typeof(int), "userStart");
        var row = E.Variable(typeof(int), "row");
        var end = E.Variable(typeof(int), "end");
        var rowTs = E.Variable(typeof(long), "rowTs");
        var locals = new List<ParameterExpression> { userStart, row, end, rowTs };
        var body = new List<E>
        {
            E.Assign(userStart, E.ArrayIndex(starts, _user)),
            E.Assign(end, E.Call(UpperBound, ts, userStart, E.ArrayIndex(starts, E.Increment(_user)), _asOf)),
        };
        var init = new List<E>();
        var updates = new List<E>();
        var finish = new List<E>();

        // First row inside a window: events are sorted by ts, so a binary search finds it.
        E WindowStart(long? window) => window is { } w
            ? E.Call(UpperBound, ts, userStart, end, E.Subtract(_asOf, E.Constant(w)))
            : userStart;

        foreach (var aggregate in aggregates)
        {
            if (aggregate.LooksForward) throw new NotSupportedException("`next` windows are only evaluated when a model is trained.");
            var fieldType = aggregate.Field?.Type.NonNullable ?? DslType.Int;
            var itemType = aggregate.OverItems ? fieldType.Element! : fieldType;
            var result = E.Variable(ClrTypes.Of(aggregate.Type), $"agg{NextAggregateIndex}");
            _perUserLocals.Add(result);
            _aggregateResults[aggregate] = result;

            // count/exists/first/last without where: need no walk, only the window's bounds.
            if (aggregate.Where is null && aggregate.Kind is AggregateKind.Count or AggregateKind.Exists or AggregateKind.First or AggregateKind.Last)
            {
                NextAggregateIndex++;
                var lo = E.Variable(typeof(int), "lo");
                E value = aggregate.Kind switch
                {
                    AggregateKind.Count => E.Convert(E.Convert(E.Subtract(end, lo), typeof(long)), typeof(long?)),
                    AggregateKind.Exists => E.Convert(E.GreaterThan(end, lo), typeof(bool?)),
                    AggregateKind.First => E.Condition(E.GreaterThan(end, lo),
                        Convert(FieldValue(eventIndex, aggregate, fieldType, lo), result.Type), E.Constant(null, result.Type)),
                    _ => E.Condition(E.GreaterThan(end, lo),
                        Convert(FieldValue(eventIndex, aggregate, fieldType, E.Decrement(end)), result.Type), E.Constant(null, result.Type)),
                };
                body.Add(E.Block([lo], E.Assign(lo, WindowStart(aggregate.WindowTicks)), E.Assign(result, value)));
                continue;
            }

            var acc = new Accumulator(aggregate, NextAggregateIndex++,
                E.Variable(typeof(long), "count"), E.Variable(typeof(decimal), "sum"),
                E.Variable(ClrTypes.Of(itemType), "value"), E.Variable(typeof(bool), "found"), result);
            locals.AddRange([acc.Count, acc.Sum, acc.Value, acc.Found]);
            init.Add(E.Assign(acc.Count, E.Constant(0L)));
            init.Add(E.Assign(acc.Sum, E.Constant(0m)));
            init.Add(E.Assign(acc.Value, E.Default(acc.Value.Type)));
            init.Add(E.Assign(acc.Found, E.Constant(false)));
            if (aggregate.Kind == AggregateKind.Distinct) init.Add(E.Call(DistinctSet(acc), typeof(HashSet<object>).GetMethod("Clear")!));
            if (aggregate.Kind == AggregateKind.Top) init.Add(E.Call(TopCounts(acc), typeof(TopCounter).GetMethod(nameof(TopCounter.Clear))!));

            E update = Update(acc, eventIndex, row, fieldType);
            if (aggregate.Where is not null)
                update = E.IfThen(E.Coalesce(Lower(aggregate.Where, new EventScope(eventIndex, row)), E.Constant(false)), update);
            // exists(…, where: …) is decided by its first match: the predicate is not evaluated again.
            if (aggregate.Kind == AggregateKind.Exists) update = E.IfThen(E.Equal(acc.Count, E.Constant(0L)), update);
            if (aggregate.WindowTicks is { } window)
                update = E.IfThen(E.GreaterThan(rowTs, E.Subtract(_asOf, E.Constant(window))), update);
            updates.Add(update);
            finish.Add(E.Assign(acc.Result, Finish(acc)));
        }

        if (updates.Count > 0)
        {
            // The walk starts at the widest window when every walked aggregate has one:
            // older events cannot matter to any of them.
            var walked = aggregates
                .Where(a => !(a.Where is null && a.Kind is AggregateKind.Count or AggregateKind.Exists or AggregateKind.First or AggregateKind.Last))
                .ToList();
            var firstRow = walked.All(a => a.WindowTicks is not null) ? WindowStart(walked.Max(a => a.WindowTicks!.Value)) : userStart;
            var breakLabel = E.Label("endEvents");
            body.AddRange(init);
            body.Add(E.Assign(row, firstRow));
            body.Add(E.Loop(
                E.IfThenElse(E.LessThan(row, end),
                    E.Block(updates.Prepend(E.Assign(rowTs, E.ArrayIndex(ts, row))).Append(E.PostIncrementAssign(row))),
                    E.Break(breakLabel)),
                breakLabel));
            body.AddRange(finish);
        }
        return E.Block(locals, body);
    }

    /// <summary>The aggregated field of the event at <paramref name="row"/>, as a nullable CLR value.</summary>
    private E FieldValue(int eventIndex, BoundAggregate a, DslType fieldType, E row) => a.FieldOrdinal switch
    {
        0 => E.ArrayIndex(E.Property(E.Property(_context, nameof(EvalContext.Data)), nameof(DataSet.UserIds)), _user),
        1 => UtcInstant(E.ArrayIndex(Table(eventIndex).Ts, row)),
        _ => ReadColumn(eventIndex, a.FieldOrdinal, fieldType, row),
    };

    private E Update(Accumulator acc, int eventIndex, ParameterExpression row, DslType fieldType)
    {
        var a = acc.Aggregate;
        if (a.Kind is AggregateKind.Count or AggregateKind.Exists) return E.PreIncrementAssign(acc.Count);
        var value = FieldValue(eventIndex, a, fieldType, row);
        var v = E.Variable(a.OverItems ? ClrTypes.Of(fieldType.Element!) : value.Type, "v");
        if (a.OverItems) fieldType = fieldType.Element!;
        var hasValue = v.Type == typeof(string) ? E.NotEqual(v, E.Constant(null, typeof(string))) : (E)E.Property(v, "HasValue");
        E body;
        switch (a.Kind)
        {
            // For sum and avg, Found marks an overflowed running sum (the aggregate is then null).
            case AggregateKind.Sum:
                body = E.IfThen(hasValue, E.Call(Accumulate, acc.Sum, acc.Found, E.Convert(E.Property(v, "Value"), typeof(decimal))));
                break;
            case AggregateKind.Avg:
                body = E.IfThen(hasValue, E.Block(
                    E.Call(Accumulate, acc.Sum, acc.Found, E.Convert(E.Property(v, "Value"), typeof(decimal))),
                    E.PreIncrementAssign(acc.Count)));
                break;
            case AggregateKind.Min or AggregateKind.Max:
                E better;
                if (fieldType.Kind == TypeKind.String)
                {
                    var cmp = E.Call(E.Constant(CodePointComparer.Instance),
                        typeof(CodePointComparer).GetMethod(nameof(CodePointComparer.Compare), [typeof(string), typeof(string)])!, v, acc.Value);
                    better = a.Kind == AggregateKind.Min ? E.LessThan(cmp, E.Constant(0)) : E.GreaterThan(cmp, E.Constant(0));
                }
                else
                {
                    var left = E.Property(v, "Value");
                    var right = E.Property(acc.Value, "Value");
                    better = a.Kind == AggregateKind.Min ? E.LessThan(left, right) : E.GreaterThan(left, right);
                }
                body = E.IfThen(hasValue, E.IfThen(E.OrElse(E.Not(acc.Found), better),
                    E.Block(E.Assign(acc.Value, v), E.Assign(acc.Found, E.Constant(true)))));
                break;
            case AggregateKind.First:
                body = E.IfThen(E.Not(acc.Found), E.Block(E.Assign(acc.Value, v), E.Assign(acc.Found, E.Constant(true))));
                break;
            case AggregateKind.Last:
                body = E.Block(E.Assign(acc.Value, v), E.Assign(acc.Found, E.Constant(true)));
                break;
            case AggregateKind.Distinct:
                body = E.Call(typeof(Runtime).GetMethod(nameof(Runtime.DistinctAdd))!, DistinctSet(acc), E.Convert(v, typeof(object)));
                break;
            default: // Top
                body = E.Call(typeof(Runtime).GetMethod(nameof(Runtime.TopAdd), [typeof(TopCounter), typeof(object)])!, TopCounts(acc),
                    E.Convert(v, typeof(object)));
                break;
        }
        if (!a.OverItems) return E.Block([v], E.Assign(v, value), body);
        // Over a list field: the same step for each item of the event's list (a null list has none).
        var items = E.Variable(typeof(object?[]), "items");
        var i = E.Variable(typeof(int), "item");
        var done = E.Label("itemsDone");
        return E.Block([items, i, v],
            E.Assign(items, value),
            E.IfThen(E.NotEqual(items, E.Constant(null, typeof(object?[]))), E.Block(
                E.Assign(i, E.Constant(0)),
                E.Loop(E.IfThenElse(E.LessThan(i, E.ArrayLength(items)),
                    E.Block(E.Assign(v, E.Convert(E.ArrayIndex(items, i), v.Type)), body, E.PostIncrementAssign(i)),
                    E.Break(done)), done))));
    }

    private E Finish(Accumulator acc)
    {
        var a = acc.Aggregate;
        return a.Kind switch
        {
            AggregateKind.Count => E.Convert(acc.Count, typeof(long?)),
            AggregateKind.Exists => E.Convert(E.GreaterThan(acc.Count, E.Constant(0L)), typeof(bool?)),
            AggregateKind.Sum => E.Condition(acc.Found, E.Constant(null, typeof(decimal?)), E.Convert(acc.Sum, typeof(decimal?))),
            AggregateKind.Avg => E.Condition(E.OrElse(acc.Found, E.Equal(acc.Count, E.Constant(0L))),
                E.Constant(null, typeof(decimal?)),
                E.Convert(E.Divide(acc.Sum, E.Convert(acc.Count, typeof(decimal))), typeof(decimal?))),
            AggregateKind.Distinct => E.Convert(E.Property(DistinctSet(acc), "Count"), typeof(long?)),
            AggregateKind.Top => E.Call(typeof(Runtime).GetMethod(nameof(Runtime.TopK), [typeof(TopCounter), typeof(int)])!, TopCounts(acc),
                E.Constant(a.TopCount)),
            _ => acc.Value.Type == ClrTypes.Of(a.Type) ? acc.Value : E.Convert(acc.Value, ClrTypes.Of(a.Type)),
        };
    }

    // ------------------------------------------------------------------ expressions

    private sealed record EventScope(int EventIndex, ParameterExpression Row);

    private E LowerSymbol(ComputedSymbol symbol) => symbol switch
    {
        TagSymbol t => Convert(Lower(t.Body, null), ClrTypes.Of(t.Type)),
        SegmentSymbol s => E.Convert(AsBool(Lower(s.Condition, null)), typeof(bool?)),
        SegmentationSymbol s => s.Rules.Reverse().Aggregate((E)E.Constant(null, typeof(string)), (otherwise, rule) =>
            rule.Condition is null
                ? E.Constant(rule.Name, typeof(string))
                : E.Condition(AsBool(Lower(rule.Condition, null)), E.Constant(rule.Name, typeof(string)), otherwise)),
        _ => throw new InvalidOperationException(),
    };

    /// <summary>Null counts as false in a boolean context.</summary>
    private static E AsBool(E e) => e.Type == typeof(bool) ? e : E.Coalesce(e, E.Constant(false));

    private static E Convert(E e, Type target) => e.Type == target ? e : E.Convert(e, target);

    /// <summary>A <see cref="DateTime"/>? in UTC from ticks.</summary>
    private static E UtcInstant(E ticks) =>
        E.Convert(
            E.New(typeof(DateTime).GetConstructor([typeof(long), typeof(DateTimeKind)])!, ticks, E.Constant(DateTimeKind.Utc)),
            typeof(DateTime?));

    /// <summary>The scratch set of a `distinct` aggregate.</summary>
    private E DistinctSet(Accumulator acc) => E.ArrayIndex(E.Property(_scratch, nameof(EvalScratch.Sets)), E.Constant(acc.Index));

    /// <summary>The scratch counter of a `top` aggregate.</summary>
    private E TopCounts(Accumulator acc) => E.ArrayIndex(E.Property(_scratch, nameof(EvalScratch.Counts)), E.Constant(acc.Index));

    private E Lower(BoundExpression e, EventScope? scope)
    {
        var target = ClrTypes.Of(e.Type);
        switch (e)
        {
            case BoundLiteral l:
                return E.Constant(LiteralValue(l.Value, l.Type), target);
            case BoundProfileField p:
                return p.Ordinal == -1 ? E.Constant(null, target) : ReadColumn(-1, p.Ordinal, p.Field.Type.NonNullable, _user);
            case BoundEventField f:
                if (scope is null) throw new InvalidOperationException("event field outside an aggregate");
                return f.Ordinal switch
                {
                    0 => E.ArrayIndex(E.Property(E.Property(_context, nameof(EvalContext.Data)), nameof(DataSet.UserIds)), _user),
                    1 => UtcInstant(E.ArrayIndex(Table(scope.EventIndex).Ts, scope.Row)),
                    _ => ReadColumn(scope.EventIndex, f.Ordinal, f.Field.Type.NonNullable, scope.Row),
                };
            case BoundSymbolReference r:
                return _symbolLocals.TryGetValue(r.Symbol, out var local) ? local : E.ArrayIndex(Result(r.Symbol), _user);
            case BoundAggregate a:
                return _aggregateResults[a];
            case BoundQuantileScore q:
                return E.ArrayIndex(E.ArrayIndex(E.Property(_context, nameof(EvalContext.PopulationScores)), E.Constant(q.Id)), _user);
            case BoundNow:
                return UtcInstant(_asOf);
            case BoundConversion c:
                return E.Convert(Lower(c.Operand, scope), target);
            case BoundUnary { Operator: BoundUnaryOperator.Not } u:
                return E.Convert(E.Not(AsBool(Lower(u.Operand, scope))), typeof(bool?));
            case BoundUnary u:
                var operand = Lower(u.Operand, scope);
                return E.Call(typeof(Runtime).GetMethod(nameof(Runtime.Negate), [operand.Type])!, operand);
            case BoundBinary b:
                return LowerBinary(b, scope);
            case BoundIn i when i.Value.Type.Kind == TypeKind.String
                && i.List is BoundList sl && sl.Items.All(item => item is BoundLiteral { Value: string }):
            {
                // `category in ["a", "b"]`: an ordinal string compare per item.
                var strings = sl.Items.Select(item => (string)((BoundLiteral)item).Value!).ToArray();
                var text = E.Variable(typeof(string), "inValue");
                var found = E.Call(typeof(Runtime).GetMethod(nameof(Runtime.InStrings))!, text, E.Constant(strings));
                return E.Block([text], E.Assign(text, Lower(i.Value, scope)),
                    E.Convert(i.Negated ? E.AndAlso(E.NotEqual(text, E.Constant(null, typeof(string))), E.Not(found)) : found, typeof(bool?)));
            }
            case BoundIn i:
            {
                // A null value or a null list (a list field without a value) makes both `in` and `not in` false.
                var item = E.Variable(typeof(object), "inValue");
                var list = E.Variable(typeof(object?[]), "inList");
                var inList = E.Call(typeof(Runtime).GetMethod(nameof(Runtime.InList))!, item, list);
                var known = E.AndAlso(E.NotEqual(item, E.Constant(null)), E.NotEqual(list, E.Constant(null, typeof(object?[]))));
                return E.Block([item, list], E.Assign(item, E.Convert(Lower(i.Value, scope), typeof(object))), E.Assign(list, Lower(i.List, scope)),
                    E.Convert(i.Negated ? E.AndAlso(known, E.Not(inList)) : inList, typeof(bool?)));
            }
            case BoundBetween b:
                var value = E.Variable(ClrTypes.Of(b.Value.Type), "between");
                var inside = E.AndAlso(
                    Compare(BoundBinaryOperator.GreaterOrEqual, value, Lower(b.Low, scope)),
                    Compare(BoundBinaryOperator.LessOrEqual, value, Lower(b.High, scope)));
                var notNull = IsNotNull(value);
                var between = b.Negated ? E.AndAlso(notNull, E.Not(inside)) : inside;
                return E.Block([value], E.Assign(value, Lower(b.Value, scope)), E.Convert(between, typeof(bool?)));
            case BoundIsNull n:
                var test = IsNotNull(Lower(n.Operand, scope));
                return E.Convert(n.Negated ? test : E.Not(test), typeof(bool?));
            case BoundList l when l.Items.All(item => item is BoundLiteral):
                // A list of literals (`category in ["a", "b"]`) is built once, not per event.
                return E.Constant(l.Items.Select(item => LiteralValue(((BoundLiteral)item).Value, item.Type)).ToArray(), typeof(object?[]));
            case BoundList l:
                return E.NewArrayInit(typeof(object), l.Items.Select(item => E.Convert(Lower(item, scope), typeof(object))));
            case BoundCase c:
                return c.Whens.Reverse().Aggregate(c.Else is null ? E.Constant(null, target) : Convert(Lower(c.Else, scope), target),
                    (otherwise, when) => E.Condition(AsBool(Lower(when.Condition, scope)), Convert(Lower(when.Result, scope), target), otherwise));
            case BoundCall call:
                return LowerCall(call, scope);
            case BoundCustomCall call:
                return LowerCustomCall(call, scope);
            case BoundModelOutput { IsRecommendation: true } r:
                // Scored per user from the user's events (no pass over the population first).
                if (columns is not null && r.Model.Recommender is { } recommender)
                    foreach (var (table, field) in TrainedRecommender.SourceColumns(recommender, model.Schema)) columns.Field(table, field);
                return E.Call(typeof(Runtime).GetMethod(nameof(Runtime.Recommendation))!,
                    _context, E.Constant(r.Model), E.Constant((int)r.Output), _user,
                    r.Item is null ? E.Constant(null, typeof(string)) : E.Convert(Lower(r.Item, scope), typeof(string)),
                    r.Count is null ? E.Constant(null, typeof(long?)) : E.Convert(Lower(r.Count, scope), typeof(long?)));
            case BoundModelOutput o:
                // Filled by the scorer between phases (CompiledEngine); null where no trained model scored.
                var outputs = E.ArrayIndex(E.Property(_context, nameof(EvalContext.ModelOutputs)), E.Constant(model.Models.IndexOf(o.Model)));
                var typed = E.Convert(E.ArrayIndex(outputs, E.Constant((int)o.Output)), target.MakeArrayType());
                return E.ArrayIndex(typed, _user);
            default:
                throw new InvalidOperationException($"cannot lower {e.GetType().Name}");
        }
    }

    private static object? LiteralValue(object? value, DslType type) => (value, type.Kind) switch
    {
        (long ticks, TypeKind.Duration) => new TimeSpan(ticks),
        (ImmutableArray<object?> list, _) => list.ToArray(),
        _ => value,
    };

    private static E IsNotNull(E e) => e.Type.IsValueType && Nullable.GetUnderlyingType(e.Type) is null
        ? E.Constant(true)
        : E.NotEqual(e, E.Constant(null, e.Type));

    private E LowerBinary(BoundBinary b, EventScope? scope)
    {
        var left = Lower(b.Left, scope);
        var right = Lower(b.Right, scope);
        switch (b.Operator)
        {
            case BoundBinaryOperator.And: return E.Convert(E.AndAlso(AsBool(left), AsBool(right)), typeof(bool?));
            case BoundBinaryOperator.Or: return E.Convert(E.OrElse(AsBool(left), AsBool(right)), typeof(bool?));
            case BoundBinaryOperator.Coalesce: return E.Coalesce(left, Convert(right, left.Type));
            case BoundBinaryOperator.Divide when left.Type == typeof(decimal?):
                return E.Call(typeof(Runtime).GetMethod(nameof(Runtime.Divide))!, left, right);
            case BoundBinaryOperator.Add or BoundBinaryOperator.Subtract or BoundBinaryOperator.Multiply:
                var name = b.Operator switch
                {
                    BoundBinaryOperator.Add => nameof(Runtime.Add),
                    BoundBinaryOperator.Subtract => nameof(Runtime.Subtract),
                    _ => nameof(Runtime.Multiply),
                };
                var arithmetic = typeof(Runtime).GetMethod(name, [left.Type, right.Type])
                    ?? throw new InvalidOperationException($"{name}({left.Type}, {right.Type})");
                return E.Call(arithmetic, left, right);
            default:
                return E.Convert(Compare(b.Operator, left, right), typeof(bool?));
        }
    }

    /// <summary>A comparison that is false when either side is null (LANGUAGE.md §10.3), strings in code point order.</summary>
    private static E Compare(BoundBinaryOperator op, E left, E right)
    {
        if (left.Type == typeof(string))
        {
            if (op == BoundBinaryOperator.Equal) return E.Call(typeof(Runtime).GetMethod(nameof(Runtime.StringEquals))!, left, right);
            if (op == BoundBinaryOperator.NotEqual) return E.Call(typeof(Runtime).GetMethod(nameof(Runtime.StringNotEquals))!, left, right);
            var cmp = E.Call(typeof(Runtime).GetMethod(nameof(Runtime.StringCompare))!, left, right);
            return OrderOp(op, cmp, E.Constant(0, typeof(int?)));
        }
        if (left.Type == typeof(object?[]))
            return E.Call(
                typeof(Runtime).GetMethod(op == BoundBinaryOperator.Equal ? nameof(Runtime.ListEquals) : nameof(Runtime.ListNotEquals))!,
                left, right);
        if (op is BoundBinaryOperator.Equal or BoundBinaryOperator.NotEqual)
        {
            var underlying = Nullable.GetUnderlyingType(left.Type)!;
            var method = typeof(Runtime)
                .GetMethod(op == BoundBinaryOperator.Equal ? nameof(Runtime.ValueEquals) : nameof(Runtime.ValueNotEquals))!
                .MakeGenericMethod(underlying);
            return E.Call(method, left, Convert(right, left.Type));
        }
        return OrderOp(op, left, Convert(right, left.Type));
    }

    private static E OrderOp(BoundBinaryOperator op, E left, E right) => op switch
    {
        BoundBinaryOperator.Less => E.LessThan(left, right, liftToNull: false, method: null),
        BoundBinaryOperator.LessOrEqual => E.LessThanOrEqual(left, right, liftToNull: false, method: null),
        BoundBinaryOperator.Greater => E.GreaterThan(left, right, liftToNull: false, method: null),
        _ => E.GreaterThanOrEqual(left, right, liftToNull: false, method: null),
    };

    private E LowerCall(BoundCall call, EventScope? scope)
    {
        var args = call.Arguments.Select(a => Lower(a, scope)).ToList();
        MethodInfo Method(string name, params Type[] types) => typeof(Runtime).GetMethod(name, types) ?? throw new InvalidOperationException(name);
        switch (call.Function)
        {
            case BuiltinFunction.DaysSince or BuiltinFunction.HoursSince:
                var unit = E.Constant(call.Function == BuiltinFunction.DaysSince ? TimeSpan.TicksPerDay : TimeSpan.TicksPerHour);
                return E.Call(Method(nameof(Runtime.Since), args[0].Type, typeof(long), typeof(long)), args[0], _asOf, unit);
            case BuiltinFunction.YearsBetween:
                return E.Call(Method(nameof(Runtime.YearsBetween), typeof(DateOnly?), typeof(DateOnly?)), ToDate(args[0]), ToDate(args[1]));
            case BuiltinFunction.Date:
                return ToDate(args[0]);
            case BuiltinFunction.Hour:
                return E.Call(Method(nameof(Runtime.Hour), typeof(DateTime?), typeof(TimeZoneInfo)), args[0], _zone);
            case BuiltinFunction.Weekday:
                return E.Call(Method(nameof(Runtime.Weekday), typeof(DateOnly?)), ToDate(args[0]));
            case BuiltinFunction.Lower: return E.Call(Method(nameof(Runtime.Lower), typeof(string)), args[0]);
            case BuiltinFunction.Upper: return E.Call(Method(nameof(Runtime.Upper), typeof(string)), args[0]);
            case BuiltinFunction.Contains: return E.Call(Method(nameof(Runtime.Contains), typeof(string), typeof(string)), args[0], args[1]);
            case BuiltinFunction.StartsWith: return E.Call(Method(nameof(Runtime.StartsWith), typeof(string), typeof(string)), args[0], args[1]);
            case BuiltinFunction.ListContains:
                return E.Call(Method(nameof(Runtime.ListContains), typeof(object?[]), typeof(object)), args[0], E.Convert(args[1], typeof(object)));
            case BuiltinFunction.Size: return E.Call(Method(nameof(Runtime.Size), typeof(object?[])), args[0]);
            case BuiltinFunction.Round:
                return E.Call(Method(nameof(Runtime.Round), typeof(decimal?), typeof(long)), Convert(args[0], typeof(decimal?)),
                    E.Constant((long)((BoundLiteral)call.Arguments[1]).Value!));
            case BuiltinFunction.Abs: return E.Call(Method(nameof(Runtime.Abs), args[0].Type), args[0]);
            case BuiltinFunction.Coalesce:
                var target = ClrTypes.Of(call.Type);
                return args.Select(a => Convert(a, target)).Reverse().Aggregate((E?)null, (rest, a) => rest is null ? a : E.Coalesce(a, rest))!;
            default:
                throw new InvalidOperationException(call.Function.ToString());
        }
    }

    /// <summary>
    /// A custom function: its typed invoker (built once by the loader; no reflection per call) in
    /// a try/catch, so a failed call (spent budget, exception) becomes null for this user and is
    /// recorded, and the phase goes on with the next user.
    /// </summary>
    private E LowerCustomCall(BoundCustomCall call, EventScope? scope)
    {
        var target = ClrTypes.Of(call.Type);
        var invoker = call.Function.Invoker;
        var args = call.Arguments.Select((a, i) => Convert(Lower(a, scope), ClrTypes.Of(call.Function.Parameters[i].Type))).ToList();
        var failure = E.Parameter(typeof(Core.Functions.CustomFunctionException), "failure");
        var record = typeof(EvalContext).GetMethod(nameof(EvalContext.RecordFunctionFailure))!;
        return E.TryCatch(
            Convert(E.Invoke(E.Constant(invoker), args), target),
            E.Catch(failure, E.Block(E.Call(_context, record, failure, _user), E.Constant(null, target))));
    }

    /// <summary>A date, or the calendar date of a datetime in the workspace zone.</summary>
    private E ToDate(E value) => value.Type == typeof(DateOnly?)
        ? value
        : E.Call(typeof(Runtime).GetMethod(nameof(Runtime.DateOf))!, value, _zone);
}
