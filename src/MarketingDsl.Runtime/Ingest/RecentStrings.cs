using System.Text;

namespace MarketingDsl.Runtime;

/// <summary>
/// The string values the live runtime read lately, found again by their text: a value that repeats (a category, a
/// channel, a sku, a city) comes back as the same string object. The users the runtime caches then share one copy of
/// it instead of holding one per event, and a value found here makes no new string: fewer objects for the collector
/// to promote when a user is loaded, which is what a gen-0 pause costs. Direct-mapped and bounded (a slot keeps the
/// value that came to it last) and safe for the request threads without a lock, as a slot is one reference written
/// whole. Not the importer's <c>StringPool</c>: that one keeps the first values up to a cap, for one import on one
/// thread; this one serves every thread for the server's lifetime, so it must forget and never grow.
/// </summary>
internal sealed class RecentStrings
{
    /// <summary>Longer values are made as they are: they rarely repeat, and comparing them costs more.</summary>
    public const int MaxBytes = 64;
    private const int Slots = 4096;
    private readonly string?[] _slots = new string?[Slots];
    /// <summary>Per slot, whether its value was read again since it came: held by more than the row it was made for.</summary>
    private readonly bool[] _reread = new bool[Slots];

    /// <summary>The string of valid UTF-8 bytes: the one made last for the same text, or a new one.</summary>
    public string Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > MaxBytes) return Encoding.UTF8.GetString(utf8);
        Span<char> buffer = stackalloc char[MaxBytes];
        var text = buffer[..Encoding.UTF8.GetChars(utf8, buffer)];
        var slot = string.GetHashCode(text) & (Slots - 1);
        if (Volatile.Read(ref _slots[slot]) is { } known && text.SequenceEqual(known))
        {
            if (!_reread[slot]) _reread[slot] = true;   // written once: the request threads read this line on every value
            return known;
        }
        var made = new string(text);
        _reread[slot] = false;
        Volatile.Write(ref _slots[slot], made);
        return made;
    }

    /// <summary>
    /// Whether <paramref name="value"/> is a value read again since it was made, so rows share it: the cache's estimate
    /// counts it once (for the row it was made for), not per row. A value that never repeats (an order id) is not shared.
    /// </summary>
    public bool IsShared(string value)
    {
        if (value.Length > MaxBytes) return false;
        var slot = string.GetHashCode(value.AsSpan()) & (Slots - 1);
        return ReferenceEquals(Volatile.Read(ref _slots[slot]), value) && _reread[slot];
    }
}
