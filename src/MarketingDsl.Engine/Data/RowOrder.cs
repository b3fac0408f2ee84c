using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MarketingDsl.Engine.Data;

/// <summary>
/// The order in which a builder's input rows become output rows: output row i is input row
/// <see cref="Perm"/>[i]. For a large permutation that is far from the identity (history exported
/// in time order, where each user's rows are spread over the whole file), a direct gather misses
/// the caches on every value of every column; instead each column moves in two cache-friendly
/// passes: input rows are scattered in input order into buckets of consecutive output rows (a few
/// hundred sequential write streams), then each bucket, small enough for the caches, is gathered
/// into place. The plan of the two passes is computed once per table and shared by its columns.
/// </summary>
internal sealed class RowOrder
{
    /// <summary>Below this many rows the arrays fit the caches and a direct gather is as fast.</summary>
    internal const int PartitionFrom = 1 << 15;
    private const int MinBucketShift = 14, MaxBuckets = 512;
    /// <summary>A permutation that moves no row further than this is gathered directly (<see cref="IsLocal"/>).</summary>
    internal const int LocalWindow = 1 << MinBucketShift;

    private RowOrder(int count, int[]? perm, int[]? bucketSlot, int[]? local, int bucketShift)
    {
        Count = count;
        _perm = perm;
        BucketSlot = bucketSlot;
        Local = local;
        BucketShift = bucketShift;
    }

    private int[]? _perm;

    /// <summary>Output row i from input row Perm[i]. A plan made without it (<see cref="Planned"/>) derives it when first asked
    /// (a list column, or a plan that moves no row far: rare); the gathers of a plan read only its slots.</summary>
    public int[] Perm => _perm ?? LazyInitializer.EnsureInitialized(ref _perm, PermOfPlan);
    public int Count { get; }
    /// <summary>Per input row, its slot in the bucketed scratch (pass 1); null: gather directly through <see cref="Perm"/>.</summary>
    public int[]? BucketSlot { get; }
    /// <summary>Per output row, the scratch slot it comes from (pass 2; in the same bucket).</summary>
    public int[]? Local { get; }
    public int BucketShift { get; }

    /// <summary>Output row i from input row perm[i], gathered directly (perm need not cover every input row).</summary>
    public static RowOrder Direct(int[] perm) => new(perm.Length, perm, null, null, 0);

    /// <summary>The order of a permutation of every input row, with the two-pass plan when it pays (<paramref
    /// name="parallelism"/> threads compute it).</summary>
    public static RowOrder Of(int[] perm, int parallelism = 1)
    {
        var n = perm.Length;
        if (n < PartitionFrom) return Direct(perm);
        parallelism = Math.Clamp(parallelism, 1, n);
        if (IsLocal(perm, parallelism)) return Direct(perm);
        var shift = BucketShiftFor(n);
        // Output row j lies in bucket j >> shift, and every bucket but the last is full, so a
        // bucket's scratch slots are its output rows' range.
        var options = new ParallelOptions { MaxDegreeOfParallelism = parallelism };
        var slot = GC.AllocateUninitializedArray<int>(n);
        Parallel.For(0, parallelism, options, part =>
        {
            int lo = (int)((long)n * part / parallelism), hi = (int)((long)n * (part + 1) / parallelism);
            for (var j = lo; j < hi; j++) slot[perm[j]] = j;
        });
        var buckets = ((n - 1) >> shift) + 1;
        var cursor = new int[buckets];
        for (var b = 0; b < buckets; b++) cursor[b] = b << shift;
        for (var i = 0; i < n; i++) slot[i] = cursor[slot[i] >> shift]++;   // in place: the output row, then its slot
        var local = GC.AllocateUninitializedArray<int>(n);
        Parallel.For(0, parallelism, options, part =>
        {
            int lo = (int)((long)n * part / parallelism), hi = (int)((long)n * (part + 1) / parallelism);
            for (var j = lo; j < hi; j++) local[j] = slot[perm[j]];
        });
        return new RowOrder(n, perm, slot, local, shift);
    }

    /// <summary>
    /// A two-pass plan its caller made itself (a counting sort that knows each row's output row as it places it): input row i
    /// goes to scratch slot <paramref name="bucketSlot"/>[i], output row j comes from slot <paramref name="local"/>[j]; the
    /// slots of bucket b (of 2^<paramref name="shift"/> rows, <see cref="BucketShiftFor"/>) are its output rows' range,
    /// given out in input order. No permutation: writing it would cost a random store per row that no gather reads.
    /// </summary>
    public static RowOrder Planned(int[] bucketSlot, int[] local, int shift) => new(local.Length, null, bucketSlot, local, shift);

    /// <summary>The permutation of a plan: output row j comes from slot local[j], which input row i filled when slot[i] is it.</summary>
    private int[] PermOfPlan()
    {
        var slot = BucketSlot!;
        var perm = GC.AllocateUninitializedArray<int>(Count);
        var inputOfSlot = GC.AllocateUninitializedArray<int>(Count);
        for (var i = 0; i < slot.Length; i++) inputOfSlot[slot[i]] = i;
        var local = Local!;
        for (var j = 0; j < perm.Length; j++) perm[j] = inputOfSlot[local[j]];
        return perm;
    }

    /// <summary>The bucket size of a two-pass plan of n rows (a power of two): at most <see cref="MaxBuckets"/> buckets, none
    /// under 16 K rows.</summary>
    public static int BucketShiftFor(int n) =>
        Math.Max(MinBucketShift, 64 - BitOperations.LeadingZeroCount((ulong)(n - 1)) - BitOperations.Log2(MaxBuckets));

    /// <summary>
    /// True when no output row comes from further than a bucket away: rows grouped by user but not in time order within a
    /// user (a user's history written stream by stream). A direct gather then reads within a small window that the
    /// caches hold, and the two passes would only add work. Time-ordered input fails the test within its first rows.
    /// </summary>
    private static bool IsLocal(int[] perm, int parallelism)
    {
        var n = perm.Length;
        var local = true;
        Parallel.For(0, parallelism, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, (part, state) =>
        {
            int lo = (int)((long)n * part / parallelism), hi = (int)((long)n * (part + 1) / parallelism);
            for (var j = lo; j < hi; j++)
            {
                if (Math.Abs(perm[j] - j) <= LocalWindow) continue;
                local = false;
                state.Stop();
                return;
            }
        });
        return local;
    }

    /// <summary>
    /// Pass 2, in place: <paramref name="dst"/> holds every row at its scratch slot (pass 1 scattered the rows into the output
    /// itself); each bucket, a range of output rows, is copied to a buffer the caches hold and its rows put in output order
    /// (output row j from slot <see cref="Local"/>[j], in the same bucket). So no column needs a scratch as large as itself.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void PlaceInBuckets<T>(Span<T> dst)
    {
        var local = Local!;
        if (local.Length != dst.Length) throw new InvalidOperationException("a partitioned gather moves every row");
        var size = 1 << BucketShift;
        var buffer = ArrayPool<T>.Shared.Rent(size);
        try
        {
            ref var first = ref MemoryMarshal.GetArrayDataReference(buffer);
            for (var lo = 0; lo < dst.Length; lo += size)
            {
                var bucket = dst.Slice(lo, Math.Min(size, dst.Length - lo));
                bucket.CopyTo(buffer);
                var from = local.AsSpan(lo, bucket.Length);
                // Every slot of a bucket lies in its own range of rows (RowOrder's invariant): in the buffer.
                for (var j = 0; j < bucket.Length; j++) bucket[j] = Unsafe.Add(ref first, from[j] - lo);
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(buffer, clearArray: RuntimeHelpers.IsReferenceOrContainsReferences<T>());
        }
    }
}
