using MarketingDsl.Core.Diagnostics;

namespace MarketingDsl.Core.Functions;

/// <summary>MD7xxx: custom C# functions (`functions/*.csx`): compile errors, the sandbox, signatures.</summary>
[DiagnosticCatalogue("functions")]
public static class FunctionErrors
{
    private static readonly DiagnosticDescriptor s_compileError = new("MD7001", DiagnosticSeverity.Error, "C# error in a function file");
    private static readonly DiagnosticDescriptor s_notAllowed = new("MD7002", DiagnosticSeverity.Error, "Not allowed in a custom function");
    private static readonly DiagnosticDescriptor s_unsupportedType = new("MD7003", DiagnosticSeverity.Error, "Type not usable from the language");
    private static readonly DiagnosticDescriptor s_nameTaken = new("MD7004", DiagnosticSeverity.Error, "Function name already taken");
    // MD7005 (Custom function not available on this target) retired: the SQL targets refuse a call with MD8001.
    private static readonly DiagnosticDescriptor s_noFunctions = new("MD7006", DiagnosticSeverity.Warning,
        "Function file without a callable function");
    private static readonly DiagnosticDescriptor s_misplaced = new("MD7007", DiagnosticSeverity.Error, "Function file outside functions/");
    private static readonly DiagnosticDescriptor s_tooLarge = new("MD7008", DiagnosticSeverity.Error, "Function file too large");
    private static readonly DiagnosticDescriptor s_failedForUsers = new("MD7009", DiagnosticSeverity.Warning,
        "Custom function failed for some users");

    /// <param name="compilerMessage">The C# compiler's own message (English; it names C# things).</param>
    /// <param name="instrumented">The error is in the file as the sandbox rewrote it with its budget checks (the rewrite is at fault).</param>
    public static DiagnosticMessage CompileError(string compilerId, string compilerMessage, bool instrumented = false) => instrumented
        ? new(s_compileError, $"C# {compilerId}: the sandbox could not instrument this file: {compilerMessage}",
            $"C# 编译错误 {compilerId}：沙箱无法为此文件加入运行预算检查：{compilerMessage}")
        : new(s_compileError, $"C# {compilerId}: {compilerMessage}", $"C# 编译错误 {compilerId}：{compilerMessage}");

    /// <param name="what">What the code uses, as C# names it (`System.IO.File.ReadAllText`, `unsafe`).</param>
    /// <param name="why">Why it is refused, in a few words (the English and Chinese of one reason).</param>
    public static DiagnosticMessage NotAllowed(string what, (string English, string Chinese) why) => new(s_notAllowed,
        $"{what} is not allowed in a custom function: {why.English}.",
        $"自定义函数中不允许使用 {what}：{why.Chinese}。");

    /// <param name="parameter">The parameter whose type it is; null: the result.</param>
    public static DiagnosticMessage UnsupportedType(string function, string? parameter, string csharpType) => new(s_unsupportedType,
        $"The {(parameter is null ? "result" : $"parameter '{parameter}'")} of {function}() is {csharpType}, which no language type maps to; " +
            "use bool, long, decimal, string, DateOnly, DateTimeOffset, TimeSpan or IReadOnlyList<T> of those.",
        $"{function}() 的{(parameter is null ? "返回值" : $"参数 '{parameter}' 的")}类型是 {csharpType}，语言中没有对应的类型；请使用 " +
            $"bool、long、decimal、string、DateOnly、DateTimeOffset、TimeSpan 或它们的 IReadOnlyList<T>。");

    /// <param name="takenBy">What already has the name: "a built-in function", "the tag …", "another function in …".</param>
    public static DiagnosticMessage NameTaken(string function, (string English, string Chinese) takenBy) => new(s_nameTaken,
        $"The custom function {function}() cannot be called from the language: the name is {takenBy.English}. Rename the method.",
        $"自定义函数 {function}() 无法在语言中调用：该名称已被{takenBy.Chinese}占用。请重命名该方法。");

    public static DiagnosticMessage NoFunctions() => new(s_noFunctions,
        "This file declares no public static method, so it adds no function to the language.",
        "此文件没有声明 public static 方法，因此没有为语言增加任何函数。");

    public static DiagnosticMessage Misplaced() => new(s_misplaced,
        "A custom function file belongs directly in the folder functions/ at the top of the workspace; this one is not loaded.",
        "自定义函数文件必须直接放在工作区顶层的 functions/ 文件夹中；此文件不会被加载。");

    /// <summary>After an evaluation: calls that did not return (a spent budget or an exception) left those users' values null.</summary>
    /// <param name="reason">The first failure's reason, as the sandbox or the C# exception says it (English).</param>
    public static DiagnosticMessage FailedForUsers(string function, int users, string firstUser, string reason) => new(s_failedForUsers,
        $"{function}() failed for {users:N0} user(s), whose value is null; first: user {firstUser}: {reason}.",
        $"{function}() 对 {users:N0} 个用户执行失败，其值为空；第一个：用户 {firstUser}：{reason}。");

    public static DiagnosticMessage TooLarge(int characters, int limit) => new(s_tooLarge,
        $"This function file has {characters:N0} characters; a function file may have at most {limit:N0}.",
        $"此函数文件有 {characters:N0} 个字符；函数文件最多 {limit:N0} 个字符。");
}
