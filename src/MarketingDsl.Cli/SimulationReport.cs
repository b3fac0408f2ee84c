using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Simulation;

namespace MarketingDsl.Cli;

/// <summary>The readable summary `mdsl simulate` prints (data quality, segment sizes with labels, tag distributions,
/// timings), from the run's <see cref="SimulationSummary"/>.</summary>
public static class SimulationReport
{
    public static void Write(SimulationRun run, string outDir, TextWriter o)
    {
        var summary = run.Summary;
        var q = summary.Quality;
        var users = summary.Users;
        o.WriteLine($"as of {ValueFormatter.FormatInstant(summary.AsOfUtc)}: {users:N0} users");
        o.WriteLine($"data: {q.EventRows:N0} event rows, {q.AllDuplicatesDropped:N0} duplicates dropped, " +
                    $"{q.OrphanEvents:N0} orphan events, {q.UnknownTypeEvents:N0} of unknown type, {q.RejectedRows:N0} rejected rows, " +
                    $"{q.EventsAfterAsOf:N0} after the as-of instant, {q.IdentityMerges:N0} identity merges");
        foreach (var reject in q.RejectSamples.Take(5)) o.WriteLine($"  rejected {reject.ToText()}");
        if (q.RejectedRows > 5) o.WriteLine($"  … all rejects in {Path.Combine(outDir, SimulationRunner.RejectsFile)}");

        foreach (var segmentation in summary.Segmentations)
        {
            o.WriteLine();
            o.WriteLine($"{segmentation.Name}{Label(segmentation.Label)}");
            foreach (var group in segmentation.Groups) o.WriteLine(Bar($"{group.Name}{Label(group.Label)}", group.Count, users));
        }
        o.WriteLine();
        o.WriteLine("segments");
        foreach (var segment in summary.Segments) o.WriteLine(Bar($"{segment.Name}{Label(segment.Label)}", segment.Count, users));
        o.WriteLine();
        o.WriteLine("tags");
        foreach (var tag in summary.Tags) o.WriteLine($"  {tag.Symbol.Name,-28} {Distribution(tag)}");
        var t = run.Timings;
        o.WriteLine();
        o.WriteLine($"wrote {Path.Combine(outDir, "tags.csv")} and summary.json — compile {t.Compile.TotalMilliseconds:N0} ms, load " +
            $"{t.Load.TotalMilliseconds:N0} ms, " +
                    $"evaluate {t.Evaluate.TotalMilliseconds:N0} ms, write {t.Write.TotalMilliseconds:N0} ms");
    }

    private static string Label(string? label) => label is null ? "" : $" \"{label}\"";

    private static string Bar(string name, long count, int total)
    {
        var share = total == 0 ? 0 : (double)count / total;
        return $"  {name,-36} {count,10:N0} {share,7:P1} {new string('█', (int)Math.Round(share * 40))}";
    }

    private static string Distribution(OutputStatistics tag)
    {
        var fmt = OutputStatistics.FormatNumber;
        switch (tag.Symbol.Type.Kind)
        {
            case TypeKind.Int or TypeKind.Decimal:
                return tag.Median is null ? $"empty {tag.Empty:N0}"
                    : $"min {fmt(tag.Min!.Value)}, median {fmt(tag.Median.Value)}, p90 {fmt(tag.P90!.Value)}, max {fmt(tag.Max!.Value)}, " +
                        $"empty {tag.Empty:N0}";
            case TypeKind.Bool:
                return $"true {tag.True:N0}, false {tag.False:N0}, empty {tag.Empty:N0}";
            case TypeKind.List:
                var mostCommon = tag.Values.OrderByDescending(v => v.Count).Take(3);
                return $"most common: {string.Join(", ", mostCommon.Select(v => $"{v.Text} ({v.Count:N0})"))}";
            default:
                var top = tag.Values.OrderByDescending(v => v.Count).Take(3);
                return $"{string.Join(", ", top.Select(v => $"{v.Text} {v.Count:N0}"))}, empty {tag.Empty:N0}";
        }
    }
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
        Import = new Progress<ImportProgress>(p => { lock (_rate) Draw(ImportText(p)); });
        Evaluation = new SyncProgress(n => Draw($"evaluating {Interlocked.Add(ref _evaluated, n):N0} users"));
    }

    public IProgress<ImportProgress> Import { get; }

    // Rate and time left of the file being read, measured from when its first progress arrived.
    private readonly Lock _rate = new();
    private string _file = "";
    private long _fileStartTicks, _fileStartBytes;

    /// <summary>"loading events.jsonl 1,200,000 rows 45% 210 MB/s 12 s left" (rate and time left once measurable).</summary>
    public string ImportText(ImportProgress p, long? nowTicks = null)
    {
        var now = nowTicks ?? System.Diagnostics.Stopwatch.GetTimestamp();
        if (p.File != _file)
        {
            (_file, _fileStartTicks, _fileStartBytes) = (p.File, now, p.FileBytesRead);
        }
        var text = $"loading {Path.GetFileName(p.File)} {p.RowsRead:N0} rows {(p.FileBytes > 0 ? 100 * p.FileBytesRead / p.FileBytes : 0)}%";
        var seconds = (now - _fileStartTicks) / (double)System.Diagnostics.Stopwatch.Frequency;
        var bytes = p.FileBytesRead - _fileStartBytes;
        if (seconds < 0.5 || bytes <= 0) return text;
        var rate = bytes / seconds;
        var left = Math.Max(0, p.FileBytes - p.FileBytesRead) / rate;
        return $"{text} {rate / 1e6:N0} MB/s {(left >= 90 ? $"{left / 60:N0} min" : $"{left:N0} s")} left";
    }
    public IProgress<int> Evaluation { get; }

    private void Draw(string text)
    {
        if (!_enabled) return;
        var now = Environment.TickCount64;
        if (now - Interlocked.Read(ref _lastDraw) < 100) return;
        Interlocked.Exchange(ref _lastDraw, now);
        lock (_writer) _writer.Write("\r" + text.PadRight(80));
    }

    public void Dispose()
    {
        if (_enabled) lock (_writer) _writer.Write("\r" + new string(' ', 80) + "\r");
    }

    private sealed class SyncProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
