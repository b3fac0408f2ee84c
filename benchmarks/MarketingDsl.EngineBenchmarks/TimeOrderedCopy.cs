using System.Text;

namespace MarketingDsl.EngineBenchmarks;

/// <summary>
/// The generated history rewritten in time order, as POS, app and order exports write it (the
/// generator writes users one after another): the same rows, stably sorted by their <c>ts</c>
/// text (generated timestamps all have one form, so text order is time order). Memory stays at
/// one day of rows: pass 1 splits the rows into one file per day, pass 2 sorts each day.
/// </summary>
public static class TimeOrderedCopy
{
    public static void Write(string groupedDirectory, string directory)
    {
        if (File.Exists(Path.Combine(directory, "events.jsonl")) && File.Exists(Path.Combine(directory, "profiles.jsonl"))) return;
        var partial = directory + ".partial";
        if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
        var days = Path.Combine(partial, "days");
        Directory.CreateDirectory(days);
        Console.Error.WriteLine($"writing the rows of {groupedDirectory} in time order into {directory} …");
        var utf8 = new UTF8Encoding(false);
        var writers = new SortedDictionary<string, StreamWriter>(StringComparer.Ordinal);
        try
        {
            foreach (var line in File.ReadLines(Path.Combine(groupedDirectory, "events.jsonl")))
            {
                var day = Ts(line) is { Length: >= 10 } ts ? ts[..10] : "";
                if (!writers.TryGetValue(day, out var w))
                    writers[day] = w = new StreamWriter(Path.Combine(days, day.Length == 0 ? "none" : day), false, utf8, 1 << 16);
                w.WriteLine(line);
            }
        }
        finally
        {
            foreach (var w in writers.Values) w.Dispose();
        }
        using (var output = new StreamWriter(Path.Combine(partial, "events.jsonl"), false, utf8, 1 << 20))
            foreach (var day in writers.Keys)
            {
                var rows = File.ReadAllLines(Path.Combine(days, day.Length == 0 ? "none" : day));
                var keys = rows.Select(r => Ts(r) ?? "").ToArray();
                var order = Enumerable.Range(0, rows.Length).ToArray();
                // Stable: rows of equal ts keep their order (each user's rows stay in file order).
                Array.Sort(order, (a, b) => string.CompareOrdinal(keys[a], keys[b]) is var c && c != 0 ? c : a.CompareTo(b));
                foreach (var i in order) output.WriteLine(rows[i]);
            }
        Directory.Delete(days, recursive: true);
        File.Copy(Path.Combine(groupedDirectory, "profiles.jsonl"), Path.Combine(partial, "profiles.jsonl"));
        Directory.Move(partial, directory);
    }

    private static string? Ts(string line)
    {
        const string Prefix = "\"ts\":\"";
        var at = line.IndexOf(Prefix, StringComparison.Ordinal);
        if (at < 0) return null;
        at += Prefix.Length;
        var end = line.IndexOf('"', at);
        return end < 0 ? null : line[at..end];
    }
}
