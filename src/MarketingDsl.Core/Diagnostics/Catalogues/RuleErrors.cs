using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Core.Semantics;

namespace MarketingDsl.Core.Diagnostics.Catalogues;

/// <summary>MD4xxx: declarations that are well typed but break a rule of their kind. One factory per code; see <see
/// cref="DiagnosticMessage"/>.</summary>
[DiagnosticCatalogue("rules")]
public static class RuleErrors
{
    private static readonly DiagnosticDescriptor s_missingElse = new("MD4001", DiagnosticSeverity.Error, "Segmentation without else");
    private static readonly DiagnosticDescriptor s_elseNotLast = new("MD4002", DiagnosticSeverity.Error, "Rules after else");
    private static readonly DiagnosticDescriptor s_unreachableRule = new("MD4003", DiagnosticSeverity.Warning, "Rule can never be chosen");
    private static readonly DiagnosticDescriptor s_duplicateRuleName = new("MD4004", DiagnosticSeverity.Error, "Group name used twice");
    private static readonly DiagnosticDescriptor s_splitShares = new("MD4005", DiagnosticSeverity.Error, "Split shares do not add up to 100%");
    private static readonly DiagnosticDescriptor s_unreachableStep = new("MD4006", DiagnosticSeverity.Warning, "Step can never run");

    private static readonly DiagnosticDescriptor s_missingProperty = new("MD4007", DiagnosticSeverity.Error, "Required property missing");
    private static readonly DiagnosticDescriptor s_duplicateProperty = new("MD4008", DiagnosticSeverity.Error, "Property given twice");
    private static readonly DiagnosticDescriptor s_featureType = new("MD4009", DiagnosticSeverity.Error,
        "Model feature is not a number or yes/no");
    // MD4010 (Invalid model option) retired: split into MD4015 and MD4061–MD4067.
    // MD4011 (Invalid schema) retired: split into MD4035–MD4043.
    // MD4012 (Invalid test) retired: split into MD4044–MD4048.
    private static readonly DiagnosticDescriptor s_emptyBlock = new("MD4013", DiagnosticSeverity.Warning, "Nothing happens here");
    private static readonly DiagnosticDescriptor s_labelWithoutForward = new("MD4014", DiagnosticSeverity.Error,
        "Model label does not look forward");
    private static readonly DiagnosticDescriptor s_horizonNotDuration = new("MD4015", DiagnosticSeverity.Error, "Horizon is not a duration");
    private static readonly DiagnosticDescriptor s_duplicateRuleCondition = new("MD4016", DiagnosticSeverity.Warning,
        "Rule repeats an earlier condition");
    private static readonly DiagnosticDescriptor s_splitTooFewBranches = new("MD4017", DiagnosticSeverity.Error,
        "Split with fewer than two branches");
    private static readonly DiagnosticDescriptor s_journeyWithoutTrigger = new("MD4018", DiagnosticSeverity.Error, "Journey without a trigger");
    private static readonly DiagnosticDescriptor s_splitWinnerWithoutGoal = new("MD4019", DiagnosticSeverity.Error,
        "Split winner without a journey goal");
    private static readonly DiagnosticDescriptor s_duplicateGivenField = new("MD4020", DiagnosticSeverity.Error, "Test field given twice");
    private static readonly DiagnosticDescriptor s_unknownTimeZone = new("MD4021", DiagnosticSeverity.Error, "Unknown time zone");
    private static readonly DiagnosticDescriptor s_capCountTooSmall = new("MD4022", DiagnosticSeverity.Error, "Cap allows no message");
    private static readonly DiagnosticDescriptor s_capWindowNotPositive = new("MD4023", DiagnosticSeverity.Error, "Cap window not longer than zero");
    private static readonly DiagnosticDescriptor s_quietHoursEmpty = new("MD4024", DiagnosticSeverity.Error, "Quiet hours start and end together");
    private static readonly DiagnosticDescriptor s_costNotNumber = new("MD4025", DiagnosticSeverity.Error, "Cost is not a number");
    private static readonly DiagnosticDescriptor s_costNegative = new("MD4026", DiagnosticSeverity.Error, "Negative cost");
    private static readonly DiagnosticDescriptor s_reentryWindowNotPositive = new("MD4027", DiagnosticSeverity.Error,
        "Re-entry window not longer than zero");
    private static readonly DiagnosticDescriptor s_goalWindowNotPositive = new("MD4028", DiagnosticSeverity.Error,
        "Goal window not longer than zero");
    private static readonly DiagnosticDescriptor s_holdoutTooLarge = new("MD4029", DiagnosticSeverity.Error, "Holdout of 100%");
    private static readonly DiagnosticDescriptor s_unknownSchedulePeriod = new("MD4030", DiagnosticSeverity.Error, "Unknown schedule period");
    private static readonly DiagnosticDescriptor s_scheduleTooFrequent = new("MD4031", DiagnosticSeverity.Error,
        "Schedule more often than once a minute");
    private static readonly DiagnosticDescriptor s_waitNotPositive = new("MD4032", DiagnosticSeverity.Error, "Wait not longer than zero");
    private static readonly DiagnosticDescriptor s_templateEmpty = new("MD4033", DiagnosticSeverity.Error, "Empty template name");
    private static readonly DiagnosticDescriptor s_winnerPeriodNotPositive = new("MD4034", DiagnosticSeverity.Error,
        "Winner period not longer than zero");
    private static readonly DiagnosticDescriptor s_profileTwice = new("MD4035", DiagnosticSeverity.Error, "Profile declared twice");
    private static readonly DiagnosticDescriptor s_noSchema = new("MD4036", DiagnosticSeverity.Error, "Workspace without a schema");
    private static readonly DiagnosticDescriptor s_noProfileKey = new("MD4037", DiagnosticSeverity.Error, "Profile without a key field");
    // MD4038 (List field in the schema) retired: list fields are supported; MD4090 and MD4091 cover what stays refused.
    private static readonly DiagnosticDescriptor s_keyOnEvent = new("MD4039", DiagnosticSeverity.Error, "key on an event field");
    private static readonly DiagnosticDescriptor s_uniqueOnProfile = new("MD4040", DiagnosticSeverity.Error, "unique on a profile field");
    private static readonly DiagnosticDescriptor s_severalKeys = new("MD4041", DiagnosticSeverity.Error, "Profile with several key fields");
    private static readonly DiagnosticDescriptor s_keyNotString = new("MD4042", DiagnosticSeverity.Error, "Key field is not a string");
    private static readonly DiagnosticDescriptor s_severalUnique = new("MD4043", DiagnosticSeverity.Error, "Event with several unique fields");
    private static readonly DiagnosticDescriptor s_severalAsOf = new("MD4044", DiagnosticSeverity.Error, "Test with several as of");
    private static readonly DiagnosticDescriptor s_expectWithoutGiven = new("MD4045", DiagnosticSeverity.Error,
        "Expectation without a given profile");
    private static readonly DiagnosticDescriptor s_expectUsesModel = new("MD4046", DiagnosticSeverity.Error, "Expectation depends on a model");
    private static readonly DiagnosticDescriptor s_testWithoutExpect = new("MD4047", DiagnosticSeverity.Error, "Test expects nothing");
    private static readonly DiagnosticDescriptor s_givenMissingField = new("MD4048", DiagnosticSeverity.Error, "given without a required field");
    private static readonly DiagnosticDescriptor s_nestedListField = new("MD4090", DiagnosticSeverity.Error, "List of lists in the schema");
    private static readonly DiagnosticDescriptor s_uniqueOnListField = new("MD4091", DiagnosticSeverity.Error, "unique on a list field");

    public static DiagnosticMessage HorizonNotDuration(string written) => new(s_horizonNotDuration,
        $"horizon: takes a duration such as 90d, not {written}.",
        $"horizon: 需要一个时长，例如 90d，而不是 {written}。");

    public static DiagnosticMessage MissingElse(string segmentation) => new(s_missingElse,
        $"'{segmentation}' has no `else` rule, so some users would be in no group; end it with e.g. `else others \"其他\"`.",
        $"'{segmentation}' 没有 `else` 规则，部分用户将不属于任何组；请在末尾加上例如 `else others \"其他\"`。");

    public static DiagnosticMessage ElseNotLast() => new(s_elseNotLast,
        "This rule comes after `else`, so no user can reach it; `else` must be the last rule.",
        "这条规则写在 `else` 之后，没有用户能到达它；`else` 必须是最后一条规则。");

    public static DiagnosticMessage UnreachableRule(string rule, string alwaysMatching) => new(s_unreachableRule,
        $"The rule '{alwaysMatching}' above always matches, so '{rule}' is never chosen.",
        $"上面的规则 '{alwaysMatching}' 总是匹配，所以 '{rule}' 永远不会被选中。");

    public static DiagnosticMessage DuplicateRuleCondition(string rule, string earlier) => new(s_duplicateRuleCondition,
        $"'{rule}' has the same condition as '{earlier}' above, so it is never chosen.",
        $"'{rule}' 的条件与上面的 '{earlier}' 相同，所以永远不会被选中。");

    public static DiagnosticMessage DuplicateRuleName(string group, string segmentation) => new(s_duplicateRuleName,
        $"The group '{group}' appears twice in '{segmentation}'.",
        $"组 '{group}' 在 '{segmentation}' 中出现了两次。");

    public static DiagnosticMessage SplitShares(decimal total) => new(s_splitShares,
        $"The shares of this split add up to {total}%, not 100%.",
        $"这个分流的比例合计为 {total}%，而不是 100%。");

    public static DiagnosticMessage SplitTooFewBranches() => new(s_splitTooFewBranches,
        "A split needs at least two branches.",
        "分流至少需要两个分支。");

    public static DiagnosticMessage UnreachableStep() => new(s_unreachableStep,
        "This step comes after `exit`, so it never runs.",
        "这个步骤写在 `exit` 之后，永远不会执行。");

    public static DiagnosticMessage PropertyGivenTwice(string key) => new(s_duplicateProperty,
        $"'{key}:' is given twice.",
        $"'{key}:' 写了两次。");

    /// <param name="model">The model's or clusters' name.</param>
    /// <param name="property">The property it lacks: <c>predict</c> (models), <c>k</c> (clusters) or <c>features</c>.</param>
    public static DiagnosticMessage MissingModelProperty(string model, string property) => property switch
    {
        "predict" => new(s_missingProperty,
            $"The model '{model}' needs predict: (what it learns, e.g. not exists(login, within: next 90d)).",
            $"模型 '{model}' 需要 predict:（它学习什么，例如 not exists(login, within: next 90d)）。"),
        "k" => new(s_missingProperty,
            $"The clusters '{model}' need k: (how many clusters, e.g. k: 8).",
            $"聚类 '{model}' 需要 k:（分成几类，例如 k: 8）。"),
        _ => new(s_missingProperty,
            $"'{model}' needs {property}: (the tags it learns from).",
            $"'{model}' 需要 {property}:（它从哪些标签学习）。"),
    };

    /// <param name="written">The feature as written.</param>
    public static DiagnosticMessage FeatureNotNumber(string written, DslType type) => new(s_featureType,
        $"A model learns from numbers and yes/no values; '{written}' is {TypeText.English(type)}.",
        $"模型只从数值和是/否值学习；'{written}' 是{TypeText.Chinese(type)}。");

    public static DiagnosticMessage LabelWithoutForward() => new(s_labelWithoutForward,
        "The label must look forward from the training cutoff, e.g. exists(order, within: next 30d).",
        "标签必须从训练截止时刻向后看，例如 exists(order, within: next 30d)。");

    public static DiagnosticMessage DuplicateGivenField(string field) => new(s_duplicateGivenField,
        $"'{field}' is given twice.",
        $"'{field}' 写了两次。");

    public static DiagnosticMessage EmptyBlock() => new(s_emptyBlock,
        "Nothing happens when this condition holds.",
        "这个条件成立时什么也不会发生。");

    public static DiagnosticMessage JourneyWithoutTrigger(string journey) => new(s_journeyWithoutTrigger,
        $"The journey '{journey}' needs a trigger: (an event, a schedule such as every day at 10:00, or enters segment …).",
        $"旅程 '{journey}' 需要 trigger:（一个事件、例如 every day at 10:00 的定时，或 enters segment …）。");

    public static DiagnosticMessage SplitWinnerWithoutGoal() => new(s_splitWinnerWithoutGoal,
        "A split picks its winner by goal rate, so the journey needs a goal:.",
        "分流按目标达成率选出胜者，所以旅程需要 goal:。");

    public static DiagnosticMessage UnknownTimeZone(string written) => new(s_unknownTimeZone,
        $"{written} is not a time zone; write an IANA name in quotes such as \"Asia/Shanghai\".",
        $"{written} 不是时区；请写带引号的 IANA 名称，例如 \"Asia/Shanghai\"。");

    public static DiagnosticMessage CapCountTooSmall() => new(s_capCountTooSmall,
        "A cap allows at least 1 message.",
        "频次上限至少允许 1 条消息。");

    public static DiagnosticMessage CapWindowNotPositive() => new(s_capWindowNotPositive,
        "The cap window must be longer than zero.",
        "频次上限的时间窗口必须大于零。");

    public static DiagnosticMessage QuietHoursEmpty() => new(s_quietHoursEmpty,
        "Quiet hours start and end at the same time; write e.g. 22:00-08:00.",
        "免打扰时段的开始和结束时间相同；请写成例如 22:00-08:00。");

    public static DiagnosticMessage CostNotNumber() => new(s_costNotNumber,
        "cost: is the price of one message, a number such as 0.05.",
        "cost: 是一条消息的价格，一个数字，例如 0.05。");

    public static DiagnosticMessage CostNegative() => new(s_costNegative,
        "cost: cannot be negative.",
        "cost: 不能为负数。");

    public static DiagnosticMessage ReentryWindowNotPositive() => new(s_reentryWindowNotPositive,
        "The re-entry window must be longer than zero.",
        "重新进入的时间窗口必须大于零。");

    public static DiagnosticMessage GoalWindowNotPositive() => new(s_goalWindowNotPositive,
        "The goal window must be longer than zero.",
        "目标的时间窗口必须大于零。");

    public static DiagnosticMessage HoldoutTooLarge() => new(s_holdoutTooLarge,
        "A holdout of 100% would send nothing; use less than 100%.",
        "100% 的对照组将不会发送任何消息；请使用小于 100% 的比例。");

    public static DiagnosticMessage UnknownSchedulePeriod(string period, string? suggestion) => new(s_unknownSchedulePeriod,
        $"'every {period}' is not a schedule; write every day, every monday … every sunday, or every " +
            $"1h.{(suggestion is null ? "" : $" Did you mean '{suggestion}'?")}",
        $"'every {period}' 不是有效的定时；请写 every day、every monday … every sunday 或 every 1h。{(suggestion is null ? "" : $"你是不是想写 '{suggestion}'？")}",
        suggestion);

    public static DiagnosticMessage ScheduleTooFrequent() => new(s_scheduleTooFrequent,
        "A schedule runs at most once a minute; use 1m or longer.",
        "定时最多每分钟运行一次；请使用 1m 或更长的间隔。");

    public static DiagnosticMessage WaitNotPositive() => new(s_waitNotPositive,
        "A wait must be longer than zero.",
        "等待时长必须大于零。");

    public static DiagnosticMessage TemplateEmpty() => new(s_templateEmpty,
        "The message template name is empty.",
        "消息模板名称为空。");

    public static DiagnosticMessage WinnerPeriodNotPositive() => new(s_winnerPeriodNotPositive,
        "The winner period must be longer than zero.",
        "选出胜者的周期必须大于零。");

    public static DiagnosticMessage ProfileDeclaredTwice() => new(s_profileTwice,
        "The profile is declared twice; keep all profile fields in one `profile { … }` block.",
        "用户画像声明了两次；请把所有画像字段放在一个 `profile { … }` 块中。");

    public static DiagnosticMessage NoSchema() => new(s_noSchema,
        "The workspace has no `schema { … }`; tags need the profile fields and events it declares.",
        "工作区没有 `schema { … }`；标签需要其中声明的用户画像字段和事件。");

    public static DiagnosticMessage NoProfileKey() => new(s_noProfileKey,
        "The profile needs a `user_id: string key` field that identifies each user.",
        "用户画像需要一个标识每个用户的 `user_id: string key` 字段。");

    public static DiagnosticMessage NestedListField() => new(s_nestedListField,
        "A schema field can be a list of values, not a list of lists; declare list<string>, list<int>, ….",
        "schema 字段可以是值的列表，但不能是列表的列表；请声明 list<string>、list<int> 等。");

    public static DiagnosticMessage UniqueOnListField() => new(s_uniqueOnListField,
        "`unique` needs one value per event (such as order_id); a list field cannot be unique.",
        "`unique` 需要每个事件一个值（例如 order_id）；列表字段不能是 unique。");

    public static DiagnosticMessage KeyOnEventField() => new(s_keyOnEvent,
        "Only a profile field can be the `key`; events name their user with user_id.",
        "只有用户画像字段可以是 `key`；事件用 user_id 指明它的用户。");

    public static DiagnosticMessage UniqueOnProfileField() => new(s_uniqueOnProfile,
        "`unique` belongs on an event field (such as order_id); profiles are unique by their key.",
        "`unique` 应写在事件字段上（例如 order_id）；用户画像按其 key 唯一。");

    public static DiagnosticMessage SeveralKeys() => new(s_severalKeys,
        "The profile has more than one `key` field; keep one.",
        "用户画像有多个 `key` 字段；请只保留一个。");

    public static DiagnosticMessage KeyNotString() => new(s_keyNotString,
        "The key field must be a string.",
        "key 字段必须是 string。");

    public static DiagnosticMessage SeveralUniqueFields() => new(s_severalUnique,
        "An event may have one `unique` field.",
        "一个事件最多只能有一个 `unique` 字段。");

    public static DiagnosticMessage SeveralAsOf() => new(s_severalAsOf,
        "A test has one `as of` instant.",
        "一个测试只能有一个 `as of` 时刻。");

    public static DiagnosticMessage ExpectWithoutGiven() => new(s_expectWithoutGiven,
        "An expectation is about a user: put a `given profile { … }` above it.",
        "期望针对的是一个用户：请在它上面写 `given profile { … }`。");

    public static DiagnosticMessage ExpectUsesModel(string model) => new(s_expectUsesModel,
        $"Tests run without trained models, and this expectation depends on '{model}'; test the model's features instead.",
        $"测试运行时没有训练好的模型，而这个期望依赖 '{model}'；请改为测试模型的特征。");

    public static DiagnosticMessage TestWithoutExpect() => new(s_testWithoutExpect,
        "This test expects nothing; add `expect <condition>`.",
        "这个测试没有任何期望；请添加 `expect <条件>`。");

    public static DiagnosticMessage GivenMissingField(string given, string field) => new(s_givenMissingField,
        $"`given {given}` needs {field}.",
        $"`given {given}` 需要 {field}。");
}

/// <summary>MD5xxx: warnings about declarations nobody uses. One factory per code.</summary>
[DiagnosticCatalogue("usage")]
public static class UsageWarnings
{
    private static readonly DiagnosticDescriptor s_unusedChannel = new("MD5001", DiagnosticSeverity.Warning, "Channel never used");
    private static readonly DiagnosticDescriptor s_unusedModel = new("MD5002", DiagnosticSeverity.Warning, "Model never used");
    private static readonly DiagnosticDescriptor s_duplicateIdentityKey = new("MD5003", DiagnosticSeverity.Warning, "Identity key declared twice");
    private static readonly DiagnosticDescriptor s_journeyWithoutSteps = new("MD5004", DiagnosticSeverity.Warning, "Journey has no steps");

    public static DiagnosticMessage UnusedChannel(string channel) => new(s_unusedChannel,
        $"No journey sends on the channel '{channel}'.",
        $"没有旅程使用渠道 '{channel}' 发送消息。");

    public static DiagnosticMessage UnusedModel(string model, bool isClusters) => new(s_unusedModel,
        $"No tag uses '{model}', so it is trained for nothing; use it as e.g. `tag x = {model}.{(isClusters ? "cluster" : "probability")}`.",
        $"没有标签使用 '{model}'，训练它没有用处；可以这样使用：`tag x = {model}.{(isClusters ? "cluster" : "probability")}`。");

    public static DiagnosticMessage DuplicateIdentityKey(string key) => new(s_duplicateIdentityKey,
        $"The identity key '{key}' is listed twice.",
        $"身份键 '{key}' 列出了两次。");

    public static DiagnosticMessage JourneyWithoutSteps(string journey) => new(s_journeyWithoutSteps,
        $"The journey '{journey}' has no steps, so it sends nothing.",
        $"旅程 '{journey}' 没有步骤，所以不会发送任何消息。");
}
