using System.Buffers.Binary;
using LiteDB;

namespace MarketingDsl.Runtime;

/// <summary>
/// Where a key was stored, by sequence number, for keys that must be recognised for ever but
/// should not cost memory for ever: event ids (type + id, the dedupe of ingest) and outbox
/// dedupe keys (LiveStore.Events.cs, LiveStore.Delivery.cs).
///
/// The most recent keys are held exactly: a 64-bit FNV-1a hash → sequence number, ≈ 30 bytes
/// each; a hit is verified by the caller against what is stored at that sequence number, so a
/// hash collision never makes two keys one (colliding keys are kept as strings). Once the window
/// holds 1.5 × <c>recent</c> keys, <see cref="Archive"/> (called between ingest groups, outside
/// any transaction) writes the oldest beyond <c>recent</c> as a run: their (hash, sequence
/// number) pairs sorted by hash, in documents of up to <see cref="PairsPerDocument"/> pairs (16
/// bytes each, one sequential write), in a collection of their own. Memory then keeps 2 bytes
/// per key in a Bloom filter (<see cref="OlderIdFilter"/>) and the first hash of each run
/// document. A key the filter answers "maybe" for (every old key asked again, and about 1 in
/// 2,000 new ones) costs one document read per run and the caller's verification. On open, the
/// owner replays every stored key in sequence order through <see cref="Remember"/>: keys up to
/// the last run's end only set filter bits, later ones fill the window; a crash before a run's
/// commit leaves its keys to the window again.
///
/// Not yet done: runs (and filter generations) are never merged, so a "maybe" costs one document
/// read per run and the false "maybe" rate grows by about 1 in 2,000 per million keys; a store of
/// hundreds of millions of keys needs background compaction, as an LSM tree does.
/// </summary>
internal sealed class KeyDirectory
{
    public const int PairsPerDocument = 4_096;

    private readonly LiteDatabase _db;
    private readonly string _collection;
    private readonly int _recent;
    private readonly Lock _gate = new();
    private readonly Dictionary<ulong, long> _exact = [];
    /// <summary>The entries of <see cref="_exact"/> in the order they came (the oldest go to a run first).</summary>
    private readonly Queue<(ulong Hash, long Seq)> _order = new();
    /// <summary>Keys whose hash collided with another's (exact; expected empty).</summary>
    private readonly Dictionary<string, long> _overflow = new(StringComparer.Ordinal);
    private readonly OlderIdFilter _filter;
    /// <summary>Per run: its documents' first hashes, ascending, and their `_id`s.</summary>
    private readonly List<(ulong[] First, long[] Docs)> _runs = [];
    /// <summary>Every key with a sequence number up to this one is in a run (and the filter).</summary>
    private long _archivedThrough;

    public KeyDirectory(LiteDatabase db, string collection, int recent)
    {
        _db = db;
        _collection = collection;
        _recent = Math.Max(1, recent);
        _filter = new OlderIdFilter(Math.Max(_recent, 1 << 20));
        var runs = new SortedDictionary<long, List<(ulong First, long Doc)>>();
        foreach (var doc in Runs.Query().Select("{ _id: $._id, through: $.through, first: $.first }").ToEnumerable())
        {
            var through = doc["through"].AsInt64;
            if (!runs.TryGetValue(through, out var list)) runs[through] = list = [];
            list.Add(((ulong)doc["first"].AsInt64, doc["_id"].AsInt64));
        }
        foreach (var (through, docs) in runs)
        {
            docs.Sort((a, b) => a.First.CompareTo(b.First));
            _runs.Add(([.. docs.Select(d => d.First)], [.. docs.Select(d => d.Doc)]));
            _archivedThrough = Math.Max(_archivedThrough, through);
        }
    }

    private ILiteCollection<BsonDocument> Runs => _db.GetCollection(_collection, BsonAutoId.Int64);

    public static ulong Hash(string key)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in key)
        {
            hash = (hash ^ (byte)c) * 1099511628211UL;
            hash = (hash ^ (byte)(c >> 8)) * 1099511628211UL;
        }
        return hash;
    }

    /// <summary>How many keys are held exactly, and how many only as filter bits (their pairs in runs).</summary>
    public (int Exact, long Older) Size { get { lock (_gate) return (_exact.Count + _overflow.Count, _filter.Count); } }

    /// <summary>Records a stored key (in sequence order: on open, then after each commit).</summary>
    public void Remember(string key, long seq)
    {
        var hash = Hash(key);
        lock (_gate)
        {
            if (seq <= _archivedThrough) { _filter.Add(hash); return; }
            if (!_exact.TryAdd(hash, seq)) { _overflow.TryAdd(key, seq); return; }
            _order.Enqueue((hash, seq));
        }
    }

    /// <summary>
    /// The sequence number <paramref name="key"/> was stored under, or null. <paramref name="isKeyAt"/>
    /// tells whether what is stored at a sequence number has this key (called outside the lock).
    /// </summary>
    public long? Find(string key, Func<long, bool> isKeyAt)
    {
        var hash = Hash(key);
        bool recent, older;
        long seq;
        lock (_gate)
        {
            if (_overflow.TryGetValue(key, out var exact)) return exact;
            recent = _exact.TryGetValue(hash, out seq);
            older = _filter.MayContain(hash);
        }
        // A hit: this key, or (about once in 2^64 / keys) another with the same hash.
        if (recent && isKeyAt(seq)) return seq;
        return older ? FindInRuns(hash, isKeyAt) : null;
    }

    private long? FindInRuns(ulong hash, Func<long, bool> isKeyAt)
    {
        var candidates = new List<long>();
        lock (_gate)
            foreach (var (first, docs) in _runs)
            {
                var i = Array.BinarySearch(first, hash);
                if (i < 0) i = ~i - 1;
                if (i >= 0) candidates.Add(docs[i]);
            }
        foreach (var docId in candidates)
        {
            if (Runs.FindById(docId)?["p"].AsBinary is not { } bytes) continue;
            var pairs = bytes.Length / 16;
            int lo = 0, hi = pairs;
            while (lo < hi)
            {
                var mid = (lo + hi) / 2;
                if (BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(mid * 16)) < hash) lo = mid + 1;
                else hi = mid;
            }
            for (var i = lo; i < pairs && BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(i * 16)) == hash; i++)
            {
                var seq = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(i * 16 + 8));
                if (isKeyAt(seq)) return seq;
            }
        }
        return null;
    }

    /// <summary>
    /// Outside any transaction, on the thread that writes: when the window holds more than 1.5 ×
    /// its size, writes the oldest keys beyond its size as a run in a commit of its own (then
    /// <paramref name="flush"/>: the commit's fsync), and keeps only filter bits of them.
    /// <paramref name="keep"/>: archive all but that many now (tests). Returns how many keys left the window.
    /// </summary>
    public int Archive(Action flush, int? keep = null)
    {
        List<(ulong Hash, long Seq)> pairs;
        List<string> overflow;
        int count;
        long through;
        lock (_gate)
        {
            var keepKeys = Math.Max(0, keep ?? _recent);
            if (_order.Count <= (keep is null ? keepKeys + keepKeys / 2 : keepKeys)) return 0;
            count = _order.Count - keepKeys;
            pairs = [.. _order.Take(count)];
            through = pairs[^1].Seq;
            // A key whose hash collided with another's goes with its run too.
            overflow = [.. _overflow.Where(o => o.Value <= through).Select(o => o.Key)];
            foreach (var key in overflow) pairs.Add((Hash(key), _overflow[key]));
        }
        pairs.Sort((a, b) => a.Hash != b.Hash ? a.Hash.CompareTo(b.Hash) : a.Seq.CompareTo(b.Seq));
        var first = new List<ulong>();
        var docs = new List<long>();
        _db.BeginTrans();
        try
        {
            for (var start = 0; start < pairs.Count;)
            {
                // Pairs of one hash never split across documents: a lookup reads one document per run.
                var end = Math.Min(pairs.Count, start + PairsPerDocument);
                while (end < pairs.Count && pairs[end].Hash == pairs[end - 1].Hash) end++;
                var bytes = new byte[(end - start) * 16];
                for (var i = start; i < end; i++)
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan((i - start) * 16), pairs[i].Hash);
                    BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan((i - start) * 16 + 8), pairs[i].Seq);
                }
                var id = Runs.Insert(new BsonDocument { ["through"] = through, ["first"] = (long)pairs[start].Hash, ["p"] = bytes });
                first.Add(pairs[start].Hash);
                docs.Add(id.AsInt64);
                start = end;
            }
            _db.Commit();
        }
        catch
        {
            _db.Rollback();
            throw;
        }
        flush();
        lock (_gate)
        {
            for (var i = 0; i < count; i++)
            {
                var (hash, _) = _order.Dequeue();
                _exact.Remove(hash);
                _filter.Add(hash);
            }
            foreach (var key in overflow)
            {
                _overflow.Remove(key);
                _filter.Add(Hash(key));
            }
            _runs.Add(([.. first], [.. docs]));
            _archivedThrough = through;
        }
        return count;
    }
}
