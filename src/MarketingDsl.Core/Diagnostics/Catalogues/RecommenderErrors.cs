using MarketingDsl.Core.Semantics;
using MarketingDsl.Core.Diagnostics;

namespace MarketingDsl.Core.Diagnostics.Catalogues;

/// <summary>MD2060–MD2069: names in and around a `recommender` declaration (LANGUAGE.md §13).</summary>
[DiagnosticCatalogue("names")]
public static class RecommenderNameErrors
{
    private static readonly DiagnosticDescriptor s_unknownEvent = new("MD2060", DiagnosticSeverity.Error, "Recommender reads an unknown event");
    public static DiagnosticMessage UnknownEvent(string written, string property, string? suggestion) => new(s_unknownEvent,
        $"{property}: names the event '{written}', which the schema does not declare.",
        $"{property}: 引用的事件 '{written}' 未在 schema 中声明。", suggestion);

    private static readonly DiagnosticDescriptor s_unknownField = new("MD2061", DiagnosticSeverity.Error, "Recommender reads an unknown field");
    public static DiagnosticMessage UnknownField(string eventName, string field, string property, string? suggestion) => new(s_unknownField,
        $"{property}: the event '{eventName}' has no field '{field}'.",
        $"{property}: 事件 '{eventName}' 没有字段 '{field}'。", suggestion);

    private static readonly DiagnosticDescriptor s_signalWithoutItem = new("MD2062", DiagnosticSeverity.Error, "Signal event has no item field");
    public static DiagnosticMessage SignalWithoutItem(string eventName, string field) => new(s_signalWithoutItem,
        $"The signal '{eventName}' has no field '{field}', so it cannot say which item it is about; every signal event needs the items field.",
        $"信号 '{eventName}' 没有字段 '{field}'，无法得知它涉及哪个商品；每个信号事件都需要商品字段。");

    private static readonly DiagnosticDescriptor s_unknownMember = new("MD2063", DiagnosticSeverity.Error, "Unknown recommender member");
    public static DiagnosticMessage UnknownMember(string recommender, string member, string? suggestion) => new(s_unknownMember,
        $"The recommender '{recommender}' has no member '{member}'; its members are items, categories and related(item, n).",
        $"推荐器 '{recommender}' 没有成员 '{member}'；它的成员是 items、categories 和 related(item, n)。", suggestion);

    private static readonly DiagnosticDescriptor s_unknownProperty = new("MD2064", DiagnosticSeverity.Error, "Unknown recommender property");
    public static DiagnosticMessage UnknownProperty(string property, string? suggestion) => new(s_unknownProperty,
        $"A recommender has no property '{property}'; the properties are items, signals, category, within, k and repeat.",
        $"推荐器没有属性 '{property}'；可用的属性是 items、signals、category、within、k 和 repeat。", suggestion);

    private static readonly DiagnosticDescriptor s_notValue = new("MD2065", DiagnosticSeverity.Error, "Recommender used as a value");
    public static DiagnosticMessage NotValue(string name) => new(s_notValue,
        $"'{name}' is a recommender; use '{name}.items', '{name}.categories' or '{name}.related(item, n)'.",
        $"'{name}' 是一个推荐器；请使用 '{name}.items'、'{name}.categories' 或 '{name}.related(item, n)'。");

    private static readonly DiagnosticDescriptor s_noCategories = new("MD2066", DiagnosticSeverity.Error, "Recommender has no category field");
    public static DiagnosticMessage NoCategories(string recommender) => new(s_noCategories,
        $"'{recommender}.categories' needs a category field; add e.g. `category: order.category` to the recommender.",
        $"'{recommender}.categories' 需要类目字段；请在推荐器中加上例如 `category: order.category`。");

    private static readonly DiagnosticDescriptor s_notCallable = new("MD2067", DiagnosticSeverity.Error, "Member cannot be called");
    public static DiagnosticMessage NotCallable(string written) => new(s_notCallable,
        $"'{written}' cannot be called; only a recommender's related(item, n) takes arguments.",
        $"'{written}' 不能被调用；只有推荐器的 related(item, n) 接受参数。");

    private static readonly DiagnosticDescriptor s_relatedNotCalled = new("MD2068", DiagnosticSeverity.Error, "related without arguments");
    public static DiagnosticMessage RelatedNotCalled(string recommender) => new(s_relatedNotCalled,
        $"'{recommender}.related' needs the item and how many: e.g. `{recommender}.related(last(cart_add.sku), 3)`.",
        $"'{recommender}.related' 需要商品和数量，例如 `{recommender}.related(last(cart_add.sku), 3)`。");
}

/// <summary>MD3060–MD3069: types in and around a `recommender` declaration.</summary>
[DiagnosticCatalogue("types")]
public static class RecommenderTypeErrors
{
    private static readonly DiagnosticDescriptor s_itemFieldType = new("MD3060", DiagnosticSeverity.Error, "Item or category field is not a string");
    public static DiagnosticMessage FieldNotString(string property, string eventName, string field, DslType type) => new(s_itemFieldType,
        $"{property}: names items or categories by a string field; '{eventName}.{field}' is {TypeText.English(type)}.",
        $"{property}: 需要一个字符串字段来标识商品或类目；'{eventName}.{field}' 的类型是{TypeText.Chinese(type)}。");

    private static readonly DiagnosticDescriptor s_fieldExpected = new("MD3061", DiagnosticSeverity.Error, "Event field expected");
    public static DiagnosticMessage FieldExpected(string property, string written) => new(s_fieldExpected,
        $"{property}: takes an event field such as order.sku, not {written}.",
        $"{property}: 需要一个事件字段，例如 order.sku，而不是 {written}。");

    private static readonly DiagnosticDescriptor s_signalWeight = new("MD3062", DiagnosticSeverity.Error, "Signal weight missing or not positive");
    public static DiagnosticMessage SignalWeight(string written) => new(s_signalWeight,
        $"signals: is a list of events with a positive weight, such as `view 1, cart_add 3, order 5`; '{written}' is not.",
        $"signals: 是带正权重的事件列表，例如 `view 1, cart_add 3, order 5`；'{written}' 不符合。");

    private static readonly DiagnosticDescriptor s_withinNotDuration = new("MD3063", DiagnosticSeverity.Error,
        "Recommender window is not a duration");
    public static DiagnosticMessage WithinNotDuration(string written) => new(s_withinNotDuration,
        $"within: takes a duration such as 180d, not {written}.",
        $"within: 需要一个时长，例如 180d，而不是 {written}。");
    private static readonly DiagnosticDescriptor s_repeatNotBool = new("MD3066", DiagnosticSeverity.Error, "repeat is not true or false");
    public static DiagnosticMessage RepeatNotBool(string written) => new(s_repeatNotBool,
        $"repeat: takes true or false, not {written}.",
        $"repeat: 需要 true 或 false，而不是 {written}。");

    private static readonly DiagnosticDescriptor s_relatedArguments = new("MD3064", DiagnosticSeverity.Error, "related takes an item and a count");
    /// <summary>What is wrong with a call of related(item, n), in this order: the number of arguments, the item's type, the count.</summary>
    /// <param name="arguments">How many arguments the call has (named ones count as wrong: pass 0).</param>
    /// <param name="itemType">The item's type when it is not a string.</param>
    /// <param name="countWritten">The count as written when it is not a whole number from 1 to 100.</param>
    public static DiagnosticMessage RelatedArguments(string recommender, int arguments, DslType? itemType = null, string? countWritten = null)
    {
        var (english, chinese) = (arguments, itemType) switch
        {
            (not 2, _) => ($"{arguments} argument(s) given", $"给出了 {arguments} 个参数"),
            (_, { } item) => ($"the item is {TypeText.English(item)}", $"商品是{TypeText.Chinese(item)}"),
            _ => ($"n is {countWritten}", $"n 是 {countWritten}"),
        };
        return new(s_relatedArguments,
            $"{recommender}.related(item, n) takes an item (a string) and how many (a whole number from 1 to 100): {english}.",
            $"{recommender}.related(item, n) 需要一个商品（字符串）和数量（1 到 100 的整数）：{chinese}。");
    }

    private static readonly DiagnosticDescriptor s_sendItemsNotList = new("MD3065", DiagnosticSeverity.Error, "Send items is not a list");
    public static DiagnosticMessage SendItemsNotList(DslType type) => new(s_sendItemsNotList,
        $"items: of a send takes a list such as picks.items; this is {TypeText.English(type)}.",
        $"send 的 items: 需要一个列表，例如 picks.items；这里的类型是{TypeText.Chinese(type)}。");
}

/// <summary>MD4070–MD4079: the rules of a `recommender` declaration.</summary>
[DiagnosticCatalogue("rules")]
public static class RecommenderErrors
{
    private static readonly DiagnosticDescriptor s_missingProperty = new("MD4070", DiagnosticSeverity.Error, "Recommender property missing");
    public static DiagnosticMessage MissingProperty(string recommender, string property, string example) => new(s_missingProperty,
        $"The recommender '{recommender}' needs {property}: (e.g. `{example}`).",
        $"推荐器 '{recommender}' 需要 {property}:（例如 `{example}`）。");

    private static readonly DiagnosticDescriptor s_k = new("MD4071", DiagnosticSeverity.Error, "Recommendation count out of range");
    public static DiagnosticMessage K(string written) => new(s_k,
        $"k: is how many items to recommend, a whole number from 1 to 100, not {written}.",
        $"k: 是推荐的商品个数，取 1 到 100 之间的整数，而不是 {written}。");

    private static readonly DiagnosticDescriptor s_duplicateSignal = new("MD4072", DiagnosticSeverity.Error, "Signal listed twice");
    public static DiagnosticMessage DuplicateSignal(string eventName) => new(s_duplicateSignal,
        $"The signal '{eventName}' is listed twice; give each event one weight.",
        $"信号 '{eventName}' 出现了两次；每个事件只能有一个权重。");

    private static readonly DiagnosticDescriptor s_duplicateProperty = new("MD4073", DiagnosticSeverity.Error, "Recommender property given twice");
    public static DiagnosticMessage DuplicateProperty(string property) => new(s_duplicateProperty,
        $"{property}: is given twice; keep one.",
        $"{property}: 出现了两次；请只保留一个。");

    private static readonly DiagnosticDescriptor s_within = new("MD4074", DiagnosticSeverity.Error, "Recommender window not positive");
    public static DiagnosticMessage Within(string written) => new(s_within,
        $"within: is the history a recommender reads and must be longer than zero, not {written}.",
        $"within: 是推荐器读取的历史时长，必须大于零，而不是 {written}。");

    private static readonly DiagnosticDescriptor s_categoryOnOtherEvent = new("MD4075", DiagnosticSeverity.Error, "Category field on another event");
    public static DiagnosticMessage CategoryOnOtherEvent(string written, string itemEvent) => new(s_categoryOnOtherEvent,
        $"category: must be a field of the items event '{itemEvent}' (read on every signal that has it), not {written}.",
        $"category: 必须是商品事件 '{itemEvent}' 的字段（在具有该字段的每个信号上读取），而不是 {written}。");

    private static readonly DiagnosticDescriptor s_oneValue = new("MD4076", DiagnosticSeverity.Error, "Recommender property takes one value");
    public static DiagnosticMessage OneValue(string property) => new(s_oneValue,
        $"{property}: takes one value; only signals: is a list.",
        $"{property}: 只接受一个值；只有 signals: 是列表。");

    private static readonly DiagnosticDescriptor s_weightOutsideSignals = new("MD4077", DiagnosticSeverity.Error, "Weight outside signals");
    public static DiagnosticMessage WeightOutsideSignals(string property) => new(s_weightOutsideSignals,
        $"Only signals: take a weight after a value; remove it from {property}:.",
        $"只有 signals: 的值后面可以带权重；请从 {property}: 中去掉它。");
}
