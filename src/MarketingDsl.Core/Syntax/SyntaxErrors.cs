using MarketingDsl.Core.Diagnostics;

namespace MarketingDsl.Core.Syntax;

/// <summary>MD1xxx: the text is not a well-formed MarketingDsl file. One factory per code; see <see cref="DiagnosticMessage"/>.</summary>
[DiagnosticCatalogue("syntax")]
public static class SyntaxErrors
{
    private static readonly DiagnosticDescriptor s_unexpectedInput = new("MD1000", DiagnosticSeverity.Error, "Unexpected input");
    private static readonly DiagnosticDescriptor s_badCharacter = new("MD1001", DiagnosticSeverity.Error, "Character not allowed here");
    private static readonly DiagnosticDescriptor s_unterminatedString = new("MD1002", DiagnosticSeverity.Error, "String not closed");
    private static readonly DiagnosticDescriptor s_tooDeep = new("MD1003", DiagnosticSeverity.Error, "Nesting too deep");
    private static readonly DiagnosticDescriptor s_wholeNumberTooLarge = new("MD1004", DiagnosticSeverity.Error, "Number out of range");
    private static readonly DiagnosticDescriptor s_badEscape = new("MD1005", DiagnosticSeverity.Error, "Unknown escape in a string");
    private static readonly DiagnosticDescriptor s_badDate = new("MD1006", DiagnosticSeverity.Error, "Not a valid date");
    private static readonly DiagnosticDescriptor s_badTimeOfDay = new("MD1007", DiagnosticSeverity.Error, "Not a valid time of day");
    private static readonly DiagnosticDescriptor s_durationTooLong = new("MD1008", DiagnosticSeverity.Error, "Duration too long");
    private static readonly DiagnosticDescriptor s_badPercent = new("MD1009", DiagnosticSeverity.Error, "Not a valid percentage");
    private static readonly DiagnosticDescriptor s_missingToken = new("MD1010", DiagnosticSeverity.Error, "Something is missing");
    private static readonly DiagnosticDescriptor s_fileTooLarge = new("MD1011", DiagnosticSeverity.Error, "File too large");
    private static readonly DiagnosticDescriptor s_elseWithoutBlock = new("MD1012", DiagnosticSeverity.Error, "else without a block or if");
    private static readonly DiagnosticDescriptor s_decimalOutOfRange = new("MD1013", DiagnosticSeverity.Error, "Decimal number out of range");
    private static readonly DiagnosticDescriptor s_badDateTime = new("MD1014", DiagnosticSeverity.Error, "Not a valid date and time");
    private static readonly DiagnosticDescriptor s_unclosedBracket = new("MD1050", DiagnosticSeverity.Error, "Bracket never closed");

    /// <param name="found">What the parser met, from <see cref="TokenDisplay"/> (in both languages).</param>
    /// <param name="expected">What would have fitted, or null when too many things would.</param>
    public static DiagnosticMessage UnexpectedInput(TokenText found, TokenText? expected) => found == TokenDisplay.EndOfFile
        ? new(s_unexpectedInput,
            expected is null
                ? "The file ends before this declaration is complete."
                : $"The file ends before this declaration is complete; expected {expected.English}.",
            expected is null ? "文件在声明完成之前结束。" : $"文件在声明完成之前结束；应为{expected.Chinese}。")
        : new(s_unexpectedInput,
            expected is null ? $"Unexpected {found.English}." : $"Unexpected {found.English}; expected {expected.English}.",
            expected is null ? $"这里不应出现{found.Chinese}。" : $"这里不应出现{found.Chinese}；应为{expected.Chinese}。");

    /// <summary>A bracket left open on an earlier line: reported at the bracket, not where the parser gave up.</summary>
    public static DiagnosticMessage UnclosedBracket(string open, string close, TokenText found, int foundLine) => new(s_unclosedBracket,
        $"This '{open}' is never closed: expected '{close}' before {found.English} on line {foundLine}.",
        $"这个 '{open}' 没有闭合：在第 {foundLine} 行的{found.Chinese}之前应有 '{close}'。");

    public static DiagnosticMessage MissingToken(TokenText found, TokenText? expected) => new(s_missingToken,
        $"Expected {expected?.English ?? "something else"} before {found.English}.",
        $"在{found.Chinese}之前缺少{expected?.Chinese ?? "内容"}。");

    public static DiagnosticMessage BadCharacter(string character) => new(s_badCharacter,
        $"The character '{character}' is not allowed here.",
        $"这里不允许使用字符 '{character}'。");

    public static DiagnosticMessage UnterminatedString() => new(s_unterminatedString,
        "This text has no closing quote (\") on its line.",
        "这段文本在本行没有结束引号（\"）。");

    /// <param name="tokens">True when found in the tokens (brackets, operators) before parsing; false for the parsed expression.</param>
    public static DiagnosticMessage TooDeep(int maxDepth, bool tokens) => tokens
        ? new(s_tooDeep,
            $"Brackets or operators are nested more than {maxDepth} levels deep here; split the rule into smaller tags.",
            $"这里的括号或运算符嵌套超过 {maxDepth} 层；请把规则拆成更小的标签。")
        : new(s_tooDeep,
            $"This expression is nested more than {maxDepth} levels deep; split it into smaller tags.",
            $"这个表达式嵌套超过 {maxDepth} 层；请把它拆成更小的标签。");

    public static DiagnosticMessage WholeNumberTooLarge(string written) => new(s_wholeNumberTooLarge,
        $"The number {written} is too large; whole numbers go up to {long.MaxValue}.",
        $"数字 {written} 太大；整数最大为 {long.MaxValue}。");

    public static DiagnosticMessage DecimalOutOfRange(string written) => new(s_decimalOutOfRange,
        $"The number {written} is too large or too precise.",
        $"数字 {written} 太大或小数位太多。");

    public static DiagnosticMessage BadEscape(char escape) => new(s_badEscape,
        $"\\{escape} is not an escape; use \\\" \\\\ \\n \\t or \\uXXXX.",
        $"\\{escape} 不是转义序列；请使用 \\\" \\\\ \\n \\t 或 \\uXXXX。");

    public static DiagnosticMessage BadDate(string written) => new(s_badDate,
        $"{written} is not a calendar date (write year-month-day, e.g. 2025-06-01).",
        $"{written} 不是有效的日期（请写成 年-月-日，例如 2025-06-01）。");

    public static DiagnosticMessage BadDateTime(string written) => new(s_badDateTime,
        $"{written} is not a valid date and time (e.g. 2025-06-01T10:00:00Z).",
        $"{written} 不是有效的日期时间（例如 2025-06-01T10:00:00Z）。");

    public static DiagnosticMessage BadTimeOfDay(string written) => new(s_badTimeOfDay,
        $"{written} is not a time of day (00:00 to 24:00).",
        $"{written} 不是一天中的时间（00:00 到 24:00）。");

    public static DiagnosticMessage DurationTooLong(string written) => new(s_durationTooLong,
        $"The duration {written} is too long.",
        $"时长 {written} 太长。");

    public static DiagnosticMessage BadPercent(string written) => new(s_badPercent,
        $"{written} is not a percentage between 0% and 100%.",
        $"{written} 不是 0% 到 100% 之间的百分比。");

    public static DiagnosticMessage FileTooLarge(long megabytes, long maxMegabytes) => new(s_fileTooLarge,
        $"This file is {megabytes} MB; a workspace file may be at most {maxMegabytes} MB.",
        $"这个文件有 {megabytes} MB；工作区文件最大为 {maxMegabytes} MB。");

    public static DiagnosticMessage ElseWithoutBlock() => new(s_elseWithoutBlock,
        "After `else` write `{ … }` or `if …`.",
        "`else` 之后请写 `{ … }` 或 `if …`。");
}

/// <summary>A token or place in a syntax message, as a marketer reads it in each UI language.</summary>
public sealed record TokenText(string English, string Chinese);
