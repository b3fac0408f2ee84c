using System.Collections;
using System.Collections.Immutable;
using System.Data.Common;
using DuckDB.NET.Data;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Sql.Dialects;
using MarketingDsl.Sql.Lowering;

namespace MarketingDsl.Sql.Execution;

/// <summary>
/// Runs a DuckDB <see cref="SqlCompilation"/> in embedded DuckDB. The input tables are staged from
/// a <see cref="DataSet"/>, so the rows are exactly those the in-process engine reads (the one
/// importer: rejects, future rows, identity merge, de-duplication); the query then computes every
/// value, and the result is read back as an <see cref="EvaluationResult"/> for the shared writers.
/// </summary>
public static class DuckDbEngine
{
    /// <summary>The values of every output of <paramref name="sql"/> (columns aligned with <see cref="SqlCompilation.Outputs"/>).</summary>
    public static ImmutableArray<ResultColumn> Evaluate(SqlCompilation sql, DataSet data, DateTime asOfUtc)
    {
        ArgumentNullException.ThrowIfNull(sql);
        ArgumentNullException.ThrowIfNull(data);
        if (sql.Target != SqlTarget.DuckDb || sql.Query is null)
            throw new InvalidOperationException("only a DuckDB compilation without errors runs in DuckDB");
        using var connection = Open();
        Stage(connection, sql, data);
        return Run(connection, sql.Preamble, sql.Query, sql.Outputs, data, asOfUtc);
    }

    /// <summary>Every output, as <see cref="EvaluationResult"/>; the compilation must have left none out.</summary>
    public static EvaluationResult EvaluateAll(SqlCompilation sql, DataSet data, DateTime asOfUtc)
    {
        var model = sql.Source.Model;
        if (sql.Outputs.Length != model.Outputs.Length) throw new InvalidOperationException("the SQL leaves outputs out");
        return new EvaluationResult(model, data, asOfUtc, Evaluate(sql, data, asOfUtc));
    }

    public static DuckDBConnection Open()
    {
        var connection = new DuckDBConnection("DataSource=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        // Calendar functions read TIMESTAMP (UTC instants) without a zone; a session zone must never shift them.
        command.CommandText = "SET TimeZone = 'UTC'";
        command.ExecuteNonQuery();
        return connection;
    }

    /// <summary>Creates the input tables (<see cref="SqlCompilation.InputTablesDdl"/>) and appends the data set's rows.</summary>
    public static void Stage(DuckDBConnection connection, SqlCompilation sql, DataSet data)
    {
        using (var command = connection.CreateCommand())
        {
            command.CommandText = sql.InputTablesDdl();
            command.ExecuteNonQuery();
        }
        var schema = data.Schema;
        var keyOrdinal = schema.ProfileOrdinalOf(schema.KeyField);
        using (var appender = connection.CreateAppender(SqlLowering.ProfileTable))
        {
            var fields = schema.ProfileFields.Select((_, f) => f == keyOrdinal ? (row, user) => row.AppendValue(data.UserIds[user])
                : AppendFrom(data.Profiles.Columns[f])).ToArray();
            for (var user = 0; user < data.UserCount; user++)
            {
                var row = appender.CreateRow();
                foreach (var append in fields) append(row, user);
                row.EndRow();
            }
        }
        for (var e = 0; e < schema.Events.Length; e++)
        {
            if (data.Events[e] is not { } table) continue;
            var type = schema.Events[e];
            var fields = Enumerable.Range(2, type.Fields.Length - 2).Select(f => AppendFrom(table.Fields[f])).ToArray();
            using var appender = connection.CreateAppender(SqlLowering.TableOf(type));
            for (var user = 0; user < data.UserCount; user++)
                for (var i = table.UserStart[user]; i < table.UserStart[user + 1]; i++)
                {
                    var row = appender.CreateRow();
                    row.AppendValue(data.UserIds[user]);
                    row.AppendValue(new DateTime(table.Ts[i], DateTimeKind.Utc));
                    foreach (var append in fields) append(row, i);
                    row.AppendValue(table.Line[i]);
                    row.EndRow();
                }
        }
    }

    /// <summary>Appends row <c>i</c> of a column in its DuckDB type (typed: no boxing per value); a column never read is all null.</summary>
    private static Func<IDuckDBAppenderRow, int, IDuckDBAppenderRow> AppendFrom(Column? column) => column switch
    {
        null => (row, _) => row.AppendNullValue(),
        StringColumn c => (row, i) => row.AppendValue(c.IsNull(i) ? null : c.Values[i]),
        BoolColumn c => (row, i) => row.AppendValue(c.IsNull(i) ? null : c.Values[i]),
        IntColumn c => (row, i) => row.AppendValue(c.IsNull(i) ? null : c.Values[i]),
        DecimalColumn c => (row, i) => row.AppendValue(c.IsNull(i) ? null : c.Values[i]),
        DateColumn c => (row, i) => row.AppendValue(c.IsNull(i) ? null : DateOnly.FromDayNumber(c.Values[i])),
        DateTimeColumn c => (row, i) => row.AppendValue(c.IsNull(i) ? null : new DateTime(c.Values[i], DateTimeKind.Utc)),
        // A duration is BIGINT microseconds in SQL.
        DurationColumn c => (row, i) => row.AppendValue(c.IsNull(i) ? null : c.Values[i] / 10),
        ListColumn c => AppendList(c),
        _ => throw new InvalidOperationException($"cannot stage a {column.GetType().Name}"),
    };

    /// <summary>A list column as DuckDB lists of its item type (items as their SQL values: a duration in microseconds).</summary>
    private static Func<IDuckDBAppenderRow, int, IDuckDBAppenderRow> AppendList(ListColumn c)
    {
        Func<IDuckDBAppenderRow, int, IDuckDBAppenderRow> Items<T>(Func<object, T> item) => (row, i) =>
            c.Values[i] is { } list && !c.IsNull(i) ? row.AppendValue(list.Select(v => v is null ? default : item(v)).ToList())
                : row.AppendNullValue();
        return c.Type.Element?.Kind switch
        {
            TypeKind.String => Items<string?>(v => (string)v),
            TypeKind.Bool => Items<bool?>(v => (bool)v),
            TypeKind.Int => Items<long?>(v => (long)v),
            TypeKind.Decimal => Items<decimal?>(v => (decimal)v),
            TypeKind.Date => Items<DateOnly?>(v => (DateOnly)v),
            TypeKind.DateTime => Items<DateTime?>(v => DateTime.SpecifyKind((DateTime)v, DateTimeKind.Utc)),
            TypeKind.Duration => Items<long?>(v => ((TimeSpan)v).Ticks / 10),
            _ => throw new InvalidOperationException($"cannot stage a {c.Type}"),
        };
    }

    /// <summary>Runs the preamble and the query with the as-of parameter; reads one value per user and output.</summary>
    public static ImmutableArray<ResultColumn> Run(DuckDBConnection connection, IEnumerable<string> preamble, string query,
        ImmutableArray<ComputedSymbol> outputs, DataSet data, DateTime asOfUtc)
    {
        foreach (var statement in preamble)
        {
            using var setup = connection.CreateCommand();
            setup.CommandText = statement;
            setup.ExecuteNonQuery();
        }
        var values = outputs.Select(_ => new object?[data.UserCount]).ToArray();
        using var command = connection.CreateCommand();
        command.CommandText = query;
        command.Parameters.Add(new DuckDBParameter("as_of", DateTime.SpecifyKind(asOfUtc, DateTimeKind.Utc)));
        ReadInto(command, outputs, data, values);
        return [.. outputs.Select((symbol, i) => (ResultColumn)new BoxedResultColumn(symbol, values[i]))];
    }

    /// <summary>Reads rows of (user_id, outputs…) into <paramref name="values"/> by the user's index in the data set.</summary>
    public static void ReadInto(DbCommand command, ImmutableArray<ComputedSymbol> outputs, DataSet data, object?[][] values)
    {
        using var reader = command.ExecuteReader();
        if (reader.FieldCount != outputs.Length + 1)
            throw new InvalidOperationException($"the query returned {reader.FieldCount} columns, expected {outputs.Length + 1}");
        var row = 0;
        while (reader.Read())
        {
            var userId = reader.GetString(0);
            var user = row < data.UserCount && data.UserIds[row] == userId ? row : data.IndexOfUser(userId);
            if (user < 0) throw new InvalidOperationException($"the query returned the unknown user '{userId}'");
            for (var i = 0; i < outputs.Length; i++)
                values[i][user] = reader.IsDBNull(i + 1) ? null
                    : outputs[i].Type.IsList ? ListFromSql(reader, i + 1, outputs[i].Type.Element ?? DslType.String)
                    : FromSql(reader.GetValue(i + 1), outputs[i].Type);
            row++;
        }
        if (row != data.UserCount) throw new InvalidOperationException($"the query returned {row} rows for {data.UserCount} profiles");
    }

    /// <summary>A list column's value with its null items (read typed: the untyped reader refuses a list holding a null).</summary>
    private static object?[] ListFromSql(DbDataReader reader, int ordinal, DslType element)
    {
        System.Collections.IList items = element.Kind switch
        {
            TypeKind.Bool => reader.GetFieldValue<List<bool?>>(ordinal),
            TypeKind.Int or TypeKind.Duration => reader.GetFieldValue<List<long?>>(ordinal),
            TypeKind.Decimal => reader.GetFieldValue<List<decimal?>>(ordinal),
            TypeKind.Date => reader.GetFieldValue<List<DateOnly?>>(ordinal),
            TypeKind.DateTime => reader.GetFieldValue<List<DateTime?>>(ordinal),
            _ => reader.GetFieldValue<List<string?>>(ordinal),
        };
        var list = new object?[items.Count];
        for (var k = 0; k < list.Length; k++) list[k] = FromSql(items[k], element);
        return list;
    }

    /// <summary>A value as DuckDB returns it, in the engine's boxed representation of its DSL type.</summary>
    public static object? FromSql(object? value, DslType type) => value switch
    {
        null or DBNull => null,
        _ when type.Kind == TypeKind.List => value is IEnumerable items && value is not string
            ? items.Cast<object?>().Select(v => FromSql(v, type.Element ?? DslType.String)).ToArray()
            : throw new InvalidOperationException($"expected a list, got {value.GetType().Name}"),
        _ => type.Kind switch
        {
            TypeKind.Bool => Convert.ToBoolean(value, System.Globalization.CultureInfo.InvariantCulture),
            TypeKind.Int => Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture),
            TypeKind.Decimal => Convert.ToDecimal(value, System.Globalization.CultureInfo.InvariantCulture),
            TypeKind.String => (string)value,
            TypeKind.Date => value switch { DateOnly d => d, DateTime t => DateOnly.FromDateTime(t), _ => throw Unexpected(value, type) },
            TypeKind.DateTime => value is DateTime t ? DateTime.SpecifyKind(t, DateTimeKind.Utc) : throw Unexpected(value, type),
            TypeKind.Duration => new TimeSpan(Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture) * 10),
            _ => throw Unexpected(value, type),
        },
    };

    private static InvalidOperationException Unexpected(object value, DslType type) =>
        new($"a {value.GetType().Name} from DuckDB for a {type} value");
}
