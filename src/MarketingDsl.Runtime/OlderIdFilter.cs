namespace MarketingDsl.Runtime;

/// <summary>
/// A Bloom filter of the event ids that left the store's exact window (LiveStore.Events.cs):
/// 16 bits and 11 probes per id, so about 1 in 2,000 ids never stored answers "maybe" (and is then
/// checked against the stored events) and an id once added always answers "maybe". It grows by
/// generations of <c>generationSize</c> ids (each a fixed bit array, 2 bytes per id); a lookup
/// probes every generation, so the false "maybe" rate grows by that rate per generation.
/// </summary>
internal sealed class OlderIdFilter(int generationSize)
{
    private const int BitsPerId = 16;
    private const int Probes = 11;
    private readonly int _generationSize = Math.Max(64, generationSize);
    private readonly List<ulong[]> _generations = [];
    private int _inLast;

    /// <summary>How many ids were added.</summary>
    public long Count { get; private set; }

    /// <summary>Bytes held by the bit arrays.</summary>
    public long Bytes => _generations.Sum(g => (long)g.Length * 8);

    public void Add(ulong hash)
    {
        if (_generations.Count == 0 || _inLast >= _generationSize)
        {
            _generations.Add(new ulong[(long)_generationSize * BitsPerId / 64]);
            _inLast = 0;
        }
        var bits = _generations[^1];
        var (h1, h2) = Split(hash);
        var m = (ulong)bits.Length * 64;
        for (var i = 0; i < Probes; i++)
        {
            var bit = (h1 + (ulong)i * h2) % m;
            bits[bit >> 6] |= 1UL << (int)(bit & 63);
        }
        _inLast++;
        Count++;
    }

    public bool MayContain(ulong hash)
    {
        var (h1, h2) = Split(hash);
        foreach (var bits in _generations)
        {
            var m = (ulong)bits.Length * 64;
            var all = true;
            for (var i = 0; i < Probes && all; i++)
            {
                var bit = (h1 + (ulong)i * h2) % m;
                all = (bits[bit >> 6] & (1UL << (int)(bit & 63))) != 0;
            }
            if (all) return true;
        }
        return false;
    }

    // Two probe hashes from the 64-bit id hash, remixed (SplitMix64's finaliser): FNV-1a's low
    // bits are weak for the modulo of double hashing.
    private static (ulong, ulong) Split(ulong hash)
    {
        var z = hash + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z & 0xFFFFFFFFUL, (z >> 32) | 1UL);
    }
}
