using System.Text;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Sql.Dialects;

namespace MarketingDsl.Sql.Lowering;

/// <summary>
/// Lowers the checked model to one SQL query. The query has these CTEs, in order:
/// <list type="number">
/// <item><c>params</c>: the as-of instant T and the lower bound T − D of every `within:` window.</item>
/// <item><c>ev_N</c> per event type read: rows with ts ≤ T, de-duplicated on the `unique` field
/// (first row by <c>event_seq</c>, a null id being one id) — LANGUAGE.md §18.</item>
/// <item><c>agg_N</c> per event type: every count, sum, min, max, distinct and avg part in one
/// GROUP BY user pass (conditional aggregation); <c>fl_N</c> per first/last (ranked by ts, then
/// event_seq); <c>top_N</c> per top (ranked by count descending, then value). An aggregate that
/// reads the items of a list field (LANGUAGE.md §11.1) reads <c>it_N</c>, the visible rows with
/// one row per item (UNNEST in DuckDB, explode in Spark: a null or empty list has none), and has
/// its own <c>agg_N</c> and <c>top_N</c> over those rows.</item>
/// <item><c>lvl_0</c>: every profile with its fields and finished aggregates (empty results
/// filled in: 0, false, []), then <c>lvl_1…</c>: each level adds the outputs and population
/// values whose inputs an earlier level holds (`quantile_score` ranks a column of a finished
/// level over all profiles).</item>
/// </list>
/// Internal column names hold a <c>$</c>, which no DSL name has (CTE names use <c>_</c>: Spark
/// reads no <c>$</c> in a bare name); the final SELECT names the
/// outputs as tags.csv does and orders by user id (byte order of UTF-8, i.e. code point order).
/// </summary>
internal sealed class SqlLowering(SemanticModel model, SqlDialect dialect, IReadOnlySet<ComputedSymbol> outputs)
{
    private const string Row = "t";
    private const string EventRow = "e";
    private const string Params = "p";

    private readonly SqlDialect _d = dialect;
    private readonly Dictionary<long, string> _windowColumns = [];
    private readonly List<EventPlan> _events = [];
    private readonly List<(string Name, string Finish)> _aggregateColumns = [];
    private readonly Dictionary<BoundAggregate, string> _aggregateRefs = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<ComputedSymbol, int> _levels = [];
    private readonly Dictionary<BoundQuantileScore, int> _quantileLevels = new(ReferenceEqualityComparer.Instance);
    private int _firstLastCount;
    private int _topCount;

    private sealed class EventPlan(EventTypeSymbol type, int index, EventPlan? rows = null, int itemsOf = -1)
    {
        public EventTypeSymbol Type { get; } = type;
        /// <summary>For a plan over the items of a list field: the plan of the event rows, and the field's ordinal.</summary>
        public EventPlan? Rows { get; } = rows;
        public int ItemsOf { get; } = itemsOf;
        public string Cte { get; } = rows is null ? $"ev_{index}" : $"it_{index}";
        public string AggregateCte { get; } = $"agg_{index}";
        public List<string> AggregateColumns { get; } = [];
        /// <summary>first/last groups by (condition, direction): one ranking per group.</summary>
        public Dictionary<(string Condition, bool Last), (string Cte, List<(int Ordinal, string Column)> Fields)> FirstLast { get; } = [];
        public List<(string Cte, string Sql)> Tops { get; } = [];
    }

    public static string TableOf(EventTypeSymbol type) => "events_" + type.Name;
    public const string ProfileTable = "profiles";
    public const string SequenceColumn = "event_seq";
    private const string ItemColumn = "v$";

    public string Lower()
    {
        var ordered = model.EvaluationOrder.Where(outputs.Contains).ToList();
        foreach (var symbol in ordered) LevelOf(symbol);
        // Lower every body once to collect aggregates, windows and population nodes.
        var bodies = ordered.ToDictionary(s => s, LowerSymbol);
        var quantiles = _quantileLevels.Keys.ToDictionary(q => q, q => Scalar(q.Value));

        var sql = new StringBuilder("WITH\n");
        var ctes = new List<string>();
        var windowSelect = string.Concat(_windowColumns.OrderBy(w => w.Value, StringComparer.Ordinal)
            .Select(w => $", {_d.AsOfParameter} - {_d.Seconds(w.Key / TimeSpan.TicksPerSecond)} AS {_d.Identifier(w.Value)}"));
        ctes.Add($"params AS (SELECT {_d.AsOfParameter} AS as_of{windowSelect})");
        foreach (var plan in _events) ctes.AddRange(EventCtes(plan));
        ctes.Add(BaseLevel());

        var maxLevel = Math.Max(_levels.Values.DefaultIfEmpty(0).Max(), _quantileLevels.Values.Select(l => l + 1).DefaultIfEmpty(0).Max());
        for (var level = 1; level <= maxLevel; level++)
        {
            var columns = new List<string>();
            foreach (var (q, l) in _quantileLevels.OrderBy(q => q.Key.Id))
            {
                if (l == level) columns.Add($"{quantiles[q].Sql} AS {_d.Identifier($"x${q.Id}")}");
                if (l + 1 == level) columns.Add($"{QuantileScore(q)} AS {_d.Identifier($"q${q.Id}")}");
            }
            foreach (var symbol in ordered.Where(s => _levels[s] == level))
                columns.Add($"{bodies[symbol]} AS {_d.Identifier($"o${symbol.OutputIndex}")}");
            ctes.Add($"lvl_{level} AS (SELECT {Row}.*{string.Concat(columns.Select(c => ",\n    " + c))}\n  FROM lvl_{level - 1} AS {Row})");
        }
        sql.Append(string.Join(",\n", ctes));
        sql.Append($"\nSELECT {Row}.{_d.Identifier("k$")} AS user_id");
        foreach (var symbol in model.Outputs.Where(outputs.Contains))
            sql.Append($",\n  {Row}.{_d.Identifier($"o${symbol.OutputIndex}")} AS {_d.Identifier(symbol.Name)}");
        sql.Append($"\nFROM lvl_{maxLevel} AS {Row}\nORDER BY {Row}.{_d.Identifier("k$")}");
        return sql.ToString();
    }

    // ------------------------------------------------------------------ levels

    private int LevelOf(ComputedSymbol symbol)
    {
        if (_levels.TryGetValue(symbol, out var known)) return known;
        var level = 1 + symbol switch
        {
            TagSymbol t => ExpressionLevel(t.Body),
            SegmentSymbol s => ExpressionLevel(s.Condition),
            SegmentationSymbol s => s.Rules.Select(r => r.Condition is null ? 0 : ExpressionLevel(r.Condition)).DefaultIfEmpty(0).Max(),
            _ => 0,
        };
        _levels[symbol] = level;
        return level;
    }

    /// <summary>The level whose row already holds every value the expression reads (0: profile fields and aggregates).</summary>
    private int ExpressionLevel(BoundExpression e)
    {
        var level = 0;
        var stack = new Stack<BoundExpression>([e]);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            switch (node)
            {
                case BoundSymbolReference r: level = Math.Max(level, LevelOf(r.Symbol)); continue;
                case BoundQuantileScore q:
                    if (!_quantileLevels.TryGetValue(q, out var valueLevel))
                        _quantileLevels[q] = valueLevel = 1 + ExpressionLevel(q.Value);
                    level = Math.Max(level, valueLevel + 1);
                    continue;
                case BoundAggregate: continue; // its where: reads event fields only
            }
            foreach (var child in BoundTree.Children(node)) stack.Push(child);
        }
        return level;
    }

    private string QuantileScore(BoundQuantileScore q)
    {
        var x = $"{Row}.{_d.Identifier($"x${q.Id}")}";
        var n = DialectInt(q.Buckets);
        // RANK() − 1 counts the values strictly below x (above, descending); nulls rank in their own partition.
        var below = $"(RANK() OVER (PARTITION BY {x} IS NULL ORDER BY {x}{(q.Descending ? " DESC" : "")}) - 1)";
        var score = $"LEAST({n}, 1 + CAST(FLOOR((CAST({n} AS BIGINT) * {below}) / COUNT({x}) OVER ()) AS BIGINT))";
        return $"CASE WHEN {x} IS NULL THEN CAST(NULL AS BIGINT) ELSE {score} END";
    }

    private static string DialectInt(long value) => SqlDialect.Invariant(value);

    private string LowerSymbol(ComputedSymbol symbol) => symbol switch
    {
        TagSymbol t => CastTo(Scalar(t.Body), t.Type),
        SegmentSymbol s => Truth(Scalar(s.Condition)),
        SegmentationSymbol s => "CASE"
            + string.Concat(s.Rules.Where(r => !r.IsElse).Select(r => $" WHEN {Scalar(r.Condition!).Sql} THEN {_d.StringLiteral(r.Name)}"))
            + $" ELSE {_d.StringLiteral(s.Rules.FirstOrDefault(r => r.IsElse)?.Name ?? "")} END",
        _ => throw new InvalidOperationException($"unknown computed symbol {symbol}"),
    };

    /// <summary>Every output column has the SQL type of its DSL type, whatever literal or branch produced it.</summary>
    private string CastTo(SqlValue value, DslType type) => type.Kind is TypeKind.Error or TypeKind.Null
        ? value.Sql
        : $"CAST({value.Sql} AS {_d.TypeName(type)})";

    // ------------------------------------------------------------------ event CTEs

    private IEnumerable<string> EventCtes(EventPlan plan)
    {
        var table = _d.Identifier(TableOf(plan.Type));
        var unique = plan.Type.UniqueField;
        var visible = plan.Rows is { } rows
            ? $"SELECT {EventRow}.*, {_d.Unnest(EventFieldSql(plan.Type, plan.ItemsOf))} AS {_d.Identifier(ItemColumn)} FROM {rows.Cte} AS {EventRow}"
            : unique is null
            ? $"SELECT {EventRow}.* FROM {table} AS {EventRow} CROSS JOIN params AS {Params} WHERE {EventRow}.ts <= {Params}.as_of"
            : $"SELECT {EventRow}.* FROM (SELECT {EventRow}.*, ROW_NUMBER() OVER (PARTITION BY {EventRow}.{_d.Identifier(unique.Name)} "
              + $"ORDER BY {EventRow}.{SequenceColumn}) AS {_d.Identifier("rn$")} FROM {table} AS {EventRow}) AS {EventRow} "
              + $"CROSS JOIN params AS {Params} "
              + $"WHERE {EventRow}.{_d.Identifier("rn$")} = 1 AND {EventRow}.ts <= {Params}.as_of";
        yield return $"{plan.Cte} AS ({visible})";
        var from = $"FROM {plan.Cte} AS {EventRow} CROSS JOIN params AS {Params}";
        if (plan.AggregateColumns.Count > 0)
            yield return $"{plan.AggregateCte} AS (SELECT {EventRow}.user_id{string.Concat(plan.AggregateColumns.Select(c => ",\n    " + c))}"
                + $"\n  {from}\n  GROUP BY {EventRow}.user_id)";
        foreach (var ((condition, last), (cte, fields)) in plan.FirstLast)
        {
            var direction = last ? " DESC" : "";
            var values = string.Concat(fields.Select(f => $", {EventFieldSql(plan.Type, f.Ordinal)} AS {_d.Identifier(f.Column)}"));
            var where = condition.Length == 0 ? "" : $" WHERE {condition}";
            yield return $"{cte} AS (SELECT * FROM (SELECT {EventRow}.user_id{values}, ROW_NUMBER() OVER (PARTITION BY {EventRow}.user_id "
                + $"ORDER BY {EventRow}.ts{direction}, {EventRow}.{SequenceColumn}{direction}) AS {_d.Identifier("rn$")} {from}{where}) AS r "
                + $"WHERE r.{_d.Identifier("rn$")} = 1)";
        }
        foreach (var (_, top) in plan.Tops) yield return top;
    }

    private string BaseLevel()
    {
        var key = model.Schema.KeyField;
        var columns = new List<string> { $"pr.{_d.Identifier(key)} AS {_d.Identifier("k$")}", $"{Params}.as_of AS {_d.Identifier("now$")}" };
        for (var i = 0; i < model.Schema.ProfileFields.Length; i++)
            columns.Add($"pr.{_d.Identifier(model.Schema.ProfileFields[i].Name)} AS {_d.Identifier($"f${i}")}");
        columns.AddRange(_aggregateColumns.Select(c => $"{c.Finish} AS {_d.Identifier(c.Name)}"));
        var joins = new StringBuilder();
        foreach (var plan in _events)
        {
            if (plan.AggregateColumns.Count > 0)
                joins.Append($"\n  LEFT JOIN {plan.AggregateCte} ON {plan.AggregateCte}.user_id = pr.{_d.Identifier(key)}");
            foreach (var (_, (cte, _)) in plan.FirstLast) joins.Append($"\n  LEFT JOIN {cte} ON {cte}.user_id = pr.{_d.Identifier(key)}");
            foreach (var (cte, _) in plan.Tops) joins.Append($"\n  LEFT JOIN {cte} ON {cte}.user_id = pr.{_d.Identifier(key)}");
        }
        return $"lvl_0 AS (SELECT {string.Join(",\n    ", columns)}\n  FROM {_d.Identifier(ProfileTable)} AS pr "
            + $"CROSS JOIN params AS {Params}{joins})";
    }

    private EventPlan PlanOf(EventTypeSymbol type)
    {
        var plan = _events.FirstOrDefault(p => p.Type.Name == type.Name && p.Rows is null);
        if (plan is null) _events.Add(plan = new EventPlan(type, _events.Count));
        return plan;
    }

    /// <summary>The plan over the items of list field <paramref name="ordinal"/> (after the plan of its rows, whose CTE it reads).</summary>
    private EventPlan ItemPlanOf(EventTypeSymbol type, int ordinal)
    {
        var rows = PlanOf(type);
        var plan = _events.FirstOrDefault(p => p.Rows == rows && p.ItemsOf == ordinal);
        if (plan is null) _events.Add(plan = new EventPlan(type, _events.Count, rows, ordinal));
        return plan;
    }

    /// <summary>sum, avg, min, max, distinct and top of a list field read its items; first and last take whole lists.</summary>
    private static bool ReadsItems(BoundAggregate a) => a.Field is { Type.IsList: true }
        && a.Kind is AggregateKind.Sum or AggregateKind.Avg or AggregateKind.Min or AggregateKind.Max or AggregateKind.Distinct or AggregateKind.Top;

    private string EventFieldSql(EventTypeSymbol type, int ordinal) => ordinal switch
    {
        0 => $"{EventRow}.user_id",
        1 => $"{EventRow}.ts",
        _ => $"{EventRow}.{_d.Identifier(type.Fields[ordinal].Name)}",
    };

    /// <summary>The condition an event must meet to count: inside the window and where: true (empty: every visible event).</summary>
    private string Condition(BoundAggregate a)
    {
        var parts = new List<string>();
        if (a.WindowTicks is { } window)
        {
            if (!_windowColumns.TryGetValue(window, out var column)) _windowColumns[window] = column = $"w${_windowColumns.Count}";
            parts.Add($"{EventRow}.ts > {Params}.{_d.Identifier(column)}");
        }
        if (a.Where is not null) parts.Add(Truth(Event(a.Where)));
        return string.Join(" AND ", parts);
    }

    /// <summary>Plans the aggregate's columns; returns the lvl_0 column that holds its finished value.</summary>
    private string Aggregate(BoundAggregate a)
    {
        if (_aggregateRefs.TryGetValue(a, out var known)) return known;
        var items = ReadsItems(a);
        var plan = items ? ItemPlanOf(a.Event, a.FieldOrdinal) : PlanOf(a.Event);
        var condition = Condition(a);
        string When(string value) => condition.Length == 0 ? value : $"CASE WHEN {condition} THEN {value} END";
        string AddColumn(string aggregate)
        {
            var name = $"a${_aggregateColumns.Count}";
            plan.AggregateColumns.Add($"{aggregate} AS {_d.Identifier(name)}");
            _aggregateColumns.Add((name, ""));
            return $"{plan.AggregateCte}.{_d.Identifier(name)}";
        }
        void Finish(string finish)
        {
            var i = _aggregateColumns.Count - 1;
            _aggregateColumns[i] = (_aggregateColumns[i].Name, finish);
        }
        var field = a.Field is null ? null : items ? $"{EventRow}.{_d.Identifier(ItemColumn)}" : EventFieldSql(a.Event, a.FieldOrdinal);
        var decimalField = field is null ? null : $"CAST({field} AS {SqlDialect.DecimalType})";
        switch (a.Kind)
        {
            case AggregateKind.Count or AggregateKind.Exists:
            {
                var count = AddColumn(condition.Length == 0 ? "COUNT(*)" : $"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)");
                Finish(a.Kind == AggregateKind.Count ? $"COALESCE(CAST({count} AS BIGINT), 0)" : $"COALESCE({count}, 0) > 0");
                break;
            }
            case AggregateKind.Sum:
            {
                var sum = AddColumn($"SUM({When(decimalField!)})");
                Finish($"COALESCE({sum}, CAST(0 AS {SqlDialect.DecimalType}))");
                break;
            }
            case AggregateKind.Avg:
            {
                // The exact sum ÷ the count of non-null values (AVG would divide in DOUBLE in DuckDB).
                var sum = AddColumn($"SUM({When(decimalField!)})");
                Finish(sum);
                var count = AddColumn($"COUNT({When(field!)})");
                Finish(_d.Divide(sum, count));
                break;
            }
            case AggregateKind.Min or AggregateKind.Max:
            {
                var value = AddColumn($"{(a.Kind == AggregateKind.Min ? "MIN" : "MAX")}({When(field!)})");
                Finish(value);
                break;
            }
            case AggregateKind.Distinct:
            {
                var count = AddColumn($"COUNT(DISTINCT {When(field!)})");
                Finish($"COALESCE(CAST({count} AS BIGINT), 0)");
                break;
            }
            case AggregateKind.First or AggregateKind.Last when _d.Target == SqlTarget.DuckDb:
            {
                // arg_min_null/arg_max_null keep a null value of the chosen row (plain arg_min skips it); rows
                // outside the condition have a null key and are skipped. One pass, no ranking.
                var order = $"({EventRow}.ts, {EventRow}.{SequenceColumn})";
                var function = a.Kind == AggregateKind.First ? "arg_min_null" : "arg_max_null";
                var value = AddColumn(condition.Length == 0 ? $"{function}({field}, {order})" : $"{function}({When(field!)}, {When(order)})");
                Finish(value);
                break;
            }
            case AggregateKind.First or AggregateKind.Last:
            {
                var key = (condition, a.Kind == AggregateKind.Last);
                if (!plan.FirstLast.TryGetValue(key, out var group))
                    plan.FirstLast[key] = group = ($"fl_{_firstLastCount++}", []);
                var column = group.Fields.FirstOrDefault(f => f.Ordinal == a.FieldOrdinal).Column;
                if (column is null) group.Fields.Add((a.FieldOrdinal, column = $"v${group.Fields.Count}"));
                var name = $"a${_aggregateColumns.Count}";
                _aggregateColumns.Add((name, $"{group.Cte}.{_d.Identifier(column)}"));
                break;
            }
            case AggregateKind.Top:
            {
                var cte = $"top_{_topCount++}";
                var notNull = $"{field} IS NOT NULL" + (condition.Length == 0 ? "" : $" AND {condition}");
                var slots = Enumerable.Range(1, a.TopCount).Select(i => $"MAX(CASE WHEN c.rn = {i} THEN c.v END) AS {_d.Identifier($"s${i}")}");
                plan.Tops.Add((cte, $"{cte} AS (SELECT c.user_id, {string.Join(", ", slots)} FROM (SELECT g.user_id, g.v, "
                    + $"ROW_NUMBER() OVER (PARTITION BY g.user_id ORDER BY g.n DESC, g.v) AS rn "
                    + $"FROM (SELECT {EventRow}.user_id, {field} AS v, COUNT(*) AS n "
                    + $"FROM {plan.Cte} AS {EventRow} CROSS JOIN params AS {Params} WHERE {notNull} GROUP BY {EventRow}.user_id, {field}) AS g) AS c "
                    + $"WHERE c.rn <= {a.TopCount} GROUP BY c.user_id)"));
                var name = $"a${_aggregateColumns.Count}";
                var slotColumns = Enumerable.Range(1, a.TopCount).Select(i => $"{cte}.{_d.Identifier($"s${i}")}");
                _aggregateColumns.Add((name, _d.CompactList(slotColumns, a.Type)));
                break;
            }
            default:
                throw new InvalidOperationException($"unknown aggregate {a.Kind}");
        }
        var reference = $"{Row}.{_d.Identifier(_aggregateColumns[^1].Name)}";
        _aggregateRefs[a] = reference;
        return reference;
    }

    // ------------------------------------------------------------------ expressions

    /// <summary>SQL text and whether it can be null (a bool that cannot needs no COALESCE in a boolean context).</summary>
    private readonly record struct SqlValue(string Sql, bool NeverNull = false);

    private SqlValue Scalar(BoundExpression e) => Expression(e, inEvent: false);
    private SqlValue Event(BoundExpression e) => Expression(e, inEvent: true);

    private static string Truth(SqlValue value) => value.NeverNull ? value.Sql : $"COALESCE({value.Sql}, FALSE)";

    private SqlValue Expression(BoundExpression e, bool inEvent)
    {
        SqlValue X(BoundExpression child) => Expression(child, inEvent);
        switch (e)
        {
            case BoundLiteral l:
                return new(l.Type.Kind == TypeKind.Null ? "NULL" : _d.Literal(l.Value, l.Type), l.Value is not null);
            case BoundProfileField f:
                return new($"{Row}.{_d.Identifier($"f${f.Ordinal}")}");
            case BoundSymbolReference r:
                return new($"{Row}.{_d.Identifier($"o${r.Symbol.OutputIndex}")}", r.Symbol is SegmentSymbol or SegmentationSymbol);
            case BoundEventField f:
                return new(EventFieldSql(f.Event, f.Ordinal));
            case BoundNow:
                return new(inEvent ? $"{Params}.as_of" : $"{Row}.{_d.Identifier("now$")}", true);
            case BoundConversion c:
                return new($"CAST({X(c.Operand).Sql} AS {_d.TypeName(c.Target)})");
            case BoundUnary { Operator: BoundUnaryOperator.Not } n:
                return new($"(NOT {Truth(X(n.Operand))})", true);
            case BoundUnary u:
                return u.Type.Kind == TypeKind.Decimal
                    ? new($"(-{X(u.Operand).Sql})")
                    : new(_d.CheckedInt('-', "CAST(0 AS BIGINT)", X(u.Operand).Sql));
            case BoundBinary b:
                return Binary(b, inEvent);
            case BoundIn i:
                return In(i, inEvent);
            case BoundBetween b:
            {
                var (x, low, high) = (X(b.Value).Sql, X(b.Low).Sql, X(b.High).Sql);
                return b.Negated
                    ? new($"(CASE WHEN {x} IS NULL OR {low} IS NULL OR {high} IS NULL THEN FALSE ELSE ({x} < {low} OR {x} > {high}) END)", true)
                    : new($"COALESCE({x} BETWEEN {low} AND {high}, FALSE)", true);
            }
            case BoundIsNull n:
                return new($"({X(n.Operand).Sql} IS {(n.Negated ? "NOT " : "")}NULL)", true);
            case BoundList l:
                return new(_d.List(l.Items.Select(item => X(item).Sql), l.Type), true);
            case BoundCase c:
            {
                var text = new StringBuilder("CASE");
                foreach (var (condition, result) in c.Whens) text.Append($" WHEN {X(condition).Sql} THEN {X(result).Sql}");
                if (c.Else is not null) text.Append($" ELSE {X(c.Else).Sql}");
                return new(text.Append(" END").ToString());
            }
            case BoundCall call:
                return Call(call, inEvent);
            case BoundAggregate a:
                return new(Aggregate(a), a.Kind is AggregateKind.Count or AggregateKind.Exists or AggregateKind.Sum
                    or AggregateKind.Distinct or AggregateKind.Top);
            case BoundQuantileScore q:
                return new($"{Row}.{_d.Identifier($"q${q.Id}")}");
            default:
                // SqlCompilation reports custom functions and model outputs before lowering.
                throw new InvalidOperationException($"the SQL lowering does not know {e.GetType().Name}");
        }
    }

    private SqlValue Binary(BoundBinary b, bool inEvent)
    {
        SqlValue X(BoundExpression child) => Expression(child, inEvent);
        switch (b.Operator)
        {
            case BoundBinaryOperator.And: return new($"({Truth(X(b.Left))} AND {Truth(X(b.Right))})", true);
            case BoundBinaryOperator.Or: return new($"({Truth(X(b.Left))} OR {Truth(X(b.Right))})", true);
            case BoundBinaryOperator.Coalesce: return new($"COALESCE({X(b.Left).Sql}, {X(b.Right).Sql})");
        }
        var comparison = b.Operator switch
        {
            BoundBinaryOperator.Equal => "=",
            BoundBinaryOperator.NotEqual => "<>",
            BoundBinaryOperator.Less => "<",
            BoundBinaryOperator.LessOrEqual => "<=",
            BoundBinaryOperator.Greater => ">",
            BoundBinaryOperator.GreaterOrEqual => ">=",
            _ => null,
        };
        var (left, right) = (X(b.Left).Sql, X(b.Right).Sql);
        if (comparison is not null && b.Left.Type.IsList && b.Right.Type.IsList)
        {
            // Lists: equal length and items equal in order, two null items being equal (as the engine); numbers by value.
            (left, right) = (NumericList(left, b.Left.Type, b.Right.Type), NumericList(right, b.Right.Type, b.Left.Type));
            var equal = _d.ListEquals(left, right);
            return new(b.Operator == BoundBinaryOperator.Equal ? equal : $"({left} IS NOT NULL AND {right} IS NOT NULL AND NOT {equal})", true);
        }
        if (comparison is not null) return new($"COALESCE({left} {comparison} {right}, FALSE)", true);
        var (lt, rt) = (b.Left.Type.Kind, b.Right.Type.Kind);
        if (b.Operator == BoundBinaryOperator.Divide) return new(_d.Divide(left, right));
        if (lt == TypeKind.DateTime && rt == TypeKind.Duration)
            return new(_d.AddMicros(left, b.Operator == BoundBinaryOperator.Add ? right : _d.CheckedInt('-', "CAST(0 AS BIGINT)", right)));
        if (lt == TypeKind.DateTime && rt == TypeKind.DateTime)
            return new(_d.CheckedInt('-', _d.EpochMicros(left), _d.EpochMicros(right)));
        var op = b.Operator switch { BoundBinaryOperator.Add => '+', BoundBinaryOperator.Subtract => '-', _ => '*' };
        if (b.Type.Kind == TypeKind.Decimal)
        {
            var dec = SqlDialect.DecimalType;
            return new(_d.CheckedDecimal($"CAST(CAST({left} AS {dec}) {op} CAST({right} AS {dec}) AS {dec})"));
        }
        return new(_d.CheckedInt(op, $"CAST({left} AS BIGINT)", $"CAST({right} AS BIGINT)"));
    }

    /// <summary>A list&lt;int&gt; compared with decimals is read as a list&lt;decimal&gt; (items equal by value, as the engine).</summary>
    private string NumericList(string list, DslType type, DslType other) =>
        type.Element?.Kind == TypeKind.Int && other.Element?.Kind == TypeKind.Decimal
            ? $"CAST({list} AS {_d.TypeName(DslType.ListOf(DslType.Decimal))})"
            : list;

    /// <summary>`x in L` / contains(L, x) of a list value: list and item of one SQL type (an int and a decimal side compare as decimals).</summary>
    private (string List, string Item) ListAndItem(BoundExpression list, BoundExpression item, bool inEvent)
    {
        var (l, x) = (Expression(list, inEvent).Sql, Expression(item, inEvent).Sql);
        if (list.Type.Element is { } element && element.IsNumeric && item.Type.IsNumeric && element.Kind != item.Type.Kind)
            (l, x) = ($"CAST({l} AS {_d.TypeName(DslType.ListOf(DslType.Decimal))})", $"CAST({x} AS {SqlDialect.DecimalType})");
        return (l, x);
    }

    private SqlValue In(BoundIn i, bool inEvent)
    {
        var x = Expression(i.Value, inEvent).Sql;
        string found;
        if (i.List is BoundList list)
        {
            // A null item never matches: IN is then null where the engine says false, and COALESCE says false.
            var items = list.Items.Where(item => item is not BoundLiteral { Value: null }).Select(item => Expression(item, inEvent).Sql).ToList();
            if (items.Count == 0) return new(i.Negated ? $"({x} IS NOT NULL)" : "FALSE", true);
            found = $"COALESCE({x} IN ({string.Join(", ", items)}), FALSE)";
        }
        else
        {
            var (l, item) = ListAndItem(i.List, i.Value, inEvent);
            found = $"COALESCE({_d.ListContains(l, item)}, FALSE)";
            // `not in` a null list is false, as `in` is (a list field without a value).
            if (i.Negated && i.List is not BoundList) return new($"(CASE WHEN {x} IS NULL OR {l} IS NULL THEN FALSE ELSE NOT {found} END)", true);
        }
        return i.Negated ? new($"(CASE WHEN {x} IS NULL THEN FALSE ELSE NOT {found} END)", true) : new(found, true);
    }

    private SqlValue Call(BoundCall call, bool inEvent)
    {
        var args = call.Arguments.Select(a => Expression(a, inEvent).Sql).ToArray();
        var now = inEvent ? $"{Params}.as_of" : $"{Row}.{_d.Identifier("now$")}";
        string Instant(int i) => call.Arguments[i].Type.Kind == TypeKind.Date ? $"CAST({args[i]} AS TIMESTAMP)" : args[i];
        string DateOf(int i) => call.Arguments[i].Type.Kind == TypeKind.Date ? args[i] : $"CAST({Local(args[i])} AS DATE)";
        switch (call.Function)
        {
            case BuiltinFunction.DaysSince:
                return new(FloorDiv($"({_d.EpochMicros(now)} - {_d.EpochMicros(Instant(0))})", 86_400_000_000));
            case BuiltinFunction.HoursSince:
                return new(FloorDiv($"({_d.EpochMicros(now)} - {_d.EpochMicros(Instant(0))})", 3_600_000_000));
            case BuiltinFunction.YearsBetween:
                return new(YearsBetween(DateOf(0), DateOf(1)));
            case BuiltinFunction.Date:
                return new(DateOf(0));
            case BuiltinFunction.Hour:
                return new($"CAST(hour({Local(args[0])}) AS BIGINT)");
            case BuiltinFunction.Weekday:
                // ISO day of week from the days since Monday 1970-01-05, the same in every dialect.
                return new($"CAST(((({_d.DaysBetween("DATE '1970-01-05'", DateOf(0))} % 7) + 7) % 7 + 1) AS BIGINT)");
            case BuiltinFunction.Lower:
                return new($"lower({args[0]})");
            case BuiltinFunction.Upper:
                return new($"upper({args[0]})");
            case BuiltinFunction.Contains:
                return new($"contains({args[0]}, {args[1]})");
            case BuiltinFunction.StartsWith:
                return new(_d.StartsWith(args[0], args[1]));
            case BuiltinFunction.Round:
                return new($"CAST(round(CAST({args[0]} AS {SqlDialect.DecimalType}), {args[1]}) AS {SqlDialect.DecimalType})");
            case BuiltinFunction.Abs:
                // |−2^63| is no int: null, as the engine; Spark's abs would wrap it, DuckDB's would fail.
                return call.Type.Kind == TypeKind.Decimal ? new($"abs({args[0]})")
                    : new($"CASE WHEN {args[0]} = {_d.Literal(long.MinValue, DslType.Int)} THEN CAST(NULL AS BIGINT) ELSE abs({args[0]}) END");
            case BuiltinFunction.Coalesce:
                return new($"COALESCE({string.Join(", ", args)})");
            case BuiltinFunction.ListContains:
            {
                // Null when the list or the item is null (unlike `in`); a null item of the list never matches.
                var (l, item) = ListAndItem(call.Arguments[0], call.Arguments[1], inEvent);
                return new($"CASE WHEN {l} IS NULL OR {item} IS NULL THEN CAST(NULL AS BOOLEAN) "
                    + $"ELSE COALESCE({_d.ListContains(l, item)}, FALSE) END");
            }
            case BuiltinFunction.Size:
                return new(_d.ListSize(args[0]));
            default:
                throw new InvalidOperationException($"unknown function {call.Function}");
        }
    }

    /// <summary>An instant as the workspace time zone's wall clock (section 5): what date, hour, weekday and years_between read.</summary>
    private string Local(string timestamp) => _zone is null ? timestamp : _d.ToLocal(timestamp, _zone);

    private readonly string? _zone = model.Schema.TimeZone is { } zone && zone is not ("UTC" or "Etc/UTC") ? zone : null;

    /// <summary>floor(a / b) for b &gt; 0 in integers: subtract the non-negative remainder, then the division is exact.</summary>
    private static string FloorDiv(string a, long b)
    {
        var divisor = SqlDialect.Invariant(b);
        return $"CAST(ROUND(({a} - ((({a} % {divisor}) + {divisor}) % {divisor})) / {divisor}) AS BIGINT)";
    }

    /// <summary>
    /// Whole years from a to b: the year difference, one less (more) when a's day of the year,
    /// clamped from Feb 29 to Feb 28 in b's year, is not yet reached.
    /// </summary>
    private static string YearsBetween(string a, string b)
    {
        var years = $"(year({b}) - year({a}))";
        var leap = $"((year({b}) % 4 = 0 AND year({b}) % 100 <> 0) OR year({b}) % 400 = 0)";
        var dayA = $"(CASE WHEN month({a}) = 2 AND day({a}) = 29 AND NOT {leap} THEN 228 ELSE month({a}) * 100 + day({a}) END)";
        var dayB = $"(month({b}) * 100 + day({b}))";
        return $"CAST({years} - CASE WHEN {years} > 0 AND {dayA} > {dayB} THEN 1 ELSE 0 END "
            + $"+ CASE WHEN {years} < 0 AND {dayA} < {dayB} THEN 1 ELSE 0 END AS BIGINT)";
    }
}
