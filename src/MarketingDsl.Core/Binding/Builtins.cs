namespace MarketingDsl.Core.Binding;

/// <summary>The built-in functions with their signatures, for messages, completion and LANGUAGE.md.</summary>
public static class Builtins
{
    public sealed record FunctionInfo(string Name, string Signature, string Returns, string Summary, bool IsAggregate = false,
        bool IsPopulation = false);

    public static readonly IReadOnlyList<FunctionInfo> All =
    [
        new("count", "count(event, where: predicate, within: duration)", "int", "Number of events; 0 when none.", IsAggregate: true),
        new("exists", "exists(event, where: predicate, within: duration)", "bool", "Whether there is at least one event.", IsAggregate: true),
        new("sum", "sum(event.field, where: predicate, within: duration)", "decimal", "Sum of the non-null values; 0 when none.", IsAggregate: true),
        new("avg", "avg(event.field, where: predicate, within: duration)", "decimal", "Exact mean of the non-null values; null when none.",
            IsAggregate: true),
        new("min", "min(event.field, where: predicate, within: duration)", "field type", "Smallest non-null value; null when none.",
            IsAggregate: true),
        new("max", "max(event.field, where: predicate, within: duration)", "field type", "Largest non-null value; null when none.",
            IsAggregate: true),
        new("first", "first(event.field, where: predicate, within: duration)", "field type",
            "Value of the earliest event (ties: earlier line); null when none.", IsAggregate: true),
        new("last", "last(event.field, where: predicate, within: duration)", "field type",
            "Value of the latest event (ties: later line); null when none.", IsAggregate: true),
        new("distinct", "distinct(event.field, where: predicate, within: duration)", "int", "Number of distinct non-null values.", IsAggregate: true),
        new("top", "top(event.field, k, where: predicate, within: duration)", "list<field type>",
            "The k most frequent non-null values, ties by code point order.", IsAggregate: true),
        new("now", "now()", "datetime", "The as-of instant T."),
        new("days_since", "days_since(t: date | datetime)", "int", "floor((T − t) / 1 day); null when t is null."),
        new("hours_since", "hours_since(t: date | datetime)", "int", "floor((T − t) / 1 hour); null when t is null."),
        new("years_between", "years_between(a: date | datetime, b: date | datetime)", "int",
            "Whole years from a to b (birthday arithmetic); negative when b < a."),
        new("date", "date(t: datetime)", "date", "The calendar date of t in the workspace time zone."),
        new("hour", "hour(t: datetime)", "int", "Hour of day 0–23 in the workspace time zone."),
        new("weekday", "weekday(t: date | datetime)", "int", "ISO day of week, Monday = 1 … Sunday = 7."),
        new("lower", "lower(s: string)", "string", "Lower case (invariant simple case mapping)."),
        new("upper", "upper(s: string)", "string", "Upper case (invariant simple case mapping)."),
        new("contains", "contains(s: string, part: string) | contains(list, item)", "bool",
            "Whether s contains part (case-sensitive), or the list holds item."),
        new("size", "size(list)", "int", "Number of items of a list; null when the list is null."),
        new("starts_with", "starts_with(s: string, prefix: string)", "bool", "Whether s starts with prefix (case-sensitive)."),
        new("round", "round(x: number, places: int = 0)", "decimal", "Rounds half away from zero."),
        new("abs", "abs(x: number)", "same as x", "Absolute value."),
        new("coalesce", "coalesce(a, b, …)", "common type", "The first non-null argument."),
        new("quantile_score", "quantile_score(x, n, [descending])", "int",
            "min(n, 1 + floor(n · L / N)) over all profiles; null when x is null.", IsPopulation: true),
    ];

    public static FunctionInfo? Find(string name) => All.FirstOrDefault(f => f.Name == name);

    /// <summary>
    /// Whether an aggregate takes an event field of this type (`sum(order.amount)`): none for
    /// count and exists (they take the event), a number for sum and avg, any type but bool for
    /// min and max, any for the others. The binder checks and completion offers by this one rule.
    /// </summary>
    public static bool AggregateTakesField(string function, Semantics.DslType type)
    {
        // Over a list field every aggregate but first/last reads the items.
        var taken = type.NonNullable;
        if (taken.IsList && function is not ("first" or "last")) taken = taken.Element?.NonNullable ?? taken;
        return function switch
        {
            "count" or "exists" => false,
            "sum" or "avg" => taken.IsNumeric,
            "min" or "max" => taken.Kind is not Semantics.TypeKind.Bool,
            _ => Find(function) is { IsAggregate: true },
        };
    }
}
