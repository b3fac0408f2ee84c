using System.Text.Json;

namespace MarketingDsl.Runtime;

/// <summary>
/// The items of an ingest request's body, a JSON array, as slices of its UTF-8 bytes: the whole
/// body is checked by System.Text.Json's reader with JsonDocument's settings (so a body is
/// refused exactly when a document parse would refuse it), and each item is kept as the bytes it
/// came as (validated, then stored as they are) rather than as a tree.
/// </summary>
public static class RequestItems
{
    /// <summary>
    /// The items of <paramref name="body"/>; null with <paramref name="error"/> when the body is not
    /// JSON (the reader's message) or not an array. A leading UTF-8 byte order mark is skipped, as
    /// JsonDocument.ParseAsync skips it.
    /// </summary>
    public static List<ReadOnlyMemory<byte>>? Split(ReadOnlyMemory<byte> body, out string? error) => Split(body, int.MaxValue, out error, out _);

    /// <summary>
    /// <see cref="Split(ReadOnlyMemory{byte}, out string?)"/> with at most <paramref name="maxItems"/>
    /// items: at the first item past it the body is refused (<paramref name="tooMany"/>), the rest unread.
    /// </summary>
    public static List<ReadOnlyMemory<byte>>? Split(ReadOnlyMemory<byte> body, int maxItems, out string? error, out bool tooMany)
    {
        error = null;
        tooMany = false;
        if (body.Span.StartsWith("\uFEFF"u8)) body = body[3..];
        var items = new List<ReadOnlyMemory<byte>>();
        try
        {
            var reader = new Utf8JsonReader(body.Span);
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartArray)
            {
                // The rest must still be JSON for "not an array" to be the answer.
                reader.Skip();
                while (reader.Read()) { }
                error = "the body must be a JSON array";
                return null;
            }
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (items.Count == maxItems)
                {
                    tooMany = true;
                    error = TooManyItems(maxItems);
                    return null;
                }
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                items.Add(body[start..(int)reader.BytesConsumed]);
            }
            while (reader.Read()) { }   // trailing content throws
            return items;
        }
        catch (JsonException ex)
        {
            error = "the body is not JSON: " + ex.Message;
            return null;
        }
    }

    /// <summary>The answer to a request of more than <paramref name="maxItems"/> items.</summary>
    public static string TooManyItems(int maxItems) =>
        $"the request holds more than {maxItems.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} items, the most one " +
        "request may hold; nothing of it was stored: send the items in requests of at most that many";

    /// <summary>The items of a parsed array (callers that hold a document: tests and tools).</summary>
    public static List<ReadOnlyMemory<byte>> Of(JsonElement array)
    {
        if (array.ValueKind != JsonValueKind.Array) throw new FormatException("the body must be a JSON array");
        return Split(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(array).ToArray(), out _)!;
    }
}
