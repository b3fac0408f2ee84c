using System.Runtime.CompilerServices;

namespace MarketingDsl.Engine.Data;

/// <summary>
/// Large arrays whose pages are written when they are made. The collector gives a large array memory it knows to be zero and
/// does not write it. A read of such a page before its first write (a hash table's probe, or a background
/// collection marking an array of references while workers fill it) has the kernel map its shared zero page there; the first
/// write then copies the page and interrupts the other cores to flush their TLBs. Writing the zeros at once gives every page
/// its own frame first (a snapshot's load at 200,000 users: 7.6 % of a fresh `mdsl simulate`'s CPU in those interrupts, 1.2 %
/// after, and 0.1 s less). The clearing is a pass of its own: the JSON import's columns, filled as they are made, showed no
/// gain from it and do without.
/// </summary>
internal static class WrittenArrays
{
    // The collector's large-object threshold: smaller arrays come from memory it has already cleared.
    private const int LargeObjectBytes = 85_000;

    public static T[] New<T>(int length)
    {
        var array = new T[length];
        if ((long)length * Unsafe.SizeOf<T>() >= LargeObjectBytes) array.AsSpan().Clear();
        return array;
    }
}
