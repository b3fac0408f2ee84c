using System.Diagnostics;
using System.Text;

namespace MarketingDsl.LoadBenchmarks;

/// <summary>
/// (b) Event-to-action latency at a fixed offered load: an open-loop pacer starts one request
/// (one order event, which the `thanks` journey answers with a send) every 1/rate s whatever
/// the answers do; the latency of an event is from just before its request is sent to the
/// moment its line is seen in the file adapter's `push.jsonl` (a reader polls the file every
/// millisecond, so up to ~1 ms of the figure is the poll). The same load runs against the
/// workspace without journeys, where the event-to-answer time is the baseline.
/// </summary>
public static class LatencyLoad
{
    public static async Task RunAsync(LoadOptions options, Report report)
    {
        foreach (var rate in options.Rates) await RunAsync(options, rate, report);
    }

    private static async Task RunAsync(LoadOptions options, int rate, Report report)
    {
        report.Line("");
        report.Line($"## (b) latency at {rate:N0} events/s offered (open loop, 1 order event per request, {options.LatencySeconds} s " +
            $"measured after {options.LatencyWarmUpSeconds} s warm-up)");
        report.Line("");
        report.Line("| run | measured | p50 ms | p90 ms | p99 ms | max ms | achieved events/s | errors | other load (cores) |");
        report.Line("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        var other = Machine.OtherLoad(500);
        var live = await MeasureAsync(options, rate, withJourneys: true);
        Row(report, "event → action (send in push.jsonl), journeys", live.Action, live, other);
        Row(report, "event → HTTP answer, journeys", live.Answer, live, other);
        other = Machine.OtherLoad(500);
        var baseline = await MeasureAsync(options, rate, withJourneys: false);
        Row(report, "event → HTTP answer, no journeys (baseline)", baseline.Answer, baseline, other);
        report.Line("");
        report.Line($"p99 event → action with journeys ÷ p99 event → answer without: " +
            $"{Percentile(live.Action, 0.99) / Percentile(baseline.Answer, 0.99):0.00}; " +
                     $"sends missing after the run: {live.Missing}");
        report.Line("");
        report.Line($"committer with journeys (measured part): {live.Committer}");
    }

    private static void Row(Report report, string name, double[] ms, Result r, double other) =>
        report.Line($"| {name} | {ms.Length:N0} | {Percentile(ms, 0.5):0.0} | {Percentile(ms, 0.9):0.0} | {Percentile(ms, 0.99):0.0} | " +
            $"{(ms.Length == 0 ? double.NaN : ms.Max()):0.0} | {r.Achieved:N0} | {r.Errors} | {other:0.00} |");

    public static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    private sealed record Result(double[] Action, double[] Answer, double Achieved, int Errors, int Missing, string Committer);

    private static async Task<Result> MeasureAsync(LoadOptions options, int rate, bool withJourneys)
    {
        await using var server = await LiveServer.StartAsync(withJourneys);
        await server.LoadProfilesAsync(options.Users);
        var total = rate * (options.LatencyWarmUpSeconds + options.LatencySeconds);
        var measuredFrom = rate * options.LatencyWarmUpSeconds;
        var random = new Random(7);
        var bodies = new byte[total][];
        var index = new Dictionary<string, int>(total, StringComparer.Ordinal);
        for (var i = 0; i < total; i++)
        {
            var user = LoadWorkspace.UserId(random.Next(options.Users));
            var json = new StringBuilder("[");
            LoadWorkspace.AppendEvent(json, i + 1, user, random, orderOnly: true);
            bodies[i] = Encoding.UTF8.GetBytes(json.Append(']').ToString());
            index[LoadWorkspace.ThanksKey(user, LoadWorkspace.TsOf(i + 1))] = i;
        }
        var sent = new long[total];
        var answered = new long[total];
        var delivered = new long[total];
        var errors = 0;
        string? firstError = null;
        var tailing = true;
        var tail = new Thread(() => Tail(Path.Combine(server.OutboxDir, "push.jsonl"), index, delivered, () =>
            Volatile.Read(ref tailing))) { IsBackground = true, Name = "tail" };
        tail.Start();

        var requests = new List<Task>(total);
        var reset = Task.CompletedTask;
        var clock = Stopwatch.StartNew();
        var next = 0;
        while (next < total)
        {
            var due = (int)Math.Min(total, (long)(clock.Elapsed.TotalSeconds * rate));
            for (; next < due; next++)
            {
                if (next == measuredFrom) reset = server.ResetTimingsAsync();   // the committer's figures of the measured part only
                var i = next;
                requests.Add(Task.Run(async () =>
                {
                    sent[i] = Stopwatch.GetTimestamp();
                    try { await server.PostAsync("/api/events", bodies[i], 1); }
                    catch (Exception ex) { if (Interlocked.Increment(ref errors) == 1) firstError = ex.Message; }
                    answered[i] = Stopwatch.GetTimestamp();
                }));
            }
            Thread.Sleep(1);
        }
        var sendingSeconds = clock.Elapsed.TotalSeconds;
        await reset;
        var committer = (await server.FiguresAsync()).Summary;
        await Task.WhenAll(requests);
        var wait = Stopwatch.StartNew();
        while (wait.Elapsed.TotalSeconds < 10 && withJourneys && delivered.Skip(measuredFrom).Any(d => d == 0)) Thread.Sleep(50);
        Volatile.Write(ref tailing, false);
        tail.Join();

        static double Ms(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;
        var action = withJourneys
            ? Enumerable.Range(measuredFrom, total - measuredFrom).Where(i => delivered[i] != 0).Select(i =>
                Ms(sent[i], delivered[i])).Order().ToArray()
            : [];
        var answer = Enumerable.Range(measuredFrom, total - measuredFrom).Select(i => Ms(sent[i], answered[i])).Order().ToArray();
        var missing = withJourneys ? Enumerable.Range(0, total).Count(i => delivered[i] == 0) : 0;
        if (firstError is not null) Console.WriteLine($"first error: {firstError}");
        return new Result(action, answer, total / sendingSeconds, errors, missing, committer);
    }

    /// <summary>Reads the channel file as it grows and stamps each send's event with the time its line appeared.</summary>
    private static void Tail(string file, Dictionary<string, int> index, long[] delivered, Func<bool> running)
    {
        while (running() && !File.Exists(file)) Thread.Sleep(1);
        if (!File.Exists(file)) return;
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var buffer = new byte[1 << 20];
        var pending = new StringBuilder();
        while (true)
        {
            var stillRunning = running();
            int n;
            var any = false;
            while ((n = stream.Read(buffer)) > 0)
            {
                any = true;
                var now = Stopwatch.GetTimestamp();
                pending.Append(Encoding.UTF8.GetString(buffer, 0, n));
                var text = pending.ToString();
                var start = 0;
                for (var end = text.IndexOf('\n'); end >= 0; end = text.IndexOf('\n', start))
                {
                    var line = text.AsSpan(start, end - start);
                    var k = line.IndexOf("\"key\":\"", StringComparison.Ordinal);
                    if (k >= 0)
                    {
                        var rest = line[(k + 7)..];
                        var key = rest[..rest.IndexOf('"')].ToString();
                        if (index.TryGetValue(key, out var i) && delivered[i] == 0) delivered[i] = now;
                    }
                    start = end + 1;
                }
                pending.Clear().Append(text, start, text.Length - start);
            }
            if (!stillRunning) return;
            if (!any) Thread.Sleep(1);
        }
    }
}
