using System.Text;

namespace MarketingDsl.Runtime;

/// <summary>
/// The file channel adapter: appends each delivered action as one JSON line (with its dedupe
/// `key`) to `DIR/CHANNEL.jsonl` and flushes it to disk before the outbox marks it delivered.
/// At least once: a crash between the append and the mark repeats the line on restart, with the
/// same key, so consumers de-duplicate by `key`.
/// </summary>
public sealed class FileChannelAdapter(string directory)
{
    public string Directory { get; } = Path.GetFullPath(directory);

    public string FileOf(string channel) => Path.Combine(Directory, channel + ".jsonl");

    public void Append(OutboxItem item)
    {
        System.IO.Directory.CreateDirectory(Directory);
        using var stream = new FileStream(FileOf(item.Channel), FileMode.Append, FileAccess.Write, FileShare.Read);
        var bytes = Encoding.UTF8.GetBytes(item.Line + "\n");
        stream.Write(bytes);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>Appends items in order: one write and one flush to disk per channel file.</summary>
    public void AppendAll(IReadOnlyList<OutboxItem> items)
    {
        System.IO.Directory.CreateDirectory(Directory);
        foreach (var channel in items.GroupBy(i => i.Channel, StringComparer.Ordinal))
        {
            var text = new StringBuilder();
            foreach (var item in channel) text.Append(item.Line).Append('\n');
            using var stream = new FileStream(FileOf(channel.Key), FileMode.Append, FileAccess.Write, FileShare.Read);
            stream.Write(Encoding.UTF8.GetBytes(text.ToString()));
            stream.Flush(flushToDisk: true);
        }
    }
}
