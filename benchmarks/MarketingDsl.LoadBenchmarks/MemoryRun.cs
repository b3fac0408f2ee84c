using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace MarketingDsl.LoadBenchmarks;

/// <summary>
/// (c) Memory over a long run: a steady open-loop load (<c>--memory-rate</c> events/s, batches
/// of 10, views and orders over <c>--memory-users</c> users: more than the runtime's user cache,
/// so the cache evicts) for <c>--minutes</c>; every 10 s the process working set (server and
/// client: one process), the GC heap after the last collection, the live heap, the SQLite file
/// and its write-ahead log, the user cache and the outbox actions pending in memory are sampled. Flat means: the slope
/// of a least-squares line over the samples after the first
/// minute is small against the level (the client keeps no per-event state).
/// </summary>
public static class MemoryRun
{
    private const int Batch = 10;

    public static async Task RunAsync(LoadOptions options, Report report)
    {
        report.Line("");
        report.Line($"## (c) memory: {options.Minutes:0.#} min at {options.MemoryRate:N0} events/s offered (batches of {Batch}), " +
            $"{options.MemoryUsers:N0} users");
        await using var server = await LiveServer.StartAsync(withJourneys: true, options.MemoryCacheUsers, options.MemoryCacheEvents,
            options.MemoryCacheMegabytes);
        await server.LoadProfilesAsync(options.MemoryUsers);
        long next = 0, done = 0;
        if (options.MemoryWarmUpEvents > 0) next = await WarmUpAsync(server, options, report);
        var errors = 0;
        var running = true;
        var inFlight = 0;
        var pacer = Task.Run(async () =>
        {
            var random = new Random(3);
            var clock = Stopwatch.StartNew();
            long requests = 0;
            while (Volatile.Read(ref running))
            {
                var due = (long)(clock.Elapsed.TotalSeconds * options.MemoryRate / Batch);
                for (; requests < due; requests++)
                {
                    if (Volatile.Read(ref inFlight) > 2000) { requests = due; break; }   // the server fell behind: drop, do not queue without bound
                    var json = new StringBuilder("[");
                    for (var i = 0; i < Batch; i++)
                    {
                        if (i > 0) json.Append(',');
                        LoadWorkspace.AppendEvent(json, ++next, LoadWorkspace.UserId(random.Next(options.MemoryUsers)), random);
                    }
                    var body = Encoding.UTF8.GetBytes(json.Append(']').ToString());
                    Interlocked.Increment(ref inFlight);
                    _ = Task.Run(async () =>
                    {
                        try { await server.PostAsync("/api/events", body, Batch); Interlocked.Add(ref done, Batch); }
                        catch (Exception ex) { if (Interlocked.Increment(ref errors) == 1) Console.WriteLine($"first error: {ex.Message}"); }
                        finally { Interlocked.Decrement(ref inFlight); }
                    });
                }
                await Task.Delay(1);
            }
        });

        report.Line("");
        report.Line("| minute | events done | working set MB | GC heap MB | live heap MB | SQLite file MB | write-ahead log MB | cached " +
            "users / loaded / events | cache MB (estimate) | outbox pending in memory |");
        report.Line("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        var samples = new List<(double Minute, double WorkingSet, double Heap, double Live)>();
        var run = Stopwatch.StartNew();
        var total = TimeSpan.FromMinutes(options.Minutes);
        while (true)
        {
            var minute = run.Elapsed.TotalMinutes;
            var ws = server.ResidentMb();
            var figures = await server.FiguresAsync();
            var heap = figures.HeapBytes / 1048576.0;
            // What is reachable: the heap after a full blocking collection (the GC heap above also
            // holds garbage a gen-2 collection has not reclaimed yet, so it steps up and down); in this process only.
            var live = server.ReachableHeapMb();
            var db = (new FileInfo(server.DbPath) is { Exists: true } file ? file.Length : 0) / 1048576.0;
            var log = figures.LogBytes / 1048576.0;
            samples.Add((minute, ws, heap, live));
            var liveText = double.IsNaN(live) ? "-" : live.ToString("0", CultureInfo.InvariantCulture);
            report.Line($"| {minute:0.0} | {Interlocked.Read(ref done):N0} | {ws:0} | {heap:0} | {liveText} | {db:0} | {log:0.0} | " +
                $"{figures.CachedUsers:N0} / {figures.CachedUsersLoaded:N0} / {figures.CachedEvents:N0} | {figures.CacheBytes / 1048576.0:0.0} | " +
                $"{figures.OutboxPendingInMemory:N0} |");
            if (run.Elapsed >= total) break;
            await Task.Delay(TimeSpan.FromSeconds(Math.Min(10, Math.Max(0.1, (total - run.Elapsed).TotalSeconds))));
        }
        Volatile.Write(ref running, false);
        await pacer;
        var wait = Stopwatch.StartNew();
        while (Volatile.Read(ref inFlight) > 0 && wait.Elapsed.TotalSeconds < 30) await Task.Delay(50);

        var steady = samples.Where(s => s.Minute >= 1).ToList();
        if (steady.Count < 2) steady = samples;
        report.Line("");
        report.Line($"achieved {Interlocked.Read(ref done) / run.Elapsed.TotalSeconds:N0} events/s, {errors} failed requests; " +
                    $"working set start {samples[0].WorkingSet:0} MB → end {samples[^1].WorkingSet:0} MB " +
                    $"(max {samples.Max(s => s.WorkingSet):0}), " +
                    $"slope after minute 1: {Slope(steady.Select(s => (s.Minute, s.WorkingSet))):+0.0;-0.0} MB/min; " +
                    $"GC heap start {samples[0].Heap:0} MB → end {samples[^1].Heap:0} MB (max {samples.Max(s => s.Heap):0}), slope after " +
                        $"minute 1: {Slope(steady.Select(s => (s.Minute, s.Heap))):+0.0;-0.0} MB/min" +
                    // The live heap is measured only in this process (a full collection of the server's heap).
                    (double.IsNaN(samples[0].Live) ? "" :
                    $"; live heap start {samples[0].Live:0} MB → end {samples[^1].Live:0} MB (max {samples.Max(s => s.Live):0}), slope " +
                        $"after minute 1: {Slope(steady.Select(s => (s.Minute, s.Live))):+0.00;-0.00} MB/min"));
    }

    /// <summary>
    /// Steady state before measuring: <c>--memory-warmup</c> events over the same users as fast as
    /// the server takes them (4 clients, batches of 100), so the user cache, the index buffer and
    /// the dirty states are at their bounds when the measured run starts. Returns the last event number used.
    /// </summary>
    private static async Task<long> WarmUpAsync(LiveServer server, LoadOptions options, Report report)
    {
        const int warmBatch = 100;
        var clock = Stopwatch.StartNew();
        long next = 0;
        var gate = new object();
        var random = new Random(11);
        async Task Client()
        {
            while (true)
            {
                byte[] body;
                lock (gate)
                {
                    if (next >= options.MemoryWarmUpEvents) return;
                    var json = new StringBuilder("[");
                    for (var i = 0; i < warmBatch; i++)
                    {
                        if (i > 0) json.Append(',');
                        LoadWorkspace.AppendEvent(json, ++next, LoadWorkspace.UserId(random.Next(options.MemoryUsers)), random);
                    }
                    body = Encoding.UTF8.GetBytes(json.Append(']').ToString());
                }
                await server.PostAsync("/api/events", body, warmBatch);
            }
        }
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(Client)));
        var cache = await server.FiguresAsync();
        report.Line($"warm-up: {next:N0} events in {clock.Elapsed.TotalSeconds:0} s; cached users {cache.CachedUsers:N0} " +
            $"({cache.CachedUsersLoaded:N0} " +
            $"with their events), cached events {cache.CachedEvents:N0}, cache {cache.CacheBytes / 1048576.0:0.0} MB by its estimate");
        return next;
    }

    /// <summary>The least-squares slope of y over x (NaN for fewer than two points).</summary>
    internal static double Slope(IEnumerable<(double X, double Y)> points)
    {
        var p = points.ToList();
        if (p.Count < 2) return double.NaN;
        double mx = p.Average(q => q.X), my = p.Average(q => q.Y);
        var sxx = p.Sum(q => (q.X - mx) * (q.X - mx));
        return sxx == 0 ? double.NaN : p.Sum(q => (q.X - mx) * (q.Y - my)) / sxx;
    }
}
