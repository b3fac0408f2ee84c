using System.IO.MemoryMappedFiles;

namespace MarketingDsl.LoadBenchmarks;

/// <summary>
/// A JSON Lines file memory-mapped, with the offset of each line: request bodies are cut from the
/// mapped bytes. The harness holds the history this way, not as strings on its heap, so what the
/// runtime itself holds shows in the process's anonymous memory (<see cref="ProcessMemory"/>) at
/// any number of users, and the file is read once (the operating system's cache keeps it).
/// </summary>
public sealed class JsonLines : IDisposable
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    // _starts[i]: the first byte of line i; _starts[Count]: one past the last line's separator.
    private readonly long[] _starts;

    public JsonLines(string path)
    {
        var length = new FileInfo(path).Length;
        var starts = new List<long> { 0 };
        var lastWasNewline = true;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20))
        {
            var buffer = new byte[1 << 20];
            long position = 0;
            int read;
            while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
            {
                for (var i = buffer.AsSpan(0, read).IndexOf((byte)'\n'); i >= 0;)
                {
                    starts.Add(position + i + 1);
                    var next = buffer.AsSpan(i + 1, read - i - 1).IndexOf((byte)'\n');
                    i = next < 0 ? -1 : i + 1 + next;
                }
                lastWasNewline = buffer[read - 1] == (byte)'\n';
                position += read;
            }
        }
        // The last line without a newline ends at the file's end, as if one followed.
        if (!lastWasNewline) starts.Add(length + 1);
        _starts = [.. starts];
        Count = _starts.Length - 1;
        _file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        _view = _file.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
    }

    public int Count { get; }

    /// <summary>Line <paramref name="index"/> as text (without its newline).</summary>
    public string Line(int index) => System.Text.Encoding.UTF8.GetString(Bytes(index, index + 1, 0, 0));

    /// <summary>Lines from..to (exclusive) as one JSON array: the lines' own bytes, commas for their newlines.</summary>
    public byte[] Array(int from, int to)
    {
        var body = Bytes(from, to, 1, 1);
        body[0] = (byte)'[';
        body[^1] = (byte)']';
        body.AsSpan(1, body.Length - 2).Replace((byte)'\n', (byte)',');
        return body;
    }

    private byte[] Bytes(int from, int to, int before, int after)
    {
        var start = _starts[from];
        var length = (int)(_starts[to] - 1 - start);
        var bytes = new byte[before + length + after];
        _view.ReadArray(start, bytes, before, length);
        return bytes;
    }

    public void Dispose()
    {
        _view.Dispose();
        _file.Dispose();
    }
}

/// <summary>A process's memory and CPU as Linux counts them (/proc/PID/status, /proc/PID/stat).</summary>
public static class ProcessMemory
{
    /// <summary>Resident anonymous memory in MB of process <paramref name="pid"/> (default this one): the heaps, SQLite's cache, not mapped
    /// files as <see cref="JsonLines"/>; NaN elsewhere.</summary>
    public static double AnonymousMb(int? pid = null) => StatusKb(pid, "RssAnon:") / 1024.0;

    /// <summary>Resident memory in MB of process <paramref name="pid"/> (VmRSS: the working set); NaN elsewhere.</summary>
    public static double ResidentMb(int? pid = null) => StatusKb(pid, "VmRSS:") / 1024.0;

    private static double StatusKb(int? pid, string field)
    {
        var path = $"/proc/{(pid is { } id ? id.ToString(System.Globalization.CultureInfo.InvariantCulture) : "self")}/status";
        try
        {
            var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
            return line is null ? double.NaN
                : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException) { return double.NaN; }
    }

    /// <summary>The CPU time (user + system) process <paramref name="pid"/> has used, from /proc/PID/stat in clock ticks of 10 ms.</summary>
    public static TimeSpan CpuTime(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid.ToString(System.Globalization.CultureInfo.InvariantCulture)}/stat");
        // The command name in parentheses may hold spaces: the fields after it are counted from its closing parenthesis.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) +
            long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
        return TimeSpan.FromMilliseconds(ticks * 10.0);
    }
}
