using System.Text;

namespace MarketingDsl.Runtime.Tests;

/// <summary>Lines of a generated JSON Lines file as one request body's items, as the HTTP endpoint hands them to the runtime.</summary>
internal static class RequestBodies
{
    public static List<ReadOnlyMemory<byte>> Items(string[] lines, int from, int to)
    {
        var json = new StringBuilder("[");
        for (var i = from; i < to; i++) json.Append(i > from ? "," : "").Append(lines[i]);
        return RequestItems.Split(Encoding.UTF8.GetBytes(json.Append(']').ToString()), out _)!;
    }
}
