using System.Diagnostics;
using System.Globalization;
using System.Text;
using MarketingDsl.Engine.Data;
using static MarketingDsl.EngineBenchmarks.Measurements;

namespace MarketingDsl.EngineBenchmarks;

/// <summary>
/// For each size: generate the data once, measure mdsl and DuckDB each in a child process of
/// its own (clean peak memory), check that both wrote the same tags.csv, and print the tables.
/// </summary>
public static class BenchmarkSuite
{
    /// <summary>Generated JSON per user for 180 days (4.6 GB for 200,000 users), until a generated size tells better.</summary>
    private const double DefaultBytesPerUserDay = 4.6e9 / 200_000 / 180;

    private sealed record SizeResult(int Users, string Order, long DataBytes, MdslReport Mdsl, DuckDbReport DuckDb, string? CsvDifference,
        double MdslOtherLoad, double DuckDbOtherLoad);

    /// <summary>A child's report and the CPU other processes used meanwhile, in cores (the noise).</summary>
    private sealed record ChildRun<T>(T Report, double OtherLoad);

    public static int Run(BenchmarkOptions options)
    {
        Directory.CreateDirectory(options.DataRoot);
        var results = new List<SizeResult>();
        var interleaved = new List<(int Users, OrderReport Report, double OtherLoad)>();
        var skipped = new List<string>();
        var snapshots = new List<(int Users, SnapshotReport Mdsl, SnapshotReport DuckDb, SizeResult? Parse, string? CsvDifference)>();
        var limited = new List<(int Users, SnapshotReport Limited, SizeResult? Unlimited, string? CsvDifference)>();
        foreach (var users in options.Users)
        {
            if (WhyNotFeasible(options, users, results) is { } reason)
            {
                skipped.Add($"{users:N0} users skipped: {reason}");
                Console.Error.WriteLine(skipped[^1]);
                continue;
            }
            var groupedDirectory = EnsureData(options, users);
            foreach (var order in options.Orders)
            {
                var dataDirectory = options.DataDirectory(users, order);
                if (order == "time") TimeOrderedCopy.Write(groupedDirectory, dataDirectory);
                var runDirectory = Path.Combine(options.DataRoot, "runs", $"users{users}-{order}");
                ChildRun<MdslReport> mdsl;
                ChildRun<DuckDbReport> duckDb;
                try
                {
                    Console.Error.WriteLine($"{users:N0} users, {order} order: mdsl ({options.Runs} runs, child process)");
                    mdsl = RunChild<MdslReport>(options, "mdsl", users, dataDirectory, Path.Combine(runDirectory, "mdsl"));
                    Console.Error.WriteLine($"{users:N0} users, {order} order: DuckDB ({options.Runs} runs, child process)");
                    duckDb = RunChild<DuckDbReport>(options, "duckdb", users, dataDirectory, Path.Combine(runDirectory, "duckdb"));
                }
                catch (ChildFailedException ex)
                {
                    // E.g. killed for memory: keep the sizes already measured and say what happened.
                    skipped.Add($"{users:N0} users, {order} order failed: {ex.Message}");
                    Console.Error.WriteLine(skipped[^1]);
                    continue;
                }
                var difference = CsvComparison.Difference(Path.Combine(runDirectory, "mdsl", "tags.csv"), Path.Combine(runDirectory,
                    "duckdb", "tags.csv"));
                results.Add(new SizeResult(users, order, DataBytes(dataDirectory), mdsl.Report, duckDb.Report, difference, mdsl.OtherLoad,
                    duckDb.OtherLoad));
            }
            if (options.MemoryLimit is not null)
            {
                var order = options.Orders[0];
                var runDirectory = Path.Combine(options.DataRoot, "runs", $"users{users}-limited");
                try
                {
                    Console.Error.WriteLine($"{users:N0} users: mdsl under --memory-limit {Gb(options.MemoryLimit.Value)} " +
                        $"({options.Runs} runs, child process)");
                    var run = RunChild<SnapshotReport>(options, "mdsl-limited", users, options.DataDirectory(users, order), runDirectory);
                    var difference = CsvComparison.Difference(Path.Combine(options.DataRoot, "runs", $"users{users}-{order}", "mdsl",
                        "tags.csv"), Path.Combine(runDirectory, "tags.csv"));
                    limited.Add((users, run.Report, results.FirstOrDefault(r => r.Users == users && r.Order == order), difference));
                }
                catch (ChildFailedException ex)
                {
                    skipped.Add($"{users:N0} users, run under the memory limit failed: {ex.Message}");
                    Console.Error.WriteLine(skipped[^1]);
                }
            }
            if (options.Snapshot)
            {
                // From a snapshot the row order no longer matters: measured on the first order's files.
                var order = options.Orders[0];
                var runDirectory = Path.Combine(options.DataRoot, "runs", $"users{users}-snapshot");
                try
                {
                    Console.Error.WriteLine($"{users:N0} users: mdsl from an import snapshot ({options.Runs} runs, child process)");
                    var mdsl = RunChild<SnapshotReport>(options, "mdsl-snapshot", users, options.DataDirectory(users, order),
                        Path.Combine(runDirectory, "mdsl"));
                    Console.Error.WriteLine($"{users:N0} users: DuckDB on its own tables ({options.Runs} runs, child process)");
                    var duck = RunChild<SnapshotReport>(options, "duckdb-native", users, options.DataDirectory(users, order),
                        Path.Combine(runDirectory, "duckdb"));
                    var difference = CsvComparison.Difference(Path.Combine(runDirectory, "mdsl", "tags.csv"), Path.Combine(runDirectory,
                        "duckdb", "tags.csv"));
                    snapshots.Add((users, mdsl.Report, duck.Report, results.FirstOrDefault(r => r.Users == users && r.Order == order), difference));
                }
                catch (ChildFailedException ex)
                {
                    skipped.Add($"{users:N0} users, snapshot runs failed: {ex.Message}");
                    Console.Error.WriteLine(skipped[^1]);
                }
            }
            if (options.Orders.Count == 2)
            {
                Console.Error.WriteLine($"{users:N0} users: mdsl on both orders alternately ({options.Runs} runs each, child process)");
                try
                {
                    var both = RunChild<OrderReport>(options, "mdsl-orders", users, groupedDirectory, Path.Combine(options.DataRoot,
                        "runs", $"users{users}-orders"));
                    interleaved.Add((users, both.Report, both.OtherLoad));
                }
                catch (ChildFailedException ex)
                {
                    skipped.Add($"{users:N0} users, both orders alternately failed: {ex.Message}");
                    Console.Error.WriteLine(skipped[^1]);
                }
            }
        }

        var report = Report(options, results, interleaved, skipped) + SnapshotTable(snapshots) + LimitedTable(limited);
        Console.WriteLine(report);
        var reportPath = Path.Combine(options.DataRoot, "results.md");
        File.WriteAllText(reportPath, report);
        Console.Error.WriteLine($"(also written to {reportPath})");
        var allEqual = results.All(r => CsvComparison.IsEqualByValue(r.CsvDifference) && r.Mdsl.HandLoopDifference is null)
            && snapshots.All(s => CsvComparison.IsEqualByValue(s.CsvDifference)) && limited.All(l => l.CsvDifference is null);
        return allEqual ? 0 : 1;
    }

    /// <summary>Disk for the JSON and memory for the importer, projected from what is known; null when the size fits.</summary>
    private static string? WhyNotFeasible(BenchmarkOptions options, int users, List<SizeResult> done)
    {
        var bytesPerUserDay = done.Count > 0 ? done.Max(r => (double)r.DataBytes / r.Users / options.Days) : DefaultBytesPerUserDay;
        if (!File.Exists(Path.Combine(options.DataDirectory(users), "events.jsonl")))
        {
            var needed = (long)(bytesPerUserDay * users * options.Days * 1.1) + (2L << 30);   // + outputs and DuckDB spill
            var free = new DriveInfo(options.DataRoot).AvailableFreeSpace;
            if (needed > free) return $"needs about {Gb(needed)} of disk in {options.DataRoot}, {Gb(free)} free";
        }
        if (done.Count > 0)
        {
            // Both engines grew linearly with users at the measured sizes.
            var bytesPerUser = done.Max(r => Math.Max(r.Mdsl.PeakWorkingSetAfterFirstRun, r.DuckDb.PeakWorkingSet) / (double)r.Users);
            var projected = (long)(bytesPerUser * users);
            var memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
            // Above ~3/4 of RAM the page cache of the JSON and the OS are squeezed and the run risks the OOM killer.
            if (projected > memory * 0.75)
                return $"projected peak memory {Gb(projected)} (the measured peak per user × users) exceeds 75% of the machine's {Gb(memory)}";
            // Other processes (e.g. a concurrent benchmark) may hold memory too.
            if (MemoryAvailableNow() is { } available
                && projected > available * 0.9) return $"projected peak memory {Gb(projected)} exceeds 90% of the {Gb(available)} available now";
        }
        return null;
    }

    /// <summary>
    /// The machine may be shared (builds, tests, other benchmarks): wait up to the given time for
    /// other processes to use less than a third of a core, so that they disturb the timings less.
    /// </summary>
    private static void WaitForQuietMachine(int maxSeconds)
    {
        var deadline = Stopwatch.StartNew();
        while (MachineBusySeconds() is { } before)
        {
            Thread.Sleep(2000);
            var load = (MachineBusySeconds() - before) / 2.0;
            if (load < 0.33 || deadline.Elapsed.TotalSeconds >= maxSeconds)
            {
                if (load >= 0.33) Console.Error.WriteLine($"  the machine is still busy ({load:F2} cores used by others): measuring anyway");
                return;
            }
        }
    }

    /// <summary>
    /// Reads the input files once before each child, so that both engines start with the input in
    /// the page cache (as far as it fits) and neither pays the disk for the other: the runs compare
    /// parsing, not the state the previous process left the cache in.
    /// </summary>
    private static void WarmPageCache(string dataDirectory)
    {
        var buffer = new byte[4 << 20];
        foreach (var file in Directory.EnumerateFiles(dataDirectory, "*.jsonl"))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            while (stream.Read(buffer, 0, buffer.Length) > 0) { }
        }
    }

    /// <summary>Memory touched before each child, per user of its size: above both engines' peaks (DuckDB 3.7 GB at 200k).</summary>
    private const int PreTouchBytesPerUser = 20_000;

    /// <summary>
    /// Allocates, touches and frees this much memory (at most half of what is available) just
    /// before a child starts. This machine is a VM whose host takes back memory the guest leaves
    /// unused for a few minutes (its page cache included): touching 4 GB took 7.0 s after 3½ idle
    /// minutes and 1.6 s right after. Without this, whichever engine runs first after a pause pays
    /// for it (mdsl's first 200k run took 10.1 s instead of 6.0 s).
    /// </summary>
    private static (long Bytes, double Seconds) TouchMemory(long bytes)
    {
        if (MemoryAvailableNow() is { } available) bytes = Math.Min(bytes, available / 2);
        if (bytes <= 0) return (0, 0);
        var clock = Stopwatch.StartNew();
        const long Chunk = 256L << 20;
        var chunks = new List<nint>();
        unsafe
        {
            try
            {
                for (long done = 0; done < bytes; done += Chunk)
                {
                    var p = (byte*)System.Runtime.InteropServices.NativeMemory.Alloc((nuint)Chunk);
                    chunks.Add((nint)p);
                    for (long i = 0; i < Chunk; i += 4096) p[i] = 1;
                }
            }
            finally
            {
                foreach (var p in chunks) System.Runtime.InteropServices.NativeMemory.Free((void*)p);
            }
        }
        return (chunks.Count * Chunk, clock.Elapsed.TotalSeconds);
    }

    /// <summary>MemAvailable of /proc/meminfo (free + reclaimable cache), or null elsewhere.</summary>
    private static long? MemoryAvailableNow() => MemInfo("MemAvailable:");

    private static long? MemInfo(string key)
    {
        if (!File.Exists("/proc/meminfo")) return null;
        var line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
        return line is null ? null : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>Generates <c>mdsl generate-data</c> output once per size; a partial directory never gets the final name.</summary>
    private static string EnsureData(BenchmarkOptions options, int users)
    {
        var directory = options.DataDirectory(users);
        if (File.Exists(Path.Combine(directory, "events.jsonl")) && File.Exists(Path.Combine(directory, "profiles.jsonl"))) return directory;
        var partial = directory + ".partial";
        if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
        Console.Error.WriteLine($"generating {users:N0} users × {options.Days} days (seed {options.Seed}) into {directory} …");
        var generated = RetailDataGenerator.Generate(partial, users, options.Days, options.Seed);
        Directory.Move(partial, directory);
        Console.Error.WriteLine($"  {generated.Profiles:N0} profiles, {generated.Events:N0} events");
        return directory;
    }

    private static long DataBytes(string directory) => Directory.EnumerateFiles(directory, "*.jsonl").Sum(f => new FileInfo(f).Length);

    /// <summary>Starts this harness again with <c>--child</c> and reads the JSON report it writes.</summary>
    private static ChildRun<T> RunChild<T>(BenchmarkOptions options, string engine, int users, string dataDirectory,
        string outDirectory) where T : class
    {
        Directory.CreateDirectory(outDirectory);
        var reportPath = Path.Combine(outDirectory, "report.json");
        File.Delete(reportPath);
        var start = new ProcessStartInfo(Environment.ProcessPath
            ?? throw new InvalidOperationException("no process path")) { UseShellExecute = false };
        // Under `dotnet Foo.dll` the process is the host: pass the assembly again.
        if (Path.GetFileNameWithoutExtension(start.FileName) == "dotnet") start.ArgumentList.Add(typeof(BenchmarkSuite).Assembly.Location);
        foreach (var arg in new[] { "--child", engine, "--data", dataDirectory, "--out", outDirectory, "--report", reportPath,
                     "--runs", options.Runs.ToString(CultureInfo.InvariantCulture), "--workspace", options.Workspace, "--data-root",
                         options.DataRoot })
            start.ArgumentList.Add(arg);
        if (options.MemoryLimit is { } limit)
        {
            start.ArgumentList.Add("--memory-limit");
            start.ArgumentList.Add(limit.ToString(CultureInfo.InvariantCulture));
        }
        WaitForQuietMachine(options.WaitQuietSeconds);
        WarmPageCache(dataDirectory);
        if (engine == "mdsl-orders") WarmPageCache(options.DataDirectory(users, "time"));   // the child reads both orders
        var touched = TouchMemory((long)PreTouchBytesPerUser * users);
        Console.Error.WriteLine($"  {engine}: input read into the page cache, {Gb(touched.Bytes)} of memory touched in " +
            $"{touched.Seconds:F2} s just before");
        var busyBefore = MachineBusySeconds();
        var clock = Stopwatch.StartNew();
        using var child = Process.Start(start) ?? throw new InvalidOperationException("cannot start the child process");
        child.WaitForExit();
        var wall = clock.Elapsed.TotalSeconds;
        var busy = MachineBusySeconds() - busyBefore;
        if (child.ExitCode != 0) throw new ChildFailedException($"the {engine} child process exited with code " +
            $"{child.ExitCode}{(child.ExitCode == 137 ? " (killed: out of memory?)" : "")}");
        var report = Read<T>(reportPath);
        var childCpu = report switch { MdslReport m => m.CpuSeconds, DuckDbReport d => d.CpuSeconds, OrderReport o => o.CpuSeconds,
            SnapshotReport n => n.CpuSeconds, _ => 0 };
        return new ChildRun<T>(report, busy is { } b ? Math.Max(0, b - childCpu) / wall : double.NaN);
    }

    // ------------------------------------------------------------------ report

    private static string Report(BenchmarkOptions options, List<SizeResult> results, List<(int Users, OrderReport Report,
        double OtherLoad)> interleaved, List<string> skipped)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"## End-to-end tags " +
            $"({options.Workspace.Replace(RetailWorkspace.RepositoryRoot + "/", "")}), {options.Days} days, seed {options.Seed}, medians " +
            $"of {options.Runs} runs, {Environment.ProcessorCount} cores");
        text.AppendLine();
        text.AppendLine("| users | order | events | JSON | mdsl end to end | mdsl load | mdsl evaluate | mdsl write | mdsl 1st run " +
            "(fresh process) | DuckDB end to end | DuckDB load | DuckDB compute + COPY | **mdsl ÷ DuckDB** (≤ 0.7) | mdsl ns/event | " +
            "DuckDB ns/event | other load during mdsl / DuckDB |");
        text.AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            var mdsl = Median(r.Mdsl.EndToEnd);
            var duck = Median(r.DuckDb.Total);
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Users:N0} | {r.Order} | {r.Mdsl.EventsKept:N0} | {Gb(r.DataBytes)} | {S(mdsl)} | {S(Median(r.Mdsl.Load))} | " +
                    $"{S(Median(r.Mdsl.Evaluate))} | {S(Median(r.Mdsl.Write))} | {S(r.Mdsl.EndToEnd[0])} | {S(duck)} | " +
                    $"{S(Median(r.DuckDb.Load))} | {S(Median(r.DuckDb.Compute))} | **{mdsl / duck:F2}** | " +
                    $"{mdsl * 1e9 / r.Mdsl.EventsKept:F0} | {duck * 1e9 / r.Mdsl.EventsKept:F0} | {r.MdslOtherLoad:F2} / " +
                    $"{r.DuckDbOtherLoad:F2} cores |");
        }
        text.AppendLine();
        text.AppendLine("| users | order | engine evaluate, warm | hand-written loop | **engine ÷ hand loop** (≤ 1.5) | editor: check | " +
            "editor: plan + evaluate | **editor total** (< 1 s) | peak mdsl (alone) | peak DuckDB (alone) | tags.csv mdsl vs DuckDB | " +
            "hand loop vs engine |");
        text.AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|");
        foreach (var r in results)
        {
            var engine = Median(r.Mdsl.WarmEvaluate);
            var hand = Median(r.Mdsl.HandLoop);
            var csv = r.CsvDifference is null ? "byte-identical" : CsvComparison.IsEqualByValue(r.CsvDifference) ? "equal by value"
                : "DIFFERENT (see below)";
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Users:N0} | {r.Order} | {S(engine)} | {S(hand)} | **{engine / hand:F2}** | {S(Median(r.Mdsl.EditorRecompile))} | " +
                    $"{S(Median(r.Mdsl.EditorEvaluate))} | **{S(Median(r.Mdsl.EditorTotal))}** | " +
                    $"{Gb(r.Mdsl.PeakWorkingSetAfterFirstRun)} | {Gb(r.DuckDb.PeakWorkingSet)} | {csv} | " +
                    $"{(r.Mdsl.HandLoopDifference is null ? "same values" : "DIFFERENT")} |");
        }
        var pairs = results.Where(r => r.Order == "time")
            .Select(t => (Time: t, User: results.FirstOrDefault(u => u.Users == t.Users && u.Order == "user"))).Where(p =>
                p.User is not null).ToList();
        if (pairs.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("| users | **mdsl time ÷ user order** end to end (≤ 1.2) | mdsl load time ÷ user | DuckDB time ÷ user | " +
                "**mdsl ÷ DuckDB, time order** (≤ 0.6) | mdsl ÷ DuckDB, user order |");
            text.AppendLine("|---:|---:|---:|---:|---:|---:|");
            foreach (var (t, u) in pairs)
            {
                double mt = Median(t.Mdsl.EndToEnd), mu = Median(u!.Mdsl.EndToEnd), dt = Median(t.DuckDb.Total), du = Median(u.DuckDb.Total);
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"| {t.Users:N0} | **{mt / mu:F2}** | {Median(t.Mdsl.Load) / Median(u.Mdsl.Load):F2} | {dt / du:F2} | " +
                        $"**{mt / dt:F2}** | {mu / du:F2} |");
            }
        }
        if (interleaved.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("| users | mdsl user order, alternating | mdsl time order, alternating | **time ÷ user** end to end (≤ 1.2) " +
                "| load time ÷ user | CPU s user / time order | **CPU time ÷ user** | other load |");
            text.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var (users, r, other) in interleaved)
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"| {users:N0} | {S(Median(r.UserEndToEnd))} | {S(Median(r.TimeEndToEnd))} | " +
                        $"**{Median(r.TimeEndToEnd) / Median(r.UserEndToEnd):F2}** | {Median(r.TimeLoad) / Median(r.UserLoad):F2} | " +
                        $"{Median(r.UserCpu):F2} / {Median(r.TimeCpu):F2} | **{Median(r.TimeCpu) / Median(r.UserCpu):F2}** | {other:F2} cores |");
        }
        text.AppendLine();
        text.AppendLine("Order: user = as generated (each user's rows together); time = the same rows stably sorted by ts, as exports " +
            "write history.");
        text.AppendLine("mdsl end to end = Workspace.Load + Compilation.Create + SimulationRunner.Run (lowering, import, evaluate, write " +
            "tags.csv/summary.json), in a fresh process.");
        text.AppendLine("DuckDB end to end = read_json into tables + tags query + COPY TO tags.csv, fresh in-memory database. Peaks: " +
            "PeakWorkingSet64 of each child process (mdsl's after its first run).");
        text.AppendLine("Other load = CPU used by other processes during a child process (machine busy time from /proc/stat minus the " +
            "child's own CPU time) ÷ wall time: above ~0.1 the timings are disturbed.");
        text.AppendLine("Editor = data loaded; annual_spend edited from `within: 365d` to `within: 90d`; Compilation.Create of the " +
            "edited workspace + CompiledEngine.Evaluate (lowering included).");
        foreach (var r in results)
        {
            if (r.CsvDifference is not null) text.AppendLine(CultureInfo.InvariantCulture,
                $"\n{r.Users:N0} users, {r.Order} order, tags.csv mdsl vs DuckDB: {r.CsvDifference}");
            if (r.Mdsl.HandLoopDifference is not null) text.AppendLine(CultureInfo.InvariantCulture,
                $"\n{r.Users:N0} users, {r.Order} order, hand loop vs engine: {r.Mdsl.HandLoopDifference}");
            text.AppendLine(CultureInfo.InvariantCulture, $"\n{r.Users:N0} users, {r.Order} order: editor edit changed annual_spend for " +
                $"{r.Mdsl.EditorChangedUsers:N0} users; mdsl peak at the end of its child (after repeated runs, hand loop, editor) " +
                $"{Gb(r.Mdsl.PeakWorkingSetAtEnd)}.");
        }
        foreach (var s in skipped) text.AppendLine(CultureInfo.InvariantCulture, $"\n{s}");
        return text.ToString();
    }

    private static string SnapshotTable(List<(int Users, SnapshotReport Mdsl, SnapshotReport DuckDb, SizeResult? Parse,
        string? CsvDifference)> snapshots)
    {
        if (snapshots.Count == 0) return "";
        var text = new StringBuilder();
        text.AppendLine();
        text.AppendLine("## Without parsing: mdsl from an import snapshot, DuckDB from its own database file");
        text.AppendLine();
        text.AppendLine("| users | mdsl import (once) | snapshot size | mdsl from snapshot end to end | load from snapshot | DuckDB load " +
            "into its file (once) | DuckDB file size | DuckDB tags from its tables | **mdsl snapshot ÷ DuckDB tables** (≤ 0.3) | mdsl " +
            "snapshot ÷ DuckDB read_json end to end | mdsl snapshot ÷ mdsl parsing | first run mdsl / DuckDB | first runs' ratio | " +
            "peak mdsl / DuckDB | tags.csv |");
        text.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var (users, m, d, parse, difference) in snapshots)
        {
            double ms = WarmMedian(m.EndToEnd), ds = WarmMedian(d.EndToEnd);
            var csv = difference is null ? "byte-identical" : CsvComparison.IsEqualByValue(difference) ? "equal by value" : "DIFFERENT: "
                + difference;
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {users:N0} | {(m.PrepareOnce is { } p ? S(p) : "(kept)")} | {Gb(m.PreparedBytes)} | {S(ms)} | {S(WarmMedian(m.Load))} | " +
                    $"{(d.PrepareOnce is { } q ? S(q) : "(kept)")} | {Gb(d.PreparedBytes)} | {S(ds)} | **{ms / ds:F2}** | " +
                $"{(parse is null ? "" : (ms / Median(parse.DuckDb.Total)).ToString("F2", CultureInfo.InvariantCulture))} | " +
                    $"{(parse is null ? "" : (ms / Median(parse.Mdsl.EndToEnd)).ToString("F2", CultureInfo.InvariantCulture))} | " +
                    $"{S(m.EndToEnd[0])} / {S(d.EndToEnd[0])} | {m.EndToEnd[0] / d.EndToEnd[0]:F2} | " +
                    $"{Gb(m.PeakWorkingSet)} / {Gb(d.PeakWorkingSet)} | {csv} |");
        }
        text.AppendLine();
        text.AppendLine("mdsl from snapshot = Workspace.Load + Compilation.Create + SimulationRunner.Run with --data SNAPSHOT (Arrow IPC " +
            "columns, no parsing). DuckDB tags from its tables = open the database file + the compute part of RetailTags.sql + COPY TO " +
            "tags.csv (its tables hold only the columns the tags read). The runs of each engine share one child process: the first " +
            "run pays what a fresh `mdsl simulate` pays (the JIT, verifying the snapshot's checksums; cold when the snapshot was " +
            "kept, after the import's JIT when this child wrote it); the warm figures are the median of the runs after it, as " +
            "the editor's repeated simulations run (the second run of a child is still tiering up: run 5 to see it settle).");
        return text.ToString();
    }

    private static string LimitedTable(List<(int Users, SnapshotReport Limited, SizeResult? Unlimited, string? CsvDifference)> limited)
    {
        if (limited.Count == 0) return "";
        var text = new StringBuilder();
        text.AppendLine();
        text.AppendLine("## Under a memory limit: simulate --memory-limit (users in partitions, event rows in spill files)");
        text.AppendLine();
        text.AppendLine("| users | limit | partitions | end to end | import | unlimited end to end | **limited ÷ unlimited** | peak " +
            "limited | peak unlimited | tags.csv vs unlimited |");
        text.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var (users, l, u, difference) in limited)
        {
            var ms = Median(l.EndToEnd);
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {users:N0} | {Gb(l.PreparedBytes)} | {l.PrepareOnce:F0} | {S(ms)} | {S(Median(l.Load))} | " +
                    $"{(u is null ? "" : S(Median(u.Mdsl.EndToEnd)))} | " +
                $"**{(u is null ? "" : (ms / Median(u.Mdsl.EndToEnd)).ToString("F2", CultureInfo.InvariantCulture))}** | " +
                    $"{Gb(l.PeakWorkingSet)} | {(u is null ? "" : Gb(u.Mdsl.PeakWorkingSetAfterFirstRun))} | " +
                $"{(difference is null ? "byte-identical" : "DIFFERENT: " + difference)} |");
        }
        return text.ToString();
    }

    private sealed class ChildFailedException(string message) : Exception(message);

    private static string S(double seconds) => seconds.ToString(seconds < 10 ? "F3" : "F2", CultureInfo.InvariantCulture) + " s";

    private static string Gb(long bytes) => (bytes / 1e9).ToString("F2", CultureInfo.InvariantCulture) + " GB";
}
