using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace MarketingDsl.Runtime;

/// <summary>
/// The SQL plumbing of the live store: one connection, its open transaction (begun and committed
/// through <see cref="SqliteTransaction"/>), and one prepared statement per statement text (parsed
/// and planned once, reused with new parameter values). Statements run through SQLite's own
/// statement API on the connection's <see cref="SqliteConnection.Handle"/> (SQLitePCL.raw, which
/// Microsoft.Data.Sqlite is built on and documents for native calls), with parameters bound by
/// position, each resolved once per statement: <see cref="SqliteCommand"/> looks every parameter up
/// by name on every execution (a UTF-8 copy of the name and a scan of the statement's names), which
/// cost more than SQLite's own work for the short statements a commit runs thousands of. On the
/// one connection they are part of its open transaction.
/// </summary>
public sealed partial class LiveStore
{
    private readonly SqliteConnection _connection;
    private SqliteTransaction? _transaction;
    /// <summary>Guards the connection and the statement caches: memory-only readers never take it, callers under the runtime's lock do.</summary>
    private readonly Lock _sql = new();
    private readonly Dictionary<string, PreparedStatement> _statements = new(StringComparer.Ordinal);

    /// <summary>A native prepared statement and the position of each parameter $0, $1, … in it (0: not used by the text).</summary>
    private sealed class PreparedStatement(sqlite3_stmt handle, int[] positions)
    {
        public sqlite3_stmt Handle { get; } = handle;
        public int[] Positions { get; } = positions;
    }

    /// <summary>The statement of <paramref name="sql"/> (one statement) with <paramref name="args"/> bound; the caller steps and resets it.</summary>
    private sqlite3_stmt Bound(string sql, ReadOnlySpan<object?> args)
    {
        var db = _connection.Handle!;
        var statement = Prepared(sql, args.Length);
        var stmt = statement.Handle;
        for (var i = 0; i < args.Length; i++)
        {
            var at = statement.Positions[i];
            if (at == 0) continue;
            var rc = args[i] switch
            {
                null or DBNull => raw.sqlite3_bind_null(stmt, at),
                string s => BindText(stmt, at, s),
                // UTF-8 text as it came (an event's JSON): bound with its length, SQLite copies it.
                ReadOnlyMemory<byte> utf8 => raw.sqlite3_bind_text(stmt, at, utf8.Span),
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

    /// <summary>The prepared statement of <paramref name="sql"/> (one statement) with parameters $0 … $<paramref name="parameters"/>-1.</summary>
    private PreparedStatement Prepared(string sql, int parameters)
    {
        if (_statements.TryGetValue(sql, out var statement)) return statement;
        var db = _connection.Handle!;
        var rc = raw.sqlite3_prepare_v2(db, sql, out var handle, out var tail);
        SqliteException.ThrowExceptionForRC(rc, db);
        if (!string.IsNullOrWhiteSpace(tail))
        {
            handle.Dispose();
            throw new InvalidOperationException($"one statement at a time: '{sql}'");
        }
        var positions = new int[parameters];
        for (var i = 0; i < parameters; i++) positions[i] = raw.sqlite3_bind_parameter_index(handle, "$" + i);
        _statements[sql] = statement = new PreparedStatement(handle, positions);
        return statement;
    }

    /// <summary>
    /// Binds a string as UTF-8 encoded into a stack or pooled buffer and bound with its length
    /// (SQLite copies it: SQLITE_TRANSIENT), where the string overload of SQLitePCL makes a new
    /// NUL-terminated array per call — a commit binds thousands of ids, names and JSON texts.
    /// The empty string goes through that overload: an empty span would be bound as NULL.
    /// </summary>
    private static int BindText(sqlite3_stmt stmt, int at, string text)
    {
        if (text.Length == 0) return raw.sqlite3_bind_text(stmt, at, text);
        var max = System.Text.Encoding.UTF8.GetMaxByteCount(text.Length);
        if (max <= 1024)
        {
            Span<byte> buffer = stackalloc byte[1024];
            return raw.sqlite3_bind_text(stmt, at, buffer[..System.Text.Encoding.UTF8.GetBytes(text, buffer)]);
        }
        var rented = System.Buffers.ArrayPool<byte>.Shared.Rent(max);
        try { return raw.sqlite3_bind_text(stmt, at, rented.AsSpan(0, System.Text.Encoding.UTF8.GetBytes(text, rented))); }
        finally { System.Buffers.ArrayPool<byte>.Shared.Return(rented); }
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
    private int Execute(string sql, params ReadOnlySpan<object?> args)
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
    private object? Scalar(string sql, params ReadOnlySpan<object?> args)
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

    private List<T> Rows<T>(string sql, Func<StoreRow, T> row, params ReadOnlySpan<object?> args)
    {
        var rows = new List<T>();
        ForEachRow(sql, r => rows.Add(row(r)), args);
        return rows;
    }

    /// <summary>Runs a query, handing each row to <paramref name="row"/> (valid only during the call).</summary>
    private void ForEachRow(string sql, Action<StoreRow> row, params ReadOnlySpan<object?> args)
    {
        lock (_sql)
        {
            var stmt = Bound(sql, args);
            try
            {
                var current = new StoreRow(stmt);
                while (Step(stmt) == raw.SQLITE_ROW) row(current);
            }
            finally { raw.sqlite3_reset(stmt); }
        }
    }

    /// <summary>The current row of a query the store is stepping through.</summary>
    private sealed class StoreRow(sqlite3_stmt stmt)
    {
        public bool IsDBNull(int column) => raw.sqlite3_column_type(stmt, column) == raw.SQLITE_NULL;
        public long GetInt64(int column) => raw.sqlite3_column_int64(stmt, column);
        public int GetInt32(int column) => checked((int)raw.sqlite3_column_int64(stmt, column));
        public string GetString(int column) => raw.sqlite3_column_text(stmt, column).utf8_to_string()
            ?? throw new InvalidOperationException($"column {column} is NULL");
        /// <summary>A text column's UTF-8 bytes as SQLite holds them (a blob read of text converts nothing), valid until the next step.</summary>
        public ReadOnlySpan<byte> GetUtf8(int column) => raw.sqlite3_column_blob(stmt, column);
    }

    /// <summary>
    /// SQLite's plan (EXPLAIN QUERY PLAN, its detail lines) of every query, update and delete the
    /// store has prepared so far, by statement text: tests hold the statements a request runs to
    /// index lookups, whose cost does not grow with the users and events stored.
    /// </summary>
    internal Dictionary<string, List<string>> QueryPlans()
    {
        lock (_sql)
        {
            var plans = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            foreach (var (sql, statement) in _statements.ToList())
            {
                if (sql.StartsWith("EXPLAIN", StringComparison.Ordinal)
                    || !(sql.StartsWith("SELECT", StringComparison.Ordinal) || sql.StartsWith("UPDATE", StringComparison.Ordinal)
                         || sql.StartsWith("DELETE", StringComparison.Ordinal))) continue;
                plans[sql] = Rows("EXPLAIN QUERY PLAN " + sql, r => r.GetString(3), new object?[statement.Positions.Length]);
            }
            return plans;
        }
    }

    /// <summary>Finalises the native statements (before the connection closes).</summary>
    private void DisposeStatements()
    {
        foreach (var statement in _statements.Values) statement.Handle.Dispose();
        _statements.Clear();
    }

    private static string? NullableString(StoreRow r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
}
