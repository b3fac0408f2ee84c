using MarketingDsl.Core.Semantics;

namespace MarketingDsl.Engine.Data;

/// <summary>
/// A typed column without boxing. Nulls live in a separate <see cref="Nulls"/> array, which is
/// null when the column has no null at all. The value at a null row is the type's default.
/// </summary>
public abstract class Column
{
    protected Column(DslType type, bool[]? nulls)
    {
        Type = type;
        Nulls = nulls;
    }

    public DslType Type { get; }
    public bool[]? Nulls { get; }
    public abstract int Length { get; }
    public bool IsNull(int row) => Nulls is { } n && n[row];

    /// <summary>The value as an object (null for null), for tests and diagnostics; not for hot paths.</summary>
    public abstract object? GetBoxed(int row);

    /// <summary>A column of the type's storage with <paramref name="nulls"/>.Length rows of default values.</summary>
    public static Column Allocate(DslType type, bool[] nulls) => Allocate(type, nulls.Length, nulls);

    /// <summary>A column of the type's storage with <paramref name="rows"/> rows of default values and the given null flags (null: none).</summary>
    public static Column Allocate(DslType type, int rows, bool[]? nulls)
    {
        return type.Kind switch
        {
            TypeKind.Bool => new BoolColumn(type, new bool[rows], nulls),
            TypeKind.Int => new IntColumn(type, new long[rows], nulls),
            TypeKind.Decimal => new DecimalColumn(type, new decimal[rows], nulls),
            TypeKind.Date => new DateColumn(type, new int[rows], nulls),
            TypeKind.DateTime => new DateTimeColumn(type, new long[rows], nulls),
            TypeKind.Duration => new DurationColumn(type, new long[rows], nulls),
            TypeKind.List => new ListColumn(type, new object?[]?[rows], nulls),
            _ => new StringColumn(type, new string?[rows], nulls),
        };
    }
}

public sealed class BoolColumn(DslType type, bool[] values, bool[]? nulls) : Column(type, nulls)
{
    public bool[] Values { get; } = values;
    public override int Length => Values.Length;
    public override object? GetBoxed(int row) => IsNull(row) ? null : Values[row];
}

/// <summary>DSL <c>int</c> is 64-bit.</summary>
public sealed class IntColumn(DslType type, long[] values, bool[]? nulls) : Column(type, nulls)
{
    public long[] Values { get; } = values;
    public override int Length => Values.Length;
    public override object? GetBoxed(int row) => IsNull(row) ? null : Values[row];
}

public sealed class DecimalColumn(DslType type, decimal[] values, bool[]? nulls) : Column(type, nulls)
{
    public decimal[] Values { get; } = values;
    public override int Length => Values.Length;
    public override object? GetBoxed(int row) => IsNull(row) ? null : Values[row];
}

/// <summary>A null entry in <see cref="Values"/> is a null value (and <see cref="Column.Nulls"/> marks it too).</summary>
public sealed class StringColumn(DslType type, string?[] values, bool[]? nulls) : Column(type, nulls)
{
    public string?[] Values { get; } = values;
    public override int Length => Values.Length;
    public override object? GetBoxed(int row) => IsNull(row) ? null : Values[row];
}

/// <summary>Values are <see cref="DateOnly.DayNumber"/>.</summary>
public sealed class DateColumn(DslType type, int[] values, bool[]? nulls) : Column(type, nulls)
{
    public int[] Values { get; } = values;
    public override int Length => Values.Length;
    public override object? GetBoxed(int row) => IsNull(row) ? null : DateOnly.FromDayNumber(Values[row]);
}

/// <summary>Values are UTC <see cref="DateTime.Ticks"/>, truncated to whole microseconds.</summary>
public sealed class DateTimeColumn(DslType type, long[] values, bool[]? nulls) : Column(type, nulls)
{
    public long[] Values { get; } = values;
    public override int Length => Values.Length;
    public override object? GetBoxed(int row) => IsNull(row) ? null : new DateTime(Values[row], DateTimeKind.Utc);
}

/// <summary>Values are <see cref="TimeSpan.Ticks"/>.</summary>
public sealed class DurationColumn(DslType type, long[] values, bool[]? nulls) : Column(type, nulls)
{
    public long[] Values { get; } = values;
    public override int Length => Values.Length;
    public override object? GetBoxed(int row) => IsNull(row) ? null : new TimeSpan(Values[row]);
}

/// <summary>
/// A `list&lt;T&gt;` field: per row an <c>object?[]</c> of items in the engine's representation
/// (<see cref="ListValues"/>), null for a null list. Rows share no array: a list is never changed after import.
/// </summary>
public sealed class ListColumn(DslType type, object?[]?[] values, bool[]? nulls) : Column(type, nulls)
{
    public object?[]?[] Values { get; } = values;
    public override int Length => Values.Length;
    public override object? GetBoxed(int row) => IsNull(row) ? null : Values[row];
}

/// <summary>The items of lists laid out as one column of their item type (how snapshots and spill files store a list column).</summary>
internal static class ListItemColumn
{
    /// <summary>
    /// Sets row <paramref name="row"/> of a column allocated with a nulls array to an item in the engine's representation
    /// (<see cref="ListValues"/>).
    /// </summary>
    public static void Set(Column items, int row, object? item)
    {
        if (item is null)
        {
            items.Nulls![row] = true;
            return;
        }
        switch (items)
        {
            case BoolColumn c: c.Values[row] = (bool)item; break;
            case IntColumn c: c.Values[row] = (long)item; break;
            case DecimalColumn c: c.Values[row] = (decimal)item; break;
            case DateColumn c: c.Values[row] = ((DateOnly)item).DayNumber; break;
            case DateTimeColumn c: c.Values[row] = ((DateTime)item).Ticks; break;
            case DurationColumn c: c.Values[row] = ((TimeSpan)item).Ticks; break;
            case StringColumn c: c.Values[row] = (string)item; break;
            default: throw new InvalidOperationException($"a list of {items.Type.DisplayName} items");
        }
    }
}

/// <summary>Columns of one table, each aligned with a schema field list (same index).</summary>
public sealed class ColumnTable(Column?[] columns, int rowCount)
{
    public Column?[] Columns { get; } = columns;
    public int RowCount { get; } = rowCount;
}

/// <summary>
/// The kept rows of one event type in CSR layout: rows of user <c>u</c> (an index into
/// <see cref="DataSet.UserIds"/>) are <c>[UserStart[u], UserStart[u + 1])</c>, sorted by
/// (<see cref="Ts"/>, <see cref="Line"/>).
/// </summary>
public sealed class EventTable(EventTypeSymbol type, int[] userStart, long[] ts, long[] line, Column?[] fields)
{
    public EventTypeSymbol Type { get; } = type;
    public int[] UserStart { get; } = userStart;
    /// <summary>UTC ticks truncated to whole microseconds.</summary>
    public long[] Ts { get; } = ts;
    /// <summary>
    /// Position of the row in the event input (file order across all event files); a de-duplicated event keeps the line of
    /// its first row. Empty in a data set read with a column selection (<see cref="DataColumns"/>).
    /// </summary>
    public long[] Line { get; } = line;
    /// <summary>
    /// Aligned with <see cref="EventTypeSymbol.Fields"/>; index 0 (user_id) and 1 (ts) are null (see <see cref="UserStart"/>,
    /// <see cref="Ts"/>).
    /// </summary>
    public Column?[] Fields { get; } = fields;
    public int RowCount => Ts.Length;
}
