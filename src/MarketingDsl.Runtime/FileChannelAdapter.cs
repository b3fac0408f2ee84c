using System.Text;
using System.Text.Json;

namespace MarketingDsl.Runtime;

/// <summary>
/// The file channel adapter (local use): appends each action as one JSON line (with its dedupe
/// `key`) to `DIR/CHANNEL.jsonl` and flushes it to disk (fsync) before the outbox marks it
/// delivered. Crash-safe without duplicates: the first time it touches a channel file it reads the
/// keys already written (cutting off a torn last line, which a crash in the middle of an append can
/// leave) and skips any action whose key is already there. So an action written just before a
/// crash, whose `delivered` mark was not yet committed, is confirmed on restart without a second
/// line; the line is on disk before the mark, so the file is never behind the store.
/// One adapter per directory and process (the key sets live in memory).
/// </summary>
public sealed class FileChannelAdapter(string directory) : IChannelAdapter
{
    private readonly Dictionary<string, HashSet<string>> _written = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public string Directory { get; } = Path.GetFullPath(directory);

    public string FileOf(string channel) => Path.Combine(Directory, channel + ".jsonl");

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
    /// Appends, in order, the lines whose keys are not yet in the channel's file, with one write
    /// and one flush to disk for all of them (a delivery round's batch); returns how many were
    /// written now. When the write fails, the key set is read again from the file next time
    /// (cutting a torn line), so a partly written batch is neither lost nor doubled.
    /// </summary>
    public int AppendAll(string channel, IReadOnlyList<(string Key, string Line)> items)
    {
        lock (_gate)
        {
            var keys = KeysOf(channel);
            var text = new StringBuilder();
            var added = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (key, line) in items)
            {
                if (keys.Contains(key) || !added.Add(key)) continue;
                text.Append(line).Append('\n');
            }
            if (added.Count == 0) return 0;
            try
            {
                System.IO.Directory.CreateDirectory(Directory);
                using var stream = new FileStream(FileOf(channel), FileMode.Append, FileAccess.Write, FileShare.Read);
                stream.Write(Encoding.UTF8.GetBytes(text.ToString()));
                stream.Flush(flushToDisk: true);
            }
            catch
            {
                _written.Remove(channel);
                throw;
            }
            keys.UnionWith(added);
            return added.Count;
        }
    }

    private HashSet<string> KeysOf(string channel)
    {
        if (_written.TryGetValue(channel, out var keys)) return keys;
        keys = new HashSet<string>(StringComparer.Ordinal);
        var path = FileOf(channel);
        if (File.Exists(path))
        {
            var bytes = File.ReadAllBytes(path);
            var end = Array.LastIndexOf(bytes, (byte)'\n') + 1;
            if (end < bytes.Length)
            {
                // A torn append (crash mid-write): drop the partial line; its action is still pending and is written again.
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.Read);
                stream.SetLength(end);
                stream.Flush(flushToDisk: true);
            }
            foreach (var line in Encoding.UTF8.GetString(bytes, 0, end).Split('\n'))
            {
                if (line.Length == 0) continue;
                try
                {
                    using var doc = JsonDocument.Parse(line);
                    if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("key", out var k) && k.ValueKind == JsonValueKind.String)
                        keys.Add(k.GetString()!);
                }
                catch (JsonException) { }   // a line written by someone else: not ours to judge
            }
        }
        _written[channel] = keys;
        return keys;
    }
}
