using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Simulation;

namespace MarketingDsl.Cli;

/// <summary>The readable summary `mdsl simulate` prints: data quality, segment sizes with labels, tag distributions, timings.</summary>
public static class SimulationReport
{
    public static void Write(SimulationRun run, string outDir, TextWriter o)
    {
        var result = run.Result;
        var report = result.Data.Report;
        var users = result.Data.UserCount;
        o.WriteLine($"as of {ValueFormatter.FormatInstant(result.AsOfUtc)}: {users:N0} users");
        o.WriteLine($"data: {report.EventsBeforeDeduplication:N0} event rows, {report.DuplicatesDropped.Values.Sum():N0} duplicates dropped, " +
                    $"{report.OrphanEvents:N0} orphan events, {report.UnknownTypeEvents:N0} of unknown type, {report.RejectedCount:N0} rejected rows, " +
                    $"{result.Data.CountEventsAfter(result.AsOfUtc.Ticks):N0} after the as-of instant, {report.IdentityMerges.Count:N0} identity merges");
        foreach (var reject in report.Rejects.Take(5)) o.WriteLine($"  rejected {reject.File}:{reject.Line}: {reject.Reason}");
        if (report.RejectedCount > 5) o.WriteLine($"  … all rejects in {Path.Combine(outDir, "rejects.jsonl")}");

        foreach (var column in result.Columns)
        {
            switch (column.Symbol)
            {
                case SegmentationSymbol segmentation:
                    o.WriteLine();
                    o.WriteLine($"{segmentation.Name}{Label(segmentation.Label)}");
                    var counts = segmentation.Rules.ToDictionary(r => r.Name, _ => 0, StringComparer.Ordinal);
                    for (var u = 0; u < users; u++) if (column.Get(u) is string g && counts.ContainsKey(g)) counts[g]++;
                    foreach (var rule in segmentation.Rules) o.WriteLine(Bar($"{rule.Name}{Label(rule.Label)}", counts[rule.Name], users));
                    break;
            }
        }
        o.WriteLine();
        o.WriteLine("segments");
        foreach (var column in result.Columns.Where(c => c.Symbol is SegmentSymbol))
        {
            var n = Enumerable.Range(0, users).Count(u => column.Get(u) is true);
            o.WriteLine(Bar($"{column.Symbol.Name}{Label(column.Symbol.Label)}", n, users));
        }
        o.WriteLine();
        o.WriteLine("tags");
        foreach (var column in result.Columns.Where(c => c.Symbol is TagSymbol))
            o.WriteLine($"  {column.Symbol.Name,-28} {Distribution(column, users)}");
        var t = run.Timings;
        o.WriteLine();
        o.WriteLine($"wrote {Path.Combine(outDir, "tags.csv")} and summary.json — compile {t.Compile.TotalMilliseconds:N0} ms, load {t.Load.TotalMilliseconds:N0} ms, " +
                    $"evaluate {t.Evaluate.TotalMilliseconds:N0} ms, write {t.Write.TotalMilliseconds:N0} ms");
    }

    private static string Label(string? label) => label is null ? "" : $" \"{label}\"";

    private static string Bar(string name, int count, int total)
    {
        var share = total == 0 ? 0 : (double)count / total;
        return $"  {name,-36} {count,10:N0} {share,7:P1} {new string('█', (int)Math.Round(share * 40))}";
    }

    // Runs over every user of every tag, so at 200,000 users it must not sort boxed values with
    // LINQ (that took about as long as evaluating the tags): numbers go into one array and the
    // median and p90 are selected, not sorted; other values are counted per distinct value and
    // formatted once per value.
    private static string Distribution(Engine.Evaluation.ResultColumn column, int users)
    {
        switch (column.Symbol.Type.Kind)
        {
            case TypeKind.Int or TypeKind.Decimal:
            {
                var numbers = new decimal[users];
                var n = 0;
                for (var u = 0; u < users; u++)
                    if (column.Get(u) is { } v) numbers[n++] = Convert.ToDecimal(v, System.Globalization.CultureInfo.InvariantCulture);
                var empty = users - n;
                if (n == 0) return $"empty {empty:N0}";
                var present = numbers.AsSpan(0, n);
                decimal min = present[0], max = present[0];
                foreach (var d in present) { if (d < min) min = d; if (d > max) max = d; }
                var median = Select(present, (int)Math.Min(n - 1, Math.Floor(0.5 * n)));
                var p90 = Select(present, (int)Math.Min(n - 1, Math.Floor(0.9 * n)));
                return $"min {Fmt(min)}, median {Fmt(median)}, p90 {Fmt(p90)}, max {Fmt(max)}, empty {empty:N0}";
            }
            case TypeKind.Bool:
            {
                int yes = 0, no = 0;
                for (var u = 0; u < users; u++)
                    switch (column.Get(u)) { case true: yes++; break; case false: no++; break; }
                return $"true {yes:N0}, false {no:N0}, empty {users - yes - no:N0}";
            }
            case TypeKind.List:
            {
                var values = Enumerable.Range(0, users).Select(column.Get).Where(v => v is not null);
                var top = values.Cast<IEnumerable<object?>>().SelectMany(l => l).GroupBy(v => ValueFormatter.Format(v)).OrderByDescending(g => g.Count()).Take(3);
                return $"most common: {string.Join(", ", top.Select(g => $"{g.Key} ({g.Count():N0})"))}";
            }
            default:
            {
                // Counted per value (in first-seen order), then merged by their text, as the text is what is shown.
                var perValue = new Dictionary<object, int>();
                var empty = 0;
                for (var u = 0; u < users; u++)
                {
                    if (column.Get(u) is not { } v) { empty++; continue; }
                    perValue[v] = perValue.GetValueOrDefault(v) + 1;
                }
                var common = perValue.GroupBy(p => ValueFormatter.Format(p.Key), p => p.Value)
                    .Select(g => (Text: g.Key, Count: g.Sum())).OrderByDescending(g => g.Count).Take(3);
                return $"{string.Join(", ", common.Select(g => $"{g.Text} {g.Count:N0}"))}, empty {empty:N0}";
            }
        }
    }

    /// <summary>The k-th smallest value (quickselect; reorders <paramref name="values"/>).</summary>
    private static decimal Select(Span<decimal> values, int k)
    {
        int lo = 0, hi = values.Length - 1;
        while (lo < hi)
        {
            var pivot = values[lo + (hi - lo) / 2];
            int i = lo, j = hi;
            while (i <= j)
            {
                while (values[i] < pivot) i++;
                while (values[j] > pivot) j--;
                if (i <= j) { (values[i], values[j]) = (values[j], values[i]); i++; j--; }
            }
            if (k <= j) hi = j;
            else if (k >= i) lo = i;
            else return values[k];
        }
        return values[k];
    }

    private static string Fmt(decimal d) => Math.Round(d, 2).ToString("0.##", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>A one-line progress bar on stderr for long runs (only when stderr is a terminal).</summary>
public sealed class ProgressLine : IDisposable
{
    private readonly TextWriter _writer;
    private readonly bool _enabled;
    private long _evaluated;
    private long _lastDraw;

    public ProgressLine(TextWriter writer)
    {
        _writer = writer;
        _enabled = !Console.IsErrorRedirected;
        Import = new Progress<ImportProgress>(p => Draw($"loading {Path.GetFileName(p.File)} {p.RowsRead:N0} rows {(p.FileBytes > 0 ? 100 * p.FileBytesRead / p.FileBytes : 0)}%"));
        Evaluation = new SyncProgress(n => Draw($"evaluating {Interlocked.Add(ref _evaluated, n):N0} users"));
    }

    public IProgress<ImportProgress> Import { get; }
    public IProgress<int> Evaluation { get; }

    private void Draw(string text)
    {
        if (!_enabled) return;
        var now = Environment.TickCount64;
        if (now - Interlocked.Read(ref _lastDraw) < 100) return;
        Interlocked.Exchange(ref _lastDraw, now);
        lock (_writer) _writer.Write("\r" + text.PadRight(60));
    }

    public void Dispose()
    {
        if (_enabled) lock (_writer) _writer.Write("\r" + new string(' ', 60) + "\r");
    }

    private sealed class SyncProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
