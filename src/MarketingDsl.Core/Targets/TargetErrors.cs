using MarketingDsl.Core.Diagnostics;

namespace MarketingDsl.Core.Targets;

/// <summary>
/// MD8xxx: what a compilation target (SQL for DuckDB or Spark SQL) cannot express. A construct
/// the target cannot compute is reported at its span, never left out or approximated silently.
/// One factory per code; see <see cref="DiagnosticMessage"/>.
/// </summary>
[DiagnosticCatalogue("targets")]
public static class TargetErrors
{
    private static readonly DiagnosticDescriptor s_customFunction = new("MD8001", DiagnosticSeverity.Error, "Custom function in SQL");
    private static readonly DiagnosticDescriptor s_modelOutput = new("MD8002", DiagnosticSeverity.Error, "Model output in SQL");
    private static readonly DiagnosticDescriptor s_namesDifferInCase = new("MD8003", DiagnosticSeverity.Error, "Names differ only in case");
    private static readonly DiagnosticDescriptor s_forwardWindow = new("MD8004", DiagnosticSeverity.Error, "Forward window in SQL");
    // MD8005 (List field in SQL) retired: list fields are lowered to DuckDB lists and Spark arrays.
    private static readonly DiagnosticDescriptor s_leftOut = new("MD8010", DiagnosticSeverity.Warning, "Output left out of the SQL");

    public static DiagnosticMessage CustomFunction(string function, string target) => new(s_customFunction,
        $"{function}() is a C# function: {target} cannot run it, so this value cannot be computed in SQL.",
        $"{function}() 是 C# 函数：{target} 无法运行它，因此无法在 SQL 中计算该值。",
        "compute it with the in-process engine (mdsl simulate), or write it with built-in functions; "
        + "mdsl compile --exclude-unsupported leaves such outputs out");

    public static DiagnosticMessage ModelOutput(string member, string target) => new(s_modelOutput,
        $"{member} reads a trained model: {target} cannot score ML.NET models, so this value cannot be computed in SQL.",
        $"{member} 读取已训练的模型：{target} 无法运行 ML.NET 模型评分，因此无法在 SQL 中计算该值。",
        "score it with the in-process engine (mdsl simulate); mdsl compile --exclude-unsupported leaves such outputs out");

    private static readonly DiagnosticDescriptor s_recommenderMember = new("MD8011", DiagnosticSeverity.Error, "Recommender member in SQL");
    public static DiagnosticMessage RecommenderMember(string member, string target) => new(s_recommenderMember,
        $"{member} reads a trained recommender: {target} cannot rank its item neighbourhoods, so this value cannot be computed in SQL.",
        $"{member} 读取已训练的推荐器：{target} 无法按商品近邻排序，因此无法在 SQL 中计算该值。",
        "compute it with the in-process engine (mdsl simulate); mdsl compile --exclude-unsupported leaves such outputs out");

    public static DiagnosticMessage NamesDifferInCase(string name, string other, string target) => new(s_namesDifferInCase,
        $"'{name}' and '{other}' differ only in case: {target} compares column names without case, so both cannot be columns of one table.",
        $"'{name}' 与 '{other}' 只有大小写不同：{target} 比较列名时不区分大小写，两者不能同时作为一张表的列。",
        $"rename one of them");

    public static DiagnosticMessage ForwardWindow(string target) => new(s_forwardWindow,
        $"a forward window (within: next D) belongs to a model's predict:, which {target} does not train.",
        $"向前窗口（within: next D）只属于模型的 predict:，{target} 不训练模型。");

    /// <param name="reason">What the output uses that the target cannot compute (<see cref="UsesCustomFunction"/> and its siblings).</param>
    public static DiagnosticMessage LeftOut(string output, (string English, string Chinese) reason) => new(s_leftOut,
        $"'{output}' is left out of the SQL: {reason.English}.",
        $"'{output}' 未包含在 SQL 中：{reason.Chinese}。");

    // The reasons of LeftOut, in each language.
    public static (string English, string Chinese) UsesCustomFunction(string function) =>
        ($"the C# function {function}()", $"使用了 C# 函数 {function}()");

    public static (string English, string Chinese) UsesRecommenderMember(string member) =>
        ($"the recommender member {member}", $"使用了推荐器成员 {member}");

    public static (string English, string Chinese) UsesModelOutput(string output) => ($"the model output {output}", $"使用了模型输出 {output}");

    public static (string English, string Chinese) UsesForwardWindow() => ("a forward window", "使用了向前窗口");

    public static (string English, string Chinese) DependsOnLeftOut(string dependency) =>
        ($"'{dependency}', which is left out", $"依赖的 '{dependency}' 也未包含在内");
}
