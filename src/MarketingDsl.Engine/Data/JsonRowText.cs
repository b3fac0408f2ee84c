using System.Text.Json;

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
    /// <summary>Null when the element keeps the rules, else the reason (a path into the row for nested values).</summary>
    public static string? Problem(JsonElement element) => Problem(element, "");

    private static string? Problem(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return ValidText(element) ? null : $"{Where(path)}the string is not valid Unicode (an invalid UTF-8 byte or a lone surrogate escape)";
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
                        return $"{Where(path)}a property name is not valid Unicode (an invalid UTF-8 byte or a lone surrogate escape)";
                    }
                    if (!(seen ??= new HashSet<string>(StringComparer.Ordinal)).Add(name))
                        return $"{Where(path)}the property '{name}' appears twice";
                    if (Problem(property.Value, path.Length == 0 ? name : $"{path}.{name}") is { } p) return p;
                }
                return null;
            default:
                return null;
        }
    }

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

    private static string Where(string path) => path.Length == 0 ? "" : $"'{path}': ";
}
