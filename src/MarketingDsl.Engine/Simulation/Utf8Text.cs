using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace MarketingDsl.Engine.Simulation;

/// <summary>
/// A growable UTF-8 buffer rented from the shared array pool: rows of tags.csv are formatted
/// straight into bytes (numbers by their UTF-8 formatters), never into a string per cell. Its methods run
/// once per cell: the small ones are inlined into their callers (optimized from their first call), the
/// growing of the buffer kept out of line.
/// </summary>
internal sealed class Utf8Text(int capacity) : IDisposable
{
    private byte[] _bytes = ArrayPool<byte>.Shared.Rent(Math.Max(capacity, 256));

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Written => _bytes.AsSpan(0, Length);

    public void Clear() => Length = 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Utf8Text Append(byte b)
    {
        if (Length == _bytes.Length) Grow(1);
        _bytes[Length++] = b;
        return this;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Utf8Text Append(ReadOnlySpan<byte> utf8)
    {
        utf8.CopyTo(Free(utf8.Length));
        Length += utf8.Length;
        return this;
    }

    /// <summary>Appends text as UTF-8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public Utf8Text Append(string text)
    {
        Length += Encoding.UTF8.GetBytes(text, Free(Encoding.UTF8.GetMaxByteCount(text.Length)));
        return this;
    }

    /// <summary>Appends an integer as its invariant-culture text (<c>ToString()</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Utf8Text Append(long value)
    {
        if ((ulong)value < 10) return Append((byte)('0' + value));
        Utf8Formatter.TryFormat(value, Free(MaxInt64Bytes), out var written);
        Length += written;
        return this;
    }

    /// <inheritdoc cref="Append(long)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Utf8Text Append(ulong value)
    {
        if (value < 10) return Append((byte)('0' + value));
        Utf8Formatter.TryFormat(value, Free(MaxInt64Bytes), out var written);
        Length += written;
        return this;
    }

    // "-9223372036854775808" and "18446744073709551615".
    private const int MaxInt64Bytes = 20;

    /// <summary>Appends a value as its invariant-culture text in <paramref name="format"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public Utf8Text Append<T>(T value, string? format = null) where T : IUtf8SpanFormattable
    {
        for (var room = 32; ; room *= 2)
            if (value.TryFormat(Free(room), out var written, format, CultureInfo.InvariantCulture))
            {
                Length += written;
                return this;
            }
    }

    /// <summary>Appends 0–9999 as exactly four digits (leading zeros).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Utf8Text AppendFourDigits(int value)
    {
        var digits = Free(4);
        for (var i = 3; i >= 0; i--, value /= 10) digits[i] = (byte)('0' + value % 10);
        Length += 4;
        return this;
    }

    /// <summary>At least <paramref name="bytes"/> free bytes after <see cref="Length"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Span<byte> Free(int bytes)
    {
        if (_bytes.Length - Length < bytes) Grow(bytes);
        return _bytes.AsSpan(Length);
    }

    // Rare (a block's buffer is sized for its rows): out of line, so that the per-cell methods stay small enough to inline.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow(int bytes)
    {
        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_bytes.Length * 2, Length + bytes));
        _bytes.AsSpan(0, Length).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_bytes);
        _bytes = larger;
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_bytes);
        _bytes = [];
        Length = 0;
    }
}
