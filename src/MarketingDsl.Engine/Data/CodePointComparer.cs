using System.Runtime.CompilerServices;

namespace MarketingDsl.Engine.Data;

/// <summary>
/// Orders strings by Unicode code point (= UTF-8 byte order). Differs from
/// <see cref="string.CompareOrdinal(string, string)"/> (UTF-16 code unit order) only when a
/// supplementary character (a surrogate pair) meets a BMP character in U+E000..U+FFFF.
/// Null sorts first.
/// </summary>
public sealed class CodePointComparer : IComparer<string?>
{
    public static readonly CodePointComparer Instance = new();

    private CodePointComparer() { }

    // Optimized from the first call: an import sorts every user id with it (3.5M comparisons at 200,000 users) within a
    // one-shot run's first second, before tiering would replace the unoptimized code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x is null) return -1;
        if (y is null) return 1;
        return CompareSpans(x.AsSpan(), y.AsSpan());
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int CompareSpans(ReadOnlySpan<char> x, ReadOnlySpan<char> y)
    {
        var common = x.CommonPrefixLength(y);
        if (common == x.Length || common == y.Length) return x.Length.CompareTo(y.Length);
        return Fix(x[common]).CompareTo(Fix(y[common]));
    }

    // Surrogates (D800-DFFF) encode code points >= 0x10000: move them above E000-FFFF.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Fix(char c) => c >= 0xE000 ? c - 0x800 : c >= 0xD800 ? c + 0x2000 : c;
}
