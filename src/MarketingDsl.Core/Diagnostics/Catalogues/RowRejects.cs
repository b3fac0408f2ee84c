using MarketingDsl.Core.Diagnostics;

namespace MarketingDsl.Core.Diagnostics.Catalogues;

/// <summary>
/// MD95xx: the row rules of data (Data README "One rule set for import and live"), the reasons a profile or event row
/// is rejected by the import (rejects.jsonl, the import report) and by the live runtime (the per-item answer of
/// <c>POST /api/events</c> and <c>/api/profiles</c>). One factory per distinct problem, so both give the same code;
/// each returns a <see cref="RowReject"/> carrying the field at fault as data. Values are passed as written
/// (quoted by the caller as its format shows them). A problem only one side can meet (a CSV record, a duplicate
/// profile in a file, a live profile sent for a merged user) still has its code here.
/// </summary>
[DiagnosticCatalogue("data")]
public static class RowRejects
{
    private const string UnicodeEnglish = "(an invalid UTF-8 byte or a lone surrogate escape)";
    private const string UnicodeChinese = "（含无效的 UTF-8 字节或孤立的代理项转义）";

    // ---------------------------------------------------------------- the row's text and structure

    private static readonly DiagnosticDescriptor s_notAnObject = new("MD9501", DiagnosticSeverity.Error, "Row is not a JSON object");
    public static RowReject NotAnObject() => new(new(s_notAnObject, "not a JSON object", "不是 JSON 对象"));

    private static readonly DiagnosticDescriptor s_malformedJson = new("MD9502", DiagnosticSeverity.Error, "Malformed JSON");
    /// <param name="detail">The JSON reader's own description of the fault (English).</param>
    public static RowReject MalformedJson(string detail) => new(new(s_malformedJson, $"malformed JSON: {detail}", $"JSON 格式错误：{detail}"));

    private static readonly DiagnosticDescriptor s_trailingContent = new("MD9503", DiagnosticSeverity.Error, "Content after the JSON object");
    public static RowReject TrailingContent() => new(new(s_trailingContent, "trailing content after the JSON object",
        "JSON 对象之后还有多余的内容"));

    private static readonly DiagnosticDescriptor s_propertyTwice = new("MD9504", DiagnosticSeverity.Error, "Property named twice");
    /// <param name="path">Where the object is in the row: empty for the row itself, else its path (<c>extra.items[0]</c>).</param>
    public static RowReject PropertyTwice(string name, string path) => new(new(s_propertyTwice,
        $"{Where(path)}the property '{name}' appears twice", $"{WhereZh(path)}属性 '{name}' 出现了两次"),
        path.Length == 0 ? name : $"{path}.{name}");

    private static readonly DiagnosticDescriptor s_notUnicode = new("MD9505", DiagnosticSeverity.Error, "Text is not valid Unicode");
    /// <param name="path">The string's path in the row (a field); null when the reader cannot tell where (a CSV record,
    /// a string the import's JSON reader failed to decode).</param>
    /// <param name="propertyName">A property name at <paramref name="path"/> is at fault, not a string value.</param>
    public static RowReject NotUnicode(string? path, bool propertyName) => new(propertyName
        ? new(s_notUnicode, $"{Where(path ?? "")}a property name is not valid Unicode {UnicodeEnglish}",
            $"{WhereZh(path ?? "")}属性名不是有效的 Unicode 文本{UnicodeChinese}")
        : path is null
            ? new(s_notUnicode, $"the row holds text that is not valid Unicode {UnicodeEnglish}",
                $"该行含有不是有效 Unicode 的文本{UnicodeChinese}")
            : new(s_notUnicode, $"{Where(path)}the string is not valid Unicode {UnicodeEnglish}",
                $"{WhereZh(path)}字符串不是有效的 Unicode 文本{UnicodeChinese}"),
        string.IsNullOrEmpty(path) ? null : path);

    private static readonly DiagnosticDescriptor s_csvBadQuoting = new("MD9506", DiagnosticSeverity.Error, "Malformed CSV quoting");
    public static RowReject CsvBadQuoting() => new(new(s_csvBadQuoting, "malformed CSV: bad quoting", "CSV 格式错误：引号使用不当"));

    private static readonly DiagnosticDescriptor s_csvQuoteNotClosed = new("MD9507", DiagnosticSeverity.Error, "CSV quoted cell not closed");
    public static RowReject CsvQuoteNotClosed(int maxLines) => new(new(s_csvQuoteNotClosed,
        $"malformed CSV: a quoted cell opened on this line is not closed within {maxLines} lines",
        $"CSV 格式错误：本行开始的带引号单元格在 {maxLines} 行之内没有结束"));

    private static readonly DiagnosticDescriptor s_csvCellCount = new("MD9508", DiagnosticSeverity.Error, "CSV record has the wrong number of cells");
    public static RowReject CsvCellCount(int expected, int got) => new(new(s_csvCellCount, $"expected {expected} cells, got {got}",
        $"应有 {expected} 个单元格，实际为 {got} 个"));

    // ---------------------------------------------------------------- the row against the schema

    private static readonly DiagnosticDescriptor s_missingType = new("MD9510", DiagnosticSeverity.Error, "Event without a type");
    public static RowReject MissingType() => new(new(s_missingType, "missing 'type'", "缺少 'type'"), "type");

    private static readonly DiagnosticDescriptor s_typeNotString = new("MD9511", DiagnosticSeverity.Error, "Event type is not a string");
    /// <param name="got">What was found, as <see cref="WrongType"/> names it (<c>a number</c>).</param>
    public static RowReject TypeNotString(string got) => new(new(s_typeNotString, $"type must be a string, got {got}",
        $"type 必须是字符串，实际为{KindZh(got)}"), "type");

    private static readonly DiagnosticDescriptor s_unknownEventType = new("MD9512", DiagnosticSeverity.Error, "Unknown event type");
    public static RowReject UnknownEventType(string name) => new(new(s_unknownEventType, $"unknown event type '{name}'",
        $"未知的事件类型 '{name}'"), "type");

    private static readonly DiagnosticDescriptor s_unknownField = new("MD9513", DiagnosticSeverity.Error, "Field not in the schema");
    /// <param name="eventType">The event's type; null for a profile.</param>
    public static RowReject UnknownField(string name, string? eventType) => new(eventType is null
        ? new(s_unknownField, $"unknown profile field '{name}'", $"未知的用户档案字段 '{name}'")
        : new(s_unknownField, $"unknown field '{name}' for event '{eventType}'", $"事件 '{eventType}' 没有字段 '{name}'"), name);

    // ---------------------------------------------------------------- required values

    private static readonly DiagnosticDescriptor s_missingRequired = new("MD9520", DiagnosticSeverity.Error, "Required value missing");
    /// <param name="field">An event's <c>user_id</c> or <c>ts</c>, or the profile's key field: missing, null or empty.</param>
    public static RowReject MissingRequired(string field) => new(new(s_missingRequired, $"missing {field}", $"缺少 {field}"), field);

    private static readonly DiagnosticDescriptor s_invalidTimestamp = new("MD9521", DiagnosticSeverity.Error, "Event time is not a valid instant");
    /// <param name="written">The ts as written (quoted by the caller).</param>
    public static RowReject InvalidTimestamp(string written) => new(new(s_invalidTimestamp, $"invalid ts {written}",
        $"ts {written} 不是有效的时间（ISO 8601，例如 2025-06-01T10:00:00Z）"), "ts");

    // ---------------------------------------------------------------- values

    private static readonly DiagnosticDescriptor s_wrongType = new("MD9530", DiagnosticSeverity.Error, "Value of the wrong type");
    /// <param name="expected">The type the field takes (<c>int</c>, <c>list&lt;string&gt;</c>).</param>
    /// <param name="got">What was found: a JSON kind (<c>a string</c>, <c>an object</c>) or a column's value type.</param>
    public static RowReject WrongType(string field, string expected, string got) => new(new(s_wrongType,
        $"field '{field}': expected {expected}, got {got}", $"字段 '{field}'：应为 {expected}，实际为{KindZh(got)}"), field);

    private static readonly DiagnosticDescriptor s_invalidValue = new("MD9531", DiagnosticSeverity.Error, "Value is not valid for its type");
    /// <param name="written">The value as written (quoted by the caller).</param>
    public static RowReject InvalidValue(string field, string written, string type) => new(new(s_invalidValue,
        $"field '{field}': {written} is not a valid {type}", $"字段 '{field}'：{written} 不是有效的 {type}"), field);

    private static readonly DiagnosticDescriptor s_listTooLong = new("MD9532", DiagnosticSeverity.Error, "List too long");
    /// <param name="got">The list's length when the reader knows it, else null (it stopped at the limit).</param>
    public static RowReject ListTooLong(string field, int max, long? got) => new(new(s_listTooLong,
        $"field '{field}': a list holds at most {max:N0} items" + (got is { } n ? $", got {n:N0}" : ""),
        $"字段 '{field}'：列表最多 {max:N0} 项" + (got is { } m ? $"，实际为 {m:N0} 项" : "")), field);

    private static readonly DiagnosticDescriptor s_listItemInvalid = new("MD9533", DiagnosticSeverity.Error, "List item is not valid");
    /// <param name="item">The item's 1-based position.</param>
    public static RowReject ListItemInvalid(string field, int item, string written, string type) => new(new(s_listItemInvalid,
        $"field '{field}': item {item}: {written} is not a valid {type}",
        $"字段 '{field}'：第 {item} 项 {written} 不是有效的 {type}"), field);

    private static readonly DiagnosticDescriptor s_listEscape = new("MD9534", DiagnosticSeverity.Error, "Bad escape in a list cell");
    public static RowReject ListEscape(string field, string cell) => new(new(s_listEscape,
        $"field '{field}': '{cell}': a backslash must escape '|' or '\\' (write \\| or \\\\)",
        $"字段 '{field}'：'{cell}'：反斜杠只能转义 '|' 或 '\\'（写作 \\| 或 \\\\）"), field);

    // ---------------------------------------------------------------- the row among other rows, the clock, the store

    private static readonly DiagnosticDescriptor s_duplicateProfile = new("MD9540", DiagnosticSeverity.Error, "Profile key given twice");
    public static RowReject DuplicateProfile(string keyField, string id, string firstFile, int firstLine) => new(new(s_duplicateProfile,
        $"duplicate {keyField} '{id}' (first at {firstFile}:{firstLine})",
        $"{keyField} '{id}' 重复（首次出现在 {firstFile}:{firstLine}，以首次为准）"), keyField);

    private static readonly DiagnosticDescriptor s_futureEvent = new("MD9541", DiagnosticSeverity.Error, "Event time in the future");
    /// <param name="ts">The event's instant (ISO 8601).</param>
    /// <param name="limit">The latest instant accepted: the reader's wall clock plus the allowed skew (ISO 8601).</param>
    public static RowReject FutureEvent(string ts, string limit) => new(new(s_futureEvent,
        $"ts {ts} is in the future: events later than {limit} (the wall clock plus the allowed skew) are not accepted",
        $"ts {ts} 在未来：晚于 {limit}（当前时钟加上允许的偏差）的事件不被接受"), "ts");

    private static readonly DiagnosticDescriptor s_eventTooLarge = new("MD9542", DiagnosticSeverity.Error, "Event too large");
    public static RowReject EventTooLarge(int maxBytes) => new(new(s_eventTooLarge,
        $"the event is larger than {maxBytes:N0} bytes, the largest one event may be",
        $"事件大于 {maxBytes:N0} 字节，超过了单个事件的上限"));

    private static readonly DiagnosticDescriptor s_profileMerged = new("MD9543", DiagnosticSeverity.Error, "Profile of a merged user");
    /// <param name="into">The user it was merged into by an identity value.</param>
    public static RowReject ProfileMerged(string user, string into) => new(new(s_profileMerged,
        $"user '{user}' was merged into '{into}' by an identity value: send the profile of '{into}'",
        $"用户 '{user}' 已通过身份标识值合并到 '{into}'：请发送 '{into}' 的用户档案"));

    private static string Where(string path) => path.Length == 0 ? "" : $"'{path}': ";
    private static string WhereZh(string path) => path.Length == 0 ? "" : $"'{path}'：";

    /// <summary>A JSON kind as the English messages name it (<c>a number</c>), in Chinese; a column's type name stays as it is.</summary>
    private static string KindZh(string got) => got switch
    {
        "a string" => "字符串",
        "a number" => "数字",
        "a boolean" => "布尔值",
        "an object" => "对象",
        "an array" => "数组",
        "null" => " null",
        _ => " " + got,
    };
}
