using System.Globalization;
using System.Text;
using MarketingDsl.Core.Semantics;

namespace MarketingDsl.Sql.Dialects;

public enum SqlTarget { DuckDb, SparkSql }

/// <summary>
/// What differs between the SQL dialects the lowering writes: quoting, literals, type names and
/// the few functions without a common spelling. Everything else is written once, in the SQL both
/// DuckDB and Spark SQL 3.5 read the same way.
/// </summary>
public abstract class SqlDialect
{
    public static SqlDialect For(SqlTarget target) => target == SqlTarget.DuckDb ? DuckDbDialect.Instance : SparkSqlDialect.Instance;

    public abstract SqlTarget Target { get; }

    /// <summary>How messages name the target: "DuckDB", "Spark SQL".</summary>
    public abstract string DisplayName { get; }

    /// <summary>
    /// Every decimal of the language is this type in SQL: 26 integer and 12 fractional digits.
    /// A division or product is rounded half away from zero to 12 places (the engine keeps 28
    /// significant digits), which changes no written value (4 places) and no comparison of values
    /// with fewer than 12 decimals.
    /// </summary>
    public const string DecimalType = "DECIMAL(38, 12)";
    public const int DecimalScale = 12;

    public abstract string Identifier(string name);
    public abstract string StringLiteral(string value);

    /// <summary>The as-of instant: a parameter of the query.</summary>
    public abstract string AsOfParameter { get; }

    public string TypeName(DslType type) => type.Kind switch
    {
        TypeKind.Bool => "BOOLEAN",
        TypeKind.Int or TypeKind.Duration => "BIGINT",
        TypeKind.Decimal => DecimalType,
        TypeKind.String => StringTypeName,
        TypeKind.Date => "DATE",
        TypeKind.DateTime => "TIMESTAMP",
        TypeKind.List => ListTypeName(TypeName(type.Element ?? DslType.String)),
        _ => throw new InvalidOperationException($"no SQL type for {type}"),
    };

    protected abstract string StringTypeName { get; }
    protected abstract string ListTypeName(string element);

    public abstract string List(IEnumerable<string> items, DslType listType);

    /// <summary>A list of the non-null values among <paramref name="slots"/>, in order (the `top` result).</summary>
    public abstract string CompactList(IEnumerable<string> slots, DslType listType);

    public abstract string ListContains(string list, string value);

    /// <summary>Number of items of a list, null items included, as BIGINT; null for a null list.</summary>
    public abstract string ListSize(string list);

    /// <summary>Two lists: true when both are non-null, of one length, and equal item by item (two null items are equal); else false.</summary>
    public abstract string ListEquals(string left, string right);

    /// <summary>In a SELECT list: one row per item of the list (none for a null or empty list).</summary>
    public abstract string Unnest(string list);

    /// <summary>64-bit integer arithmetic that is null where the result leaves the range (like the engine), never an error.</summary>
    public abstract string CheckedInt(char op, string left, string right);

    /// <summary>A decimal calculation that is null where it overflows, never an error.</summary>
    public abstract string CheckedDecimal(string expression);

    /// <summary>Exact decimal division rounded half away from zero to <see cref="DecimalScale"/> places; null when b is 0 or null.</summary>
    public abstract string Divide(string a, string b);

    /// <summary>An instant as microseconds since 1970-01-01T00:00:00Z.</summary>
    public abstract string EpochMicros(string timestamp);

    /// <summary>An instant plus a number of microseconds.</summary>
    public abstract string AddMicros(string timestamp, string micros);

    /// <summary>Days from <paramref name="start"/> to <paramref name="end"/> (dates).</summary>
    public abstract string DaysBetween(string start, string end);

    public abstract string StartsWith(string s, string prefix);

    /// <summary>The wall-clock time in an IANA zone of a UTC instant, as a TIMESTAMP (for calendar functions).</summary>
    public abstract string ToLocal(string timestamp, string zone);

    /// <summary>An interval of whole seconds, subtracted from an instant for `within:`.</summary>
    public abstract string Seconds(long seconds);

    /// <summary>Statements that must run before the query (the session time zone of Spark).</summary>
    public abstract IReadOnlyList<string> Preamble { get; }

    public static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);

    public string DecimalLiteral(decimal value) =>
        value.ToString(CultureInfo.InvariantCulture) is var text && text.Contains('.') ? text : text + ".0";

    public string Literal(object? value, DslType type)
    {
        if (value is null) return $"CAST(NULL AS {TypeName(type)})";
        return value switch
        {
            bool b => b ? "TRUE" : "FALSE",
            long l when type.Kind == TypeKind.Duration => Invariant(l / 10),
            long l => l == long.MinValue ? $"CAST({Invariant(l)} AS BIGINT)" : Invariant(l),
            int i => Invariant(i),
            decimal d => DecimalLiteral(d),
            string s => StringLiteral(s),
            DateOnly d => $"DATE '{d:yyyy-MM-dd}'",
            DateTime t => $"TIMESTAMP '{TimestampText(t)}'",
            TimeSpan t => Invariant(t.Ticks / 10),
            _ => throw new InvalidOperationException($"no SQL literal for {value.GetType().Name}"),
        };
    }

    public static string TimestampText(DateTime utc) =>
        utc.Ticks % TimeSpan.TicksPerSecond == 0
            ? utc.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)
            : utc.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
}

public sealed class DuckDbDialect : SqlDialect
{
    public static readonly DuckDbDialect Instance = new();
    public override SqlTarget Target => SqlTarget.DuckDb;
    public override string DisplayName => "DuckDB";
    public override string Identifier(string name) => "\"" + name.Replace("\"", "\"\"") + "\"";
    public override string StringLiteral(string value) => "'" + value.Replace("'", "''") + "'";
    public override string AsOfParameter => "CAST($as_of AS TIMESTAMP)";
    protected override string StringTypeName => "VARCHAR";
    protected override string ListTypeName(string element) => element + "[]";
    public override string List(IEnumerable<string> items, DslType listType)
    {
        var text = string.Join(", ", items);
        return text.Length == 0 ? $"CAST([] AS {TypeName(listType)})" : $"[{text}]";
    }
    public override string CompactList(IEnumerable<string> slots, DslType listType) =>
        $"CAST(list_filter([{string.Join(", ", slots)}], x -> x IS NOT NULL) AS {TypeName(listType)})";
    public override string ListContains(string list, string value) => $"list_contains({list}, {value})";
    public override string ListSize(string list) => $"CAST(len({list}) AS BIGINT)";
    // DuckDB compares the items of nested values with null items equal to each other (not SQL's three-valued =).
    public override string ListEquals(string left, string right) => $"COALESCE({left} = {right}, FALSE)";
    public override string Unnest(string list) => $"UNNEST({list})";
    public override string CheckedInt(char op, string left, string right) => $"try({left} {op} {right})";
    public override string CheckedDecimal(string expression) => $"try({expression})";

    public override string Divide(string a, string b) => $"mdsl_divide({a}, {b})";

    public override string EpochMicros(string timestamp) => $"epoch_us({timestamp})";
    public override string AddMicros(string timestamp, string micros) => $"try({timestamp} + to_microseconds({micros}))";
    public override string DaysBetween(string start, string end) => $"date_diff('day', {start}, {end})";
    public override string StartsWith(string s, string prefix) => $"starts_with({s}, {prefix})";
    public override string ToLocal(string timestamp, string zone) => $"timezone({StringLiteral(zone)}, CAST({timestamp} AS TIMESTAMPTZ))";
    public override string Seconds(long seconds) => $"INTERVAL {Invariant(seconds)} SECOND";
    // DuckDB divides decimals in DOUBLE; mdsl_divide divides the unscaled 128-bit integers instead:
    // q = |A|·10^12 div |B|, rounded half away from zero by the remainder, with the sign of A·B.
    // Defined once as a macro so a nested division does not repeat its operands' text.
    private const string Unscaled = "CAST(CAST({0} AS DECIMAL(38, 12)) * 1000000000000 AS HUGEINT)";
    private static readonly string s_a = string.Format(CultureInfo.InvariantCulture, Unscaled, "a");
    private static readonly string s_b = string.Format(CultureInfo.InvariantCulture, Unscaled, "b");

    public override IReadOnlyList<string> Preamble =>
    [
        // TIMESTAMP holds UTC instants; a zone conversion casts to TIMESTAMPTZ, which reads the session zone.
        "SET TimeZone = 'UTC'",
        "CREATE OR REPLACE TEMP MACRO mdsl_divide(a, b) AS try(CASE WHEN b IS NULL OR CAST(b AS DECIMAL(38, 12)) = 0 THEN NULL ELSE "
        + $"CAST(sign({s_a}) * sign({s_b}) * (abs({s_a}) * 1000000000000 // abs({s_b}) "
        + $"+ CASE WHEN 2 * (abs({s_a}) * 1000000000000 % abs({s_b})) >= abs({s_b}) "
        + "THEN 1 ELSE 0 END) AS DECIMAL(38, 0)) * CAST(0.000000000001 AS DECIMAL(38, 12)) END)",
    ];
}

public sealed class SparkSqlDialect : SqlDialect
{
    public static readonly SparkSqlDialect Instance = new();
    public override SqlTarget Target => SqlTarget.SparkSql;
    public override string DisplayName => "Spark SQL";
    public override string Identifier(string name) => "`" + name.Replace("`", "``") + "`";

    // Spark reads backslash escapes in string literals (spark.sql.parser.escapedStringLiterals=false).
    public override string StringLiteral(string value)
    {
        var text = new StringBuilder("'");
        foreach (var c in value)
            text.Append(c switch { '\\' => "\\\\", '\'' => "\\'", '\n' => "\\n", '\r' => "\\r", '\t' => "\\t", _ => c.ToString() });
        return text.Append('\'').ToString();
    }

    /// <summary>spark-sql substitutes <c>${as_of}</c> (<c>--hivevar as_of=…</c> or <c>SET as_of=…</c>).</summary>
    public override string AsOfParameter => "CAST('${as_of}' AS TIMESTAMP)";
    protected override string StringTypeName => "STRING";
    protected override string ListTypeName(string element) => $"ARRAY<{element}>";
    public override string List(IEnumerable<string> items, DslType listType) => $"CAST(array({string.Join(", ", items)}) AS {TypeName(listType)})";
    public override string CompactList(IEnumerable<string> slots, DslType listType) =>
        $"CAST(array_compact(array({string.Join(", ", slots)})) AS {TypeName(listType)})";
    public override string ListContains(string list, string value) => $"array_contains({list}, {value})";
    // size(NULL) is -1 unless spark.sql.legacy.sizeOfNull is off: a null list stays null explicitly.
    public override string ListSize(string list) => $"CASE WHEN {list} IS NULL THEN CAST(NULL AS BIGINT) ELSE CAST(size({list}) AS BIGINT) END";
    // Spark orders arrays item by item with null items equal to each other, and = on arrays follows that ordering.
    public override string ListEquals(string left, string right) => $"COALESCE({left} = {right}, FALSE)";
    public override string Unnest(string list) => $"explode({list})";
    public override string CheckedInt(char op, string left, string right) =>
        $"{(op switch { '+' => "try_add", '-' => "try_subtract", _ => "try_multiply" })}({left}, {right})";

    // Spark's decimal arithmetic is null on overflow when ANSI mode is off (the default).
    public override string CheckedDecimal(string expression) => expression;

    // DECIMAL(26, 12) ÷ DECIMAL(26, 12) is DECIMAL(38, 12) under Spark's precision rules, rounded HALF_UP
    // (away from zero); a division by zero is null when ANSI mode is off.
    public override string Divide(string a, string b) =>
        $"CAST(CAST({a} AS DECIMAL(26, 12)) / CAST({b} AS DECIMAL(26, 12)) AS {DecimalType})";

    public override string EpochMicros(string timestamp) => $"unix_micros({timestamp})";
    public override string AddMicros(string timestamp, string micros) => $"timestamp_micros(try_add(unix_micros({timestamp}), {micros}))";
    public override string DaysBetween(string start, string end) => $"datediff({end}, {start})";
    public override string StartsWith(string s, string prefix) => $"startswith({s}, {prefix})";
    public override string ToLocal(string timestamp, string zone) => $"from_utc_timestamp({timestamp}, {StringLiteral(zone)})";
    public override string Seconds(long seconds) => $"INTERVAL {Invariant(seconds)} SECONDS";
    public override IReadOnlyList<string> Preamble => ["SET spark.sql.session.timeZone = UTC"];
}
