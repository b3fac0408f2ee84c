using MarketingDsl.Core.Semantics;

namespace MarketingDsl.Engine.Data;

/// <summary>
/// One user's profile and events as a one-user <see cref="DataSet"/> that grows by appending
/// events, for the live runtime: the same layout the importer builds (per type a table sorted by
/// (ts, line), typed columns), so compiled plans and conditions run over it unchanged, without
/// rebuilding the data set per event. Arrays keep spare capacity; rows past
/// <c>UserStart[1]</c> are never read. When an array has to grow, <see cref="Data"/> becomes a new
/// object (contexts built on the old one must be rebuilt: compare <see cref="Layout"/>).
/// Values are boxed as for <see cref="InMemoryData.Build"/>; the caller de-duplicates events
/// (the live runtime does it by id before storing). Not thread-safe.
/// </summary>
public sealed class UserHistory
{
    private readonly SchemaModel _schema;
    private readonly EventTable[] _tables;
    private readonly ColumnTable _profile;

    /// <param name="profile">A row aligned with <see cref="SchemaModel.ProfileFields"/>; the key field holds the user id.</param>
    /// <param name="sharedString">
    /// Whether a string value is one other rows hold too (the live runtime's repeated values): the estimate counts such a
    /// string once where it was made, not per row. Null: every string is the row's own.
    /// </param>
    public UserHistory(SchemaModel schema, string userId, object?[] profile, Func<string, bool>? sharedString = null)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(profile);
        if (profile.Length != schema.ProfileFields.Length)
            throw new ArgumentException($"a profile row needs {schema.ProfileFields.Length} values (one per profile field), got {profile.Length}");
        _schema = schema;
        _sharedString = sharedString;
        var columns = new Column?[profile.Length];
        for (var i = 0; i < profile.Length; i++)
        {
            columns[i] = NewColumn(schema.ProfileFields[i].Type, 1, withNulls: profile[i] is null);
            Set(columns[i]!, 0, profile[i], schema.ProfileFields[i]);
        }
        _profile = new ColumnTable(columns, 1);
        _tables = [.. EmptyTables.GetValue(schema, s => [.. s.Events.Select(type => NewTable(type, 0, _ => false))])];
        UserId = userId;
        _userIds = [userId];
        Data = NewData();
        // The empty tables are shared by every history of the schema: a table counts once it has rows of its own (Add).
        _fixedBytes = ObjectBytes + ProfileBytes(schema, profile, sharedString) + 8L * schema.Events.Length;
    }

    private readonly Func<string, bool>? _sharedString;

    // What EstimatedBytes counts, in bytes: objects and array headers as the 64-bit runtime lays
    // them out, rounded up (an estimate for the live runtime's cache bound, not an accounting).
    private const int ObjectBytes = 192;          // this object and its DataSet (the report is shared)
    private const int TableObjectBytes = 160;      // an EventTable with its ts, line and user-start arrays' headers
    private const int ColumnObjectBytes = 56;      // a column with its values array's header
    private const int NullsArrayBytes = 24;        // the header of a column's null flags, once it has a null
    private readonly long _fixedBytes;
    private long _tableBytes, _stringBytes;

    /// <summary>
    /// An estimate of the memory the history holds: its tables' arrays at their capacity (they grow
    /// by doubling), each string value at its length, the profile row and the objects around them.
    /// The live runtime bounds its per-user cache by the sum of such estimates.
    /// </summary>
    public long EstimatedBytes => _fixedBytes + _tableBytes + _stringBytes;

    /// <summary>Bytes of a string object of this length (header, length, UTF-16 characters).</summary>
    public static long StringBytes(string s) => 24 + 2L * s.Length;

    /// <summary>
    /// The profile's one-row table: the table object and its columns array, then per field a column
    /// (object and array header) and its value, and the null flag of a null value, each array padded to 8 bytes; strings and
    /// lists at their size.
    /// </summary>
    private static long ProfileBytes(SchemaModel schema, object?[] profile, Func<string, bool>? sharedString)
    {
        long bytes = 32 + 24 + 8L * profile.Length;
        for (var i = 0; i < profile.Length; i++)
        {
            bytes += ColumnObjectBytes + (profile[i] is null ? NullsArrayBytes + 8 : 0)
                + (schema.ProfileFields[i].Type.Kind == TypeKind.Decimal ? 16 : 8);
            if (profile[i] is string s) bytes += sharedString?.Invoke(s) == true ? 0 : StringBytes(s);
            else if (profile[i] is System.Collections.IEnumerable items) bytes += ListBytes(items);
        }
        return bytes;
    }

    /// <summary>Bytes of a list value: its array and each item (boxed, a string at its length).</summary>
    public static long ListBytes(System.Collections.IEnumerable items)
    {
        long bytes = 24;
        foreach (var item in items) bytes += 8 + (item is string s ? StringBytes(s) : 24);
        return bytes;
    }

    /// <summary>Bytes per row of a table's arrays: ts and line, and each field's value (null flags are counted once a column has them).</summary>
    private static long RowBytes(EventTypeSymbol type)
    {
        long bytes = 16;
        for (var f = 2; f < type.Fields.Length; f++)
            bytes += type.Fields[f].Type.Kind switch
            {
                TypeKind.Bool => 1,
                TypeKind.Date => 4,
                TypeKind.Decimal => 16,
                _ => 8,
            };
        return bytes;
    }

    public string UserId { get; }
    /// <summary>The user's data: one user, every event added so far.</summary>
    public DataSet Data { get; private set; }
    /// <summary>Changes whenever <see cref="Data"/> is replaced by a larger one.</summary>
    public int Layout { get; private set; }
    public int EventCount { get; private set; }

    /// <summary>
    /// Adds one event (values aligned with the type's fields: user_id, ts, then the declared fields)
    /// with its <paramref name="line"/> (arrival order: ties of ts go by line); returns its row in
    /// its type's table. Appending is O(1) amortised; a late event is inserted in (ts, line) order.
    /// </summary>
    public int Add(EventTypeSymbol type, object?[] values, long line)
    {
        var ordinal = _schema.Events.IndexOf(type);
        if (ordinal < 0) throw new ArgumentException($"'{type.Name}' is not an event type of this schema");
        if (values.Length != type.Fields.Length)
            throw new ArgumentException($"an event row of '{type.Name}' needs {type.Fields.Length} values, got {values.Length}");
        var ts = TsOf(values[1]);
        var table = _tables[ordinal];
        var n = table.UserStart[1];
        if (n == table.Ts.Length)
        {
            var capacity = Math.Max(4, n * 2);
            _tableBytes += (capacity - n) * (RowBytes(type) + NullFlagColumns(table))
                + (n == 0 ? TableObjectBytes + ColumnObjectBytes * type.Fields.Length : 0);
            table = _tables[ordinal] = Grow(table, capacity, n);
            Data = NewData();
            Layout++;
        }
        // A column gets null flags with its first null value: a new column object around the same
        // values, which contexts bound to the old one would not see (a new layout, as after growing).
        for (var f = 2; f < table.Fields.Length; f++)
        {
            if (values[f] is not null || table.Fields[f]!.Nulls is not null) continue;
            table.Fields[f] = WithNulls(table.Fields[f]!);
            _tableBytes += NullsArrayBytes + table.Ts.Length;
            Data = NewData();
            Layout++;
        }
        // Rows are sorted by (ts, line): find the first row after the new one (usually n).
        var row = n;
        while (row > 0 && (table.Ts[row - 1] > ts || table.Ts[row - 1] == ts && table.Line[row - 1] > line)) row--;
        if (row < n)
        {
            Array.Copy(table.Ts, row, table.Ts, row + 1, n - row);
            Array.Copy(table.Line, row, table.Line, row + 1, n - row);
            for (var f = 2; f < table.Fields.Length; f++)
            {
                var c = table.Fields[f]!;
                Array.Copy(ValuesOf(c), row, ValuesOf(c), row + 1, n - row);
                if (c.Nulls is { } nulls) Array.Copy(nulls, row, nulls, row + 1, n - row);
            }
        }
        table.Ts[row] = ts;
        table.Line[row] = line;
        for (var f = 2; f < table.Fields.Length; f++)
        {
            Set(table.Fields[f]!, row, values[f], type.Fields[f]);
            if (values[f] is string text) _stringBytes += _sharedString?.Invoke(text) == true ? 0 : StringBytes(text);
            else if (values[f] is System.Collections.IEnumerable items) _stringBytes += ListBytes(items);
        }
        table.UserStart[1] = n + 1;
        EventCount++;
        return row;
    }

    /// <summary>
    /// Forgets every event; the tables keep their arrays, and <see cref="Data"/> stays the same object: a scratch history
    /// that holds one event at a time (the live runtime's `where:` over an event whose type the user's history does not hold).
    /// </summary>
    public void Clear()
    {
        foreach (var table in _tables)
            if (table.UserStart[1] != 0) table.UserStart[1] = 0;   // the shared empty tables stay untouched
        EventCount = 0;
        _stringBytes = 0;
    }

    /// <summary>The row of the event added with <paramref name="line"/> in <paramref name="type"/>'s table, or -1.</summary>
    public int RowOf(EventTypeSymbol type, long line)
    {
        var ordinal = _schema.Events.IndexOf(type);
        if (ordinal < 0) return -1;
        var table = _tables[ordinal];
        for (var row = table.UserStart[1] - 1; row >= 0; row--)
            if (table.Line[row] == line) return row;
        return -1;
    }

    /// <summary>
    /// Several users' profiles and events as one multi-user <see cref="DataSet"/> in the layout a
    /// <see cref="UserHistory"/> gives each of them alone (per type a CSR table sorted by (ts, line)
    /// within each user), so one evaluator serves them all: the live runtime evaluates a batch of
    /// new profiles together rather than building a data set and an evaluator per profile.
    /// </summary>
    /// <param name="users">Ids and profile rows (aligned with <see cref="SchemaModel.ProfileFields"/>),
    /// sorted by <see cref="CodePointComparer"/>.</param>
    /// <param name="events">Per event: its user (an index into <paramref name="users"/>), type, values (as for
    /// <see cref="Add"/>) and line (arrival order: ties of ts go by line).</param>
    public static DataSet Combine(SchemaModel schema, IReadOnlyList<(string Id, object?[] Profile)> users,
        IReadOnlyList<(int User, EventTypeSymbol Type, object?[] Values, long Line)> events)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var n = users.Count;
        for (var u = 1; u < n; u++)
            if (CodePointComparer.Instance.Compare(users[u - 1].Id, users[u].Id) >= 0)
                throw new ArgumentException("the users must be distinct and sorted by code point order", nameof(users));
        var profileColumns = new Column?[schema.ProfileFields.Length];
        for (var i = 0; i < profileColumns.Length; i++)
        {
            var column = profileColumns[i] = NewColumn(schema.ProfileFields[i].Type, n, withNulls: true);
            for (var u = 0; u < n; u++)
            {
                if (users[u].Profile.Length != profileColumns.Length)
                    throw new ArgumentException(
                        $"a profile row needs {profileColumns.Length} values (one per profile field), got {users[u].Profile.Length}");
                Set(column, u, users[u].Profile[i], schema.ProfileFields[i]);
            }
        }
        // Each type's rows by user (a counting sort), each user's by (ts, line): a schedule's fan-out combines thousands of
        // users' histories per second, and sorting them through LINQ made three copies of every row.
        var tables = new EventTable?[schema.Events.Length];
        var typeOf = new int[events.Count];
        var rowsOfType = new int[tables.Length];
        for (var i = 0; i < events.Count; i++)
        {
            var e = typeOf[i] = schema.Events.IndexOf(events[i].Type);
            if (e < 0) continue;
            var r = events[i];
            if ((uint)r.User >= (uint)n) throw new ArgumentException($"event user index {r.User} is not one of the {n} users");
            if (r.Values.Length != schema.Events[e].Fields.Length)
                throw new ArgumentException($"an event row of '{schema.Events[e].Name}' needs {schema.Events[e].Fields.Length} values, " +
                    $"got {r.Values.Length}");
            rowsOfType[e]++;
        }
        for (var e = 0; e < tables.Length; e++)
        {
            var type = schema.Events[e];
            var starts = new int[n + 1];
            for (var i = 0; i < events.Count; i++)
                if (typeOf[i] == e) starts[events[i].User + 1]++;
            for (var u = 0; u < n; u++) starts[u + 1] += starts[u];
            var next = starts[..n];
            var keys = new RowOrder[rowsOfType[e]];
            var source = new int[keys.Length];
            for (var i = 0; i < events.Count; i++)
            {
                if (typeOf[i] != e) continue;
                var at = next[events[i].User]++;
                keys[at] = new RowOrder(TsOf(events[i].Values[1]), events[i].Line);
                source[at] = i;
            }
            for (var u = 0; u < n; u++)
                if (!IsSorted(keys, starts[u], starts[u + 1])) Array.Sort(keys, source, starts[u], starts[u + 1] - starts[u]);
            var table = NewTable(type, keys.Length, _ => true);
            for (var row = 0; row < keys.Length; row++)
            {
                table.Ts[row] = keys[row].Ts;
                table.Line[row] = keys[row].Line;
                var values = events[source[row]].Values;
                for (var f = 2; f < type.Fields.Length; f++) Set(table.Fields[f]!, row, values[f], type.Fields[f]);
            }
            tables[e] = new EventTable(type, starts, table.Ts, table.Line, table.Fields);
        }
        return new DataSet(schema, [.. users.Select(u => u.Id)], new ColumnTable(profileColumns, n), tables, new ImportReport(), null, []);
    }

    /// <summary>Where a row goes among its user's rows of one type: by time, then by line (arrival).</summary>
    private readonly record struct RowOrder(long Ts, long Line) : IComparable<RowOrder>
    {
        public int CompareTo(RowOrder other) => Ts != other.Ts ? Ts.CompareTo(other.Ts) : Line.CompareTo(other.Line);
    }

    private static bool IsSorted(RowOrder[] keys, int from, int to)
    {
        for (var i = from + 1; i < to; i++)
            if (keys[i - 1].CompareTo(keys[i]) > 0) return false;
        return true;
    }

    private static long TsOf(object? ts) => ts switch
    {
        DateTime t => Truncate(t),
        DateOnly d => d.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc).Ticks,
        _ => throw new ArgumentException($"invalid ts {ts}"),
    };

    private DataSet NewData() => new(_schema, _userIds, _profile, [.. _tables], NoImport, null, []);

    private readonly string[] _userIds;

    /// <summary>
    /// The report of every history: a history is appended to, never imported, so its report stays
    /// empty and nothing writes to it. One for all: the live runtime caches a history per user, and
    /// a report of its own was seven objects per user for the collector to copy.
    /// </summary>
    private static readonly ImportReport NoImport = new();

    /// <summary>
    /// Per schema, a table of no rows and no capacity per event type, shared by every history until
    /// its first event of the type (<see cref="Add"/> replaces a full table before writing, so these
    /// are never written): a history is made per cached user, most of them with few types.
    /// </summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<SchemaModel, EventTable[]> EmptyTables = new();

    /// <summary>A table of <paramref name="capacity"/> rows; the columns of the fields <paramref name="withNulls"/> names have null flags.</summary>
    private static EventTable NewTable(EventTypeSymbol type, int capacity, Func<int, bool> withNulls)
    {
        var fields = new Column?[type.Fields.Length];
        for (var f = 2; f < fields.Length; f++) fields[f] = NewColumn(type.Fields[f].Type, capacity, withNulls(f));
        return new EventTable(type, [0, 0], new long[capacity], new long[capacity], fields);
    }

    private static EventTable Grow(EventTable old, int capacity, int rows)
    {
        var grown = NewTable(old.Type, capacity, f => old.Fields[f]!.Nulls is not null);
        Array.Copy(old.Ts, grown.Ts, rows);
        Array.Copy(old.Line, grown.Line, rows);
        for (var f = 2; f < grown.Fields.Length; f++)
        {
            Array.Copy(ValuesOf(old.Fields[f]!), ValuesOf(grown.Fields[f]!), rows);
            if (old.Fields[f]!.Nulls is { } nulls) Array.Copy(nulls, grown.Fields[f]!.Nulls!, rows);
        }
        grown.UserStart[1] = rows;
        return grown;
    }

    /// <summary>How many of a table's columns have null flags (a byte per row each).</summary>
    private static int NullFlagColumns(EventTable table)
    {
        var count = 0;
        for (var f = 2; f < table.Fields.Length; f++)
            if (table.Fields[f]?.Nulls is not null) count++;
        return count;
    }

    /// <summary>
    /// A column of <paramref name="rows"/> rows; null flags only <paramref name="withNulls"/>: a history
    /// is made per cached user and most of its columns never hold a null, and each array is one more
    /// object for the collector to copy (the engine reads a column without flags as holding no null).
    /// </summary>
    private static Column NewColumn(DslType type, int rows, bool withNulls) => Column.Allocate(type, rows, withNulls ? new bool[rows] : null);

    /// <summary>The column over the same values, with null flags (all false).</summary>
    private static Column WithNulls(Column column) => column switch
    {
        BoolColumn c => new BoolColumn(c.Type, c.Values, new bool[c.Length]),
        IntColumn c => new IntColumn(c.Type, c.Values, new bool[c.Length]),
        DecimalColumn c => new DecimalColumn(c.Type, c.Values, new bool[c.Length]),
        DateColumn c => new DateColumn(c.Type, c.Values, new bool[c.Length]),
        DateTimeColumn c => new DateTimeColumn(c.Type, c.Values, new bool[c.Length]),
        DurationColumn c => new DurationColumn(c.Type, c.Values, new bool[c.Length]),
        StringColumn c => new StringColumn(c.Type, c.Values, new bool[c.Length]),
        ListColumn c => new ListColumn(c.Type, c.Values, new bool[c.Length]),
        _ => throw new InvalidOperationException(column.GetType().Name),
    };

    private static Array ValuesOf(Column c) => c switch
    {
        BoolColumn b => b.Values,
        IntColumn i => i.Values,
        DecimalColumn d => d.Values,
        DateColumn d => d.Values,
        DateTimeColumn t => t.Values,
        DurationColumn d => d.Values,
        StringColumn s => s.Values,
        ListColumn l => l.Values,
        _ => throw new InvalidOperationException(c.GetType().Name),
    };

    /// <summary>Stores one boxed value as <see cref="InMemoryData.Build"/> does; a value of the wrong kind is an error of the caller.</summary>
    private static void Set(Column column, int row, object? value, FieldSymbol field)
    {
        if (column.Nulls is { } nulls) nulls[row] = value is null;
        if (value is null)
        {
            if (column is StringColumn s) s.Values[row] = null;
            else if (column is ListColumn l) l.Values[row] = null;
            else Array.Clear(ValuesOf(column), row, 1);
            return;
        }
        if (column is ListColumn list)
        {
            if (!ListValues.TryFromBoxed(field.Type.Element!, field.Name, value, out var items, out var problem))
                throw new ArgumentException(problem!.Reason);
            list.Values[row] = items;
            return;
        }
        var ok = true;
        switch (column, value)
        {
            case (StringColumn c, string v): c.Values[row] = v; break;
            case (IntColumn c, long v): c.Values[row] = v; break;
            case (IntColumn c, int v): c.Values[row] = v; break;
            case (DecimalColumn c, decimal v): c.Values[row] = v; break;
            case (DecimalColumn c, long v): c.Values[row] = v; break;
            case (DecimalColumn c, int v): c.Values[row] = v; break;
            case (BoolColumn c, bool v): c.Values[row] = v; break;
            case (DateColumn c, DateOnly v): c.Values[row] = v.DayNumber; break;
            case (DateTimeColumn c, DateTime v): c.Values[row] = Truncate(v); break;
            case (DateTimeColumn c, DateOnly v): c.Values[row] = v.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc).Ticks; break;
            case (DurationColumn c, long v): c.Values[row] = v; break;
            case (DurationColumn c, TimeSpan v): c.Values[row] = v.Ticks; break;
            default: ok = false; break;
        }
        if (!ok) throw new ArgumentException($"field '{field.Name}': {value} ({value.GetType().Name}) is not a valid " +
            $"{field.Type.NonNullable.DisplayName}");
    }

    private static long Truncate(DateTime t)
    {
        var ticks = (t.Kind == DateTimeKind.Local ? t.ToUniversalTime() : t).Ticks;
        return ticks - ticks % 10;
    }
}
