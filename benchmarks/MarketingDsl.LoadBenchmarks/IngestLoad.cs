using System.Diagnostics;
using System.Text;
using System.Text.Json;
using MarketingDsl.Runtime;

namespace MarketingDsl.LoadBenchmarks;

/// <summary>
/// (a) Maximum sustained ingest: <c>--clients</c> tasks post batches of events as fast as the
/// answers come, for each batch size, against (1) the workspace with journeys, (2) the same
/// workspace without journeys (baseline: the same HTTP and store path, nothing to run), and (3)
/// the store alone: LiveStore.AddEvent of the same JSON in one store transaction per batch, one
/// thread, no HTTP (the floor the runtime pays for durable events). Each run has a fresh file.
/// </summary>
public static class IngestLoad
{
    public static async Task RunAsync(LoadOptions options, Report report)
    {
        report.Line("");
        report.Line($"## (a) max sustained ingest ({options.Clients} clients, {options.Users:N0} users, {options.Seconds} s per run " +
            $"after 2 s warm-up; events 80% views, 20% orders)");
        report.Line("");
        var whose = LiveServer.Host.Child ? "the serve process" : "this process: server and client";
        report.Line($"CPU µs/event: the server's CPU time ÷ events ({whose}" +
            "; the store alone: this process), less sensitive to other processes than events/s.");
        report.Line("");
        report.Line("| batch | with journeys ev/s (CPU µs/ev) | sends/s | no journeys (baseline) ev/s (CPU µs/ev) | store alone ev/s " +
            "(CPU µs/ev) | journeys ÷ no journeys | journeys ÷ store alone | other load (cores) |");
        report.Line("|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var batch in options.BatchSizes)
        {
            var other = Machine.OtherLoad(500);
            var (withJourneys, sends, cpuWith) = await MeasureServerAsync(options, batch, withJourneys: true);
            var (withoutJourneys, _, cpuWithout) = await MeasureServerAsync(options, batch, withJourneys: false);
            var (storeAlone, cpuStore) = MeasureStore(options, batch);
            report.Line($"| {batch} | {withJourneys:N0} ({cpuWith:0}) | {sends:N0} | {withoutJourneys:N0} ({cpuWithout:0}) | " +
                $"{storeAlone:N0} ({cpuStore:0}) | " +
                        $"{withJourneys / withoutJourneys:0.00} | {withJourneys / storeAlone:0.00} | {other:0.00} |");
        }
        report.Line("");
        report.Line("The committer during each measured run (processing: the group's requests; commit: SQLite's COMMIT with its fsync):");
        report.Line("");
        foreach (var line in Committer) report.Line("- " + line);
        Committer.Clear();
    }

    /// <summary>Where each server run's committer spent its time (CommitTimings), printed under the table.</summary>
    private static readonly List<string> Committer = [];

    public static TimeSpan Cpu() => System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;

    private static async Task<(double EventsPerSecond, double SendsPerSecond,
        double CpuMicrosPerEvent)> MeasureServerAsync(LoadOptions options, int batch, bool withJourneys)
    {
        await using var server = await LiveServer.StartAsync(withJourneys);
        await server.LoadProfilesAsync(options.Users);
        long next = 0, counted = 0;
        var counting = false;
        var stop = false;
        var clients = Enumerable.Range(0, options.Clients).Select(c => Task.Run(async () =>
        {
            var random = new Random(c + 1);
            var json = new StringBuilder();
            while (!Volatile.Read(ref stop))
            {
                json.Clear().Append('[');
                for (var i = 0; i < batch; i++)
                {
                    if (i > 0) json.Append(',');
                    LoadWorkspace.AppendEvent(json, Interlocked.Increment(ref next), LoadWorkspace.UserId(random.Next(options.Users)), random);
                }
                await server.PostAsync("/api/events", Encoding.UTF8.GetBytes(json.Append(']').ToString()), batch);
                if (Volatile.Read(ref counting)) Interlocked.Add(ref counted, batch);
            }
        })).ToArray();
        await Task.Delay(2000);
        var sendsBefore = SendCount(server);
        var watch = Stopwatch.StartNew();
        var cpu = server.CpuTime();
        await server.ResetTimingsAsync();
        Volatile.Write(ref counting, true);
        await Task.Delay(options.Seconds * 1000);
        Volatile.Write(ref counting, false);
        var seconds = watch.Elapsed.TotalSeconds;
        cpu = server.CpuTime() - cpu;
        Committer.Add($"batch {batch}, {(withJourneys ? "with journeys" : "no journeys")}: {(await server.FiguresAsync()).Summary}");
        var events = Interlocked.Read(ref counted);
        var sends = SendCount(server) - sendsBefore;
        Volatile.Write(ref stop, true);
        await Task.WhenAll(clients);
        return (events / seconds, sends / seconds, cpu.TotalMicroseconds / Math.Max(1, events));
    }

    /// <summary>Lines the file adapter has written so far (every delivered send).</summary>
    public static long SendCount(LiveServer server)
    {
        var file = Path.Combine(server.OutboxDir, "push.jsonl");
        if (!File.Exists(file)) return 0;
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var buffer = new byte[1 << 16];
        long lines = 0;
        int n;
        while ((n = stream.Read(buffer)) > 0) lines += buffer.AsSpan(0, n).Count((byte)'\n');
        return lines;
    }

    private static (double EventsPerSecond, double CpuMicrosPerEvent) MeasureStore(LoadOptions options, int batch)
    {
        var root = Path.Combine(Path.GetTempPath(), "mdsl-load", Guid.NewGuid().ToString("N"));
        try
        {
            using var store = new LiveStore(Path.Combine(root, "live.db"));
            var random = new Random(1);
            var json = new StringBuilder();
            long n = 0;
            void Batch()
            {
                store.Begin();
                for (var i = 0; i < batch; i++)
                {
                    var user = LoadWorkspace.UserId(random.Next(options.Users));
                    json.Clear();
                    LoadWorkspace.AppendEvent(json, ++n, user, random);
                    var text = json.ToString();
                    using var doc = JsonDocument.Parse(text);
                    var type = doc.RootElement.GetProperty("type").GetString()!;
                    var id = type == "order" ? doc.RootElement.GetProperty("order_id").GetString() : doc.RootElement.GetProperty("id").GetString();
                    if (store.HasEvent(type, id!)) throw new InvalidOperationException("duplicate");
                    store.AddEvent(type, id, user, LoadWorkspace.TsOf(n).Ticks, text);
                }
                store.Commit();
            }
            var warmUp = Stopwatch.StartNew();
            while (warmUp.Elapsed.TotalSeconds < 2) Batch();
            var from = n;
            var watch = Stopwatch.StartNew();
            var cpu = Cpu();
            while (watch.Elapsed.TotalSeconds < options.Seconds) Batch();
            cpu = Cpu() - cpu;
            return ((n - from) / watch.Elapsed.TotalSeconds, cpu.TotalMicroseconds / Math.Max(1, n - from));
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }
}
