using System.Globalization;
using MarketingDsl.Journeys.Measurement;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace MarketingDsl.Runtime;

/// <summary>
/// The measurement log of the live runtime: every <see cref="MeasureEvent"/> its journeys made
/// (written in the same transaction as the state change that made it, so results never run
/// ahead of or behind the journeys), and the channel feedback per send key. The results
/// endpoint reads them back into <see cref="JourneyMetrics"/>, the engine replay uses.
/// </summary>
public sealed partial class LiveStore
{
    private const string MeasureSchema = """
        CREATE TABLE IF NOT EXISTS measures (seq INTEGER PRIMARY KEY, journey TEXT NOT NULL, user TEXT NOT NULL, at INTEGER NOT NULL,
            kind INTEGER NOT NULL,
            held_out INTEGER NOT NULL, entry INTEGER NOT NULL, channel TEXT, step TEXT, cost TEXT NOT NULL, split TEXT, branch INTEGER NOT NULL,
            reason TEXT, revenue TEXT NOT NULL, branches TEXT, key TEXT);
        CREATE INDEX IF NOT EXISTS measures_by_at ON measures (at);
        CREATE UNIQUE INDEX IF NOT EXISTS measures_by_key ON measures (key) WHERE key IS NOT NULL;
        CREATE INDEX IF NOT EXISTS measures_sent_by_step ON measures (user, journey, step, at) WHERE kind = 3; -- 3: MeasureKind.Sent
        CREATE TABLE IF NOT EXISTS feedback (key TEXT PRIMARY KEY, delivered_at INTEGER, failed_at INTEGER, opened_at INTEGER,
            clicked_at INTEGER) WITHOUT ROWID;
        """;

    private void CreateMeasureSchema()
    {
        lock (_sql)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = MeasureSchema;
            command.ExecuteNonQuery();
        }
    }

    /// <summary>The open transaction's measurement events, written by <see cref="FlushMeasures"/> before anything reads them and at commit.</summary>
    private readonly List<(MeasureEvent Event, string? Key)> _pendingMeasures = [];
    /// <summary>The dedupe keys among <see cref="_pendingMeasures"/>.</summary>
    private readonly HashSet<string> _pendingMeasureKeys = new(StringComparer.Ordinal);

    /// <summary>The most rows per INSERT of <see cref="FlushMeasures"/> (a power of 4; 15 parameters each, far below SQLite's limit of
    /// 32,766).</summary>
    private const int MeasureRowsPerInsert = 64;
    private const string MeasureColumns = "journey, user, at, kind, held_out, entry, channel, step, cost, split, branch, reason, revenue, " +
        "branches, key";
    private const int MeasureColumnCount = 15;

    /// <summary>
    /// Appends a measurement event (a send's with its dedupe key, which feedback names) to the open
    /// transaction. A second send under a key already taken (the outbox keeps only the first) is
    /// still counted, without the key.
    /// </summary>
    /// <remarks>
    /// The rows stay in memory until the transaction commits (or something reads the log): one
    /// multi-row INSERT per <see cref="MeasureRowsPerInsert"/> rows instead of a statement per
    /// journey action, which a schedule's fan-out makes thousands of in one group. They are still
    /// written inside the transaction whose state changes made them, not after it: a group is
    /// acknowledged only once its journeys' facts are durable with it, so after a crash the
    /// results agree with the journey states (a send acknowledged has its row).
    /// </remarks>
    public void AddMeasure(MeasureEvent m, string? key)
    {
        if (key is not null && (!_pendingMeasureKeys.Add(key) || Scalar("SELECT 1 FROM measures WHERE key = $0", key) is not null)) key = null;
        _pendingMeasures.Add((m, key));
    }

    /// <summary>
    /// Writes the open transaction's pending measurement events (in order: their sequence numbers
    /// keep the log's order), each value bound by its type: a schedule's fan-out makes thousands
    /// of rows in one group, where an array of boxed values per row was a large part of what a
    /// commit allocates.
    /// </summary>
    private void FlushMeasures()
    {
        var rows = _pendingMeasures;
        if (rows.Count == 0) return;
        lock (_sql)
        {
            var db = _connection.Handle!;
            for (var from = 0; from < rows.Count;)
            {
                // Statements of 64, 16, 4 and 1 rows: few texts to prepare (each resolves its parameters once), few statements to run.
                var count = MeasureRowsPerInsert;
                while (count > rows.Count - from) count /= 4;
                var statement = Prepared(MeasureInsert(count), count * MeasureColumnCount);
                var stmt = statement.Handle;
                try
                {
                    for (var r = 0; r < count; r++)
                    {
                        var (m, key) = rows[from + r];
                        var at = statement.Positions.AsSpan(r * MeasureColumnCount, MeasureColumnCount);
                        Bind(db, BindText(stmt, at[0], m.Journey));
                        Bind(db, BindText(stmt, at[1], m.User));
                        Bind(db, raw.sqlite3_bind_int64(stmt, at[2], m.At));
                        Bind(db, raw.sqlite3_bind_int64(stmt, at[3], (int)m.Kind));
                        Bind(db, raw.sqlite3_bind_int64(stmt, at[4], m.HeldOut ? 1 : 0));
                        Bind(db, raw.sqlite3_bind_int64(stmt, at[5], m.EntryAt));
                        Bind(db, BindNullableText(stmt, at[6], m.Channel));
                        Bind(db, BindNullableText(stmt, at[7], m.Step));
                        Bind(db, BindDecimal(stmt, at[8], m.Cost));
                        Bind(db, BindNullableText(stmt, at[9], m.Split));
                        Bind(db, raw.sqlite3_bind_int64(stmt, at[10], m.Branch));
                        Bind(db, BindNullableText(stmt, at[11], m.Reason));
                        Bind(db, BindDecimal(stmt, at[12], m.Revenue));
                        Bind(db, BindNullableText(stmt, at[13], m.Branches));
                        Bind(db, BindNullableText(stmt, at[14], key));
                    }
                    while (Step(stmt) == raw.SQLITE_ROW) { }
                }
                finally { raw.sqlite3_reset(stmt); }
                from += count;
            }
        }
        ForgetPendingMeasures();
    }

    private static void Bind(sqlite3 db, int rc) => SqliteException.ThrowExceptionForRC(rc, db);

    private static int BindNullableText(sqlite3_stmt stmt, int at, string? text) =>
        text is null ? raw.sqlite3_bind_null(stmt, at) : BindText(stmt, at, text);

    /// <summary>A decimal as text in the invariant culture (as <see cref="ParseDecimal"/> reads it), formatted on the stack.</summary>
    private static int BindDecimal(sqlite3_stmt stmt, int at, decimal value)
    {
        Span<byte> utf8 = stackalloc byte[64];
        if (!value.TryFormat(utf8, out var length, default, CultureInfo.InvariantCulture))
            throw new InvalidOperationException("a decimal longer than its format allows");
        return raw.sqlite3_bind_text(stmt, at, utf8[..length]);
    }

    private void ForgetPendingMeasures()
    {
        _pendingMeasures.Clear();
        _pendingMeasureKeys.Clear();
    }

    private static readonly string?[] MeasureInserts = new string?[MeasureRowsPerInsert + 1];

    /// <summary>INSERT of <paramref name="rows"/> measurement rows with parameters $0 … (one text per row count: one prepared statement
    /// each).</summary>
    private static string MeasureInsert(int rows) => MeasureInserts[rows] ??= $"INSERT INTO measures ({MeasureColumns}) VALUES " +
        string.Join(", ", Enumerable.Range(0, rows).Select(r =>
            "(" + string.Join(", ", Enumerable.Range(r * MeasureColumnCount, MeasureColumnCount)
                .Select(i => "$" + i.ToString(CultureInfo.InvariantCulture))) + ")"));

    /// <summary>
    /// The measurement events with from &lt; at ≤ to in order, each send's feedback turned into
    /// events at their own instants (when those lie in the window too).
    /// </summary>
    public List<MeasureEvent> Measures(long fromTicks, long toTicks)
    {
        var events = new List<MeasureEvent>();
        const string Sql = "SELECT m.journey, m.user, m.at, m.kind, m.held_out, m.entry, m.channel, m.step, m.cost, m.split, m.branch, m.reason, " +
            "m.revenue, " +
                           "m.branches, f.delivered_at, f.failed_at, f.opened_at, f.clicked_at FROM measures m LEFT JOIN feedback f ON f.key = " +
                           "m.key " +
                           "WHERE m.at > $0 AND m.at <= $1 ORDER BY m.seq";
        var feedback = new List<MeasureEvent>();
        FlushMeasures();
        ForEachRow(Sql, r =>
        {
            var m = new MeasureEvent(r.GetString(0), r.GetString(1), r.GetInt64(2), (MeasureKind)r.GetInt32(3))
            {
                HeldOut = r.GetInt32(4) != 0, EntryAt = r.GetInt64(5), Channel = NullableString(r, 6), Step = NullableString(r, 7),
                    Cost = ParseDecimal(r.GetString(8)),
                Split = NullableString(r, 9), Branch = r.GetInt32(10), Reason = NullableString(r, 11), Revenue = ParseDecimal(r.GetString(12)),
                Branches = NullableString(r, 13),
            };
            events.Add(m);
            if (m.Kind != MeasureKind.Sent) return;
            Feedback.AddEvents(m, new SendFeedback("", m.At, NullableLong(r, 14), NullableLong(r, 15), NullableLong(r, 16), NullableLong(r, 17)),
                fromTicks, toTicks, feedback);
        }, fromTicks, toTicks);
        return Feedback.Merge(events, feedback);
    }

    /// <summary>The feedback of the send under <paramref name="key"/> (no feedback yet: only its send instant); null when no send has that
    /// key.</summary>
    public SendFeedback? FeedbackOf(string key)
    {
        FlushMeasures();
        var rows = Rows("SELECT m.at, f.delivered_at, f.failed_at, f.opened_at, f.clicked_at FROM measures m LEFT JOIN feedback f ON f.key = " +
            "m.key WHERE m.key = $0",
            r => new SendFeedback(key, r.GetInt64(0), NullableLong(r, 1), NullableLong(r, 2), NullableLong(r, 3), NullableLong(r, 4)), key);
        return rows.Count == 0 ? null : rows[0];
    }

    public void SetFeedback(SendFeedback f) =>
        Execute("INSERT INTO feedback (key, delivered_at, failed_at, opened_at, clicked_at) VALUES ($0, $1, $2, $3, $4) " +
                "ON CONFLICT (key) DO UPDATE SET delivered_at = excluded.delivered_at, failed_at = excluded.failed_at, " +
                "opened_at = excluded.opened_at, clicked_at = excluded.clicked_at",
            f.Key, f.DeliveredAt, f.FailedAt, f.OpenedAt, f.ClickedAt);

    /// <summary>The key of the user's latest send at a journey step with at ≤ <paramref name="atTicks"/> (a schema event naming journey and
    /// step).</summary>
    public string? LatestSendKey(string user, string journey, string step, long atTicks)
    {
        FlushMeasures();
        return Scalar("SELECT key FROM measures WHERE kind = 3 AND user = $0 AND journey = $1 AND step = $2 AND at <= $3 ORDER BY at DESC LIMIT 1",
            user, journey, step, atTicks) as string;
    }

    private static decimal ParseDecimal(string s) => decimal.Parse(s, NumberStyles.Number, CultureInfo.InvariantCulture);
    private static long? NullableLong(StoreRow r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);
}
