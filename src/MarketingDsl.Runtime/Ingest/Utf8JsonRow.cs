using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using MarketingDsl.Engine.Data;

namespace MarketingDsl.Runtime;

/// <summary>
/// One JSON row (an item of an ingest request, or a stored event or profile) read straight from
/// its UTF-8 bytes: its top-level properties indexed by name and raw value, with no document
/// tree. It answers what <see cref="Validation"/> asks of a row with the meaning
/// System.Text.Json's JsonElement gives it (a property found by its unescaped name; GetString,
/// TryGetInt64 and TryGetDecimal over the same bytes; the raw text), so a row means the same
/// whichever way it came.
/// </summary>
/// <remarks>
/// The text rules of <see cref="JsonRowText"/> (valid Unicode in every name and string, no name
/// twice): the reading pass proves most rows clean (unescaped names, each once, strings valid
/// UTF-8, no object below the top). A row it cannot prove clean — a bad string, a repeated or
/// escaped name, a nested object, more properties than a pairwise comparison should handle — is
/// parsed into a document and JsonRowText gives its reason, so there is one rule and one wording.
/// </remarks>
internal ref struct Utf8JsonRow
{
    /// <summary>Rows with more top-level properties are checked for repeated names by JsonRowText (a set) rather than pairwise.</summary>
    private const int PairwiseNames = 24;

    /// <summary>A top-level property: where its name and raw value lie in the row.</summary>
    private struct Property
    {
        public int NameStart, NameLength, ValueStart, ValueLength;
        public bool NameEscaped, ValueEscaped;
        public JsonTokenType Kind;
        /// <summary>The unescaped name of an escaped one (null: not valid Unicode).</summary>
        public string? Unescaped;
    }

    // The index is reused per thread (rows are read on request threads and the committer); a
    // row's index is read only while it is being validated.
    [ThreadStatic] private static Property[]? t_properties;

    private readonly ReadOnlySpan<byte> _utf8;
    private readonly Property[] _properties;
    private bool _proven;

    /// <summary>The token the row starts with (an object's StartObject); None when the bytes are not JSON.</summary>
    public JsonTokenType Root { get; }
    public int Count { get; }

    public Utf8JsonRow(ReadOnlySpan<byte> utf8)
    {
        _utf8 = utf8;
        _properties = t_properties ??= new Property[16];
        _proven = true;
        try
        {
            var reader = new Utf8JsonReader(utf8);
            if (!reader.Read()) return;
            Root = reader.TokenType;
            if (Root != JsonTokenType.StartObject) return;
            var count = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (count == _properties.Length) Array.Resize(ref t_properties, count * 2);
                _properties = t_properties!;
                ref var p = ref _properties[count++];
                p = default;
                p.NameStart = (int)reader.TokenStartIndex + 1;
                p.NameLength = reader.ValueSpan.Length;
                p.NameEscaped = reader.ValueIsEscaped;
                if (p.NameEscaped)
                {
                    _proven = false;
                    p.Unescaped = TryGetString(ref reader);
                }
                else if (!Utf8.IsValid(reader.ValueSpan)) _proven = false;
                reader.Read();
                p.Kind = reader.TokenType;
                p.ValueStart = (int)reader.TokenStartIndex;
                switch (p.Kind)
                {
                    case JsonTokenType.String:
                        p.ValueEscaped = reader.ValueIsEscaped;
                        if (!ValidString(ref reader)) _proven = false;
                        break;
                    case JsonTokenType.StartArray:
                        if (!ReadArray(ref reader)) _proven = false;
                        break;
                    case JsonTokenType.StartObject:
                        _proven = false;
                        reader.Skip();
                        break;
                }
                p.ValueLength = (int)reader.BytesConsumed - p.ValueStart;
            }
            Count = count;
            if (count > PairwiseNames) _proven = false;
            for (var a = 0; a < count && _proven; a++)
                for (var b = a + 1; b < count; b++)
                    if (Name(a).SequenceEqual(Name(b))) { _proven = false; break; }
        }
        catch (JsonException)
        {
            Root = JsonTokenType.None;
            Count = 0;
        }
    }

    /// <summary>Walks an array value; false when a string in it is not valid or an object is inside (the row goes to JsonRowText).</summary>
    private static bool ReadArray(ref Utf8JsonReader reader)
    {
        var depth = reader.CurrentDepth;
        var proven = true;
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.EndArray when reader.CurrentDepth == depth:
                    return proven;
                case JsonTokenType.String:
                    if (!ValidString(ref reader)) proven = false;
                    break;
                case JsonTokenType.StartObject:
                    proven = false;
                    reader.Skip();
                    break;
            }
        }
        return proven;
    }

    /// <summary>Whether the string token is valid Unicode: what JsonElement.GetString does not throw on.</summary>
    private static bool ValidString(ref Utf8JsonReader reader) =>
        reader.ValueIsEscaped ? TryGetString(ref reader) is not null : Utf8.IsValid(reader.ValueSpan);

    private static string? TryGetString(ref Utf8JsonReader reader)
    {
        try { return reader.GetString(); }
        catch (InvalidOperationException) { return null; }
    }

    /// <summary>The row's text problem (JsonRowText's reason), or null.</summary>
    public MarketingDsl.Core.Diagnostics.RowReject? TextProblem()
    {
        if (_proven) return null;
        using var document = JsonDocument.Parse(_utf8.ToArray());
        return JsonRowText.Problem(document.RootElement);
    }

    private readonly ReadOnlySpan<byte> Name(int i) => _utf8.Slice(_properties[i].NameStart, _properties[i].NameLength);

    /// <summary>The property named <paramref name="name"/> (its UTF-8 bytes <paramref name="utf8Name"/>), or -1.</summary>
    public readonly int Find(string name, ReadOnlySpan<byte> utf8Name)
    {
        for (var i = 0; i < Count; i++)
        {
            ref readonly var p = ref _properties[i];
            if (p.NameEscaped ? p.Unescaped == name : Name(i).SequenceEqual(utf8Name)) return i;
        }
        return -1;
    }

    /// <summary>Whether property <paramref name="i"/>'s unescaped name is one of <paramref name="names"/> (each with its UTF-8 bytes).</summary>
    public readonly bool HasName(int i, (string Name, byte[] Utf8)[] names)
    {
        ref readonly var p = ref _properties[i];
        foreach (var (name, utf8) in names)
            if (p.NameEscaped ? p.Unescaped == name : Name(i).SequenceEqual(utf8)) return true;
        return false;
    }

    /// <summary>The name of property <paramref name="i"/> as text.</summary>
    public readonly string NameOf(int i) =>
        _properties[i].NameEscaped ? _properties[i].Unescaped ?? "" : Encoding.UTF8.GetString(Name(i));

    /// <summary>Property <paramref name="i"/>'s value token: String, Number, True, False, Null, StartObject or StartArray.</summary>
    public readonly JsonTokenType Kind(int i) => _properties[i].Kind;

    /// <summary>The value's bytes as written (a string with its quotes and escapes).</summary>
    public readonly ReadOnlySpan<byte> Raw(int i) => _utf8.Slice(_properties[i].ValueStart, _properties[i].ValueLength);

    /// <summary>The value as written (JsonElement.GetRawText).</summary>
    public readonly string RawText(int i) => Encoding.UTF8.GetString(Raw(i));

    /// <summary>A string value, unescaped (JsonElement.GetString); the row's text is known valid by then.</summary>
    public readonly string String(int i)
    {
        var raw = Raw(i);
        if (!_properties[i].ValueEscaped) return Encoding.UTF8.GetString(raw[1..^1]);
        var reader = new Utf8JsonReader(raw);
        reader.Read();
        return reader.GetString()!;
    }

    /// <summary>A string value's bytes when it has no escapes (the text itself), else false.</summary>
    public readonly bool TryUnescapedUtf8(int i, out ReadOnlySpan<byte> text)
    {
        text = _properties[i].ValueEscaped ? default : Raw(i)[1..^1];
        return !_properties[i].ValueEscaped;
    }

    /// <summary>JsonElement.TryGetInt64: the whole number text as a 64-bit integer.</summary>
    public readonly bool TryGetInt64(int i, out long value)
    {
        var raw = Raw(i);
        return Utf8Parser.TryParse(raw, out value, out var consumed) && consumed == raw.Length;
    }

    /// <summary>JsonElement.TryGetDecimal: the whole number text as a decimal.</summary>
    public readonly bool TryGetDecimal(int i, out decimal value)
    {
        var raw = Raw(i);
        return Utf8Parser.TryParse(raw, out value, out var consumed) && consumed == raw.Length;
    }
}
