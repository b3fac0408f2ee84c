using MarketingDsl.Core.Semantics;

namespace MarketingDsl.Engine.Lowering;

/// <summary>
/// The CLR type a DSL value has in compiled code. Every value may be null, so value types are
/// Nullable&lt;T&gt;: lifted operators then give the sketch's null propagation for free.
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
}
