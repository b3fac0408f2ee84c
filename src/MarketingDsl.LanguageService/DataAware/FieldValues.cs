using System.Collections.Frozen;

namespace MarketingDsl.LanguageService.DataAware;

/// <summary>A value of a string field and how often it occurs (rows of the profile or of the event type).</summary>
public sealed record DataValueCount(string Value, long Count);

/// <summary>
/// What a data set holds in one string field (a profile field when <see cref="Event"/> is null,
/// else a field of that event type; items of a <c>list&lt;string&gt;</c> field count one each):
/// the rows with a value, the most common values, and every distinct value when there are at
/// most <see cref="DataValueIndex.MaxDistinct"/> of them (<see cref="All"/> null beyond: then
/// no value can be said never to occur).
/// </summary>
public sealed record FieldValues(string? Event, string Field, long Rows, IReadOnlyList<DataValueCount> Top, FrozenSet<string>? All)
{
    /// <summary>The field as a marketer writes it: <c>login.platform</c>, <c>city</c>.</summary>
    public string DisplayName => Event is null ? Field : $"{Event}.{Field}";

    public double ShareOf(long count) => Rows == 0 ? 0 : (double)count / Rows;
}

/// <summary>
/// The string values of every string field of one loaded data set, computed once per data set by
/// the host (the language service stays free of the engine) and read by data-aware completion and
/// the data warnings (MD5050). <see cref="Name"/> and <see cref="AsOfUtc"/> say which data.
/// </summary>
public sealed class DataValueIndex(string name, DateTime? asOfUtc, IEnumerable<FieldValues> fields)
{
    /// <summary>Values kept per field for completion (most common first).</summary>
    public const int TopValues = 50;

    /// <summary>Distinct values above which a field is not listed whole (ids, free text): no MD5050 on it.</summary>
    public const int MaxDistinct = 10_000;

    private readonly Dictionary<(string? Event, string Field), FieldValues> _fields = fields.ToDictionary(f => (f.Event, f.Field));

    public string Name { get; } = name;
    public DateTime? AsOfUtc { get; } = asOfUtc;

    /// <summary>A profile field's values (<paramref name="eventType"/> null) or an event field's; null when the field is not a string field of the
    /// data.</summary>
    public FieldValues? Find(string? eventType, string field) => _fields.GetValueOrDefault((eventType, field));

    public IEnumerable<FieldValues> Fields => _fields.Values;
}
