using System.Text.Json;
using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Core.Diagnostics.Catalogues;

namespace MarketingDsl.Engine.Data;

/// <summary>
/// The text rules of one JSON row that a parser lets through but a row must not break: every
/// property name and string is valid Unicode (no invalid UTF-8 byte, no lone surrogate escape such
/// as <c>\ud800</c>: System.Text.Json parses both and throws only when the text is read), and no
/// object names a property twice (last-wins would let a row change its user silently). The live
/// runtime checks each item of a batch by these rules before anything else (its UTF-8 row reader
/// proves most items clean and asks this class for the reason of the others), so one bad item is
/// one rejection; the batch import's JSON reader applies the same rules per line (DataImporter.Json.cs).
/// </summary>
public static class JsonRowText
{
    /// <summary>Null when the row keeps the rules, else the reject (MD9504, MD9505; a path into the row for nested values).</summary>
    public static RowReject? Problem(JsonElement element) => Problem(element, "");

    /// <summary>The rules for a value at <paramref name="path"/> in its row (a field's name, <c>skus[2]</c>; empty: the row).</summary>
    public static RowReject? Problem(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return ValidText(element) ? null : RowRejects.NotUnicode(path, propertyName: false);
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                    if (Problem(item, $"{path}[{i++}]") is { } p) return p;
                return null;
            case JsonValueKind.Object:
                HashSet<string>? seen = null;
                foreach (var property in element.EnumerateObject())
                {
                    string name;
                    try { name = property.Name; }
                    catch (InvalidOperationException)
                    {
                        return RowRejects.NotUnicode(path, propertyName: true);
                    }
                    if (!(seen ??= new HashSet<string>(StringComparer.Ordinal)).Add(name))
                        return RowRejects.PropertyTwice(name, path);
                    if (Problem(property.Value, path.Length == 0 ? name : $"{path}.{name}") is { } p) return p;
                }
                return null;
            default:
                return null;
        }
    }

    /// <summary>A JSON kind as the row rules name what they found (<c>a string</c>, <c>an object</c>; RowRejects.WrongType).</summary>
    public static string KindName(JsonTokenType kind) => kind switch
    {
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.Null => "null",
        _ => kind.ToString(),
    };

    /// <inheritdoc cref="KindName(JsonTokenType)"/>
    public static string KindName(JsonValueKind kind) => KindName(kind switch
    {
        JsonValueKind.String => JsonTokenType.String,
        JsonValueKind.Number => JsonTokenType.Number,
        JsonValueKind.True => JsonTokenType.True,
        JsonValueKind.False => JsonTokenType.False,
        JsonValueKind.Object => JsonTokenType.StartObject,
        JsonValueKind.Array => JsonTokenType.StartArray,
        _ => JsonTokenType.Null,
    });

    private static bool ValidText(JsonElement element)
    {
        try
        {
            _ = element.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
