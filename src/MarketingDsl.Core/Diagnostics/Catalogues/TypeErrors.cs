using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Core.Semantics;

namespace MarketingDsl.Core.Diagnostics.Catalogues;

/// <summary>
/// MD3xxx: values of the wrong type, wrong arguments, misplaced windows. One factory per code
/// (see <see cref="DiagnosticMessage"/>); <c>written</c> arguments are the user's text as quoted
/// in the message.
/// </summary>
[DiagnosticCatalogue("types")]
public static class TypeErrors
{
    private static readonly DiagnosticDescriptor s_compareMismatch = new("MD3001", DiagnosticSeverity.Error, "Values of different types");
    private static readonly DiagnosticDescriptor s_conditionNotBool = new("MD3002", DiagnosticSeverity.Error, "Condition is not yes/no");
    private static readonly DiagnosticDescriptor s_arithmetic = new("MD3003", DiagnosticSeverity.Error, "Cannot calculate with these values");
    private static readonly DiagnosticDescriptor s_argumentCount = new("MD3004", DiagnosticSeverity.Error, "Wrong number of arguments");
    private static readonly DiagnosticDescriptor s_argumentType = new("MD3005", DiagnosticSeverity.Error, "Argument of the wrong type");
    private static readonly DiagnosticDescriptor s_aggregateTarget =
        new("MD3006", DiagnosticSeverity.Error, "Aggregate needs an event or event field");
    private static readonly DiagnosticDescriptor s_nextOutsideModel = new("MD3007", DiagnosticSeverity.Error, "`next` window outside a model label");
    private static readonly DiagnosticDescriptor s_roundDigits = new("MD3008", DiagnosticSeverity.Error, "Decimal places must be written out");
    private static readonly DiagnosticDescriptor s_boolNotOrderable = new("MD3009", DiagnosticSeverity.Error, "Yes/no values cannot be ordered");
    private static readonly DiagnosticDescriptor s_notList = new("MD3010", DiagnosticSeverity.Error, "Not a list");
    private static readonly DiagnosticDescriptor s_nestedAggregate = new("MD3011", DiagnosticSeverity.Error, "Aggregate inside where:");
    private static readonly DiagnosticDescriptor s_populationInJourney = new("MD3012", DiagnosticSeverity.Error, "Population tag in a journey");
    private static readonly DiagnosticDescriptor s_percentileInJourney = new("MD3080", DiagnosticSeverity.Error, "Model percentile in a journey");
    private static readonly DiagnosticDescriptor s_namedArgumentOrder =
        new("MD3013", DiagnosticSeverity.Error, "Positional argument after a named one");
    private static readonly DiagnosticDescriptor s_duplicateArgument = new("MD3014", DiagnosticSeverity.Error, "Argument given twice");
    private static readonly DiagnosticDescriptor s_tagAlwaysNull = new("MD3015", DiagnosticSeverity.Error, "Tag always empty");
    private static readonly DiagnosticDescriptor s_nullComparison = new("MD3016", DiagnosticSeverity.Error, "Comparison with null");
    private static readonly DiagnosticDescriptor s_notOperand = new("MD3017", DiagnosticSeverity.Error, "`not` of something that is not yes/no");
    private static readonly DiagnosticDescriptor s_logicalOperand =
        new("MD3018", DiagnosticSeverity.Error, "`and`/`or` of something that is not yes/no");
    private static readonly DiagnosticDescriptor s_nextOutsideWithin = new("MD3019", DiagnosticSeverity.Error, "`next` window outside within:");
    private static readonly DiagnosticDescriptor s_directionOutsideQuantile =
        new("MD3020", DiagnosticSeverity.Error, "Sort direction outside quantile_score");
    private static readonly DiagnosticDescriptor s_withinNotDuration = new("MD3021", DiagnosticSeverity.Error, "within: is not a written duration");
    private static readonly DiagnosticDescriptor s_quantileValueType =
        new("MD3022", DiagnosticSeverity.Error, "quantile_score of a value that cannot be ranked");
    private static readonly DiagnosticDescriptor s_quantileDirection = new("MD3023", DiagnosticSeverity.Error, "Unknown quantile_score direction");
    private static readonly DiagnosticDescriptor s_eventFieldOutsideAggregate =
        new("MD3024", DiagnosticSeverity.Error, "Event field outside an aggregate");
    private static readonly DiagnosticDescriptor s_aggregateNeedsField = new("MD3025", DiagnosticSeverity.Error, "Aggregate needs an event field");
    private static readonly DiagnosticDescriptor s_countTakesEvent =
        new("MD3026", DiagnosticSeverity.Error, "Counting aggregate takes an event type");
    private static readonly DiagnosticDescriptor s_negateNotNumber = new("MD3027", DiagnosticSeverity.Error, "`-` of something that is not a number");
    private static readonly DiagnosticDescriptor s_sumNotNumber =
        new("MD3028", DiagnosticSeverity.Error, "Sum or average of a field that is not a number");
    private static readonly DiagnosticDescriptor s_coalesceOperatorMismatch =
        new("MD3029", DiagnosticSeverity.Error, "`??` of values of different types");
    private static readonly DiagnosticDescriptor s_inElementMismatch = new("MD3030", DiagnosticSeverity.Error, "`in` a list of another type");
    private static readonly DiagnosticDescriptor s_betweenMismatch =
        new("MD3031", DiagnosticSeverity.Error, "`between` of values of different types");
    private static readonly DiagnosticDescriptor s_nestedList = new("MD3032", DiagnosticSeverity.Error, "List inside a list");
    private static readonly DiagnosticDescriptor s_listItemMismatch = new("MD3033", DiagnosticSeverity.Error, "List items of different types");
    private static readonly DiagnosticDescriptor s_caseBranchMismatch = new("MD3034", DiagnosticSeverity.Error, "Case branches of different types");
    private static readonly DiagnosticDescriptor s_caseElseMismatch = new("MD3035", DiagnosticSeverity.Error, "Case else of another type");
    private static readonly DiagnosticDescriptor s_coalesceArgumentMismatch =
        new("MD3036", DiagnosticSeverity.Error, "coalesce() of values of different types");
    private static readonly DiagnosticDescriptor s_givenValueMismatch = new("MD3037", DiagnosticSeverity.Error, "Test value of the wrong type");
    private static readonly DiagnosticDescriptor s_aggregateNotOrderable = new("MD3038", DiagnosticSeverity.Error, "min/max of a yes/no field");
    private static readonly DiagnosticDescriptor s_quantileMisplaced =
        new("MD3039", DiagnosticSeverity.Error, "Population function not allowed here");
    private static readonly DiagnosticDescriptor s_topCount = new("MD3040", DiagnosticSeverity.Error, "top() count must be written out");
    private static readonly DiagnosticDescriptor s_quantileBuckets = new("MD3041", DiagnosticSeverity.Error, "Score buckets must be written out");
    private static readonly DiagnosticDescriptor s_withinNotPositive = new("MD3042", DiagnosticSeverity.Error, "within: not longer than zero");
    private static readonly DiagnosticDescriptor s_goalValueNotNumber = new("MD3050", DiagnosticSeverity.Error, "Goal value is not a number");
    private static readonly DiagnosticDescriptor s_aggregateArgumentCount =
        new("MD3043", DiagnosticSeverity.Error, "Wrong number of aggregate arguments");
    private static readonly DiagnosticDescriptor s_listContainsMismatch =
        new("MD3070", DiagnosticSeverity.Error, "contains() of an item of another type");

    private static string En(DslType t) => TypeText.English(t);
    private static string Zh(DslType t) => TypeText.Chinese(t);

    public static DiagnosticMessage CompareMismatch(string left, DslType leftType, string right, DslType rightType) => new(s_compareMismatch,
        $"Cannot compare {left} ({En(leftType)}) with {right} ({En(rightType)}); both sides must be of the same kind.",
        $"不能比较 {left}（{Zh(leftType)}）和 {right}（{Zh(rightType)}）；两边必须是同一种值。");

    public static DiagnosticMessage ConditionNotBool(ConditionPlace place, DslType type) => new(s_conditionNotBool,
        $"{place.English} must be a yes/no condition, but this is {En(type)}.",
        $"{place.Chinese}必须是是/否条件，但这里是{Zh(type)}。");

    public static DiagnosticMessage Arithmetic(string left, string op, string right, DslType leftType, DslType rightType)
    {
        var text = leftType.Kind == TypeKind.String || rightType.Kind == TypeKind.String;
        return new(s_arithmetic,
            $"Cannot calculate {left} {op} {right}: {En(leftType)} {op} {En(rightType)}.{(text ? " Text cannot be calculated with." : "")}",
            $"无法计算 {left} {op} {right}：{Zh(leftType)} {op} {Zh(rightType)}。{(text ? "文本不能参与计算。" : "")}");
    }

    /// <param name="max">The most arguments taken; <see cref="int.MaxValue"/> for any number.</param>
    public static DiagnosticMessage ArgumentCount(string function, int min, int max, int count, string signature)
    {
        var (en, zh) = min == max ? ($"{min}", $"{min} 个")
            : max == int.MaxValue ? ($"at least {min}", $"至少 {min} 个")
            : ($"{min} or {max}", $"{min} 或 {max} 个");
        return new(s_argumentCount,
            $"{function}() takes {en} argument{(max == 1 && min == 1 ? "" : "s")}, not {count}: {signature}.",
            $"{function}() 接受 {zh}参数，而不是 {count} 个：{signature}。");
    }

    public static DiagnosticMessage AggregateArgumentCount(string function, int expected, int count, string signature) =>
        new(s_aggregateArgumentCount,
            $"{function}() takes {expected} argument{(expected == 1 ? "" : "s")} before where:/within:, not {count}: {signature}.",
            $"{function}() 在 where:/within: 之前接受 {expected} 个参数，而不是 {count} 个：{signature}。");

    /// <param name="index">The argument's position, from 0.</param>
    public static DiagnosticMessage ArgumentType(string function, int index, IReadOnlyList<DslType> accepted, DslType actual) => new(s_argumentType,
        $"Argument {index + 1} of {function}() must be {TypeText.English(accepted)}, but it is {En(actual)}.",
        $"{function}() 的第 {index + 1} 个参数必须是{TypeText.Chinese(accepted)}，但这里是{Zh(actual)}。");

    public static DiagnosticMessage AggregateTargetNotEvent(string function, bool needsField) => new(s_aggregateTarget,
        needsField
            ? $"{function}() needs an event field such as {function}(order.amount)."
            : $"{function}() needs an event type such as {function}(order).",
        needsField ? $"{function}() 需要一个事件字段，例如 {function}(order.amount)。" : $"{function}() 需要一个事件类型，例如 {function}(order)。");

    public static DiagnosticMessage EventFieldOutsideAggregate(string eventType, string field) => new(s_eventFieldOutsideAggregate,
        $"'{eventType}.{field}' is one value per event; wrap it in an aggregate such as last({eventType}.{field}) " +
        $"or sum({eventType}.{field}, within: 30d).",
        $"'{eventType}.{field}' 是每个事件的一个值；请把它放进聚合中，例如 last({eventType}.{field}) 或 sum({eventType}.{field}, within: 30d)。");

    /// <param name="example">A field of the event that would fit, or null when the event has none.</param>
    public static DiagnosticMessage AggregateNeedsField(string function, string eventType, string? example) => new(s_aggregateNeedsField,
        example is null ? $"{function}() needs a number field of '{eventType}', but '{eventType}' has none."
            : $"{function}() needs a field of '{eventType}', e.g. {function}({eventType}.{example}).",
        example is null ? $"{function}() 需要 '{eventType}' 的数字字段，但 '{eventType}' 没有数字字段。"
            : $"{function}() 需要 '{eventType}' 的一个字段，例如 {function}({eventType}.{example})。");

    public static DiagnosticMessage CountTakesEvent(string function, string eventType) => new(s_countTakesEvent,
        $"{function}() counts events: write {function}({eventType}), and put conditions on fields in where:.",
        $"{function}() 统计的是事件：请写 {function}({eventType})，字段上的条件放在 where: 中。");

    public static DiagnosticMessage SumNotNumber(string function, string eventType, string field, DslType type) => new(s_sumNotNumber,
        $"{function}() adds numbers, but '{eventType}.{field}' is {En(type)}.",
        $"{function}() 对数字求和，但 '{eventType}.{field}' 是{Zh(type)}。");

    public static DiagnosticMessage AggregateNotOrderable(string function, string eventType, string field) => new(s_aggregateNotOrderable,
        $"{function}() needs values that can be ordered; '{eventType}.{field}' is yes/no.",
        $"{function}() 需要可以排序的值；'{eventType}.{field}' 是是/否值。");

    public static DiagnosticMessage NextOutsideModel() => new(s_nextOutsideModel,
        "A `next` window looks into the future; it is only allowed in a model's predict: label.",
        "`next` 窗口看向未来；只能用在模型的 predict: 标签中。");

    public static DiagnosticMessage NextOutsideWithin() => new(s_nextOutsideWithin,
        "`next …` is a window and only goes in `within:` of an aggregate in a model's `predict:`.",
        "`next …` 是一个窗口，只能写在模型 `predict:` 中聚合的 `within:` 里。");

    public static DiagnosticMessage RoundDigitsNotConstant() => new(s_roundDigits,
        "The number of decimal places must be a whole number from 0 to 28 written out, e.g. round(x, 2).",
        "小数位数必须直接写成 0 到 28 的整数，例如 round(x, 2)。");

    public static DiagnosticMessage TopCountNotConstant() => new(s_topCount,
        "top() needs how many values to keep, written as a whole number from 1 to 1000, e.g. top(order.category, 3).",
        "top() 需要直接写出保留几个值，即 1 到 1000 的整数，例如 top(order.category, 3)。");

    public static DiagnosticMessage QuantileBucketsNotConstant() => new(s_quantileBuckets,
        "The number of score buckets must be a whole number from 1 to 1000 written out, e.g. quantile_score(x, 5).",
        "分档数必须直接写成 1 到 1000 的整数，例如 quantile_score(x, 5)。");

    public static DiagnosticMessage BoolNotOrderable() => new(s_boolNotOrderable,
        "Yes/no values can only be compared with == or !=.",
        "是/否值只能用 == 或 != 比较。");

    public static DiagnosticMessage NotList(DslType type) => new(s_notList,
        $"`in` needs a list such as [\"a\", \"b\"] or a list tag, but this is {En(type)}.",
        $"`in` 需要一个列表，例如 [\"a\", \"b\"] 或列表标签，但这里是{Zh(type)}。");

    public static DiagnosticMessage NestedAggregate(string function) => new(s_nestedAggregate,
        $"{function}() cannot be used inside where:; the condition is about one event at a time.",
        $"{function}() 不能用在 where: 中；这个条件每次只针对一个事件。");

    /// <param name="culprit">The population tag the condition depends on, or null when it is not known by name.</param>
    public static DiagnosticMessage PopulationInJourney(ConditionPlace place, string? culprit) => new(s_populationInJourney,
        $"{place.English} is checked for one user whenever the journey reaches it, " +
        $"but {(culprit is null ? "a population tag" : $"'{culprit}'")} depends on quantile_score(), " +
        "which ranks every user against the others as of one instant, so a journey cannot use it; " +
        "use the underlying value instead (e.g. annual_spend >= 5000 rather than m_score >= 4).",
        $"{place.Chinese}在旅程每次走到这里时针对单个用户检查，但{(culprit is null ? "一个人群标签" : $" '{culprit}' ")}依赖 quantile_score()，" +
        "它在某一时刻把每个用户与其他所有用户比较排名，因此旅程不能使用它；" +
        "请改用底层的值（例如用 annual_spend >= 5000 而不是 m_score >= 4）。");

    /// <param name="via">The tag or segment the condition names that depends on the percentile, or null when it reads it directly.</param>
    public static DiagnosticMessage PercentileInJourney(ConditionPlace place, string model, string? via, string perUserMember) =>
        new(s_percentileInJourney,
            $"{place.English} is checked for one user whenever the journey reaches it, " +
            $"but {(via is null ? "it" : $"'{via}'")} depends on {model}.percentile, " +
            "which ranks the user's score against every other user as of one instant, so a journey cannot use it; " +
            $"the user's own score can be used: compare {model}.{perUserMember} instead.",
            $"{place.Chinese}在旅程每次走到这里时针对单个用户检查，但{(via is null ? "它" : $" '{via}' ")}依赖 {model}.percentile，" +
            "它在某一时刻把用户的得分与其他所有用户比较排名，因此旅程不能使用它；" +
            $"用户自己的得分可以使用：请改为比较 {model}.{perUserMember}。");

    public static DiagnosticMessage QuantileScoreMisplaced() => new(s_quantileMisplaced,
        "quantile_score() compares a user with every other user, so it only goes in tags, segments and segmentations; " +
        "define a tag with it and use that tag here.",
        "quantile_score() 会把一个用户与其他所有用户比较，所以只能用在标签、分群和分群方案中；请用它定义一个标签，再在这里使用该标签。");

    public static DiagnosticMessage NamedArgumentOrder() => new(s_namedArgumentOrder,
        "Write positional arguments before named ones such as where: and within:.",
        "请把按位置的参数写在 where:、within: 等具名参数之前。");

    public static DiagnosticMessage DuplicateArgument(string name) => new(s_duplicateArgument,
        $"'{name}:' is given twice.",
        $"'{name}:' 写了两次。");

    public static DiagnosticMessage TagAlwaysNull() => new(s_tagAlwaysNull,
        "A tag cannot be always empty (null); give it a value.",
        "标签不能总是空值（null）；请给它一个值。");

    /// <param name="operand">The other side of the comparison, as written.</param>
    public static DiagnosticMessage NullComparison(string operand, bool notEqual) => new(s_nullComparison,
        $"A comparison with null is never true; write `{operand} is {(notEqual ? "not " : "")}null`.",
        $"与 null 比较永远不成立；请写 `{operand} is {(notEqual ? "not " : "")}null`。");

    public static DiagnosticMessage NotOperandNotBool(DslType type) => new(s_notOperand,
        $"`not` needs a yes/no condition, but this is {En(type)}.",
        $"`not` 需要是/否条件，但这里是{Zh(type)}。");

    public static DiagnosticMessage LogicalOperandNotBool(string op, DslType type) => new(s_logicalOperand,
        $"`{op}` joins yes/no conditions, but this is {En(type)}.",
        $"`{op}` 连接的是是/否条件，但这里是{Zh(type)}。");

    public static DiagnosticMessage NegateNotNumber(DslType type) => new(s_negateNotNumber,
        $"`-` needs a number, but this is {En(type)}.",
        $"`-` 需要一个数字，但这里是{Zh(type)}。");

    public static DiagnosticMessage DirectionOutsideQuantileScore(string word) => new(s_directionOutsideQuantile,
        $"'{word}' only goes as the third argument of quantile_score.",
        $"'{word}' 只能作为 quantile_score 的第三个参数。");

    public static DiagnosticMessage WithinNotDuration() => new(s_withinNotDuration,
        "within: takes a duration written out, such as 30d or 12h.",
        "within: 需要直接写出的时长，例如 30d 或 12h。");

    public static DiagnosticMessage GoalValueNotNumber(string eventType, string field, DslType actual) => new(s_goalValueNotNumber,
        $"The goal's value must be a number field of '{eventType}' (int or decimal), but '{field}' is {En(actual)}.",
        $"目标的 value 必须是 '{eventType}' 的数值字段（int 或 decimal），但 '{field}' 是 {Zh(actual)}。");

    public static DiagnosticMessage WithinNotPositive() => new(s_withinNotPositive,
        "within: must be longer than zero.",
        "within: 必须大于零。");

    public static DiagnosticMessage QuantileScoreValueType(DslType type) => new(s_quantileValueType,
        $"quantile_score() ranks numbers, dates or durations, but this is {En(type)}.",
        $"quantile_score() 只能对数字、日期或时长排名，但这里是{Zh(type)}。");

    public static DiagnosticMessage QuantileScoreDirection(string? suggestion) => new(s_quantileDirection,
        "The third argument of quantile_score() is the word descending (or ascending)." +
        (suggestion is null ? "" : $" Did you mean '{suggestion}'?"),
        $"quantile_score() 的第三个参数是单词 descending（或 ascending）。{(suggestion is null ? "" : $"你是不是想写 '{suggestion}'？")}", suggestion);

    public static DiagnosticMessage CoalesceOperatorMismatch(string left, DslType leftType, string right, DslType rightType) =>
        new(s_coalesceOperatorMismatch,
            $"`??` replaces an empty value by another of the same kind, but {left} is {En(leftType)} and {right} is {En(rightType)}.",
            $"`??` 用同一种值替换空值，但 {left} 是{Zh(leftType)}，{right} 是{Zh(rightType)}。");

    public static DiagnosticMessage InElementMismatch(string value, DslType valueType, DslType elementType) => new(s_inElementMismatch,
        $"{value} is {En(valueType)} but the list holds {En(elementType)}.",
        $"{value} 是{Zh(valueType)}，但列表中是{Zh(elementType)}。");

    public static DiagnosticMessage ListContainsMismatch(DslType itemType, DslType elementType) => new(s_listContainsMismatch,
        $"contains() looks for {En(itemType)} in {En(DslType.ListOf(elementType))}; the item must be of the list's type.",
        $"contains() 在{Zh(DslType.ListOf(elementType))}中查找{Zh(itemType)}；要查找的值必须与列表元素同类型。");

    public static DiagnosticMessage BetweenMismatch(DslType value, DslType low, DslType high) => new(s_betweenMismatch,
        $"`between` needs three values of one orderable kind; here they are {En(value)}, {En(low)} and {En(high)}.",
        $"`between` 需要三个同一种可排序的值；这里分别是{Zh(value)}、{Zh(low)}和{Zh(high)}。");

    public static DiagnosticMessage NestedList() => new(s_nestedList,
        "A list cannot hold another list.",
        "列表中不能再包含列表。");

    public static DiagnosticMessage ListItemMismatch(DslType item, DslType before) => new(s_listItemMismatch,
        $"All items of a list must be of one kind; this one is {En(item)}, the ones before are {En(before)}.",
        $"列表中的所有项必须是同一种值；这一项是{Zh(item)}，前面的是{Zh(before)}。");

    public static DiagnosticMessage CaseBranchMismatch(DslType branch, DslType before) => new(s_caseBranchMismatch,
        $"Every branch of a case must give the same kind of value; this is {En(branch)}, the branches before give {En(before)}.",
        $"case 的每个分支必须给出同一种值；这里是{Zh(branch)}，前面的分支给出的是{Zh(before)}。");

    public static DiagnosticMessage CaseElseMismatch(DslType branches, DslType @else) => new(s_caseElseMismatch,
        $"The else of a case must give the same kind of value as its branches ({En(branches)}), but this is {En(@else)}.",
        $"case 的 else 必须与分支给出同一种值（{Zh(branches)}），但这里是{Zh(@else)}。");

    public static DiagnosticMessage CoalesceArgumentMismatch(DslType argument, DslType before) => new(s_coalesceArgumentMismatch,
        $"coalesce() needs values of one kind; this is {En(argument)}, the ones before are {En(before)}.",
        $"coalesce() 需要同一种值；这里是{Zh(argument)}，前面的是{Zh(before)}。");

    public static DiagnosticMessage GivenValueMismatch(DslType field) => new(s_givenValueMismatch,
        $"This field is {En(field)}; write a value of that kind here.",
        $"这个字段是{Zh(field)}；请在这里写这种值。");
}

/// <summary>Where a condition stands, as a message names it ("The audience must be a yes/no condition").</summary>
public sealed record ConditionPlace(string English, string Chinese)
{
    public static readonly ConditionPlace Segment = new("A segment", "分群");
    public static readonly ConditionPlace SegmentationRule = new("A segmentation rule", "分群规则");
    public static readonly ConditionPlace ModelLabel = new("A model's predict: label", "模型的 predict: 标签");
    public static readonly ConditionPlace Audience = new("The audience", "受众条件");
    public static readonly ConditionPlace GoalWhere = new("The goal's where:", "目标的 where:");
    public static readonly ConditionPlace TriggerWhere = new("The trigger's where:", "触发器的 where:");
    public static readonly ConditionPlace WaitWhere = new("The wait's where:", "等待的 where:");
    public static readonly ConditionPlace IfCondition = new("An if condition", "if 条件");
    public static readonly ConditionPlace SendItems = new("The items: of a send", "发送的 items:");
    public static readonly ConditionPlace Expectation = new("An expectation", "测试期望");
    public static readonly ConditionPlace CaseWhen = new("A `when` of case", "case 的 `when`");
    public static readonly ConditionPlace AggregateWhere = new("where:", "where:");
    public static readonly ConditionPlace EntersSegment = new("'enters segment'", "'enters segment'");
    public static readonly ConditionPlace LeavesSegment = new("'leaves segment'", "'leaves segment'");

    private static readonly ConditionPlace[] s_all =
        [Segment, SegmentationRule, ModelLabel, Audience, GoalWhere, TriggerWhere, WaitWhere, IfCondition, Expectation, CaseWhen, AggregateWhere,
         EntersSegment, LeavesSegment];

    /// <summary>The place a caller names by its English text (kept for callers that still pass a string).</summary>
    public static ConditionPlace Named(string english) => s_all.FirstOrDefault(p => p.English == english) ?? new(english, english);
}
