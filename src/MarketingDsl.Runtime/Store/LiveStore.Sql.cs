using Microsoft.Data.Sqlite;

namespace MarketingDsl.Runtime;

/// <summary>
/// The SQL plumbing of the live store: one connection, its open transaction, and one prepared
/// command per statement text (parsed and planned once, reused with new parameter values).
/// </summary>
public sealed partial class LiveStore
{
    private readonly SqliteConnection _connection;
    private SqliteTransaction? _transaction;
    /// <summary>Guards the connection and the command cache: memory-only readers never take it, callers under the runtime's lock do.</summary>
    private readonly Lock _sql = new();
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

    private SqliteCommand Command(string sql, object?[] args)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = _connection.CreateCommand();
            command.CommandText = sql;
            for (var i = 0; i < args.Length; i++) command.Parameters.Add(new SqliteParameter("$" + i, null));
            _commands[sql] = command;
        }
        command.Transaction = _transaction;
        for (var i = 0; i < args.Length; i++) command.Parameters[i].Value = args[i] ?? DBNull.Value;
        return command;
    }

    /// <summary>Runs a statement with parameters $0, $1, …; returns the rows it changed.</summary>
    private int Execute(string sql, params object?[] args)
    {
        lock (_sql) return Command(sql, args).ExecuteNonQuery();
    }

    /// <summary>The first column of the first row, or null when there is none.</summary>
    private object? Scalar(string sql, params object?[] args)
    {
        lock (_sql) return Command(sql, args).ExecuteScalar() is { } value and not DBNull ? value : null;
    }

    private List<T> Rows<T>(string sql, Func<SqliteDataReader, T> row, params object?[] args)
    {
        lock (_sql)
        {
            using var reader = Command(sql, args).ExecuteReader();
            var rows = new List<T>();
            while (reader.Read()) rows.Add(row(reader));
            return rows;
        }
    }

    private static string? NullableString(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
}
