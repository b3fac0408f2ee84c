using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace MarketingDsl.Engine.Data;

/// <summary>
/// Puts a JSON Lines event file in time order (by each line's `ts`, ties in line order), as real
/// exports are, for `mdsl generate-data --order time` and the load benchmark. An external merge
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
