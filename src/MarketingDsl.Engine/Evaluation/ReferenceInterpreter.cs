using System.Collections.Immutable;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;

namespace MarketingDsl.Engine.Evaluation;

/// <summary>
/// The oracle: a plain walk of the bound model, one user at a time, that the compiled engine is
/// checked against. Clarity beats speed (every aggregate scans the user's events of its type).
/// <para>Semantics (LANGUAGE.md §12 and tests/conformance/README.md):</para>
/// <list type="bullet">
/// <item>Only events with ts ≤ T exist; <c>within: D</c> keeps T − D &lt; ts ≤ T.</item>
/// <item>Null propagates through arithmetic and functions; a comparison with null, <c>in</c> and
/// <c>between</c> with a null value are false; <c>x / 0</c> and an overflowing calculation are null;
/// in a boolean context (and, or, not, where:, case when, segments) null is false.</item>
/// <item>Internally values are boxed like <see cref="BoundLiteral"/> (a duration is long ticks); at
/// the edge (results, <see cref="EvaluateExpression(SemanticModel, DataSet, DateTime, int, BoundExpression)"/>)
/// a duration is a <see cref="TimeSpan"/> and a list an <see cref="IReadOnlyList{T}"/>.</item>
/// </list>
/// </summary>
public sealed class ReferenceInterpreter : ITagEvaluator
{
    /// <summary>
    /// The trained recommenders whose members are computed here (by this
    /// walk, from their neighbour lists); null: the members are null.
    /// </summary>
    public Scoring.IRecommenderScorer? Recommenders { get; init; }

    public EvaluationResult Evaluate(SemanticModel model, DataSet data, DateTime asOfUtc)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        var run = new Run(model, data, asOfUtc, null, Recommenders);
        // Phase by phase, so a population function finds the values it ranks already computed.
        foreach (var symbol in model.EvaluationOrder)
            for (var user = 0; user < data.UserCount; user++) run.ValueOf(symbol, user);
        var columns = model.Outputs.Select(symbol =>
        {
            var values = new object?[data.UserCount];
            for (var user = 0; user < values.Length; user++) values[user] = ToPublic(run.ValueOf(symbol, user), symbol.Type);
            return (ResultColumn)new BoxedResultColumn(symbol, values);
        });
        return new EvaluationResult(model, data, asOfUtc, [.. columns], run.FunctionFailures);
    }

    /// <summary>
    /// The value of any bound expression (e.g. a test's `expect`) for one user (an index into
    /// <see cref="DataSet.UserIds"/>), as of <paramref name="asOfUtc"/>; tags it mentions are computed here.
    /// </summary>
    public object? EvaluateExpression(SemanticModel model, DataSet data, DateTime asOfUtc, int user, BoundExpression expression)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        var run = new Run(model, data, asOfUtc, null, Recommenders);
        return ToPublic(run.Eval(expression, new Row(user)), expression.Type);
    }

    /// <summary>
    /// Like <see cref="EvaluateExpression(SemanticModel, DataSet, DateTime, int, BoundExpression)"/>, but
    /// tags, segments and segmentations are read from <paramref name="computed"/> (e.g. the compiled
    /// engine's result), so an expectation checks that evaluator's values.
    /// </summary>
    public object? EvaluateExpression(EvaluationResult computed, int user, BoundExpression expression)
    {
        ArgumentNullException.ThrowIfNull(computed);
        var run = new Run(computed.Model, computed.Data, computed.AsOfUtc, computed, Recommenders);
        return ToPublic(run.Eval(expression, new Row(user)), expression.Type);
    }

    // ------------------------------------------------------------------ value representation

    /// <summary>Internal → edge: duration ticks become TimeSpan, lists become read-only lists.</summary>
    internal static object? ToPublic(object? value, DslType type) => value switch
    {
        null => null,
        long ticks when type.Kind == TypeKind.Duration => new TimeSpan(ticks),
        IReadOnlyList<object?> list => list.Select(v => ToPublic(v, type.Element ?? DslType.Error)).ToImmutableArray(),
        _ => value,
    };

    /// <summary>Edge → internal (values read from an <see cref="EvaluationResult"/> or a data column).</summary>
    internal static object? ToInternal(object? value) => value switch
    {
        TimeSpan span => span.Ticks,
        IReadOnlyList<object?> list => list.Select(ToInternal).ToImmutableArray(),
        int i => (long)i,
        _ => value,
    };

    /// <summary>Orders two non-null values of one type: numbers by value, strings by code point, dates and times by instant.</summary>
    internal static int Compare(object a, object b) => (a, b) switch
    {
        (long x, long y) => x.CompareTo(y),
        (decimal x, decimal y) => x.CompareTo(y),
        (long x, decimal y) => ((decimal)x).CompareTo(y),
        (decimal x, long y) => x.CompareTo((decimal)y),
        (string x, string y) => CodePointComparer.Instance.Compare(x, y),
        (DateOnly x, DateOnly y) => x.CompareTo(y),
        (DateTime x, DateTime y) => x.Ticks.CompareTo(y.Ticks),
        (bool x, bool y) => x.CompareTo(y),
        (IReadOnlyList<object?> x, IReadOnlyList<object?> y) => CompareLists(x, y),
        _ => throw new InvalidOperationException($"cannot compare {a.GetType().Name} with {b.GetType().Name}"),
    };

    /// <summary>Lists compare item by item (only `==` and `!=` reach here): equal when same length and equal items.</summary>
    private static int CompareLists(IReadOnlyList<object?> x, IReadOnlyList<object?> y)
    {
        for (var i = 0; i < Math.Min(x.Count, y.Count); i++)
        {
            var (a, b) = (x[i], y[i]);
            var c = a is null ? (b is null ? 0 : -1) : b is null ? 1 : Compare(a, b);
            if (c != 0) return c;
        }
        return x.Count.CompareTo(y.Count);
    }

    private static bool IsTrue(object? value) => value is true;

    /// <summary>The event being looked at inside `where:` (Table null at the top level).</summary>
    private readonly record struct Row(int User, EventTable? Table = null, int Index = -1);

    /// <summary>One evaluation: the model, the data, T, and memoised values.</summary>
    private sealed class Run
    {
        private readonly SemanticModel _model;
        private readonly DataSet _data;
        private readonly DateTime _asOf;
        private readonly long _t;
        private readonly TimeZoneInfo? _zone;
        private readonly Dictionary<ComputedSymbol, ResultColumn>? _computed;
        private readonly Dictionary<ComputedSymbol, (object?[] Values, bool[] Done)> _memo = [];
        private readonly Dictionary<BoundQuantileScore, object[]> _populations = new(ReferenceEqualityComparer.Instance);
        private readonly HashSet<(ComputedSymbol, int)> _inProgress = [];

        private readonly Scoring.IRecommenderScorer? _recommenders;

        public Run(SemanticModel model, DataSet data, DateTime asOf, EvaluationResult? computed, Scoring.IRecommenderScorer? recommenders)
        {
            _recommenders = recommenders;
            _model = model;
            _data = data;
            _asOf = DateTime.SpecifyKind(asOf.Kind == DateTimeKind.Local ? asOf.ToUniversalTime() : asOf, DateTimeKind.Utc);
            _t = _asOf.Ticks;
            _zone = model.Schema.TimeZone is { } id ? TimeZoneInfo.FindSystemTimeZoneById(id) : null;
            _computed = computed?.Columns.ToDictionary(c => c.Symbol, c => c);
        }

        // -------------------------------------------------------------- computed symbols

        public object? ValueOf(ComputedSymbol symbol, int user)
        {
            if (_computed is not null && _computed.TryGetValue(symbol, out var column)) return ToInternal(column.Get(user));
            if (!_memo.TryGetValue(symbol, out var memo))
                _memo[symbol] = memo = (new object?[_data.UserCount], new bool[_data.UserCount]);
            if (memo.Done[user]) return memo.Values[user];
            if (!_inProgress.Add((symbol, user))) throw new InvalidOperationException($"'{symbol.Name}' depends on itself");
            var row = new Row(user);
            object? value = symbol switch
            {
                TagSymbol tag => Eval(tag.Body, row),
                SegmentSymbol segment => IsTrue(Eval(segment.Condition, row)),
                SegmentationSymbol segmentation => Segment(segmentation, row),
                _ => throw new InvalidOperationException($"unknown computed symbol {symbol}"),
            };
            _inProgress.Remove((symbol, user));
            memo.Values[user] = value;
            memo.Done[user] = true;
            return value;
        }

        /// <summary>The name of the first rule whose condition is true, else the else rule's name.</summary>
        private object? Segment(SegmentationSymbol segmentation, Row row)
        {
            foreach (var rule in segmentation.Rules)
                if (rule.Condition is null || IsTrue(Eval(rule.Condition, row))) return rule.Name;
            return null;
        }

        // -------------------------------------------------------------- expressions

        public object? Eval(BoundExpression node, Row row)
        {
            switch (node)
            {
                case BoundLiteral literal:
                    return ToInternal(literal.Value);
                case BoundProfileField field:
                    return ToInternal(_data.Profiles.Columns[field.Ordinal]?.GetBoxed(row.User));
                case BoundSymbolReference reference:
                    return ValueOf(reference.Symbol, row.User);
                case BoundEventField field:
                    return EventField(field.Ordinal, row);
                case BoundNow:
                    return _asOf;
                case BoundConversion conversion:
                    return Eval(conversion.Operand, row) switch
                    {
                        null => null,
                        long l when conversion.Target.Kind == TypeKind.Decimal => (decimal)l,
                        var other => other,
                    };
                case BoundUnary { Operator: BoundUnaryOperator.Not } not:
                    return !IsTrue(Eval(not.Operand, row));
                case BoundUnary negate:
                    return Eval(negate.Operand, row) switch
                    {
                        null => null,
                        long l => l == long.MinValue ? null : -l,
                        decimal d => -d,
                        var other => throw Unexpected(other, negate),
                    };
                case BoundBinary binary:
                    return Binary(binary, row);
                case BoundIn @in:
                {
                    var value = Eval(@in.Value, row);
                    if (value is null) return false;
                    if (Eval(@in.List, row) is not IReadOnlyList<object?> list) return false;
                    var found = list.Any(item => item is not null && Compare(value, item) == 0);
                    return @in.Negated ? !found : found;
                }
                case BoundBetween between:
                {
                    var value = Eval(between.Value, row);
                    var low = Eval(between.Low, row);
                    var high = Eval(between.High, row);
                    if (value is null || low is null || high is null) return false;
                    var inside = Compare(value, low) >= 0 && Compare(value, high) <= 0;
                    return between.Negated ? !inside : inside;
                }
                case BoundIsNull isNull:
                    return (Eval(isNull.Operand, row) is null) != isNull.Negated;
                case BoundList list:
                    return list.Items.Select(item => Eval(item, row)).ToImmutableArray();
                case BoundCase @case:
                    foreach (var (condition, result) in @case.Whens)
                        if (IsTrue(Eval(condition, row))) return Eval(result, row);
                    return @case.Else is null ? null : Eval(@case.Else, row);
                case BoundCall call:
                    return Call(call, row);
                case BoundCustomCall call:
                    return CustomCall(call, row);
                case BoundAggregate aggregate:
                    return Aggregate(aggregate, row.User);
                case BoundQuantileScore quantile:
                    return QuantileScore(quantile, row.User);
                case BoundModelOutput { IsRecommendation: true } recommendation:
                    return Recommendation(recommendation, row);
                case BoundModelOutput:
                    // Models are not trained by the engine yet; like the compiled engine, their
                    // outputs are empty. (Tests may not depend on models: the binder says so.)
                    return null;
                case BoundErrorExpression:
                    throw new InvalidOperationException("the workspace has errors; fix them before evaluating");
                default:
                    throw new InvalidOperationException($"the reference interpreter does not know {node.GetType().Name}");
            }
        }

        private object? EventField(int ordinal, Row row)
        {
            if (row.Table is not { } table) throw new InvalidOperationException("an event field outside of an aggregate's where:");
            return ordinal switch
            {
                0 => _data.UserIds[row.User],
                1 => new DateTime(table.Ts[row.Index], DateTimeKind.Utc),
                _ => ToInternal(table.Fields[ordinal]?.GetBoxed(row.Index)),
            };
        }

        private object? Binary(BoundBinary node, Row row)
        {
            switch (node.Operator)
            {
                case BoundBinaryOperator.And:
                    return IsTrue(Eval(node.Left, row)) && IsTrue(Eval(node.Right, row));
                case BoundBinaryOperator.Or:
                    return IsTrue(Eval(node.Left, row)) || IsTrue(Eval(node.Right, row));
                case BoundBinaryOperator.Coalesce:
                    return Eval(node.Left, row) ?? Eval(node.Right, row);
            }
            var left = Eval(node.Left, row);
            var right = Eval(node.Right, row);
            switch (node.Operator)
            {
                case BoundBinaryOperator.Equal: return left is not null && right is not null && Compare(left, right) == 0;
                case BoundBinaryOperator.NotEqual: return left is not null && right is not null && Compare(left, right) != 0;
                case BoundBinaryOperator.Less: return left is not null && right is not null && Compare(left, right) < 0;
                case BoundBinaryOperator.LessOrEqual: return left is not null && right is not null && Compare(left, right) <= 0;
                case BoundBinaryOperator.Greater: return left is not null && right is not null && Compare(left, right) > 0;
                case BoundBinaryOperator.GreaterOrEqual: return left is not null && right is not null && Compare(left, right) >= 0;
            }
            if (left is null || right is null) return null;
            try
            {
                return (node.Operator, left, right) switch
                {
                    (BoundBinaryOperator.Add, long a, long b) => checked(a + b),
                    (BoundBinaryOperator.Subtract, long a, long b) => checked(a - b),
                    (BoundBinaryOperator.Multiply, long a, long b) => checked(a * b),
                    (BoundBinaryOperator.Add, decimal a, decimal b) => a + b,
                    (BoundBinaryOperator.Subtract, decimal a, decimal b) => a - b,
                    (BoundBinaryOperator.Multiply, decimal a, decimal b) => a * b,
                    (BoundBinaryOperator.Divide, decimal a, decimal b) => b == 0 ? null : a / b,
                    (BoundBinaryOperator.Divide, long a, long b) => b == 0 ? null : (decimal)a / b,
                    // Calendar arithmetic: datetime ± duration, datetime − datetime.
                    (BoundBinaryOperator.Add, DateTime a, long d) => a.AddTicks(d),
                    (BoundBinaryOperator.Subtract, DateTime a, long d) => a.AddTicks(-d),
                    (BoundBinaryOperator.Subtract, DateTime a, DateTime b) => a.Ticks - b.Ticks,
                    _ => throw Unexpected(left, node),
                };
            }
            catch (Exception e) when (e is OverflowException or ArgumentOutOfRangeException)
            {
                return null; // outside the range of the type: no value, like x / 0
            }
        }

        private static InvalidOperationException Unexpected(object value, BoundExpression node) =>
            new($"unexpected {value.GetType().Name} value in {node.GetType().Name} of type {node.Type}");

        // -------------------------------------------------------------- functions

        public FunctionFailureLog FunctionFailures { get; } = new();

        /// <summary>
        /// Through the function's invoker, in the engine's representation (a duration a TimeSpan, a
        /// list an object?[]); reflection is fine in the oracle. A failure is null and recorded.
        /// </summary>
        private object? CustomCall(BoundCustomCall call, Row row)
        {
            var args = call.Arguments.Select(a => ToEngine(Eval(a, row), a.Type)).ToArray();
            try
            {
                return ToInternal(call.Function.Invoker.DynamicInvoke(args));
            }
            catch (System.Reflection.TargetInvocationException e) when (e.InnerException is Core.Functions.CustomFunctionException failure)
            {
                FunctionFailures.Record(failure, _data.UserIds[row.User]);
                return null;
            }
        }

        private static object? ToEngine(object? value, DslType type) => value switch
        {
            long ticks when type.Kind == TypeKind.Duration => new TimeSpan(ticks),
            IReadOnlyList<object?> list => list.ToArray(),
            _ => value,
        };

        private object? Call(BoundCall call, Row row)
        {
            var args = call.Arguments.Select(a => Eval(a, row)).ToArray();
            if (call.Function == BuiltinFunction.Coalesce) return args.FirstOrDefault(a => a is not null);
            if (args.Any(a => a is null)) return null;
            switch (call.Function)
            {
                case BuiltinFunction.DaysSince: return FloorDiv(_t - InstantTicks(args[0]!), TimeSpan.TicksPerDay);
                case BuiltinFunction.HoursSince: return FloorDiv(_t - InstantTicks(args[0]!), TimeSpan.TicksPerHour);
                case BuiltinFunction.YearsBetween: return YearsBetween(LocalDate(args[0]!), LocalDate(args[1]!));
                case BuiltinFunction.Date: return LocalDate(args[0]!);
                case BuiltinFunction.Hour: return (long)LocalTime((DateTime)args[0]!).Hour;
                case BuiltinFunction.Weekday:
                    var day = LocalDate(args[0]!).DayOfWeek;
                    return day == DayOfWeek.Sunday ? 7L : (long)day;
                case BuiltinFunction.Lower: return ((string)args[0]!).ToLowerInvariant();
                case BuiltinFunction.Upper: return ((string)args[0]!).ToUpperInvariant();
                case BuiltinFunction.Contains: return ((string)args[0]!).Contains((string)args[1]!, StringComparison.Ordinal);
                case BuiltinFunction.StartsWith: return ((string)args[0]!).StartsWith((string)args[1]!, StringComparison.Ordinal);
                case BuiltinFunction.ListContains:
                    return ((IReadOnlyList<object?>)args[0]!).Any(item => item is not null && Compare(item, args[1]!) == 0);
                case BuiltinFunction.Size: return (long)((IReadOnlyList<object?>)args[0]!).Count;
                case BuiltinFunction.Round:
                    var x = args[0] is long l ? l : (decimal)args[0]!;
                    return Math.Round(x, (int)(long)args[1]!, MidpointRounding.AwayFromZero);
                case BuiltinFunction.Abs:
                    return args[0] switch
                    {
                        long v => v == long.MinValue ? null : Math.Abs(v),
                        decimal d => Math.Abs(d),
                        var other => throw Unexpected(other!, call),
                    };
                default:
                    throw new InvalidOperationException($"unknown function {call.Function}");
            }
        }

        /// <summary>A datetime's ticks; a date is midnight UTC of that date.</summary>
        private static long InstantTicks(object t) => t switch
        {
            DateTime dt => dt.Ticks,
            DateOnly d => d.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc).Ticks,
            _ => throw new InvalidOperationException($"not a date or datetime: {t.GetType().Name}"),
        };

        private static long FloorDiv(long a, long b) => a / b - (a % b != 0 && (a < 0) != (b < 0) ? 1 : 0);

        /// <summary>A datetime in the workspace time zone (UTC when none is declared).</summary>
        private DateTime LocalTime(DateTime utc) =>
            _zone is null ? utc : TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), _zone);

        /// <summary>The calendar date of a datetime in the workspace time zone; a date is itself.</summary>
        private DateOnly LocalDate(object t) => t switch
        {
            DateOnly d => d,
            DateTime dt => DateOnly.FromDateTime(LocalTime(dt)),
            _ => throw new InvalidOperationException($"not a date or datetime: {t.GetType().Name}"),
        };

        /// <summary>Whole years from a to b (adding years clamps Feb 29 to Feb 28), negative when b &lt; a, truncated toward zero.</summary>
        internal static long YearsBetween(DateOnly a, DateOnly b)
        {
            var years = b.Year - a.Year;
            if (years > 0 && a.AddYears(years) > b) years--;
            else if (years < 0 && a.AddYears(years) < b) years++;
            return years;
        }

        // -------------------------------------------------------------- recommenders

        /// <summary>
        /// A recommender's member by the definition in LANGUAGE.md §13, walked plainly: the user's
        /// signal weights per item in (T − within, T], candidates scored Σ log(1 + w(i)) · sim(i, j)
        /// over the trained neighbour lists, bought items left out unless repeat, ranked by score
        /// then name, filled with the most popular items.
        /// </summary>
        private object? Recommendation(BoundModelOutput node, Row row)
        {
            if (_recommenders?.Find(node.Model) is not { } recommender) return null;
            var trained = recommender.Neighbourhoods;
            if (node.Output == ModelOutput.Related)
            {
                if (Eval(node.Item!, row) is not string item || Eval(node.Count!, row) is not long n) return null;
                var at = trained.IndexOf(item);
                if (at < 0) return ImmutableArray<object?>.Empty;
                var neighbours = new List<object?>();
                for (var y = trained.NeighbourStart[at]; y < trained.NeighbourStart[at + 1] && neighbours.Count < n; y++)
                    neighbours.Add(trained.Items[trained.Neighbours[y]]);
                return neighbours.ToImmutableArray();
            }
            var d = recommender.Definition;
            var weights = new SortedDictionary<string, float>(CodePointComparer.Instance);
            var bought = new HashSet<string>(StringComparer.Ordinal);
            var signals = d.Signals.Select(s => (s.Event, Weight: (float)s.Weight)).ToList();
            if (!signals.Any(s => s.Event == d.ItemEvent)) signals.Add((d.ItemEvent, 0f));
            foreach (var (type, weight) in signals)
            {
                if (TableOf(type) is not { } table) continue;
                for (var i = table.UserStart[row.User]; i < table.UserStart[row.User + 1]; i++)
                {
                    if (table.Ts[i] <= _t - d.WindowTicks || table.Ts[i] > _t) continue;
                    if (EventField(type.OrdinalOf(d.ItemField), new Row(row.User, table, i)) is not string item || trained.IndexOf(item) < 0)
                        continue;
                    if (weight > 0) weights[item] = weights.GetValueOrDefault(item) + weight;
                    if (type == d.ItemEvent) bought.Add(item);
                }
            }
            var scores = new Dictionary<string, float>(StringComparer.Ordinal);
            foreach (var (item, weight) in weights)
            {
                var i = trained.IndexOf(item);
                for (var y = trained.NeighbourStart[i]; y < trained.NeighbourStart[i + 1]; y++)
                {
                    var candidate = trained.Items[trained.Neighbours[y]];
                    scores[candidate] = scores.GetValueOrDefault(candidate) + (float)Math.Log(1 + weight) * trained.Similarities[y];
                }
            }
            bool Excluded(string item) => !d.Repeat && bought.Contains(item);
            var ranked = scores.Where(s => !Excluded(s.Key)).OrderByDescending(s => s.Value).ThenBy(s => s.Key, CodePointComparer.Instance).ToList();
            var list = ranked.Select(s => s.Key).Take(d.K).ToList();
            foreach (var popular in trained.Popular.Select(i => trained.Items[i]))
                if (list.Count < d.K && !Excluded(popular) && !list.Contains(popular)) list.Add(popular);
            if (node.Output == ModelOutput.Items) return list.Select(i => (object?)i).ToImmutableArray();
            var categories = ranked.Where(s => trained.Categories[trained.IndexOf(s.Key)] is not null)
                .GroupBy(s => trained.Categories[trained.IndexOf(s.Key)]!)
                .Select(g => (Category: g.Key, Score: g.Aggregate(0.0, (sum, s) => sum + s.Value)))
                .OrderByDescending(c => c.Score).ThenBy(c => c.Category, CodePointComparer.Instance)
                .Select(c => c.Category).Take(Scoring.TrainedRecommender.CategoryCount).ToList();
            foreach (var item in list)
                if (categories.Count < Scoring.TrainedRecommender.CategoryCount
                    && trained.Categories[trained.IndexOf(item)] is { } c && !categories.Contains(c))
                    categories.Add(c);
            return categories.Select(c => (object?)c).ToImmutableArray();
        }

        // -------------------------------------------------------------- aggregates

        private EventTable? TableOf(EventTypeSymbol type)
        {
            var events = _data.Schema.Events;
            for (var i = 0; i < events.Length; i++)
                if (ReferenceEquals(events[i], type) || events[i].Name == type.Name) return _data.Events[i];
            return null;
        }

        /// <summary>Row indexes of the user's events of the aggregate's type inside its window that pass where:, in table order.</summary>
        private List<int> Qualifying(BoundAggregate node, EventTable table, int user)
        {
            long low, high; // low < ts <= high
            if (node.LooksForward) { low = _t; high = node.WindowTicks is { } w ? SaturatingAdd(_t, w) : long.MaxValue; }
            else { low = node.WindowTicks is { } w ? _t - w : long.MinValue; high = _t; }
            var rows = new List<int>();
            for (var i = table.UserStart[user]; i < table.UserStart[user + 1]; i++)
            {
                var ts = table.Ts[i];
                if (ts <= low || ts > high) continue;
                if (node.Where is not null && !IsTrue(Eval(node.Where, new Row(user, table, i)))) continue;
                rows.Add(i);
            }
            return rows;
        }

        private static long SaturatingAdd(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;

        private object? Aggregate(BoundAggregate node, int user)
        {
            var table = TableOf(node.Event);
            List<int> rows = table is null ? [] : Qualifying(node, table, user);
            object? ValueAt(int i) => EventField(node.FieldOrdinal, new Row(user, table, i));
            // Over a list field (sum, avg, min, max, distinct, top): every non-null item of every row's list.
            List<object> NonNullValues() => node.OverItems
                ? [.. rows.Select(ValueAt).OfType<IReadOnlyList<object?>>().SelectMany(list => list).OfType<object>()]
                : [.. rows.Select(ValueAt).OfType<object>()];

            switch (node.Kind)
            {
                case AggregateKind.Count:
                    return (long)rows.Count;
                case AggregateKind.Exists:
                    return rows.Count > 0;
                case AggregateKind.Sum:
                {
                    var sum = 0m;
                    try { foreach (var v in NonNullValues()) sum += AsDecimal(v); }
                    catch (OverflowException) { return null; }
                    return sum;
                }
                case AggregateKind.Avg:
                {
                    var values = NonNullValues();
                    if (values.Count == 0) return null;
                    var sum = 0m;
                    try { foreach (var v in values) sum += AsDecimal(v); }
                    catch (OverflowException) { return null; }
                    return sum / values.Count;
                }
                case AggregateKind.Min:
                {
                    object? best = null;
                    foreach (var v in NonNullValues()) if (best is null || Compare(v, best) < 0) best = v;
                    return best;
                }
                case AggregateKind.Max:
                {
                    object? best = null;
                    foreach (var v in NonNullValues()) if (best is null || Compare(v, best) > 0) best = v;
                    return best;
                }
                case AggregateKind.First or AggregateKind.Last:
                {
                    // Explicitly by (ts, line), not trusting the table order: first takes the earliest, last the latest.
                    if (rows.Count == 0 || table is null) return null;
                    var pick = rows[0];
                    foreach (var i in rows)
                    {
                        var order = (table.Ts[i], table.Line[i]).CompareTo((table.Ts[pick], table.Line[pick]));
                        if (node.Kind == AggregateKind.First ? order < 0 : order > 0) pick = i;
                    }
                    return ValueAt(pick);
                }
                case AggregateKind.Distinct:
                {
                    var seen = new List<object>();
                    foreach (var v in NonNullValues()) if (!seen.Any(s => Compare(s, v) == 0)) seen.Add(v);
                    return (long)seen.Count;
                }
                case AggregateKind.Top:
                {
                    var counts = new List<(object Value, int Count)>();
                    foreach (var v in NonNullValues())
                    {
                        var at = counts.FindIndex(c => Compare(c.Value, v) == 0);
                        if (at < 0) counts.Add((v, 1));
                        else counts[at] = (counts[at].Value, counts[at].Count + 1);
                    }
                    counts.Sort((x, y) => x.Count != y.Count ? y.Count.CompareTo(x.Count) : Compare(x.Value, y.Value));
                    return counts.Take(node.TopCount).Select(c => (object?)c.Value).ToImmutableArray();
                }
                default:
                    throw new InvalidOperationException($"unknown aggregate {node.Kind}");
            }
        }

        private static decimal AsDecimal(object v) => v switch
        {
            decimal d => d,
            long l => l,
            _ => throw new InvalidOperationException($"not a number: {v.GetType().Name}"),
        };

        // -------------------------------------------------------------- population

        /// <summary>min(n, 1 + floor(n · L / N)); N = profiles whose x is not null, L = those strictly below x (above, descending).</summary>
        private object? QuantileScore(BoundQuantileScore node, int user)
        {
            var x = Eval(node.Value, new Row(user));
            if (x is null) return null;
            if (!_populations.TryGetValue(node, out var sorted))
            {
                var values = new List<object>();
                for (var u = 0; u < _data.UserCount; u++)
                    if (Eval(node.Value, new Row(u)) is { } v) values.Add(v);
                values.Sort(Compare);
                _populations[node] = sorted = [.. values];
            }
            long n = node.Buckets, total = sorted.Length;
            long below = FirstIndex(sorted, v => Compare(v, x) >= 0);          // values < x
            long above = total - FirstIndex(sorted, v => Compare(v, x) > 0);   // values > x
            var l = node.Descending ? above : below;
            return Math.Min(n, 1 + n * l / total);
        }

        /// <summary>
        /// The first index of an ascending array where <paramref name="reached"/>
        /// holds (it holds from there on); the length when nowhere.
        /// </summary>
        private static int FirstIndex(object[] sorted, Func<object, bool> reached)
        {
            int lo = 0, hi = sorted.Length;
            while (lo < hi)
            {
                var mid = (lo + hi) / 2;
                if (reached(sorted[mid])) hi = mid; else lo = mid + 1;
            }
            return lo;
        }
    }
}
