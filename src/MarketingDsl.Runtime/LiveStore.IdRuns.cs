using System.Buffers.Binary;
using LiteDB;

namespace MarketingDsl.Runtime;

/// <summary>
/// Event ids older than the exact window of the dedupe directory (LiveStore.Events.cs). Every
/// id is deduplicated for ever, across users (type + id), but memory must not grow by ≈ 30 bytes
/// per stored event: once the window holds <c>recentIds</c> × 1.5 ids, the oldest ids beyond
/// <c>recentIds</c> leave it as one run, written between two groups (<see cref="ArchiveOlderIds"/>):
/// their (hash, sequence number) pairs sorted by hash, in `id_runs` documents of up to
/// <see cref="PairsPerRunDocument"/> pairs (16 bytes each, one sequential write). Memory keeps
/// per id 2 bytes of a Bloom filter (<see cref="OlderIdFilter"/>) and per run document its first
/// hash. A lookup that the filter answers "maybe" (every older duplicate, and about 1 in 2,000
/// new ids) reads one document per run and verifies the pair's event in the log, so nothing is
/// ever taken for a duplicate that is not one. On open the filter is rebuilt from the log (which
/// OpenEvents reads anyway): the events up to the last run's end go to the filter, later ones to
/// the window. A crash before a run's commit leaves its ids in the log and, after the restart,
/// in the window again.
/// </summary>
public sealed partial class LiveStore
{
    /// <summary>How many of the most recent event ids the directory holds exactly (by default).</summary>
    public const int DefaultRecentIds = 250_000;
    public const int PairsPerRunDocument = 4_096;
    private readonly int _recentIds;

    private ILiteCollection<BsonDocument> IdRuns => _db.GetCollection("id_runs", BsonAutoId.Int64);

    /// <summary>The ids of every event up to this sequence number are in runs (and the filter).</summary>
    private long _archivedThrough;
    /// <summary>Per run: its documents' first hashes, ascending, and their `_id`s.</summary>
    private readonly List<(ulong[] First, long[] Docs)> _runs = [];
    private readonly OlderIdFilter _olderIds;

    private void OpenIdRuns()
    {
        var runs = new SortedDictionary<long, List<(ulong First, long Doc)>>();
        foreach (var doc in IdRuns.Query().Select("{ _id: $._id, through: $.through, first: $.first }").ToEnumerable())
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

    /// <summary>
    /// Outside any transaction, on the thread that writes (the runtime's committer, between groups):
    /// when the exact window holds more than 1.5 × its size, writes the oldest ids beyond its size
    /// as a run in a commit of their own, then keeps only filter bits of them in memory.
    /// <paramref name="keep"/>: archive everything but that many now (tests). Returns how many ids left the window.
    /// </summary>
    public int ArchiveOlderIds(int? keep = null)
    {
        List<(ulong Hash, long Seq)> pairs;
        List<string> overflow;
        int count;
        long through;
        lock (_eventsGate)
        {
            var keepIds = Math.Max(0, keep ?? _recentIds);
            if (_idOrder.Count <= (keep is null ? keepIds + keepIds / 2 : keepIds)) return 0;
            count = _idOrder.Count - keepIds;
            pairs = [.. _idOrder.Take(count)];
            through = pairs[^1].Seq;
            // An id whose hash collided with another's (exact key, expected never) goes with its run too.
            overflow = [.. _idOverflow.Where(o => o.Value <= through).Select(o => o.Key)];
            foreach (var key in overflow) pairs.Add((Fnv1a(key), _idOverflow[key]));
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
                var end = Math.Min(pairs.Count, start + PairsPerRunDocument);
                while (end < pairs.Count && pairs[end].Hash == pairs[end - 1].Hash) end++;
                var bytes = new byte[(end - start) * 16];
                for (var i = start; i < end; i++)
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan((i - start) * 16), pairs[i].Hash);
                    BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan((i - start) * 16 + 8), pairs[i].Seq);
                }
                var id = IdRuns.Insert(new BsonDocument { ["through"] = through, ["first"] = (long)pairs[start].Hash, ["p"] = bytes });
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
        FlushCommitToDisk();
        lock (_eventsGate)
        {
            for (var i = 0; i < count; i++)
            {
                var (hash, _) = _idOrder.Dequeue();
                _idDirectory.Remove(hash);
                _olderIds.Add(hash);
            }
            foreach (var key in overflow)
            {
                _idOverflow.Remove(key);
                _olderIds.Add(Fnv1a(key));
            }
            _runs.Add(([.. first], [.. docs]));
            _archivedThrough = through;
        }
        return count;
    }

    /// <summary>Whether a run holds an event of <paramref name="type"/> with <paramref name="id"/> (hash <paramref name="hash"/>), verified in the log.</summary>
    private bool IsInRuns(ulong hash, string type, string id)
    {
        var candidates = new List<long>();
        lock (_eventsGate)
            foreach (var (first, docs) in _runs)
            {
                var i = Array.BinarySearch(first, hash);
                if (i < 0) i = ~i - 1;
                if (i >= 0) candidates.Add(docs[i]);
            }
        foreach (var docId in candidates)
        {
            if (IdRuns.FindById(docId)?["p"].AsBinary is not { } bytes) continue;
            // Binary search for the first pair with this hash, then every pair with it.
            int lo = 0, hi = bytes.Length / 16;
            while (lo < hi)
            {
                var mid = (lo + hi) / 2;
                if (BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(mid * 16)) < hash) lo = mid + 1;
                else hi = mid;
            }
            for (var i = lo; i < bytes.Length / 16 && BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(i * 16)) == hash; i++)
                if (LoggedAt(BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(i * 16 + 8))) is { } stored && stored.Type == type && stored.Id == id)
                    return true;
        }
        return false;
    }

    /// <summary>How many event ids the directory holds exactly, and how many only as filter bits (their pairs in runs).</summary>
    public (int Recent, long Older) IdDirectorySize { get { lock (_eventsGate) return (_idDirectory.Count, _olderIds.Count); } }
}
