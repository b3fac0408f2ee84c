using System.Reflection;

namespace MarketingDsl.Functions.Loading;

/// <summary>
/// Conversions between the engine's representation of a value (ClrTypes: <c>DateTime?</c> UTC,
/// <c>object?[]</c> lists) and the C# types of LANGUAGE.md §17 (<c>DateTimeOffset</c>, <c>IReadOnlyList&lt;T&gt;</c>),
/// called by the typed invokers (bound once; no reflection per call).
/// </summary>
internal static class ValueMarshal
{
    public static DateTimeOffset ToOffset(DateTime utc) => new(DateTime.SpecifyKind(utc, DateTimeKind.Utc), TimeSpan.Zero);

    /// <summary>A DSL datetime has microsecond precision: finer ticks are cut, as data import does.</summary>
    public static DateTime FromOffset(DateTimeOffset value)
    {
        var utc = value.UtcDateTime;
        return new DateTime(utc.Ticks - utc.Ticks % 10, DateTimeKind.Utc);
    }

    public static IReadOnlyList<T> ToList<T>(object?[] items)
    {
        var list = new T[items.Length];
        for (var i = 0; i < items.Length; i++) list[i] = (T)ToElement(items[i], typeof(T))!;
        return list;
    }

    private static object? ToElement(object? item, Type type) => item switch
    {
        null when type.IsValueType && Nullable.GetUnderlyingType(type) is null =>
            throw new ArgumentException("the list argument holds a null, and its element type cannot hold one"),
        DateTime d => ToOffset(d),
        long ticks when type == typeof(TimeSpan) || type == typeof(TimeSpan?) => new TimeSpan(ticks),
        _ => item,
    };

    public static object?[]? FromList<T>(IReadOnlyList<T>? items)
    {
        if (items is null) return null;
        var list = new object?[items.Count];
        for (var i = 0; i < list.Length; i++) list[i] = items[i] is DateTimeOffset o ? FromOffset(o) : items[i];
        return list;
    }

    public static MethodInfo Method(string name) => typeof(ValueMarshal).GetMethod(name, BindingFlags.Public | BindingFlags.Static)!;
}
