namespace MarketingDsl.Core.Semantics;

public enum TypeKind { Error, Null, Bool, Int, Decimal, String, Date, DateTime, Duration, List }

/// <summary>
/// The type of a field, tag or expression. Every value may be null at run time (an empty
/// aggregate, a missing field); <see cref="IsNullable"/> records what the schema declared.
/// `Error` is the type of an expression that already has a diagnostic: it converts to
/// everything, so one mistake is reported once.
/// </summary>
public sealed record DslType(TypeKind Kind, DslType? Element = null, bool IsNullable = false)
{
    public static readonly DslType Error = new(TypeKind.Error);
    public static readonly DslType Null = new(TypeKind.Null);
    public static readonly DslType Bool = new(TypeKind.Bool);
    public static readonly DslType Int = new(TypeKind.Int);
    public static readonly DslType Decimal = new(TypeKind.Decimal);
    public static readonly DslType String = new(TypeKind.String);
    public static readonly DslType Date = new(TypeKind.Date);
    public static readonly DslType DateTime = new(TypeKind.DateTime);
    public static readonly DslType Duration = new(TypeKind.Duration);
    public static DslType ListOf(DslType element) => new(TypeKind.List, element);

    public bool IsNumeric => Kind is TypeKind.Int or TypeKind.Decimal;
    public bool IsError => Kind == TypeKind.Error;
    public bool IsList => Kind == TypeKind.List;
    public DslType WithNullable(bool nullable) => this with { IsNullable = nullable };
    public DslType NonNullable => IsNullable ? this with { IsNullable = false } : this;

    /// <summary>Same type ignoring nullability.</summary>
    public bool SameAs(DslType other) =>
        Kind == other.Kind && (Kind != TypeKind.List || (Element ?? Error).SameAs(other.Element ?? Error));

    /// <summary>The name a marketer reads in a message: `decimal`, `list&lt;string&gt;`, `date?`.</summary>
    public string DisplayName => Kind switch
    {
        TypeKind.List => $"list<{Element?.DisplayName ?? "?"}>",
        TypeKind.Error => "unknown",
        _ => Kind.ToString().ToLowerInvariant(),
    } + (IsNullable && Kind != TypeKind.Null ? "?" : "");

    public override string ToString() => DisplayName;

    /// <summary>Parses a scalar type name as written in a schema; null for an unknown name.</summary>
    public static DslType? FromName(string name) => name switch
    {
        "bool" => Bool,
        "int" => Int,
        "decimal" => Decimal,
        "string" => String,
        "date" => Date,
        "datetime" => DateTime,
        "duration" => Duration,
        _ => null,
    };

    public static readonly IReadOnlyList<string> ScalarTypeNames = ["bool", "int", "decimal", "string", "date", "datetime", "duration"];
}
