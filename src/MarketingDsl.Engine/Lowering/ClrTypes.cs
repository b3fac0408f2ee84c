using MarketingDsl.Core.Semantics;

namespace MarketingDsl.Engine.Lowering;

/// <summary>
/// The CLR type a DSL value has in compiled code. Every value may be null, so value types are
/// Nullable&lt;T&gt;: lifted operators then give null propagation (LANGUAGE.md §12) for free.
/// Lists are arrays of boxed elements (they are small: top-k results and literals).
/// </summary>
public static class ClrTypes
{
    public static Type Of(DslType type) => type.Kind switch
    {
        TypeKind.Bool => typeof(bool?),
        TypeKind.Int => typeof(long?),
        TypeKind.Decimal => typeof(decimal?),
        TypeKind.String => typeof(string),
        TypeKind.Date => typeof(DateOnly?),
        TypeKind.DateTime => typeof(DateTime?),
        TypeKind.Duration => typeof(TimeSpan?),
        TypeKind.List => typeof(object?[]),
        _ => typeof(object),
    };

    /// <summary>
    /// A result array of <paramref name="length"/> values of <paramref name="type"/> (an array of
    /// <see cref="Of"/>): allocated directly, since Array.CreateInstance goes through reflection and
    /// the live runtime makes one per tag for every user whose evaluator it builds.
    /// </summary>
    public static Array NewArray(DslType type, int length) => type.Kind switch
    {
        TypeKind.Bool => new bool?[length],
        TypeKind.Int => new long?[length],
        TypeKind.Decimal => new decimal?[length],
        TypeKind.String => new string?[length],
        TypeKind.Date => new DateOnly?[length],
        TypeKind.DateTime => new DateTime?[length],
        TypeKind.Duration => new TimeSpan?[length],
        TypeKind.List => new object?[]?[length],
        _ => new object?[length],
    };
}
