using System.Runtime.CompilerServices;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MarketingDsl.Engine.Data;

/// <summary>Kind of a scanned top-level JSON value.</summary>
internal enum ScannedKind : byte { String, Number, True, False, Null }

/// <summary>One top-level member of a scanned line: key and value as byte ranges of the line.</summary>
internal struct ScannedField
{
    public int KeyStart, KeyLength, ValueStart, ValueLength;
    public ScannedKind Kind;
    /// <summary>A string with bytes ≥ 0x80 (still to be validated as UTF-8), or a number with a fraction or an exponent.</summary>
    public bool NonAscii, Fraction, Exponent;
}

/// <summary>
/// The fast path of a JSON Lines row: one pass over the UTF-8 bytes that accepts only a flat
/// object whose keys and strings have no escapes and whose values are strings, numbers, true,
/// false or null. Everything else (escapes, nested values, malformed text, more than the field
/// buffer) answers false and the row goes to the general <see cref="System.Text.Json.Utf8JsonReader"/>
/// path, which owns every reject reason; so this scanner never changes what a row means, it only
/// makes the common row cheap.
/// </summary>
internal static class JsonLineScanner
{
    public const int MaxFields = 32;

    /// <summary>1 for the bytes that end the plain ASCII run of a string: quote, backslash, control characters, non-ASCII.</summary>
    private static ReadOnlySpan<byte> StringSpecial =>
    [
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    ];

    /// <summary>True for a key that is exactly <c>type</c> (the event type's member).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static bool IsTypeKey(ReadOnlySpan<byte> key) =>
        key.Length == 4 && System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(key) == 0x65707974u;   // "type"

    /// <summary>Scans a whole line; false when it is not in the fast-path subset (validated strictly: a true answer is well-formed JSON).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool TryScan(ReadOnlySpan<byte> line, Span<ScannedField> fields, out int count)
    {
        count = 0;
        var i = SkipWhitespace(line, 0);
        if (i >= line.Length || line[i] != '{') return false;
        i = SkipWhitespace(line, i + 1);
        if (i < line.Length && line[i] == '}') return AtEnd(line, i + 1);
        while (true)
        {
            if (count == fields.Length) return false;
            ref var f = ref fields[count++];
            if (i >= line.Length || line[i] != '"') return false;
            var keyEnd = ScanString(line, i + 1, out var keyNonAscii);
            if (keyEnd < 0 || keyNonAscii) return false;
            f.KeyStart = i + 1;
            f.KeyLength = keyEnd - (i + 1);
            i = SkipWhitespace(line, keyEnd + 1);
            if (i >= line.Length || line[i] != ':') return false;
            i = SkipWhitespace(line, i + 1);
            if (i >= line.Length) return false;
            f.NonAscii = f.Fraction = f.Exponent = false;
            var c = line[i];
            int end;
            if (c == '"')
            {
                end = ScanString(line, i + 1, out f.NonAscii);
                if (end < 0) return false;
                f.Kind = ScannedKind.String;
                f.ValueStart = i + 1;
                f.ValueLength = end - (i + 1);
                end++;
            }
            else if (c == '-' || (uint)(c - '0') <= 9)
            {
                end = ScanNumber(line, i, out f.Fraction, out f.Exponent);
                if (end < 0) return false;
                f.Kind = ScannedKind.Number;
                f.ValueStart = i;
                f.ValueLength = end - i;
            }
            else if (line[i..].StartsWith("true"u8)) { f.Kind = ScannedKind.True; f.ValueStart = i; f.ValueLength = 4; end = i + 4; }
            else if (line[i..].StartsWith("false"u8)) { f.Kind = ScannedKind.False; f.ValueStart = i; f.ValueLength = 5; end = i + 5; }
            else if (line[i..].StartsWith("null"u8)) { f.Kind = ScannedKind.Null; f.ValueStart = i; f.ValueLength = 4; end = i + 4; }
            else return false;
            i = SkipWhitespace(line, end);
            if (i >= line.Length) return false;
            if (line[i] == ',')
            {
                i = SkipWhitespace(line, i + 1);
                continue;
            }
            return line[i] == '}' && AtEnd(line, i + 1);
        }
    }

    private static bool AtEnd(ReadOnlySpan<byte> line, int i) => SkipWhitespace(line, i) == line.Length;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static int SkipWhitespace(ReadOnlySpan<byte> s, int i)
    {
        // Generated and exported lines have no whitespace between tokens: one compare.
        while ((uint)i < (uint)s.Length && s[i] <= ' ' && s[i] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') i++;
        return i;
    }

    /// <summary>Index of the closing quote, or -1 for an escape, a control character or no closing quote.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int ScanString(ReadOnlySpan<byte> s, int i, out bool nonAscii)
    {
        nonAscii = false;
        // 16 bytes at a time while they fit (timestamps, ids, skus are 8 to 25 bytes), then a table
        // lookup per byte for the tail of the line.
        if (Vector128.IsHardwareAccelerated)
        {
            ref var start = ref MemoryMarshal.GetReference(s);
            var quote = Vector128.Create((byte)'"');
            var backslash = Vector128.Create((byte)'\\');
            var printableFrom = Vector128.Create((byte)0x20);
            var printableCount = Vector128.Create((byte)0x60);
            while (i <= s.Length - Vector128<byte>.Count)
            {
                var v = Vector128.LoadUnsafe(ref start, (nuint)i);
                // Bytes outside 0x20..0x7F (control characters, non-ASCII) wrap to >= 0x60 here.
                var special = Vector128.Equals(v, quote) | Vector128.Equals(v, backslash)
                    | Vector128.GreaterThanOrEqual(v - printableFrom, printableCount);
                var mask = special.ExtractMostSignificantBits();
                if (mask == 0)
                {
                    i += Vector128<byte>.Count;
                    continue;
                }
                i += BitOperations.TrailingZeroCount(mask);
                var b = s[i];
                if (b == '"') return i;
                if (b < 0x80) return -1;   // a backslash or a control character
                nonAscii = true;
                i++;
            }
        }
        // The last bytes of the line: a table lookup per byte.
        var table = StringSpecial;
        for (; (uint)i < (uint)s.Length; i++)
        {
            var b = s[i];
            if (table[b] == 0) continue;
            if (b == '"') return i;
            if (b < 0x80) return -1;   // a backslash or a control character
            nonAscii = true;
        }
        return -1;
    }

    /// <summary>End of a JSON number (<c>-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?</c>) starting at i, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int ScanNumber(ReadOnlySpan<byte> s, int i, out bool fraction, out bool exponent)
    {
        fraction = exponent = false;
        if (s[i] == '-') i++;
        if (i >= s.Length) return -1;
        if (s[i] == '0') i++;
        else if ((uint)(s[i] - '1') <= 8) i = Digits(s, i);
        else return -1;
        if (i < s.Length && s[i] == '.')
        {
            fraction = true;
            var start = ++i;
            i = Digits(s, i);
            if (i == start) return -1;
        }
        if (i < s.Length && (s[i] | 0x20) == 'e')
        {
            exponent = true;
            i++;
            if (i < s.Length && s[i] is (byte)'+' or (byte)'-') i++;
            var start = i;
            i = Digits(s, i);
            if (i == start) return -1;
        }
        return i;
    }

    private static int Digits(ReadOnlySpan<byte> s, int i)
    {
        while (i < s.Length && (uint)(s[i] - '0') <= 9) i++;
        return i;
    }
}
