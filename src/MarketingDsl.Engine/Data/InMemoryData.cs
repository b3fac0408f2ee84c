using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Core.Diagnostics.Catalogues;
using MarketingDsl.Core.Semantics;

namespace MarketingDsl.Engine.Data;

/// <summary>
/// Builds a <see cref="DataSet"/> from values in memory (tests, `given` statements), through the
/// same importer as the data files: users sorted by code point order, identity merges,
/// de-duplication by the type's `unique` field (first row wins, before anything else), orphans
/// counted, per-type CSR tables sorted by (ts, line).
/// </summary>
public static class InMemoryData
{
    /// <summary>The pseudo file name of in-memory profile rows in <see cref="ImportReport.Rejects"/>.</summary>
    public const string ProfilesSource = "<profiles>";
    /// <summary>The pseudo file name of in-memory event rows in <see cref="ImportReport.Rejects"/>.</summary>
    public const string EventsSource = "<events>";

    /// <param name="schema">The workspace schema.</param>
    /// <param name="profiles">Rows aligned with <see cref="SchemaModel.ProfileFields"/>.</param>
    /// <param name="events">Rows aligned with <see cref="EventTypeSymbol.Fields"/> (user_id, ts, then the declared fields);
    /// their order is the event "line" (de-duplication keeps the first, first/last break ties by it).</param>
    /// <remarks>
    /// Values are boxed like <see cref="BoundLiteral"/> values: bool, long (int, also accepted for
    /// decimal), decimal, string, DateOnly, DateTime (UTC; a DateOnly is accepted as its midnight),
    /// long ticks or TimeSpan (duration); null is null. Datetimes are truncated to whole
    /// microseconds, like imported ones. A row that does not fit (wrong type, missing id or ts,
    /// duplicate profile id) is rejected whole into <see cref="ImportReport.Rejects"/> with its
    /// 1-based position.
    /// </remarks>
    public static DataSet Build(SchemaModel schema, IEnumerable<object?[]> profiles, IEnumerable<(EventTypeSymbol Type, object?[] Values)> events)
    {
        ArgumentNullException.ThrowIfNull(schema);
        using var import = new Importer(schema, new ImportOptions(), null);
        var line = 0;
        foreach (var values in profiles) import.AddProfileValues(values, ProfilesSource, ++line);
        import.FinishProfiles();
        line = 0;
        foreach (var (type, values) in events) import.AddEventValues(type, values, EventsSource, ++line);
        return import.Finish();
    }
}

internal sealed partial class Importer
{
    internal void AddProfileValues(object?[] values, string file, int line)
    {
        if (values.Length != _schema.ProfileFields.Length)
            throw new ArgumentException($"a profile row needs {_schema.ProfileFields.Length} values (one per profile field), got {values.Length}");
        _report.ProfilesRead++;
        var l = _profileLayout;
        l.Scratch.Reset();
        RowReject? reason = null;
        for (var i = 0; i < values.Length && reason is null; i++) reason = SetBoxed(l, i, values[i]);
        reason ??= CommitProfile(file, line);
        if (reason is not null) Reject(file, line, reason, "");
    }

    internal void AddEventValues(EventTypeSymbol type, object?[] values, string file, int line)
    {
        _report.EventsRead++;
        var lineOrdinal = ++_eventLine;
        var state = _types.FirstOrDefault(t => ReferenceEquals(t.Symbol, type)) ?? _types.FirstOrDefault(t => t.Symbol.Name == type.Name);
        var l = state?.Layout ?? _unknownLayout;
        var count = state is null ? 2 : type.Fields.Length;
        if (values.Length != type.Fields.Length)
            throw new ArgumentException($"an event row of '{type.Name}' needs {type.Fields.Length} values (user_id, ts, then its " +
                $"fields), got {values.Length}");
        l.Scratch.Reset();
        RowReject? reason = null;
        for (var i = 0; i < count && reason is null; i++) reason = SetBoxed(l, i, values[i]);
        reason ??= CommitEvent(state, l, lineOrdinal);
        if (reason is not null) Reject(file, line, reason, "");
    }

    /// <summary>Puts one boxed value into a scratch slot; returns a reject reason or null.</summary>
    private static RowReject? SetBoxed(RowLayout l, int slot, object? value)
    {
        var s = l.Scratch;
        if (value is null) { s.State[slot] = RowScratch.Null; return null; }
        if (slot == l.UserSlot && !l.IsProfile)
        {
            if (value is not string user) return RowRejects.WrongType(l.Names[slot], "string", value.GetType().Name);
            s.SetUser(user);
            s.State[slot] = RowScratch.Value;
            return null;
        }
        var type = l.Types[slot];
        if (type.IsList)
        {
            if (!ListValues.TryFromBoxed(type.Element!, l.Names[slot], value, out var list, out var problem)) return problem;
            s.SetList(slot, list);
            return null;
        }
        var ok = true;
        switch (type.Kind, value)
        {
            case (TypeKind.String, string text): s.S[slot] = text; break;
            case (TypeKind.Int, long v): s.L[slot] = v; break;
            case (TypeKind.Int, int v): s.L[slot] = v; break;
            case (TypeKind.Decimal, decimal v): s.D[slot] = v; break;
            case (TypeKind.Decimal, long v): s.D[slot] = v; break;
            case (TypeKind.Decimal, int v): s.D[slot] = v; break;
            case (TypeKind.Bool, bool v): s.L[slot] = v ? 1 : 0; break;
            case (TypeKind.Date, DateOnly v): s.L[slot] = v.DayNumber; break;
            case (TypeKind.DateTime, DateTime v): s.L[slot] = TruncateToMicroseconds(v); break;
            case (TypeKind.DateTime, DateOnly v): s.L[slot] = v.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc).Ticks; break;
            case (TypeKind.Duration, long v): s.L[slot] = v; break;
            case (TypeKind.Duration, TimeSpan v): s.L[slot] = v.Ticks; break;
            default: ok = false; break;
        }
        if (!ok)
            return slot == l.TsSlot ? RowRejects.InvalidTimestamp($"{value}")
                : RowRejects.InvalidValue(l.Names[slot], $"{value} ({value.GetType().Name})", type.NonNullable.DisplayName);
        s.State[slot] = RowScratch.Value;
        return null;
    }

    private static long TruncateToMicroseconds(DateTime t)
    {
        var ticks = (t.Kind == DateTimeKind.Local ? t.ToUniversalTime() : t).Ticks;
        return ticks - ticks % 10;
    }
}
