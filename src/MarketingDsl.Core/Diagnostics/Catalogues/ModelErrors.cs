using MarketingDsl.Core.Semantics;
using MarketingDsl.Core.Diagnostics;

namespace MarketingDsl.Core.Diagnostics.Catalogues;

/// <summary>MD4060–MD4089: the rules of `model` and `clusters` declarations, found when checking.</summary>
[DiagnosticCatalogue("rules")]
public static class ModelErrors
{
    private static readonly DiagnosticDescriptor s_labelType = new("MD4060", DiagnosticSeverity.Error, "Model label is not yes/no or a number");
    public static DiagnosticMessage LabelType(string written, DslType type) => new(s_labelType,
        $"predict: learns a yes/no outcome (a classifier) or a number (a regression); '{written}' is {TypeText.English(type)}.",
        $"predict: 学习一个是/否结果（分类）或一个数值（回归）；'{written}' 的类型是{TypeText.Chinese(type)}。");

    private static readonly DiagnosticDescriptor s_unknownAlgorithm = new("MD4061", DiagnosticSeverity.Error, "Unknown algorithm");
    public static DiagnosticMessage UnknownAlgorithm(string written, string? suggestion) => new(s_unknownAlgorithm,
        $"'{written}' is not an algorithm; use fasttree, lightgbm or logistic.",
        $"'{written}' 不是算法；请使用 fasttree、lightgbm 或 logistic。", suggestion);

    private static readonly DiagnosticDescriptor s_algorithmForRegression = new("MD4062", DiagnosticSeverity.Error,
        "Algorithm cannot predict a number");
    public static DiagnosticMessage AlgorithmForRegression(string model) => new(s_algorithmForRegression,
        $"'{model}' predicts a number, and logistic regression predicts yes/no; use fasttree or lightgbm.",
        $"'{model}' 预测一个数值，而 logistic 只能预测是/否；请使用 fasttree 或 lightgbm。");

    private static readonly DiagnosticDescriptor s_clusterCount = new("MD4063", DiagnosticSeverity.Error, "Cluster count out of range");
    public static DiagnosticMessage ClusterCount(string written) => new(s_clusterCount,
        $"k: is the number of clusters, a whole number from 2 to 100, not {written}.",
        $"k: 是聚类的个数，取 2 到 100 之间的整数，而不是 {written}。");

    private static readonly DiagnosticDescriptor s_seed = new("MD4064", DiagnosticSeverity.Error, "Seed is not a whole number");
    public static DiagnosticMessage Seed(string written) => new(s_seed,
        $"seed: is a whole number from 0 that makes training repeatable, not {written}.",
        $"seed: 是使训练可重复的非负整数，而不是 {written}。");

    private static readonly DiagnosticDescriptor s_predictOnClusters = new("MD4065", DiagnosticSeverity.Error, "Clusters have no label");
    public static DiagnosticMessage PredictOnClusters() => new(s_predictOnClusters,
        "Clusters are found without a label; remove predict: (or declare a `model`).",
        "聚类不需要标签；请删除 predict:（或改为声明 `model`）。");

    private static readonly DiagnosticDescriptor s_scale = new("MD4066", DiagnosticSeverity.Error, "Unknown scaling");
    public static DiagnosticMessage Scale(string written) => new(s_scale,
        $"scale: is `standard` (z-scores from the training population) or `none`, not {written}.",
        $"scale: 取 `standard`（按训练人群计算 z 分数）或 `none`，而不是 {written}。");

    private static readonly DiagnosticDescriptor s_minLabels = new("MD4067", DiagnosticSeverity.Error, "Minimum labels out of range");
    public static DiagnosticMessage MinLabels(string written) => new(s_minLabels,
        $"min_labels: is how many users each label needs before training (a whole number from 1), not {written}.",
        $"min_labels: 是训练前每类标签至少需要的用户数（不小于 1 的整数），而不是 {written}。");

    private static readonly DiagnosticDescriptor s_featureUsesModel = new("MD4068", DiagnosticSeverity.Error, "Model feature depends on the model");
    public static DiagnosticMessage FeatureUsesModel(string feature, string model) => new(s_featureUsesModel,
        $"The feature '{feature}' depends on '{model}' itself; a model cannot learn from its own output.",
        $"特征 '{feature}' 依赖于 '{model}' 本身；模型不能从自己的输出中学习。");

    private static readonly DiagnosticDescriptor s_outputOfOtherKind = new("MD4069", DiagnosticSeverity.Error, "Output of the other kind of model");
    public static DiagnosticMessage OutputOfOtherKind(string model, bool regression, string member, IReadOnlyList<string> outputs,
        string? suggestion) =>
        new(s_outputOfOtherKind,
            $"'{model}' {(regression ? "predicts a number" : "predicts yes/no")} and has no output '{member}'; it has {string.Join(", ", outputs)}.",
            $"'{model}' {(regression ? "预测一个数值" : "预测是/否")}，没有输出 '{member}'；它的输出有 {string.Join("、", outputs)}。", suggestion);
}

/// <summary>MD6001–MD6049: what `mdsl train` and scoring find in the data (guard rails), reported at the model's declaration.</summary>
[DiagnosticCatalogue("engine")]
public static class TrainingErrors
{
    private static readonly DiagnosticDescriptor s_fewLabels = new("MD6001", DiagnosticSeverity.Error, "Too few users of one label");
    public static DiagnosticMessage FewLabels(string model, long positives, long negatives, int minimum) => new(s_fewLabels,
        $"'{model}' has {positives:N0} users whose label is true and {negatives:N0} whose label is false; each needs at least {minimum:N0} " +
        "(more history or users, a longer horizon, or min_labels: lower).",
        $"'{model}' 有 {positives:N0} 个标签为真的用户和 {negatives:N0} 个标签为假的用户；每类至少需要 {minimum:N0} 个（增加历史或用户、延长 horizon，或调低 min_labels:）。");

    private static readonly DiagnosticDescriptor s_shortHistory = new("MD6002", DiagnosticSeverity.Error,
        "History shorter than horizon plus feature window");
    public static DiagnosticMessage ShortHistory(string model, double historyDays, double neededDays) => new(s_shortHistory,
        $"'{model}' needs {neededDays:0.#} days of history (its horizon plus its longest feature window), and the data covers " +
            $"{historyDays:0.#} days.",
        $"'{model}' 需要 {neededDays:0.#} 天的历史（horizon 加上最长的特征窗口），而数据只覆盖 {historyDays:0.#} 天。");

    private static readonly DiagnosticDescriptor s_constantFeature = new("MD6003", DiagnosticSeverity.Warning, "Feature is null or constant");
    public static DiagnosticMessage ConstantFeature(string model, string feature, string what) => new(s_constantFeature,
        $"The feature '{feature}' of '{model}' is {what} for every training user, so the model learns nothing from it.",
        $"'{model}' 的特征 '{feature}' 对所有训练用户都{(what == "null" ? "为空" : "相同")}，模型无法从中学到任何东西。");

    private static readonly DiagnosticDescriptor s_tooFewUsers = new("MD6004", DiagnosticSeverity.Error, "More clusters than users");
    public static DiagnosticMessage TooFewUsers(string model, int k, int users) => new(s_tooFewUsers,
        $"'{model}' asks for {k} clusters and only {users:N0} users have every feature.",
        $"'{model}' 要求 {k} 个聚类，但只有 {users:N0} 个用户具有全部特征。");

    private static readonly DiagnosticDescriptor s_constantLabel = new("MD6005", DiagnosticSeverity.Error, "Label is always the same");
    public static DiagnosticMessage ConstantLabel(string model, string value) => new(s_constantLabel,
        $"The label of '{model}' is {value} for every training user, so there is nothing to learn; check predict: and the data's dates.",
        $"'{model}' 的标签对所有训练用户都是 {value}，没有可学习的内容；请检查 predict: 和数据的日期。");

    private static readonly DiagnosticDescriptor s_algorithmUnavailable = new("MD6006", DiagnosticSeverity.Error,
        "Algorithm cannot run on this machine");
    public static DiagnosticMessage AlgorithmUnavailable(string model, string algorithm, string reason) => new(s_algorithmUnavailable,
        $"'{model}' uses {algorithm}, whose native library cannot be loaded on this machine ({reason}); use algorithm: fasttree.",
        $"'{model}' 使用 {algorithm}，其本地库无法在此机器上加载（{reason}）；请使用 algorithm: fasttree。");

    private static readonly DiagnosticDescriptor s_notTrained = new("MD6007", DiagnosticSeverity.Warning, "Model not trained");
    public static DiagnosticMessage NotTrained(string model) => new(s_notTrained,
        $"'{model}' has not been trained: tags that read it are empty (run mdsl train).",
        $"'{model}' 尚未训练：读取它的标签为空（请运行 mdsl train）。");

    private static readonly DiagnosticDescriptor s_stale = new("MD6008", DiagnosticSeverity.Warning, "Model is stale");
    public static DiagnosticMessage Stale(string model, string what) => new(s_stale,
        $"'{model}' was trained before its {what} changed: tags that read it are empty until it is trained again (run mdsl train).",
        $"'{model}' 训练之后其{(what == "declaration" ? "声明" : "特征")}已改变：在重新训练之前，读取它的标签为空（请运行 mdsl train）。");

    private static readonly DiagnosticDescriptor s_fewTargets = new("MD6009", DiagnosticSeverity.Error, "Too few users with a value to predict");
    public static DiagnosticMessage FewTargets(string model, long labelled, int minimum) => new(s_fewTargets,
        $"'{model}' has {labelled:N0} users with a value to learn from; it needs at least {minimum:N0}.",
        $"'{model}' 只有 {labelled:N0} 个具有目标值的用户；至少需要 {minimum:N0} 个。");

    private static readonly DiagnosticDescriptor s_noUsableFeatures = new("MD6010", DiagnosticSeverity.Error, "No user has every feature");
    public static DiagnosticMessage NoUsers(string model) => new(s_noUsableFeatures,
        $"'{model}' has no user to learn from as of the training cutoff.",
        $"'{model}' 在训练截止时没有可学习的用户。");

    private static readonly DiagnosticDescriptor s_unreadable = new("MD6011", DiagnosticSeverity.Warning, "Trained model cannot be read");
    public static DiagnosticMessage Unreadable(string model, string reason) => new(s_unreadable,
        $"The trained '{model}' in the registry cannot be read ({reason}): tags that read it are empty until it is trained again (run mdsl train).",
        $"注册表中已训练的 '{model}' 无法读取（{reason}）：在重新训练之前，读取它的标签为空（请运行 mdsl train）。");
}
