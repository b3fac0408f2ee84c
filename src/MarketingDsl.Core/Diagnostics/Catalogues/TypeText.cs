using MarketingDsl.Core.Semantics;

namespace MarketingDsl.Core.Diagnostics.Catalogues;

/// <summary>A type as a marketer reads it in a message ("a number (decimal)"), in each UI language.</summary>
public static class TypeText
{
    public static string English(DslType type) => type.Kind switch
    {
        TypeKind.Int => "a whole number (int)",
        TypeKind.Decimal => "a number (decimal)",
        TypeKind.String => "a text (string)",
        TypeKind.Bool => "a yes/no value (bool)",
        TypeKind.Date => "a date",
        TypeKind.DateTime => "a date and time (datetime)",
        TypeKind.Duration => "a duration",
        TypeKind.Null => "empty (null)",
        TypeKind.List => $"a list of {EnglishPlural(type.Element ?? DslType.Null)}",
        _ => "unknown",
    };

    public static string Chinese(DslType type) => type.Kind switch
    {
        TypeKind.Int => "整数（int）",
        TypeKind.Decimal => "数字（decimal）",
        TypeKind.String => "文本（string）",
        TypeKind.Bool => "是/否值（bool）",
        TypeKind.Date => "日期",
        TypeKind.DateTime => "日期时间（datetime）",
        TypeKind.Duration => "时长",
        TypeKind.Null => "空值（null）",
        TypeKind.List => $"{ChineseElement(type.Element ?? DslType.Null)}列表",
        _ => "未知类型",
    };

    /// <summary>Several types joined with "or" ("a date or a duration").</summary>
    public static string English(IEnumerable<DslType> types) => string.Join(" or ", types.Select(English));

    public static string Chinese(IEnumerable<DslType> types) => string.Join("或", types.Select(Chinese));

    private static string EnglishPlural(DslType type) => type.Kind switch
    {
        TypeKind.Int => "whole numbers",
        TypeKind.Decimal => "numbers",
        TypeKind.String => "texts",
        TypeKind.Bool => "yes/no values",
        TypeKind.Date => "dates",
        TypeKind.DateTime => "dates and times",
        TypeKind.Duration => "durations",
        _ => "values",
    };

    private static string ChineseElement(DslType type) => type.Kind switch
    {
        TypeKind.Int => "整数",
        TypeKind.Decimal => "数字",
        TypeKind.String => "文本",
        TypeKind.Bool => "是/否值",
        TypeKind.Date => "日期",
        TypeKind.DateTime => "日期时间",
        TypeKind.Duration => "时长",
        _ => "值",
    };
}
