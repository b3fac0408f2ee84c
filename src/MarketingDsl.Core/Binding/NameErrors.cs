using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Core.Diagnostics.Catalogues;
using MarketingDsl.Core.Semantics;

namespace MarketingDsl.Core.Binding;

/// <summary>
/// MD2xxx: names that are unknown, declared twice, or used where they do not belong. One factory
/// per code (see <see cref="DiagnosticMessage"/>); a <c>suggestion</c> is the closest known name,
/// shown as "Did you mean …" and offered as the editor's quick fix.
/// </summary>
[DiagnosticCatalogue("names")]
public static class NameErrors
{
    private static readonly DiagnosticDescriptor s_unknownName = new("MD2001", DiagnosticSeverity.Error, "Unknown name");
    private static readonly DiagnosticDescriptor s_duplicateName = new("MD2002", DiagnosticSeverity.Error, "Name declared twice");
    private static readonly DiagnosticDescriptor s_unknownEvent = new("MD2003", DiagnosticSeverity.Error, "Unknown event type");
    private static readonly DiagnosticDescriptor s_unknownEventField = new("MD2004", DiagnosticSeverity.Error, "Unknown field");
    private static readonly DiagnosticDescriptor s_unknownFunction = new("MD2005", DiagnosticSeverity.Error, "Unknown function");
    private static readonly DiagnosticDescriptor s_unknownAggregateArgument = new("MD2006", DiagnosticSeverity.Error, "Unknown named argument");
    private static readonly DiagnosticDescriptor s_unknownChannel = new("MD2007", DiagnosticSeverity.Error, "Unknown channel");
    private static readonly DiagnosticDescriptor s_unknownSegment = new("MD2008", DiagnosticSeverity.Error, "Unknown segment");
    private static readonly DiagnosticDescriptor s_unknownType = new("MD2009", DiagnosticSeverity.Error, "Unknown type");
    private static readonly DiagnosticDescriptor s_outsideEventScope = new("MD2010", DiagnosticSeverity.Error, "Name not available inside where:");
    private static readonly DiagnosticDescriptor s_eventNotValue = new("MD2011", DiagnosticSeverity.Error, "Event type used as a value");
    private static readonly DiagnosticDescriptor s_unknownModelOutput = new("MD2012", DiagnosticSeverity.Error, "Unknown model output");
    private static readonly DiagnosticDescriptor s_cycle = new("MD2013", DiagnosticSeverity.Error, "Definitions refer to each other in a circle");
    // MD2014 is a model's or clusters' unknown property (the schema's and a channel's have MD2024, MD2025).
    private static readonly DiagnosticDescriptor s_unknownSetting = new("MD2014", DiagnosticSeverity.Error, "Unknown setting or property");
    private static readonly DiagnosticDescriptor s_reservedName = new("MD2015", DiagnosticSeverity.Error, "Reserved field name");
    private static readonly DiagnosticDescriptor s_modelNotValue = new("MD2016", DiagnosticSeverity.Error, "Model used without an output");
    private static readonly DiagnosticDescriptor s_duplicateEventType = new("MD2017", DiagnosticSeverity.Error, "Event type declared twice");
    private static readonly DiagnosticDescriptor s_duplicateField = new("MD2018", DiagnosticSeverity.Error, "Field declared twice");
    private static readonly DiagnosticDescriptor s_duplicateTest = new("MD2019", DiagnosticSeverity.Error, "Test name used twice");
    private static readonly DiagnosticDescriptor s_duplicateChannel = new("MD2020", DiagnosticSeverity.Error, "Channel declared twice");
    private static readonly DiagnosticDescriptor s_duplicateJourney = new("MD2021", DiagnosticSeverity.Error, "Journey declared twice");
    private static readonly DiagnosticDescriptor s_listWithoutElement = new("MD2022", DiagnosticSeverity.Error, "List without an element type");
    private static readonly DiagnosticDescriptor s_scalarWithElement = new("MD2023", DiagnosticSeverity.Error,
        "Element type on a type that takes none");
    private static readonly DiagnosticDescriptor s_unknownSchemaSetting = new("MD2024", DiagnosticSeverity.Error, "Unknown schema setting");
    private static readonly DiagnosticDescriptor s_unknownChannelProperty = new("MD2025", DiagnosticSeverity.Error, "Unknown channel property");
    private static readonly DiagnosticDescriptor s_noMember = new("MD2026", DiagnosticSeverity.Error, "Value has no parts");
    private static readonly DiagnosticDescriptor s_unknownGivenField = new("MD2027", DiagnosticSeverity.Error, "Unknown field in given");
    private static readonly DiagnosticDescriptor s_noNamedArguments = new("MD2028", DiagnosticSeverity.Error, "Function takes no named arguments");
    private static readonly DiagnosticDescriptor s_unknownGivenKind = new("MD2029", DiagnosticSeverity.Error,
        "given of neither profile nor an event");

    private static string En(string? suggestion) => suggestion is null ? "" : $" Did you mean '{suggestion}'?";
    private static string Zh(string? suggestion) => suggestion is null ? "" : $"你是不是想写 '{suggestion}'？";

    /// <param name="properties">Every property the declaration takes, in the order to list them.</param>
    public static DiagnosticMessage UnknownModelProperty(bool clusters, string name, IReadOnlyList<string> properties, string? suggestion) =>
        new(s_unknownSetting,
            $"{(clusters ? "Clusters have" : "A model has")} no property '{name}'; " +
            $"the properties are {string.Join(", ", properties)}.{En(suggestion)}",
            $"{(clusters ? "聚类" : "模型")}没有属性 '{name}'；可用的属性是 {string.Join("、", properties)}。{Zh(suggestion)}", suggestion);

    public static DiagnosticMessage UnknownName(string name, string? suggestion) => new(s_unknownName,
        $"Unknown name '{name}': it is not a tag, segment or profile field.{En(suggestion)}",
        $"未知的名称 '{name}'：它不是标签、分群或用户画像字段。{Zh(suggestion)}", suggestion);

    /// <param name="existingKind">What the name already is, from <see cref="DeclarationKind"/>.</param>
    /// <param name="where">Where it was declared (<c>file:line</c>), or null.</param>
    public static DiagnosticMessage DuplicateName(string name, DeclarationKind existingKind, string? where) => new(s_duplicateName,
        $"'{name}' is already {existingKind.English}{(where is null ? "" : $" ({where})")}; tags, segments, segmentations, models and " +
            $"profile fields share one set of names.",
        $"'{name}' 已经是{existingKind.Chinese}{(where is null ? "" : $"（{where}）")}；标签、分群、分群方案、模型和用户画像字段共用一套名称。");

    public static DiagnosticMessage DuplicateEventType(string name) => new(s_duplicateEventType,
        $"The event type '{name}' is declared twice.",
        $"事件类型 '{name}' 声明了两次。");

    public static DiagnosticMessage DuplicateField(string name) => new(s_duplicateField,
        $"The field '{name}' is declared twice.",
        $"字段 '{name}' 声明了两次。");

    public static DiagnosticMessage DuplicateTest(string name) => new(s_duplicateTest,
        $"There is already a test named \"{name}\".",
        $"已经有一个名为 \"{name}\" 的测试。");

    public static DiagnosticMessage DuplicateChannel(string name) => new(s_duplicateChannel,
        $"The channel '{name}' is declared twice.",
        $"渠道 '{name}' 声明了两次。");

    public static DiagnosticMessage DuplicateJourney(string name) => new(s_duplicateJourney,
        $"The journey '{name}' is declared twice.",
        $"旅程 '{name}' 声明了两次。");

    public static DiagnosticMessage ReservedName(string name) => new(s_reservedName,
        $"Every event already has '{name}'; do not declare it.",
        $"每个事件都已有 '{name}'；不要再声明它。");

    public static DiagnosticMessage UnknownType(string name, string? suggestion) => new(s_unknownType,
        $"Unknown type '{name}'; the types are {string.Join(", ", DslType.ScalarTypeNames)} and list<T>.{En(suggestion)}",
        $"未知的类型 '{name}'；可用的类型有 {string.Join("、", DslType.ScalarTypeNames)} 和 list<T>。{Zh(suggestion)}", suggestion);

    public static DiagnosticMessage ListWithoutElementType() => new(s_listWithoutElement,
        "A list needs its element type, e.g. list<string>.",
        "列表需要写明元素类型，例如 list<string>。");

    public static DiagnosticMessage ScalarWithElementType(string name) => new(s_scalarWithElement,
        $"'{name}' takes no element type.",
        $"'{name}' 不接受元素类型。");

    public static DiagnosticMessage UnknownSchemaSetting(string name, string? suggestion) => new(s_unknownSchemaSetting,
        $"There is no setting '{name}'; the only setting is 'timezone'.{En(suggestion)}",
        $"没有设置项 '{name}'；唯一的设置项是 'timezone'。{Zh(suggestion)}", suggestion);

    public static DiagnosticMessage UnknownChannelProperty(string name, string? suggestion) => new(s_unknownChannelProperty,
        $"A channel has no property '{name}'; the properties are cost, cap and quiet.{En(suggestion)}",
        $"渠道没有属性 '{name}'；可用的属性有 cost、cap 和 quiet。{Zh(suggestion)}", suggestion);

    public static DiagnosticMessage OutsideEventScope(string name, string eventType, string fields, string? suggestion) => new(s_outsideEventScope,
        $"'{name}' is not a field of the event '{eventType}'; inside where: only the event's own fields ({fields}) can be used.{En(suggestion)}",
        $"'{name}' 不是事件 '{eventType}' 的字段；where: 中只能使用该事件自己的字段（{fields}）。{Zh(suggestion)}", suggestion);

    public static DiagnosticMessage UnknownEventField(string eventType, string field, string fields, string? suggestion) => new(s_unknownEventField,
        $"The event '{eventType}' has no field '{field}'; its fields are {fields}.{En(suggestion)}",
        $"事件 '{eventType}' 没有字段 '{field}'；它的字段有 {fields}。{Zh(suggestion)}", suggestion);

    public static DiagnosticMessage UnknownGivenField(string given, string field, string? suggestion) => new(s_unknownGivenField,
        $"'{given}' has no field '{field}'.{En(suggestion)}",
        $"'{given}' 没有字段 '{field}'。{Zh(suggestion)}", suggestion);

    public static DiagnosticMessage ModelNotValue(string name, bool isClusters) => new(s_modelNotValue,
        isClusters ? $"'{name}' is a clustering; use '{name}.cluster'." : $"'{name}' is a model; use '{name}.probability' or '{name}.predicted'.",
        isClusters ? $"'{name}' 是一个聚类；请使用 '{name}.cluster'。" : $"'{name}' 是一个模型；请使用 '{name}.probability' 或 '{name}.predicted'。");

    public static DiagnosticMessage EventNotValue(string name) => new(s_eventNotValue,
        $"'{name}' is an event type, not a value; use it inside an aggregate such as count({name}) or exists({name}, within: 30d).",
        $"'{name}' 是事件类型而不是值；请在聚合中使用它，例如 count({name}) 或 exists({name}, within: 30d)。");

    /// <param name="target">The definition referred to.</param>
    /// <param name="owner">The definition that refers to it; null or equal to <paramref name="target"/> when it refers to itself.</param>
    /// <param name="circle">The whole circle as text (<c>a → b → a</c>) when it is known.</param>
    public static DiagnosticMessage Cycle(string target, string? owner, string? circle)
    {
        var (en, zh) = owner == target || owner is null && circle is null ? ($"'{target}' refers to itself", $"'{target}' 引用了它自己")
            : circle is not null ? ($"These refer to each other in a circle: {circle}", $"这些定义互相循环引用：{circle}")
            : ($"'{owner}' and '{target}' refer to each other", $"'{owner}' 和 '{target}' 互相引用");
        return new(s_cycle, $"{en}; a tag cannot depend on its own value.", $"{zh}；标签不能依赖它自己的值。");
    }

    public static DiagnosticMessage UnknownModelOutput(string model, string member, IReadOnlyList<string> outputs, string? suggestion) =>
        new(s_unknownModelOutput,
        $"'{model}' has no output '{member}'; it has {string.Join(", ", outputs)}.{En(suggestion)}",
        $"'{model}' 没有输出 '{member}'；它的输出有 {string.Join("、", outputs)}。{Zh(suggestion)}", suggestion);

    public static DiagnosticMessage NoMember(DslType type, string member) => new(s_noMember,
        $"{TypeText.English(type)} has no part '{member}'; '.' follows an event name (order.amount) or a model (churn_risk.probability).",
        $"{TypeText.Chinese(type)}没有 '{member}' 部分；'.' 只能跟在事件名（order.amount）或模型（churn_risk.probability）后面。");

    /// <param name="isProfileField">When the name is a profile field or tag written with ( ): true for a profile field,
    /// false for a tag; null otherwise.</param>
    public static DiagnosticMessage UnknownFunction(string name, bool? isProfileField, string? suggestion)
    {
        var en = isProfileField is null ? "" : $" '{name}' is a {(isProfileField.Value ? "profile field" : "tag")}; use it without ( ).";
        var zh = isProfileField is null ? "" : $"'{name}' 是{(isProfileField.Value ? "用户画像字段" : "标签")}；使用时不要加 ( )。";
        return new(s_unknownFunction, $"There is no function '{name}'.{en}{En(suggestion)}", $"没有函数 '{name}'。{zh}{Zh(suggestion)}", suggestion);
    }

    public static DiagnosticMessage NoNamedArguments(string function, string argument) => new(s_noNamedArguments,
        $"{function}() takes no named argument '{argument}:'; only aggregates take where: and within:.",
        $"{function}() 不接受具名参数 '{argument}:'；只有聚合函数接受 where: 和 within:。");

    public static DiagnosticMessage UnknownAggregateArgument(string function, string argument, string? suggestion) => new(s_unknownAggregateArgument,
        $"{function}() has no argument '{argument}:'; it takes where: and within:.{En(suggestion)}",
        $"{function}() 没有参数 '{argument}:'；它接受 where: 和 within:。{Zh(suggestion)}", suggestion);

    public static DiagnosticMessage UnknownEvent(string name, IEnumerable<string> events, string? suggestion) => new(s_unknownEvent,
        $"'{name}' is not an event type; the events are {string.Join(", ", events)}.{En(suggestion)}",
        $"'{name}' 不是事件类型；可用的事件有 {string.Join("、", events)}。{Zh(suggestion)}", suggestion);

    public static DiagnosticMessage UnknownGivenKind(string written, string? suggestion) => new(s_unknownGivenKind,
        $"`given` takes profile or an event type; '{written}' is neither.{En(suggestion)}",
        $"`given` 后面要写 profile 或事件类型；'{written}' 两者都不是。{Zh(suggestion)}", suggestion);

    public static DiagnosticMessage UnknownSegment(string name, string? suggestion) => new(s_unknownSegment,
        $"'{name}' is not a segment.{En(suggestion)}",
        $"'{name}' 不是分群。{Zh(suggestion)}", suggestion);

    public static DiagnosticMessage UnknownChannel(string name, IReadOnlyCollection<string> channels, string? suggestion) => new(s_unknownChannel,
        $"There is no channel '{name}'; declare it with `channel {name} {{ cost: … " +
            $"}}`{(channels.Count > 0 ? " or use one of " + string.Join(", ", channels) : "")}.{En(suggestion)}",
        $"没有渠道 '{name}'；请用 `channel {name} {{ cost: … }}` " +
            $"声明它{(channels.Count > 0 ? "，或使用 " + string.Join("、", channels) + " 之一" : "")}。{Zh(suggestion)}", suggestion);
}

/// <summary>What a declared name is, as a duplicate-name message says it ("already a tag").</summary>
public sealed record DeclarationKind(string English, string Chinese)
{
    public static readonly DeclarationKind ProfileField = new("a profile field", "一个用户画像字段");
    public static readonly DeclarationKind Tag = new("a tag", "一个标签");
    public static readonly DeclarationKind Segment = new("a segment", "一个分群");
    public static readonly DeclarationKind Segmentation = new("a segmentation", "一个分群方案");
    public static readonly DeclarationKind Model = new("a model", "一个模型");
}
