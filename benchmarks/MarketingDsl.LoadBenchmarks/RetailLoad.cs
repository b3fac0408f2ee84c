using System.Diagnostics;
using System.Globalization;
using MarketingDsl.Engine.Data;

namespace MarketingDsl.LoadBenchmarks;

/// <summary>
/// (e) The seed's own workload: <c>examples/retail</c> (journeys with every trigger kind: events,
/// a weekly schedule, `enters`/`leaves segment`) on <c>mdsl generate-data</c> output in time order
/// (as real exports are), against the same workspace without its journeys, measured in the same
/// run: profiles/s; ingest events/s (the first part of the history, batches of 100 from
/// <c>--clients</c> clients); event → committed-answer latency at <c>--retail-rate</c> offered (the
/// next part, open loop, one event per request: the answer comes once the event and every send it
/// caused are committed to the outbox); the working set over <c>--retail-minutes</c> (the rest, at
/// the same rate). Each figure is also given as the ratio of the journeys' run to the baseline.
/// Before either is measured, a server of each kind runs the first profiles and events and is
/// thrown away, so the run measured first does not pay for the JIT alone.
/// The runtime's wall clock is pinned to the history's start, so every timer (waits, the weekly
/// schedule, the 00:00 segment check) fires by event time, as the history's own clock reaches it.
/// </summary>
public static class RetailLoad
{
    private const int ProfileBatch = 1000;
    private const int IngestBatch = 100;

    public static async Task RunAsync(LoadOptions options, Report report)
    {
        var data = Prepare(options, report);
        var eventsPath = Path.Combine(data, "events.jsonl");
        using var events = new JsonLines(eventsPath);
        var start = StartOf(events);
        report.Line("");
        report.Line($"## (e) examples/retail: {options.RetailUsers:N0} users, {options.RetailDays} days, {events.Count:N0} events in time order; " +
                    $"ingest {options.RetailIngestShare:P0} of them, latency at {options.RetailRate:N0}/s for {options.RetailSeconds} s, memory " +
                    $"{options.RetailMinutes:0.#} min");
        // Both servers warm up first (JIT, the HTTP stack, the store), so the run measured first is not the one that pays for it.
        await WarmUpAsync(options, data, events, start, journeys: true);
        if (options.RetailBaseline) await WarmUpAsync(options, data, events, start, journeys: false);
        var withJourneys = await MeasureAsync(options, data, events, start, journeys: true, report);
        if (!options.RetailBaseline) return;
        var baseline = await MeasureAsync(options, data, events, start, journeys: false, report);
        report.Line("");
        report.Line("| measure | examples/retail | without journeys | ratio | target |");
        report.Line("|---|---:|---:|---:|---|");
        Ratio(report, "profiles/s", withJourneys.ProfilesPerSecond, baseline.ProfilesPerSecond, "≥ 20,000/s");
        Ratio(report, "ingest events/s", withJourneys.IngestPerSecond, baseline.IngestPerSecond, "≥ 20,000/s");
        Ratio(report, "server CPU µs per profile", withJourneys.CpuPerProfile, baseline.CpuPerProfile, "");
        Ratio(report, "server CPU µs per ingested event", withJourneys.CpuPerEvent, baseline.CpuPerEvent, "");
        Ratio(report, $"p99 event → committed answer ms at {options.RetailRate:N0}/s", withJourneys.P99, baseline.P99, "< 20 ms");
        Ratio(report, "… the server's own p99 (queued → answered) ms", withJourneys.ServerP99, baseline.ServerP99, "");
        Ratio(report, "… the disk's own sync p99 ms just before (one page, nothing else running)", withJourneys.DiskSyncP99,
            baseline.DiskSyncP99, "");
        Ratio(report, $"achieved events/s at {options.RetailRate:N0}/s offered", withJourneys.Achieved, baseline.Achieved, "= offered");
        Ratio(report, "working set MB at the start of the memory run", withJourneys.RssStartMb, baseline.RssStartMb, "");
        Ratio(report, "working set MB at its end", withJourneys.RssEndMb, baseline.RssEndMb, "flat");
        Ratio(report, "anonymous memory MB at the start of the memory run", withJourneys.AnonStartMb, baseline.AnonStartMb, "");
        Ratio(report, "anonymous memory MB at its end", withJourneys.AnonEndMb, baseline.AnonEndMb, "flat");
        Ratio(report, "anonymous memory slope over the memory run's second half, MB/min", withJourneys.AnonSlope, baseline.AnonSlope, "≈ 0");
        report.Line("");
        report.Line($"with journeys: {withJourneys.Sends:N0} sends in the outbox; timer work {withJourneys.TimerWork:N0} units, " +
                    $"{withJourneys.SegmentEvaluations:N0} segment evaluations; statuses {withJourneys.Statuses}");
        report.Line($"without: statuses {baseline.Statuses}");
    }

    // A part left out by --retail-parts has no figure (NaN): its row says so rather than print NaN.
    private static void Ratio(Report report, string name, double live, double baseline, string target) =>
        report.Line($"| {name} | {Figure(live)} | {Figure(baseline)} | {(double.IsNaN(live / baseline) ? "not run" : $"{live / baseline:0.00}")} " +
            $"| {target} |");

    private static string Figure(double value) => double.IsNaN(value) ? "not run" : $"{value:N1}";

    private const int WarmUpProfiles = 2_000, WarmUpEvents = 5_000;

    /// <summary>An untimed run of a server of the same kind over the first profiles and events, then thrown away.</summary>
    private static async Task WarmUpAsync(LoadOptions options, string data, JsonLines events, DateTime start, bool journeys)
    {
        await using var server = await StartAsync(options, start, journeys);
        using var profiles = new JsonLines(Path.Combine(data, "profiles.jsonl"));
        for (var i = 0; i < Math.Min(profiles.Count, WarmUpProfiles); i += ProfileBatch)
            await server.PostCountingAsync("/api/profiles", profiles.Array(i, Math.Min(profiles.Count, i + ProfileBatch)));
        for (var i = 0; i < Math.Min(events.Count, WarmUpEvents); i += IngestBatch)
            await server.PostCountingAsync("/api/events", events.Array(i, Math.Min(events.Count, i + IngestBatch)));
    }

    private static Task<LiveServer> StartAsync(LoadOptions options, DateTime start, bool journeys) =>
        LiveServer.StartAsync(journeys, options.RetailCacheUsers, cacheMegabytes: options.RetailCacheMegabytes,
            writeWorkspace: ws => WriteWorkspace(ws, journeys), pinnedAt: new DateTimeOffset(start),
            timerRideWait: options.TimerRideWait, maxGroupEvents: options.MaxGroupEvents);

    /// <summary>Generates the history once per size under the temp folder (in time order), or reuses it.</summary>
    private static string Prepare(LoadOptions options, Report report)
    {
        var dir = Path.Combine(Path.GetTempPath(), "mdsl-load-data", $"retail-{options.RetailUsers}-{options.RetailDays}-time");
        if (File.Exists(Path.Combine(dir, "done"))) return dir;
        var clock = Stopwatch.StartNew();
        var result = RetailDataGenerator.Generate(dir, options.RetailUsers, options.RetailDays, seed: 7);
        EventFileOrder.SortByTime(result.EventsPath);
        File.WriteAllText(Path.Combine(dir, "done"), "");
        report.Line($"generated {result.Profiles:N0} profiles and {result.Events:N0} events into {dir} in {clock.Elapsed.TotalSeconds:0.0} s");
        return dir;
    }

    private static DateTime StartOf(JsonLines events)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(events.Line(0));
        return DateTime.Parse(doc.RootElement.GetProperty("ts").GetString()!, CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal).AddSeconds(-1);
    }

    /// <summary>examples/retail as it is, or without its journeys (the baseline: the same schema, tags, segments and channels).</summary>
    private static void WriteWorkspace(string target, bool journeys) => MarketingDsl.Testing.RepoRoot.CopyRetailExample(target, journeys);


    private sealed record Result(double ProfilesPerSecond, double IngestPerSecond, double CpuPerProfile, double CpuPerEvent, double P99,
        double Achieved, double RssStartMb, double RssEndMb,
        double AnonStartMb, double AnonEndMb, double AnonSlope, long Sends, long TimerWork, long SegmentEvaluations, string Statuses,
        double ServerP99, double DiskSyncP99);

    private sealed class Statuses
    {
        public long Accepted, Duplicate, Rejected;
        public void Add((int A, int D, int R) s)
        {
            Interlocked.Add(ref Accepted, s.A);
            Interlocked.Add(ref Duplicate, s.D);
            Interlocked.Add(ref Rejected, s.R);
        }
        public override string ToString() => $"{Accepted:N0} accepted, {Duplicate:N0} duplicate, {Rejected:N0} rejected";
    }

    private static async Task<Result> MeasureAsync(LoadOptions options, string data, JsonLines events, DateTime start, bool journeys, Report report)
    {
        var name = journeys ? "examples/retail" : "without journeys";
        await using var server = await StartAsync(options, start, journeys);
        var statuses = new Statuses();

        // Profiles, in batches of 1,000.
        using var profiles = new JsonLines(Path.Combine(data, "profiles.jsonl"));
        var clock = Stopwatch.StartNew();
        var cpu = server.CpuTime();
        // Profiles/s per tenth of the population: flat when nothing scales with the users already stored.
        var tenths = new List<double>();
        var tenth = Math.Max(ProfileBatch, profiles.Count / 10 / ProfileBatch * ProfileBatch);
        var tenthClock = Stopwatch.StartNew();
        for (var i = 0; i < profiles.Count; i += ProfileBatch)
        {
            await server.PostCountingAsync("/api/profiles", profiles.Array(i, Math.Min(profiles.Count, i + ProfileBatch)));
            var done = Math.Min(profiles.Count, i + ProfileBatch);
            if (done % tenth != 0 && done != profiles.Count) continue;
            tenths.Add((done - (done - 1) / tenth * tenth) / tenthClock.Elapsed.TotalSeconds);
            tenthClock.Restart();
        }
        var profilesPerSecond = profiles.Count / clock.Elapsed.TotalSeconds;
        // The server's CPU time per item is steadier than items/s on a shared machine.
        var cpuPerProfile = (server.CpuTime() - cpu).TotalMicroseconds / profiles.Count;
        report.Line($"{name}: {profiles.Count:N0} profiles in {clock.Elapsed.TotalSeconds:0.0} s; profiles/s per tenth of them: " +
                    string.Join(" ", tenths.Select(r => r.ToString("0", CultureInfo.InvariantCulture))));
        var afterProfiles = await server.FiguresAsync();
        var none = new Result(profilesPerSecond, double.NaN, cpuPerProfile, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN,
            double.NaN, double.NaN, 0, afterProfiles.TimerWork, afterProfiles.SegmentEvaluations, statuses.ToString(), double.NaN, double.NaN);
        if (!options.RetailRuns("ingest") && !options.RetailRuns("latency") && !options.RetailRuns("memory")) return none;

        // Ingest: the first share of the history as fast as the clients go (each takes the next batch in time order).
        // A part not run sends nothing: the next part starts where it would have started.
        var ingestEnd = options.RetailRuns("ingest") ? (int)(events.Count * options.RetailIngestShare) : 0;
        var cursor = 0;
        clock.Restart();
        cpu = server.CpuTime();
        await server.ResetTimingsAsync();
        var ingestGc = await server.FiguresAsync();
        await Task.WhenAll(Enumerable.Range(0, options.Clients).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                var from = Interlocked.Add(ref cursor, IngestBatch) - IngestBatch;
                if (from >= ingestEnd) return;
                statuses.Add(await server.PostCountingAsync("/api/events", events.Array(from, Math.Min(ingestEnd, from + IngestBatch))));
            }
        })));
        var ingestPerSecond = ingestEnd == 0 ? double.NaN : ingestEnd / clock.Elapsed.TotalSeconds;
        var cpuPerEvent = ingestEnd == 0 ? double.NaN : (server.CpuTime() - cpu).TotalMicroseconds / ingestEnd;
        if (ingestEnd > 0)
        {
            var ingested = await server.FiguresAsync();
            report.Line($"{name}: ingested {ingestEnd:N0} events in {clock.Elapsed.TotalSeconds:0.0} s; committer: {ingested.Summary}; " +
                ingested.CollectorSince(ingestGc, ingestEnd));
        }

        if (ingestEnd > 0 && options.RetailRuns("latency") && options.RetailDrain) await DrainAsync(server, name, report);

        // Latency: the next events one per request, open loop at the offered rate, after a lead-in at that rate that is not measured.
        var runsLatency = options.RetailRuns("latency");
        var latencyStart = runsLatency ? Math.Min(events.Count, ingestEnd + options.RetailRate * options.RetailLeadInSeconds) : ingestEnd;
        var latencyEnd = runsLatency ? Math.Min(events.Count, latencyStart + options.RetailRate * options.RetailSeconds) : ingestEnd;
        var diskP99 = latencyEnd > latencyStart ? ProbeDisk(server.Root, name, report) : double.NaN;
        if (latencyStart > ingestEnd) await LeadInAsync(server, events, ingestEnd, latencyStart, options, name, statuses, report);
        // The bodies are cut before the clock starts: the client allocates little while it measures.
        var latencyBodies = Bodies(events, latencyStart, latencyEnd, 1);
        await server.ResetTimingsAsync();
        var gc = await server.FiguresAsync();
        cpu = server.CpuTime();
        var clientCpu = Process.GetCurrentProcess().TotalProcessorTime;
        // The region's start may collect once to make room: before the part, so not counted.
        var noCollections = StartClientNoGcRegion(latencyBodies.Count);
        var clientPause = GC.GetTotalPauseDuration();
        var (latencies, achieved) = await OpenLoopAsync(server, latencyBodies.Count, i => latencyBodies[i], latencyEnd - latencyStart,
            options.RetailRate, 1, statuses);
        // Read before anything else allocates: a region that ended leaves no budget, and the next allocation collects.
        var clientPaused = GC.GetTotalPauseDuration() - clientPause;
        noCollections &= EndClientNoGcRegion();
        var serverP99 = double.NaN;
        var p99 = LatencyLoad.Percentile(latencies, 0.99);
        if (latencyEnd > latencyStart)
        {
            // CPU per event and the committer's own CPU per event are steadier than latency on a shared machine.
            var cpuPerLatencyEvent = (server.CpuTime() - cpu).TotalMicroseconds / (latencyEnd - latencyStart);
            var clientCpuPerEvent = (Process.GetCurrentProcess().TotalProcessorTime - clientCpu).TotalMicroseconds / (latencyEnd - latencyStart);
            var latencyFigures = await server.FiguresAsync();
            serverP99 = latencyFigures.RequestP99Ms;
            report.Line($"{name}: p50 {LatencyLoad.Percentile(latencies, 0.5):0.0} ms, p99 {p99:0.0} ms, max " +
                $"{(latencies.Length == 0 ? double.NaN : latencies[^1]):0.0} ms " +
                        $"at {achieved:N0}/s achieved; server's own p99 (queued → answered) {serverP99:0.0} ms; server CPU µs per event " +
                        $"{cpuPerLatencyEvent:0.0}" + (server.Child
                            ? $", client's {clientCpuPerEvent:0.0} (its collector paused " +
                              $"{clientPaused.TotalMilliseconds:0} ms in the part; " +
                              $"{(noCollections ? "no collection during the part" : "the no-GC region was refused or outgrown")})"
                            : " (server and client: one process)") +
                        $"; {latencyFigures.CollectorSince(gc, latencyEnd - latencyStart)}");
            report.Line($"{name}: latency part's committer: {latencyFigures.Summary}");
        }

        // Memory: the rest at the same rate in batches of 10, the working set every 10 s.
        var rss = new List<double>();
        var anon = new List<double>();
        var heap = new List<(double Heap, double Fragmented, double Committed)>();
        var sampling = true;
        var sampler = Task.Run(async () =>
        {
            while (Volatile.Read(ref sampling))
            {
                rss.Add(server.ResidentMb());
                anon.Add(server.AnonymousMb());
                var info = await server.FiguresAsync();
                heap.Add((info.HeapBytes / 1048576.0, info.FragmentedBytes / 1048576.0, info.CommittedBytes / 1048576.0));
                await Task.Delay(10_000);
            }
        });
        var memoryEnd = options.RetailRuns("memory") ? Math.Min(events.Count, latencyEnd + (int)(options.RetailRate * options.RetailMinutes * 60))
            : latencyEnd;
        // Too many to cut beforehand at 200,000 users: each body is cut as its request starts.
        await OpenLoopAsync(server, (memoryEnd - latencyEnd + 9) / 10,
            i => events.Array(latencyEnd + 10 * i, Math.Min(memoryEnd, latencyEnd + 10 * i + 10)), memoryEnd - latencyEnd, options.RetailRate, 10,
            statuses);
        Volatile.Write(ref sampling, false);
        await sampler;
        report.Line($"{name}: working set MB every 10 s over {memoryEnd - latencyEnd:N0} events: " +
            $"{string.Join(" ", rss.Select(m => m.ToString("0", CultureInfo.InvariantCulture)))}");
        report.Line($"{name}: anonymous memory MB (the history is mapped, not in it) every 10 s: " +
            $"{string.Join(" ", anon.Select(m => m.ToString("0", CultureInfo.InvariantCulture)))}");
        report.Line($"{name}: GC heap MB after the last collection (of it fragmented; committed by the collector), every 10 s: " +
                    string.Join(" ", heap.Select(h => string.Create(CultureInfo.InvariantCulture,
                        $"{h.Heap:0} ({h.Fragmented:0}; {h.Committed:0})"))));

        var end = await server.FiguresAsync();
        // The GC heap above also holds garbage no gen-2 collection has reclaimed yet (users the cache
        // let go among it): what the estimate compares with is what stays reachable after a full one (in this process only).
        var reachable = server.ReachableHeapMb();
        report.Line($"{name}: user cache at the end: {end.CachedUsers:N0} users, {end.CachedUsersLoaded:N0} with events loaded, " +
                    $"{end.CachedEvents:N0} events, {end.CacheBytes / 1048576.0:0.0} MB estimated" +
                    (double.IsNaN(reachable) ? "" : $"; the process's reachable heap after a full collection {reachable:0.0} MB"));
        await server.WaitDeliveredAsync(TimeSpan.FromSeconds(30));
        var sends = Directory.Exists(server.OutboxDir)
            ? Directory.GetFiles(server.OutboxDir, "*.jsonl").Sum(f => File.ReadLines(f).LongCount()) : 0;
        // A part not run has no figure (NaN), printed as "not run" rather than as 0.
        double First(List<double> samples) => memoryEnd > latencyEnd && samples.Count > 0 ? samples[0] : double.NaN;
        double Last(List<double> samples) => memoryEnd > latencyEnd && samples.Count > 0 ? samples[^1] : double.NaN;
        if (latencyEnd == latencyStart) (p99, achieved) = (double.NaN, double.NaN);
        // Flat means no growth once the user cache has filled: the slope over the second half of the samples (10 s apart).
        var secondHalf = anon.Select((mb, i) => (Minute: i / 6.0, Mb: mb)).Skip(anon.Count / 2).ToList();
        var anonSlope = memoryEnd > latencyEnd ? MemoryRun.Slope(secondHalf) : double.NaN;
        if (!double.IsNaN(anonSlope)) report.Line($"{name}: anonymous memory slope over the memory run's second half: {anonSlope:+0.0;-0.0} MB/min");
        return new Result(profilesPerSecond, ingestPerSecond, cpuPerProfile, cpuPerEvent, p99, achieved, First(rss), Last(rss), First(anon),
            Last(anon), anonSlope, sends, end.TimerWork, end.SegmentEvaluations, statuses.ToString(), serverP99, diskP99);
    }

    /// <summary>
    /// The lead-in: the latency part's rate for its first seconds, one event per request, not measured. The ingest part's clients
    /// hold 8 connections; an open loop at 5,000/s keeps hundreds of requests in flight, each on a connection of its own, so
    /// without it the measured part began with the client opening them (its first 3 s answered at a p50 of 100–160 ms,
    /// 2026-12-08). A client that posts steadily holds its connections open. Its own p50 and p99 are reported.
    /// </summary>
    private static async Task LeadInAsync(LiveServer server, JsonLines events, int from, int to, LoadOptions options, string name,
        Statuses statuses, Report report)
    {
        var bodies = Bodies(events, from, to, 1);
        var (latencies, _) = await OpenLoopAsync(server, bodies.Count, i => bodies[i], to - from, options.RetailRate, 1, statuses);
        report.Line($"{name}: lead-in, {to - from:N0} events at {options.RetailRate:N0}/s before the latency part (not in its figures): " +
            $"p50 {LatencyLoad.Percentile(latencies, 0.5):0.0} ms, p99 {LatencyLoad.Percentile(latencies, 0.99):0.0} ms");
    }

    private const int DiskProbeSyncsPerSecond = 100;
    private static readonly TimeSpan DiskProbeTime = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The disk under the store, with the server idle just before the latency part: every answer waits for a sync of the store's log
    /// (acknowledged means durable), so the time the probe's syncs spend past 20 ms is a floor under the share of answers past
    /// 20 ms, apart from anything the server does (a virtual disk stalls now and then on its own). Its p99, ms.
    /// </summary>
    private static double ProbeDisk(string folder, string name, Report report)
    {
        var syncs = Machine.DiskSyncMs(folder, DiskProbeSyncsPerSecond, DiskProbeTime);
        var p99 = LatencyLoad.Percentile(syncs, 0.99);
        // A stall of L ms holds every answer that waits on a sync begun in its first L − 20 ms past 20 ms.
        var beyond = syncs.Sum(ms => Math.Max(0, ms - 20));
        report.Line($"{name}: the disk under the store, just before the latency part (a 4 KB page synced {DiskProbeSyncsPerSecond} times a " +
            $"second for {DiskProbeTime.TotalSeconds:0} s, nothing else running): p50 {LatencyLoad.Percentile(syncs, 0.5):0.00} ms, p99 " +
            $"{p99:0.00} ms, max {syncs[^1]:0.0} ms; {syncs.Count(ms => ms > 20):N0} of {syncs.Length:N0} over 20 ms, beyond which they took " +
            $"{beyond:0} ms in all ({beyond / DiskProbeTime.TotalMilliseconds:P1} of the time: at least the share of answers that a sync alone " +
            "holds past 20 ms, whatever the server does; a p99 under 20 ms needs it well under 1 %)");
        return p99;
    }

    /// <summary>
    /// Waits until the server has done the timer work the ingest part left (schedules and segment checks of the days it
    /// replayed): the committer works it off while no request comes, and its count stops growing once it is done; then until
    /// the sends it made are delivered.
    /// </summary>
    private static async Task DrainAsync(LiveServer server, string name, Report report)
    {
        var clock = Stopwatch.StartNew();
        var start = (await server.FiguresAsync()).TimerWork;
        var last = start;
        while (clock.Elapsed < DrainLimit)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            var now = (await server.FiguresAsync()).TimerWork;
            if (now == last) break;
            last = now;
        }
        var timers = clock.Elapsed;
        // The sends that work made go out too (the delivery loop reads the outbox from the store beside the committer).
        await server.WaitDeliveredAsync(DeliveryLimit);
        var delivering = clock.Elapsed - timers;
        report.Line($"{name}: the timer work the ingest part left: {last - start:N0} units in {timers.TotalSeconds:0} s" +
            (timers >= DrainLimit ? $" (not done after {DrainLimit.TotalSeconds:0} s: the latency part starts anyway)" : "") +
            (delivering >= DeliveryLimit ? $"; sends still pending after {DeliveryLimit.TotalSeconds:0} s more"
                : $"; its sends delivered {delivering.TotalSeconds:0} s later"));
    }

    private static readonly TimeSpan DrainLimit = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan DeliveryLimit = TimeSpan.FromMinutes(2);

    /// <summary>The requests' bodies of events from..to (exclusive), <paramref name="batch"/> events each, cut from the mapped history.</summary>
    private static IReadOnlyList<byte[]> Bodies(JsonLines events, int from, int to, int batch)
    {
        var bodies = new List<byte[]>((to - from + batch - 1) / batch);
        for (var i = from; i < to; i += batch) bodies.Add(events.Array(i, Math.Min(to, i + batch)));
        return bodies;
    }

    /// <summary>
    /// Bytes the client allocates per request of its latency part, with room to spare (50,000 requests took about 150 MB): its
    /// no-GC region is sized by the part, since one of 256 MB was outgrown by the 100,000 requests of 20 s at 5,000/s.
    /// </summary>
    private const long ClientNoGcBytesPerRequest = 6L << 10;
    private const long ClientNoGcMinBytes = 256L << 20;

    /// <summary>
    /// The client's own collections add their pauses to every latency in flight (50–140 ms per
    /// 10 s part on 2 cores, against the server's 20–40 ms p99): its latency part runs in a no-GC
    /// region where the runtime grants one (GC.TryStartNoGCRegion), so the figures are the server's.
    /// A part that outgrows the region collects as before, and the report says so.
    /// </summary>
    private static bool StartClientNoGcRegion(int requests)
    {
        try { return GC.TryStartNoGCRegion(Math.Max(ClientNoGcMinBytes, requests * ClientNoGcBytesPerRequest)); }
        catch (ArgumentOutOfRangeException) { return false; }   // more than this runtime's collector can set aside
    }

    /// <summary>Ends the region; false when it had already ended (the client allocated past it and collected).</summary>
    private static bool EndClientNoGcRegion()
    {
        if (System.Runtime.GCSettings.LatencyMode != System.Runtime.GCLatencyMode.NoGCRegion) return false;
        GC.EndNoGCRegion();
        return true;
    }

    /// <summary>The <paramref name="count"/> requests (of <paramref name="events"/> events in all) started every batch/rate s whatever
    /// the answers do; the sorted answer latencies (ms) and the achieved events/s.</summary>
    private static async Task<(double[] Ms, double Achieved)> OpenLoopAsync(LiveServer server, int count, Func<int, byte[]> bodies, int events,
        int rate, int batch, Statuses statuses)
    {
        var requests = new Task<double>[count];
        var clock = Stopwatch.StartNew();
        var next = 0;
        while (next < count)
        {
            var due = (int)Math.Min(count, (long)(clock.Elapsed.TotalSeconds * rate / batch));
            for (; next < due; next++)
            {
                var body = bodies(next);
                requests[next] = Task.Run(async () =>
                {
                    var sent = Stopwatch.GetTimestamp();
                    statuses.Add(await server.PostCountingAsync("/api/events", body));
                    return Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
                });
            }
            await Task.Delay(1);
        }
        var ms = await Task.WhenAll(requests);
        Array.Sort(ms);
        return (ms, events / clock.Elapsed.TotalSeconds);
    }
}
