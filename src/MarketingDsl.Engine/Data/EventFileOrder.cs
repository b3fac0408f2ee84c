using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace MarketingDsl.Engine.Data;

/// <summary>How <see cref="RetailDataGenerator.Generate(string, int, int, int, DateTime?, double, EventOrder)"/> orders events.jsonl.</summary>
public enum EventOrder
{
    /// <summary>Each user's events together, users one after another (as generated).</summary>
    User,
    /// <summary>By ts, as real exports are; ties in generation order.</summary>
    Time,
}

/// <summary>
/// Puts a JSON Lines event file in time order (by each line's `ts`, ties in line order), as real
/// exports are, for a file already written in another order (the load benchmark, tests; `mdsl
/// generate-data` sorts as it writes, <see cref="TimeOrderedEventFile"/>). An external merge
/// sort: runs of at most <c>runLines</c> lines are sorted in memory and written next to the file,
/// then merged, so a file larger than memory can be ordered. A line without a readable `ts` keeps
/// its place before every timed line (the importer reports it as it would anyway).
/// <para>Disk: the runs are compressed (JSON lines shrink several times) and the merge writes over the
/// file itself once every line is in a run, so the disk holds at most the file plus its compressed
/// runs, not three copies of it (an 18 GB history would otherwise need 55 GB free).</para>
/// </summary>
public static class EventFileOrder
{
    public static void SortByTime(string path, int runLines = 1_000_000)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(runLines);
        var utf8 = new UTF8Encoding(false);
        var runs = new List<string>();
        Task? writing = null;
        try
        {
            using (var reader = new StreamReader(path, utf8))
            {
                var batch = new List<string>();
                long line = 0, batchFirstLine = 0;
                // A run is keyed, sorted and written on another thread while the next batch is read.
                void Hand()
                {
                    writing?.GetAwaiter().GetResult();
                    var (lines, first, run) = (batch, batchFirstLine, $"{path}.run{runs.Count}.gz");
                    runs.Add(run);
                    writing = Task.Run(() => WriteRun(run, lines, first, utf8));
                    batch = [];
                    batchFirstLine = line;
                }
                while (reader.ReadLine() is { } text)
                {
                    if (text.Length == 0) continue;
                    batch.Add(text);
                    line++;
                    if (batch.Count == runLines) Hand();
                }
                if (batch.Count > 0 || runs.Count == 0) Hand();
                writing?.GetAwaiter().GetResult();
                writing = null;
            }
            // Every line is in a run now: the merge writes the file over (truncating it first frees its blocks).
            Merge(runs, path, utf8);
        }
        finally
        {
            try { writing?.Wait(); }
            catch (AggregateException) { }   // the first failure is the one already thrown
            foreach (var run in runs) File.Delete(run);
        }
    }

    private static void WriteRun(string run, List<string> batch, long firstLine, Encoding utf8)
    {
        var keys = new long[batch.Count];
        var order = new int[batch.Count];
        for (var i = 0; i < keys.Length; i++) (keys[i], order[i]) = (TsOf(batch[i]), i);
        // Ties in line order: the index breaks them, so an unstable sort is stable here.
        Array.Sort(order, (a, b) => keys[a] != keys[b] ? keys[a].CompareTo(keys[b]) : a.CompareTo(b));
        using var writer = new StreamWriter(new GZipStream(new FileStream(run, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16),
            CompressionLevel.Fastest), utf8, 1 << 20) { NewLine = "\n" };
        foreach (var i in order) writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{keys[i]} {firstLine + i} {batch[i]}"));
    }

    private static void Merge(List<string> runs, string target, Encoding utf8)
    {
        var readers = runs.Select(r => new StreamReader(new GZipStream(new FileStream(r, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16),
            CompressionMode.Decompress), utf8, false, 1 << 16)).ToList();
        try
        {
            var queue = new PriorityQueue<(int Run, string Text), (long Ts, long Line)>();
            void Next(int r)
            {
                if (readers[r].ReadLine() is not { } record) return;
                var a = record.IndexOf(' ');
                var b = record.IndexOf(' ', a + 1);
                queue.Enqueue((r, record[(b + 1)..]), (long.Parse(record.AsSpan(0, a), CultureInfo.InvariantCulture),
                    long.Parse(record.AsSpan(a + 1, b - a - 1), CultureInfo.InvariantCulture)));
            }
            for (var r = 0; r < readers.Count; r++) Next(r);
            using var writer = new StreamWriter(target, false, utf8, 1 << 20) { NewLine = "\n" };
            while (queue.TryDequeue(out var item, out _))
            {
                writer.WriteLine(item.Text);
                Next(item.Run);
            }
        }
        finally
        {
            foreach (var reader in readers) reader.Dispose();
        }
    }

    /// <summary>
    /// The line's `ts` in UTC ticks; long.MinValue when it has none that reads as an instant (or the
    /// line is not a JSON object). A streaming read, no document: the last top-level `ts` counts, as
    /// for a parsed object.
    /// </summary>
    private static long TsOf(string line)
    {
        var bytes = System.Buffers.ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(line.Length));
        try
        {
            var reader = new Utf8JsonReader(bytes.AsSpan(0, Encoding.UTF8.GetBytes(line, bytes)));
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return long.MinValue;
            var ticks = long.MinValue;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isTs = reader.ValueTextEquals("ts"u8);
                reader.Read();
                if (isTs)
                    ticks = reader.TokenType == JsonTokenType.String && DateTimeOffset.TryParse(reader.GetString(), CultureInfo.InvariantCulture,
                        DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) ? t.UtcTicks : long.MinValue;
                reader.Skip();
            }
            // The whole line must be one valid JSON value, as a parse would require.
            return reader.TokenType == JsonTokenType.EndObject && !reader.Read() ? ticks : long.MinValue;
        }
        catch (JsonException) { return long.MinValue; }
        finally { System.Buffers.ArrayPool<byte>.Shared.Return(bytes); }
    }
}

/// <summary>
/// Writes event lines in time order as they are generated, in bounded memory: each line goes, with the
/// second its `ts` shows, to the bucket of its time range (a file beside the target); at the end each
/// bucket is read, sorted by (second, arrival) and appended, so the file is the one
/// <see cref="EventFileOrder.SortByTime"/> makes of the lines in arrival order, without parsing them back.
/// A distribution sort: one pass over the disk, memory about one bucket (the ranges are chosen for
/// <c>bucketBytes</c> from the expected size), time per line independent of the size of the history.
/// </summary>
internal sealed class TimeOrderedEventFile : IDisposable
{
    /// <summary>Bucket files open at once, at most (each keeps a write buffer).</summary>
    private const int MaxBuckets = 1024;

    private readonly string _target;
    private readonly long _firstSecond;
    private readonly long _secondsPerBucket;
    private readonly FileStream?[] _buckets;
    private readonly string[] _bucketPaths;
    private byte[] _scratch = new byte[1024];

    /// <param name="target">The events file to write.</param>
    /// <param name="fromUtc">The earliest instant expected; earlier lines go to the first bucket.</param>
    /// <param name="toUtc">The end of the expected range; later lines go to the last bucket.</param>
    /// <param name="expectedBytes">About how many bytes the lines will take, to size the buckets.</param>
    /// <param name="bucketBytes">About how many bytes one bucket should hold (what is sorted in memory at a time).</param>
    public TimeOrderedEventFile(string target, DateTime fromUtc, DateTime toUtc, long expectedBytes, long bucketBytes = 64L << 20)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bucketBytes);
        _target = target;
        _firstSecond = fromUtc.Ticks / TimeSpan.TicksPerSecond;
        var seconds = Math.Max(1, toUtc.Ticks / TimeSpan.TicksPerSecond - _firstSecond);
        var count = (int)Math.Clamp(expectedBytes / bucketBytes + 1, 1, Math.Min(MaxBuckets, seconds));
        _secondsPerBucket = (seconds + count - 1) / count;
        _buckets = new FileStream?[count];
        _bucketPaths = Enumerable.Range(0, count).Select(i => $"{target}.bucket{i}").ToArray();
    }

    public int BucketCount => _buckets.Length;

    /// <summary>Adds one line (its text without the newline) whose `ts` shows <paramref name="second"/> (UTC ticks / ticks per second).</summary>
    public void Add(long second, ReadOnlySpan<char> line)
    {
        var bucket = (int)Math.Clamp((second - _firstSecond) / _secondsPerBucket, 0, _buckets.Length - 1);
        var stream = _buckets[bucket] ??= new FileStream(_bucketPaths[bucket], FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16);
        var max = 12 + Encoding.UTF8.GetMaxByteCount(line.Length);
        if (_scratch.Length < max) _scratch = new byte[Math.Max(max, _scratch.Length * 2)];
        var length = Encoding.UTF8.GetBytes(line, _scratch.AsSpan(12));
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(_scratch, second);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(_scratch.AsSpan(8), length);
        stream.Write(_scratch, 0, 12 + length);
    }

    /// <summary>Sorts every bucket into the target, in time order, and deletes the buckets.</summary>
    public void Finish()
    {
        using var output = new FileStream(_target, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        var newline = (byte)'\n';
        for (var b = 0; b < _buckets.Length; b++)
        {
            if (_buckets[b] is not { } stream) continue;
            stream.Flush();
            if (stream.Length > Array.MaxLength)
                throw new InvalidOperationException($"a time bucket of {stream.Length:N0} bytes is too large to sort in memory");
            var bytes = new byte[stream.Length];
            stream.Position = 0;
            stream.ReadExactly(bytes);
            stream.Dispose();
            _buckets[b] = null;
            File.Delete(_bucketPaths[b]);
            var offsets = new List<int>();
            var seconds = new List<long>();
            for (var at = 0; at < bytes.Length;)
            {
                offsets.Add(at);
                seconds.Add(System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(at)));
                at += 12 + System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at + 8));
            }
            // Ties in arrival order: the key carries the arrival index below the second.
            var min = seconds.Min();
            var keys = new ulong[seconds.Count];
            var order = new int[seconds.Count];
            var packed = seconds.Max() - min < (1L << 31);
            for (var i = 0; i < keys.Length; i++) (keys[i], order[i]) = (packed ? (ulong)(seconds[i] - min) << 32 | (uint)i : 0, i);
            if (packed) Array.Sort(keys, order);
            else Array.Sort(order, (x, y) => seconds[x] != seconds[y] ? seconds[x].CompareTo(seconds[y]) : x.CompareTo(y));
            foreach (var i in order)
            {
                var at = offsets[i];
                output.Write(bytes, at + 12, System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at + 8)));
                output.WriteByte(newline);
            }
        }
    }

    public void Dispose()
    {
        for (var b = 0; b < _buckets.Length; b++)
        {
            _buckets[b]?.Dispose();
            _buckets[b] = null;
            File.Delete(_bucketPaths[b]);
        }
    }
}
