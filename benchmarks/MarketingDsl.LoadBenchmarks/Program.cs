using System.Globalization;
using MarketingDsl.LoadBenchmarks;

// Load harness of `mdsl serve` (see benchmarks/README.md, "Live runtime under load").
if (args is ["--help"] or ["-h"])
{
    Console.WriteLine(LoadOptions.Usage);
    return 0;
}
LoadOptions options;
try { options = LoadOptions.Parse(args); }
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}
var report = new Report();
report.Line($"# mdsl serve load benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
report.Line($"options: {options}");
report.Line($"other load at start: {Machine.OtherLoad():0.00} cores busy (of {Environment.ProcessorCount}) outside this process");
var gcVariables = Environment.GetEnvironmentVariables().Keys.Cast<string>()
    .Where(k => k.StartsWith("DOTNET_GC", StringComparison.OrdinalIgnoreCase) || k.Equals("DOTNET_gcServer", StringComparison.OrdinalIgnoreCase));
LiveServer.Host = options.Host;
report.Line($"server: {options.Host}");
// The harness's own collector is the load client's (workstation); a server in this process must run with serve's.
if (!options.Host.Child && !System.Runtime.GCSettings.IsServerGC)
    report.Line("warning: the in-process server runs under the client's workstation collector, not serve's: set DOTNET_gcServer=1 " +
        "DOTNET_gcConcurrent=1 DOTNET_GCDynamicAdaptationMode=1 for the collector `mdsl serve` runs with");
report.Line($"this process's collector (the load client's{(options.Host.Child ? "" : ", and the server's")}): " +
            $"{(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}, " +
            $"latency mode {System.Runtime.GCSettings.LatencyMode}; " +
            $"from the environment: {string.Join(" ", gcVariables.Order().Select(k => k + "=" + Environment.GetEnvironmentVariable(k)))}");

if (options.Runs("eval")) EvaluationBaseline.Run(options, report);
if (options.Runs("ingest")) await IngestLoad.RunAsync(options, report);
if (options.Runs("latency")) await LatencyLoad.RunAsync(options, report);
if (options.Runs("memory")) await MemoryRun.RunAsync(options, report);
if (options.Runs("retail")) await RetailLoad.RunAsync(options, report);

if (options.Out is { } path)
{
    File.WriteAllText(path, report.ToString());
    Console.WriteLine($"results: {path}");
}
return 0;

namespace MarketingDsl.LoadBenchmarks
{
    public sealed class LoadOptions
    {
        public const string Usage = """
            dotnet run -c Release --project benchmarks/MarketingDsl.LoadBenchmarks -- [options]
              --only eval,ingest,latency,memory,retail   phases to run (default all)
              --users 10000            profiles loaded before each phase
              --clients 8              concurrent client tasks of the ingest phase
              --batch-sizes 1,10,100   events per request in the ingest phase
              --seconds 10             measured seconds per ingest run (after 2 s of warm-up)
              --rate 5000              offered events/s of the latency phase (open loop, one event per request; several: 5000,500)
              --latency-seconds 20     measured seconds of the latency phase
              --latency-warmup 10      seconds of the same load before the measured ones
              --minutes 10             length of the memory run (sampled every 10 s)
              --memory-rate 1000       offered events/s of the memory run
              --memory-users 200000    profiles of the memory run (more than the 100,000 cached users)
              --memory-cache-users N   the runtime's user cache in the memory run (default: the runtime's default)
              --memory-cache-events N  the events the cached users may hold loaded (default: the runtime's default)
              --memory-cache-mb N      the bytes (estimated, in MB) the cached users may hold (default: the runtime's default)
              --memory-warmup N        events sent as fast as possible before the memory run measures (default 400000; 0: none)
              --retail-users 200000    users of the examples/retail phase (generate-data output, in time order)
              --retail-days 30         days of history generated for it
              --retail-ingest 0.5      share of the history sent as fast as possible (batches of 100, --clients clients)
              --retail-rate 5000       offered events/s of its latency and memory parts
              --retail-seconds 20      seconds of its latency part (one event per request)
              --retail-lead-in 3       seconds at the same rate before it, not measured (connections open, threads start)
              --retail-minutes 10      minutes of its memory part (batches of 10; ends early when the history does)
              --retail-parts profiles,ingest,latency,memory   parts of the retail phase to run (default all; profiles always load)
              --retail-drain yes       before the latency part, wait until the timer work the ingest part left is done (no: start at once)
              --retail-baseline yes    also run the retail phase without journeys (no: only with them, e.g. under a profiler)
              --retail-cache-users N   the runtime's user cache in the retail phase, users (default: the runtime's default)
              --retail-cache-mb N      the same in estimated MB (default: the runtime's default)
              --gc-latency-mode MODE   GCSettings.LatencyMode for the run (batch, interactive, sustained-low-latency; default the runtime's)
              --server child           child: `mdsl serve` of the built CLI in a process of its own (as users run it; the default);
                                       in-process: the runtime's app in this process (beside the load client)
              --cli PATH               the CLI the child runs (default src/MarketingDsl.Cli/bin/CONFIG/net10.0/mdsl)
              --server-env N=V,...     environment variables of the child (e.g. DOTNET_gcServer=0,DOTNET_GCgen0size=0x4000000)
              --timer-ride-wait 5      in-process only: ms the committer waits for a request to carry left-over timer work (0: at once)
              --max-group-events 512   in-process only: events one group commit takes at most (LiveOptions.MaxGroupEvents)
              --out FILE               also write the report to FILE
            """;

        private readonly HashSet<string> _phases = ["eval", "ingest", "latency", "memory", "retail"];
        public int Users { get; private set; } = 10_000;
        public int Clients { get; private set; } = 8;
        public int[] BatchSizes { get; private set; } = [1, 10, 100];
        public int Seconds { get; private set; } = 10;
        public int[] Rates { get; private set; } = [5000];
        public int LatencySeconds { get; private set; } = 20;
        // The same load runs this long before the measured seconds: a server runs for days, and
        // in the first seconds the JIT is still recompiling hot methods in the background (26% of
        // the process's samples in the measured window after a 3 s warm-up, perf).
        public int LatencyWarmUpSeconds { get; private set; } = 10;
        public double Minutes { get; private set; } = 10;
        public int MemoryRate { get; private set; } = 1000;
        public int MemoryUsers { get; private set; } = 200_000;
        public int? MemoryCacheUsers { get; private set; }
        public int? MemoryCacheEvents { get; private set; }
        public int? MemoryCacheMegabytes { get; private set; }
        public int MemoryWarmUpEvents { get; private set; } = 400_000;
        public string? Out { get; private set; }
        public int RetailUsers { get; private set; } = 200_000;
        public int RetailDays { get; private set; } = 30;
        public double RetailIngestShare { get; private set; } = 0.5;
        public int RetailRate { get; private set; } = 5000;
        public int RetailSeconds { get; private set; } = 20;
        public int RetailLeadInSeconds { get; private set; } = 3;
        public double RetailMinutes { get; private set; } = 10;
        private readonly HashSet<string> _retailParts = ["profiles", "ingest", "latency", "memory"];
        public bool RetailBaseline { get; private set; } = true;
        /// <summary>The user cache of the retail phase's servers (users, estimated MB); null: the runtime's defaults.</summary>
        public int? RetailCacheUsers { get; private set; }
        public int? RetailCacheMegabytes { get; private set; }
        /// <summary>
        /// Whether the latency part waits for the timer work the ingest part left (yes) or starts right after it (no). The ingest part
        /// replays days of history in minutes, so it leaves days of schedule fan-outs owed; the latency part then measured their
        /// catching up as much as its own rate's.
        /// </summary>
        public bool RetailDrain { get; private set; } = true;
        /// <summary>The committer's wait for a request to carry timer work (in-process only); null: the runtime's default.</summary>
        public TimeSpan? TimerRideWait { get; private set; }
        /// <summary>The cap on events per group commit (LiveOptions.MaxGroupEvents, in-process only); null: the runtime's default.</summary>
        public int? MaxGroupEvents { get; private set; }
        private bool _child = true;
        private string? _cli;
        private readonly Dictionary<string, string> _serverEnvironment = new(StringComparer.Ordinal);
        /// <summary>How the servers under load run (<c>--server</c>, <c>--cli</c>, <c>--server-env</c>).</summary>
        public ServerHost Host => new(_child, _cli ?? ServerHost.DefaultCli(), _serverEnvironment);

        /// <summary>Whether the retail phase runs its part <paramref name="part"/> (profiles, ingest, latency, memory).</summary>
        public bool RetailRuns(string part) => _retailParts.Contains(part);

        public bool Runs(string phase) => _phases.Contains(phase);

        public static LoadOptions Parse(string[] args)
        {
            var o = new LoadOptions();
            for (var i = 0; i < args.Length; i++)
            {
                if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                    throw new ArgumentException($"unexpected argument '{args[i]}'\n{Usage}");
                var name = args[i];
                var value = args[++i];
                int Int() => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
                    ? n : throw new ArgumentException($"{name} takes a positive integer, not '{value}'");
                switch (name)
                {
                    case "--only":
                        var phases = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                        if (phases.FirstOrDefault(p => !o._phases.Contains(p)) is { } bad)
                            throw new ArgumentException($"unknown phase '{bad}'\n{Usage}");
                        o._phases.IntersectWith(phases);
                        break;
                    case "--users": o.Users = Int(); break;
                    case "--clients": o.Clients = Int(); break;
                    case "--batch-sizes":
                        o.BatchSizes = [.. value.Split(',').Select(v => int.TryParse(v.Trim(), NumberStyles.None, CultureInfo.InvariantCulture,
                            out var n) && n > 0
                            ? n : throw new ArgumentException($"--batch-sizes takes positive integers, not '{v}'"))];
                        break;
                    case "--seconds": o.Seconds = Int(); break;
                    case "--rate":
                        o.Rates = [.. value.Split(',').Select(v => int.TryParse(v.Trim(), NumberStyles.None, CultureInfo.InvariantCulture,
                            out var n) && n > 0
                            ? n : throw new ArgumentException($"--rate takes positive integers, not '{v}'"))];
                        break;
                    case "--latency-seconds": o.LatencySeconds = Int(); break;
                    case "--latency-warmup": o.LatencyWarmUpSeconds = Int(); break;
                    case "--minutes":
                        o.Minutes = double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var m) && m > 0
                            ? m : throw new ArgumentException($"--minutes takes a positive number, not '{value}'");
                        break;
                    case "--memory-rate": o.MemoryRate = Int(); break;
                    case "--memory-users": o.MemoryUsers = Int(); break;
                    case "--memory-cache-users": o.MemoryCacheUsers = Int(); break;
                    case "--memory-cache-events": o.MemoryCacheEvents = Int(); break;
                    case "--memory-cache-mb": o.MemoryCacheMegabytes = Int(); break;
                    case "--memory-warmup": o.MemoryWarmUpEvents = value == "0" ? 0 : Int(); break;
                    case "--retail-users": o.RetailUsers = Int(); break;
                    case "--retail-days": o.RetailDays = Int(); break;
                    case "--retail-ingest":
                        o.RetailIngestShare = double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var share)
                            && share is > 0 and < 1
                            ? share : throw new ArgumentException($"--retail-ingest takes a share between 0 and 1, not '{value}'");
                        break;
                    case "--retail-rate": o.RetailRate = Int(); break;
                    case "--retail-seconds": o.RetailSeconds = Int(); break;
                    case "--retail-lead-in": o.RetailLeadInSeconds = Int(); break;
                    case "--retail-minutes":
                        o.RetailMinutes = double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var rm) && rm > 0
                            ? rm : throw new ArgumentException($"--retail-minutes takes a positive number, not '{value}'");
                        break;
                    case "--retail-parts":
                        var parts = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                        if (parts.FirstOrDefault(p => !o._retailParts.Contains(p)) is { } badPart)
                            throw new ArgumentException($"unknown retail part '{badPart}'\n{Usage}");
                        o._retailParts.IntersectWith(parts);
                        break;
                    case "--retail-drain":
                        o.RetailDrain = value is "yes" ? true : value is "no" ? false
                            : throw new ArgumentException($"--retail-drain takes yes or no, not '{value}'");
                        break;
                    case "--retail-baseline":
                        o.RetailBaseline = value is "yes" ? true : value is "no" ? false
                            : throw new ArgumentException($"--retail-baseline takes yes or no, not '{value}'");
                        break;
                    case "--retail-cache-users": o.RetailCacheUsers = Int(); break;
                    case "--retail-cache-mb": o.RetailCacheMegabytes = Int(); break;
                    case "--gc-latency-mode":
                        System.Runtime.GCSettings.LatencyMode = value switch
                        {
                            "batch" => System.Runtime.GCLatencyMode.Batch,
                            "interactive" => System.Runtime.GCLatencyMode.Interactive,
                            "sustained-low-latency" => System.Runtime.GCLatencyMode.SustainedLowLatency,
                            _ => throw new ArgumentException($"--gc-latency-mode takes batch, interactive or sustained-low-latency, not '{value}'"),
                        };
                        break;
                    case "--timer-ride-wait": o.TimerRideWait = TimeSpan.FromMilliseconds(value == "0" ? 0 : Int()); break;
                    case "--max-group-events": o.MaxGroupEvents = Int(); break;
                    case "--out": o.Out = Path.GetFullPath(value); break;
                    case "--server":
                        o._child = value is "child" ? true : value is "in-process" ? false
                            : throw new ArgumentException($"--server takes child or in-process, not '{value}'");
                        break;
                    case "--cli": o._cli = Path.GetFullPath(value); break;
                    case "--server-env":
                        foreach (var entry in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                        {
                            var eq = entry.IndexOf('=', StringComparison.Ordinal);
                            if (eq <= 0) throw new ArgumentException($"--server-env takes NAME=VALUE entries, not '{entry}'");
                            o._serverEnvironment[entry[..eq]] = entry[(eq + 1)..];
                        }
                        break;
                    default: throw new ArgumentException($"unknown option '{name}'\n{Usage}");
                }
            }
            return o;
        }

        public override string ToString() =>
            $"phases {string.Join(",", _phases)}; users {Users}; clients {Clients}; batch sizes {string.Join(",", BatchSizes)}; {Seconds} s per " +
            $"ingest run; " +
            $"latency {string.Join(",", Rates)}/s for {LatencySeconds} s after {LatencyWarmUpSeconds} s; memory {Minutes} min at {MemoryRate}/s " +
            $"over {MemoryUsers} users (cache {MemoryCacheUsers?.ToString(CultureInfo.InvariantCulture) ?? "default"} users, " +
            $"{MemoryCacheEvents?.ToString(CultureInfo.InvariantCulture) ?? "default"} events, " +
            $"{MemoryCacheMegabytes?.ToString(CultureInfo.InvariantCulture) ?? "default"} MB, warm-up {MemoryWarmUpEvents} events); " +
            $"retail {RetailUsers} users, {RetailDays} days, ingest share {RetailIngestShare}, {RetailRate}/s for {RetailSeconds} s " +
            $"after {RetailLeadInSeconds} s, memory {RetailMinutes} min, " +
            $"parts {string.Join(",", _retailParts)}, baseline {(RetailBaseline ? "yes" : "no")}, " +
            $"drain {(RetailDrain ? "yes" : "no")}, cache {RetailCacheUsers?.ToString(CultureInfo.InvariantCulture) ?? "default"} users, " +
            $"{RetailCacheMegabytes?.ToString(CultureInfo.InvariantCulture) ?? "default"} MB; timer ride wait " +
            $"{TimerRideWait?.TotalMilliseconds.ToString(CultureInfo.InvariantCulture) ?? "default"} ms; " +
            $"at most {MaxGroupEvents?.ToString(CultureInfo.InvariantCulture) ?? "the default"} events per group";
    }

    /// <summary>Lines printed as they come and kept for --out.</summary>
    public sealed class Report
    {
        private readonly System.Text.StringBuilder _text = new();

        public void Line(string line)
        {
            Console.WriteLine(line);
            _text.AppendLine(line);
        }

        public override string ToString() => _text.ToString();
    }

    public static class Machine
    {
        /// <summary>Cores used by other processes over a short interval (from /proc/stat minus this process), a noise indicator.</summary>
        public static double OtherLoad(int millis = 1000)
        {
            if (!File.Exists("/proc/stat")) return double.NaN;
            var (busy0, total0) = Cpu();
            var self0 = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
            Thread.Sleep(millis);
            var (busy1, total1) = Cpu();
            var self1 = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
            var cores = Environment.ProcessorCount;
            var busyCores = (double)(busy1 - busy0) / Math.Max(1, total1 - total0) * cores;
            return Math.Max(0, busyCores - (self1 - self0).TotalMilliseconds / millis);
        }

        /// <summary>
        /// The disk's own floor under a durable answer: one 4 KB page rewritten in place and synced (fdatasync, as SQLite syncs its log on
        /// Linux; fsync elsewhere), <paramref name="perSecond"/> times a second for <paramref name="duration"/>, in a file in
        /// <paramref name="folder"/>. The sorted latencies, ms. A virtual disk that stalls now and then shows it here, apart from any
        /// work of the server's: an answer that waits for a sync waits out such a stall too.
        /// </summary>
        public static double[] DiskSyncMs(string folder, int perSecond, TimeSpan duration)
        {
            var path = Path.Combine(folder, "disk-probe");
            var latencies = new List<double>();
            using (var file = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite))
            {
                var page = new byte[4096];
                Random.Shared.NextBytes(page);
                var clock = System.Diagnostics.Stopwatch.StartNew();
                for (var i = 0; clock.Elapsed < duration; i++)
                {
                    RandomAccess.Write(file, page, 0);
                    var before = clock.Elapsed;
                    if (!OperatingSystem.IsLinux()) RandomAccess.FlushToDisk(file);
                    else if (FDataSync(file.DangerousGetHandle().ToInt32()) != 0) throw new IOException($"{path}: fdatasync failed");
                    latencies.Add((clock.Elapsed - before).TotalMilliseconds);
                    var next = TimeSpan.FromSeconds((i + 1.0) / perSecond);
                    if (next > clock.Elapsed) Thread.Sleep(next - clock.Elapsed);
                }
            }
            File.Delete(path);
            latencies.Sort();
            return [.. latencies];
        }

        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
        private static extern int FDataSync(int fd);

        private static (long Busy, long Total) Cpu()
        {
            var parts = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
            var idle = parts[3] + (parts.Length > 4 ? parts[4] : 0);
            var total = parts.Sum();
            return (total - idle, total);
        }
    }
}
