using System.Globalization;
using System.Text;
using System.Text.Json;

namespace MarketingDsl.Engine.Data;

/// <summary>
/// Puts a JSON Lines event file in time order (by each line's `ts`, ties in line order), as real
/// exports are, for `mdsl generate-data --order time` and the load benchmark. An external merge
/// sort: runs of at most <c>runLines</c> lines are sorted in memory and written next to the file,
/// then merged, so a file larger than memory can be ordered. A line without a readable `ts` keeps
/// its place before every timed line (the importer reports it as it would anyway).
/// </summary>
public static class EventFileOrder
{
    public static void SortByTime(string path, int runLines = 1_000_000)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(runLines);
        var utf8 = new UTF8Encoding(false);
        var runs = new List<string>();
        try
        {
            using (var reader = new StreamReader(path, utf8))
            {
                var batch = new List<(long Ts, long Line, string Text)>();
                long line = 0;
                while (reader.ReadLine() is { } text)
                {
                    if (text.Length == 0) continue;
                    batch.Add((TsOf(text), line++, text));
                    if (batch.Count == runLines) runs.Add(WriteRun(path, runs.Count, batch, utf8));
                }
                if (batch.Count > 0 || runs.Count == 0) runs.Add(WriteRun(path, runs.Count, batch, utf8));
            }
            Merge(runs, path + ".sorted", utf8);
            File.Move(path + ".sorted", path, overwrite: true);
        }
        finally
        {
            foreach (var run in runs) File.Delete(run);
        }
    }

    private static string WriteRun(string path, int index, List<(long Ts, long Line, string Text)> batch, Encoding utf8)
    {
        batch.Sort((a, b) => a.Ts != b.Ts ? a.Ts.CompareTo(b.Ts) : a.Line.CompareTo(b.Line));
        var run = $"{path}.run{index}";
        using (var writer = new StreamWriter(run, false, utf8, 1 << 20) { NewLine = "\n" })
            foreach (var (ts, line, text) in batch) writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{ts} {line} {text}"));
        batch.Clear();
        return run;
    }

    private static void Merge(List<string> runs, string target, Encoding utf8)
    {
        var readers = runs.Select(r => new StreamReader(r, utf8)).ToList();
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

    /// <summary>The line's `ts` in UTC ticks; long.MinValue when it has none that reads as an instant.</summary>
    private static long TsOf(string line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("ts", out var ts)
                && ts.ValueKind == JsonValueKind.String
                && DateTimeOffset.TryParse(ts.GetString(), CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
                return t.UtcTicks;
        }
        catch (JsonException) { }
        return long.MinValue;
    }
}
