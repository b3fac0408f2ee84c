using System.Text;
using System.Text.Json;

namespace MarketingDsl.Runtime;

/// <summary>
/// The file channel adapter (local use): appends each action as one JSON line (with its dedupe
/// `key`) to `DIR/CHANNEL.jsonl` and flushes it to disk (fsync) before the outbox marks it
/// delivered. Crash-safe without duplicates: an action comes to the adapter again only when its
/// line was written but its delivered mark was not committed (a crash in between), so the adapter
/// remembers the keys of the last <see cref="RecentKeys"/> lines of each file, and the dispatcher
/// never lets more than half that many lines wait for their marks. The first time it touches a
/// channel file it reads the keys of the file's last lines (cutting off a torn last line, which a
/// crash in the middle of an append can leave) and skips any action whose key is there. So an action
/// written just before a crash is confirmed on restart without a second line; the line is on disk
/// before the mark, so the file is never behind the store. Memory and the restart's read stay
/// bounded however long the file grows. One adapter per directory and process, and the files are
/// its own (lines appended by others would push its lines out of the window).
/// </summary>
public sealed class FileChannelAdapter(string directory) : IChannelAdapter
{
    /// <summary>
    /// Keys remembered per channel file: its most recent lines. A delivery round is at most 4,096
    /// actions and the dispatcher waits for marks beyond <c>RecentKeys / 2</c> uncommitted ones.
    /// </summary>
    public const int RecentKeys = 16_384;

    /// <summary>The keys of a file's last lines, oldest first.</summary>
    private sealed class RecentLines
    {
        private readonly HashSet<string> _keys = new(StringComparer.Ordinal);
        private readonly Queue<string> _order = new();

        public int Count => _keys.Count;
        public bool Contains(string key) => _keys.Contains(key);

        public void Add(string key)
        {
            if (!_keys.Add(key)) return;
            _order.Enqueue(key);
            if (_order.Count > RecentKeys) _keys.Remove(_order.Dequeue());
        }
    }

    private readonly Dictionary<string, RecentLines> _written = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    /// <summary>The UTF-8 of the batch being appended (under the lock), kept for the next batch up to <see cref="MaxKeptBuffer"/>.</summary>
    private System.Buffers.ArrayBufferWriter<byte> _text = new();
    private const int MaxKeptBuffer = 1 << 20;

    public string Directory { get; } = Path.GetFullPath(directory);

    public string FileOf(string channel) => Path.Combine(Directory, channel + ".jsonl");

    /// <summary>Tests: how many keys the adapter holds for the channel (0 before it touched the file).</summary>
    internal int RememberedKeys(string channel)
    {
        lock (_gate) return _written.TryGetValue(channel, out var keys) ? keys.Count : 0;
    }

    public Task<DeliveryOutcome> DeliverAsync(OutboxEntry item, int attempt, CancellationToken cancellation)
    {
        try
        {
            Append(item.Channel, item.Key, item.Line);
            return Task.FromResult(DeliveryOutcome.Delivered);
        }
        catch (IOException ex) { return Task.FromResult(DeliveryOutcome.Retry("file: " + ex.Message)); }
        catch (UnauthorizedAccessException ex) { return Task.FromResult(DeliveryOutcome.Retry("file: " + ex.Message)); }
    }

    /// <summary>Appends the line unless its key is already in the channel's file; true when written now.</summary>
    public bool Append(string channel, string key, string line) => AppendAll(channel, [(key, line)]) == 1;

    /// <summary>
    /// Appends, in order, the lines whose keys are not among the channel file's recent lines, with
    /// one write and one flush to disk for all of them (a delivery round's batch); returns how many
    /// were written now. When the write fails, the keys are read again from the file next time
    /// (cutting a torn line), so a partly written batch is neither lost nor doubled.
    /// </summary>
    public int AppendAll(string channel, IReadOnlyList<(string Key, string Line)> items)
    {
        lock (_gate)
        {
            var keys = KeysOf(channel);
            var added = new List<string>();
            var inBatch = new HashSet<string>(StringComparer.Ordinal);
            // The batch is encoded once, straight into the buffer it is written from.
            var text = _text;
            text.ResetWrittenCount();
            foreach (var (key, line) in items)
            {
                if (keys.Contains(key) || !inBatch.Add(key)) continue;
                added.Add(key);
                text.Advance(Encoding.UTF8.GetBytes(line, text.GetSpan(Encoding.UTF8.GetMaxByteCount(line.Length) + 1)));
                text.GetSpan(1)[0] = (byte)'\n';
                text.Advance(1);
            }
            if (added.Count == 0) return 0;
            try
            {
                System.IO.Directory.CreateDirectory(Directory);
                using var stream = new FileStream(FileOf(channel), FileMode.Append, FileAccess.Write, FileShare.Read);
                stream.Write(text.WrittenSpan);
                stream.Flush(flushToDisk: true);
            }
            catch
            {
                _written.Remove(channel);
                throw;
            }
            finally
            {
                // A large batch's buffer is not kept.
                if (text.Capacity > MaxKeptBuffer) _text = new System.Buffers.ArrayBufferWriter<byte>();
            }
            foreach (var key in added) keys.Add(key);
            return added.Count;
        }
    }

    private RecentLines KeysOf(string channel)
    {
        if (_written.TryGetValue(channel, out var keys)) return keys;
        keys = new RecentLines();
        var path = FileOf(channel);
        if (File.Exists(path))
            foreach (var line in LastLines(path, RecentKeys))
            {
                try
                {
                    using var doc = JsonDocument.Parse(line);
                    if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("key", out var k)
                        && k.ValueKind == JsonValueKind.String)
                        keys.Add(k.GetString()!);
                }
                catch (JsonException) { }   // a line written by someone else: not ours to judge
            }
        _written[channel] = keys;
        return keys;
    }

    /// <summary>
    /// The file's last <paramref name="count"/> complete lines, oldest first, read backwards from
    /// the end in chunks; a torn last line (no newline after it) is cut off the file first.
    /// </summary>
    internal static List<string> LastLines(string path, int count)
    {
        const int Chunk = 1 << 20;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        var length = stream.Length;
        var chunks = new List<byte[]>();
        var position = length;
        var newlines = 0;
        while (position > 0 && newlines <= count)
        {
            var n = (int)Math.Min(Chunk, position);
            position -= n;
            var chunk = new byte[n];
            stream.Position = position;
            stream.ReadExactly(chunk);
            chunks.Add(chunk);
            newlines += chunk.AsSpan().Count((byte)'\n');
        }
        chunks.Reverse();
        var tail = new byte[length - position];   // the file from `position` on
        var at = 0;
        foreach (var chunk in chunks)
        {
            chunk.CopyTo(tail, at);
            at += chunk.Length;
        }
        var end = Array.LastIndexOf(tail, (byte)'\n') + 1;
        if (position + end < length)
        {
            // A torn append (crash mid-write): drop the partial line; its action is still pending and is written again.
            stream.SetLength(position + end);
            stream.Flush(flushToDisk: true);
        }
        // Not at the file's start: the first bytes may be the end of an older line.
        var start = position > 0 ? Array.IndexOf(tail, (byte)'\n') + 1 : 0;
        var lines = start < end ? Encoding.UTF8.GetString(tail, start, end - start).Split('\n') : [];
        var complete = lines.Where(l => l.Length > 0).ToList();
        return complete.Count <= count ? complete : complete[^count..];
    }
}
