using System.Globalization;
using System.Text;

namespace MarketingDsl.EngineBenchmarks;

/// <summary>Compares two tags.csv files: byte-identical, or else field by field with numbers compared by value.</summary>
public static class CsvComparison
{
    /// <summary>Null when the files are byte-identical; otherwise a description of what differs.</summary>
    public static string? Difference(string expectedPath, string actualPath)
    {
        if (FilesEqual(expectedPath, actualPath)) return null;

        using var expected = new StreamReader(expectedPath, Encoding.UTF8);
        using var actual = new StreamReader(actualPath, Encoding.UTF8);
        var header = expected.ReadLine() ?? "";
        var actualHeader = actual.ReadLine() ?? "";
        if (header != actualHeader) return $"headers differ:\n  expected {header}\n  actual   {actualHeader}";
        var columns = SplitFields(header);
        var differing = new Dictionary<string, (long Count, string Example)>(StringComparer.Ordinal);
        long row = 1, sameByValue = 0;
        while (true)
        {
            var e = expected.ReadLine();
            var a = actual.ReadLine();
            row++;
            if (e is null || a is null)
            {
                if (e != a) return $"row counts differ (one file ends at line {row})";
                break;
            }
            if (e == a) continue;
            string[] ef = SplitFields(e), af = SplitFields(a);
            for (var i = 0; i < columns.Length; i++)
            {
                string ev = i < ef.Length ? ef[i] : "<missing>", av = i < af.Length ? af[i] : "<missing>";
                if (ev == av) continue;
                if (NumbersEqual(ev, av)) { sameByValue++; continue; }
                var example = differing.TryGetValue(columns[i], out var d) ? d.Example : $"line {row} ({ef[0]}): expected '{ev}', actual '{av}'";
                differing[columns[i]] = (d.Count + 1, example);
            }
        }
        if (differing.Count == 0)
            return $"not byte-identical, but equal after parsing numbers ({sameByValue:N0} fields differ only in how a number is written)";
        return string.Join("\n", differing.Select(p => $"  {p.Key}: {p.Value.Count:N0} rows differ, first {p.Value.Example}"));
    }

    public static bool IsEqualByValue(string? difference) => difference is null || difference.StartsWith("not byte-identical, but equal",
        StringComparison.Ordinal);

    private static bool FilesEqual(string a, string b)
    {
        using var fa = File.OpenRead(a);
        using var fb = File.OpenRead(b);
        if (fa.Length != fb.Length) return false;
        var ba = new byte[1 << 16];
        var bb = new byte[1 << 16];
        while (true)
        {
            var na = fa.ReadAtLeast(ba, ba.Length, throwOnEndOfStream: false);
            var nb = fb.ReadAtLeast(bb, bb.Length, throwOnEndOfStream: false);
            if (na != nb || !ba.AsSpan(0, na).SequenceEqual(bb.AsSpan(0, nb))) return false;
            if (na == 0) return true;
        }
    }

    private static bool NumbersEqual(string a, string b) =>
        decimal.TryParse(a, NumberStyles.Float, CultureInfo.InvariantCulture, out var x)
        && decimal.TryParse(b, NumberStyles.Float, CultureInfo.InvariantCulture, out var y) && x == y;

    /// <summary>RFC 4180 fields of one line (tags.csv never has a line break inside a field).</summary>
    private static string[] SplitFields(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(field.ToString()); field.Clear(); }
            else field.Append(c);
        }
        fields.Add(field.ToString());
        return [.. fields];
    }
}
