using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace MarketingDsl.Runtime;

/// <summary>
/// The SQL plumbing of the live store: one connection, its open transaction, and one prepared
/// statement per statement text (parsed and planned once, reused with new parameter values).
/// Writes and single values go through SQLite's own statement API on the connection's
/// <see cref="SqliteConnection.Handle"/> (SQLitePCL.raw, which Microsoft.Data.Sqlite is built on,
/// the documented way to native calls): parameters are bound by position, resolved once per
/// statement. <see cref="SqliteCommand"/> looks every parameter up by name on every execution
/// (a UTF-8 copy of the name and a scan of the statement's names each), which cost more than
/// SQLite's own work for the short statements a commit runs thousands of. Rows are read through
/// <see cref="SqliteDataReader"/>. Both run on the one connection, so both see the open transaction.
/// </summary>
public sealed partial class LiveStore
{
    private readonly SqliteConnection _connection;
    private SqliteTransaction? _transaction;
    /// <summary>Guards the connection and the statement caches: memory-only readers never take it, callers under the runtime's lock do.</summary>
    private readonly Lock _sql = new();
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PreparedStatement> _statements = new(StringComparer.Ordinal);

    /// <summary>A native prepared statement and the position of each parameter $0, $1, … in it (0: not used by the text).</summary>
    private sealed class PreparedStatement(sqlite3_stmt handle, int[] positions)
    {
        public sqlite3_stmt Handle { get; } = handle;
        public int[] Positions { get; } = positions;
    }

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

    /// <summary>The statement of <paramref name="sql"/> (one statement) with <paramref name="args"/> bound; the caller steps and resets it.</summary>
    private sqlite3_stmt Bound(string sql, object?[] args)
    {
        var db = _connection.Handle!;
        if (!_statements.TryGetValue(sql, out var statement))
        {
            var rc = raw.sqlite3_prepare_v2(db, sql, out var handle, out var tail);
            SqliteException.ThrowExceptionForRC(rc, db);
            if (!string.IsNullOrWhiteSpace(tail))
            {
                handle.Dispose();
                throw new InvalidOperationException($"one statement at a time: '{sql}'");
            }
            var positions = new int[args.Length];
            for (var i = 0; i < args.Length; i++) positions[i] = raw.sqlite3_bind_parameter_index(handle, "$" + i);
            _statements[sql] = statement = new PreparedStatement(handle, positions);
        }
        var stmt = statement.Handle;
        for (var i = 0; i < args.Length; i++)
        {
            var at = statement.Positions[i];
            if (at == 0) continue;
            var rc = args[i] switch
            {
                null or DBNull => raw.sqlite3_bind_null(stmt, at),
                string s => raw.sqlite3_bind_text(stmt, at, s),
                long l => raw.sqlite3_bind_int64(stmt, at, l),
                int n => raw.sqlite3_bind_int64(stmt, at, n),
                bool b => raw.sqlite3_bind_int64(stmt, at, b ? 1 : 0),
                double d => raw.sqlite3_bind_double(stmt, at, d),
                byte[] bytes => raw.sqlite3_bind_blob(stmt, at, bytes),
                var other => throw new NotSupportedException($"a store parameter of type {other.GetType().Name}"),
            };
            SqliteException.ThrowExceptionForRC(rc, db);
        }
        return stmt;
    }

    /// <summary>Steps the bound statement; SQLITE_ROW or SQLITE_DONE, else the statement is reset and the error thrown.</summary>
    private int Step(sqlite3_stmt stmt)
    {
        var rc = raw.sqlite3_step(stmt);
        if (rc is raw.SQLITE_ROW or raw.SQLITE_DONE) return rc;
        raw.sqlite3_reset(stmt);
        SqliteException.ThrowExceptionForRC(rc, _connection.Handle);
        return rc;
    }

    /// <summary>Runs a statement with parameters $0, $1, …; returns the rows it changed.</summary>
    private int Execute(string sql, params object?[] args)
    {
        lock (_sql)
        {
            var stmt = Bound(sql, args);
            try
            {
                while (Step(stmt) == raw.SQLITE_ROW) { }
                // sqlite3_changes counts the latest INSERT, UPDATE or DELETE: 0 for other statements.
                return raw.sqlite3_stmt_readonly(stmt) != 0 ? 0 : raw.sqlite3_changes(_connection.Handle);
            }
            finally { raw.sqlite3_reset(stmt); }
        }
    }

    /// <summary>The first column of the first row (long, double, string or byte[]), or null when there is none.</summary>
    private object? Scalar(string sql, params object?[] args)
    {
        lock (_sql)
        {
            var stmt = Bound(sql, args);
            try
            {
                if (Step(stmt) != raw.SQLITE_ROW) return null;
                return raw.sqlite3_column_type(stmt, 0) switch
                {
                    raw.SQLITE_INTEGER => raw.sqlite3_column_int64(stmt, 0),
                    raw.SQLITE_FLOAT => raw.sqlite3_column_double(stmt, 0),
                    raw.SQLITE_TEXT => raw.sqlite3_column_text(stmt, 0).utf8_to_string(),
                    raw.SQLITE_BLOB => raw.sqlite3_column_blob(stmt, 0).ToArray(),
                    _ => null,
                };
            }
            finally { raw.sqlite3_reset(stmt); }
        }
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

    /// <summary>Finalises the native statements (before the connection closes).</summary>
    private void DisposeStatements()
    {
        foreach (var statement in _statements.Values) statement.Handle.Dispose();
        _statements.Clear();
    }

    private static string? NullableString(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
}
