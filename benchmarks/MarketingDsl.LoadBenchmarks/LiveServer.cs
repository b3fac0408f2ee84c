using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using MarketingDsl.Engine.Data;
using MarketingDsl.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace MarketingDsl.LoadBenchmarks;

/// <summary>How the harness runs the server under load (<c>--server</c>).</summary>
public sealed record ServerHost(bool Child, string Cli, IReadOnlyDictionary<string, string> Environment)
{
    /// <summary>The built CLI of this configuration (<c>src/MarketingDsl.Cli/bin/CONFIG/net10.0</c>): its apphost when there is one.</summary>
    public static string DefaultCli()
    {
        var config = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}",
            StringComparison.Ordinal) ? "Debug" : "Release";
        var dir = MarketingDsl.Testing.RepoRoot.Combine("src", "MarketingDsl.Cli", "bin", config, "net10.0");
        return File.Exists(Path.Combine(dir, "mdsl")) ? Path.Combine(dir, "mdsl") : Path.Combine(dir, "mdsl.dll");
    }

    public override string ToString() => Child
        ? $"mdsl serve in a child process ({Cli}" +
          (Environment.Count == 0 ? ")" : $"; environment {string.Join(" ", Environment.Select(e => e.Key + "=" + e.Value))})")
        : "the runtime's app (RuntimeApp.Build) in this process";
}

/// <summary>
/// The server under load, over a fresh temp folder (workspace, the live store, the file adapter's
/// outbox), answering on loopback at a free port: by default `mdsl serve` as users run it, a child
/// process of the built CLI with its own runtimeconfig (its collector, heap and thread pool are its
/// own, none of the load client's); with <c>--server in-process</c> the runtime's app
/// (RuntimeApp.Build) in this process, as the harness ran before. Everything the harness reads of
/// the server goes through HTTP (<c>GET /api/admin/timings</c> with the admin token) or /proc of
/// the server's process. Disposing stops it and deletes the folder.
/// </summary>
public sealed class LiveServer : IAsyncDisposable
{
    /// <summary>How servers are run; the program sets it from its options once.</summary>
    public static ServerHost Host { get; set; } = new(true, ServerHost.DefaultCli(), new Dictionary<string, string>());

    private const string AdminToken = "load-benchmark-admin-token";
    private readonly WebApplication? _app;
    private readonly Process? _process;

    private LiveServer(WebApplication? app, Process? process, Uri baseAddress, string root, string outbox, string db)
    {
        _app = app;
        _process = process;
        Root = root;
        OutboxDir = outbox;
        DbPath = db;
        BaseAddress = baseAddress;
        Client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1024, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = BaseAddress,
            Timeout = TimeSpan.FromMinutes(2),
            DefaultRequestVersion = HttpVersion.Version11,
        };
    }

    public string Root { get; }
    public string OutboxDir { get; }
    public string DbPath { get; }
    public Uri BaseAddress { get; }
    public HttpClient Client { get; }
    /// <summary>Whether the server runs in a process of its own.</summary>
    public bool Child => _process is not null;

    /// <param name="writeWorkspace">Writes another workspace into the folder it is given (default: <see cref="LoadWorkspace"/>).</param>
    /// <param name="pinnedAt">The runtime's wall clock stands at this instant (a history replayed from its start); null: the system's.</param>
    public static async Task<LiveServer> StartAsync(bool withJourneys, int? cachedUsers = null, int? cachedEvents = null, int? cacheMegabytes = null,
        Action<string>? writeWorkspace = null, DateTimeOffset? pinnedAt = null, TimeSpan? timerRideWait = null, int? maxGroupEvents = null)
    {
        var root = Path.Combine(Path.GetTempPath(), "mdsl-load", Guid.NewGuid().ToString("N"));
        var workspace = Path.Combine(root, "ws");
        if (writeWorkspace is not null) writeWorkspace(workspace);
        else LoadWorkspace.Write(workspace, withJourneys);
        var db = Path.Combine(root, "live.db");
        var outbox = Path.Combine(root, "outbox");
        if (Host.Child)
        {
            if (timerRideWait is not null || maxGroupEvents is not null)
                throw new ArgumentException("--timer-ride-wait and --max-group-events have no `mdsl serve` option: " +
                    "run them with --server in-process");
            return await StartChildAsync(root, workspace, db, outbox, cachedUsers, cachedEvents, cacheMegabytes, pinnedAt);
        }
        var compilation = RuntimeApp.CompileWorkspace(workspace);
        var options = new LiveOptions
        {
            DbPath = db,
            OutboxDir = outbox,
            CachedUsers = cachedUsers ?? LiveOptions.DefaultCachedUsers,
            CachedEvents = cachedEvents ?? LiveOptions.DefaultCachedEvents,
            CacheBytes = (long)(cacheMegabytes ?? LiveOptions.DefaultCacheMegabytes) << 20,
            Clock = pinnedAt is { } at ? new PinnedClock(at) : TimeProvider.System,
            // A pinned clock replays a history from its start: its events are "ahead" of that clock by design.
            MaxFutureSkew = pinnedAt is null ? FutureEvents.DefaultMaxSkew : TimeSpan.MaxValue,
            TimerRideWait = timerRideWait ?? TimeSpan.FromMilliseconds(LiveOptions.DefaultTimerRideWaitMilliseconds),
            MaxGroupEvents = maxGroupEvents ?? LiveOptions.DefaultMaxGroupEvents,
            AdminToken = AdminToken,
        };
        var app = RuntimeApp.Build(compilation, options, ["--urls", "http://127.0.0.1:0"]);
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        var server = new LiveServer(app, null, new Uri(addresses.First()), root, outbox, db);
        _ = app.Services.GetRequiredService<LiveRuntime>();   // open the store now, not under the first request
        return server;
    }

    private static async Task<LiveServer> StartChildAsync(string root, string workspace, string db, string outbox, int? cachedUsers,
        int? cachedEvents, int? cacheMegabytes, DateTimeOffset? pinnedAt)
    {
        var cli = Host.Cli;
        if (!File.Exists(cli)) throw new InvalidOperationException($"the built CLI is not at {cli}: build src/MarketingDsl.Cli -c Release first");
        var info = new ProcessStartInfo(cli.EndsWith(".dll", StringComparison.Ordinal) ? "dotnet" : cli)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            // As a user runs it: from the folder that holds the workspace and its store (every commit writes below it).
            WorkingDirectory = root,
        };
        var arguments = new List<string>();
        if (cli.EndsWith(".dll", StringComparison.Ordinal)) arguments.Add(cli);
        arguments.AddRange(["serve", workspace, "--urls", "http://127.0.0.1:0", "--db", db, "--outbox-dir", outbox,
            "--editor-db", Path.Combine(root, "editor.db")]);
        static string N(int n) => n.ToString(CultureInfo.InvariantCulture);
        if (cachedUsers is { } users) arguments.AddRange(["--cache-users", N(users)]);
        if (cachedEvents is { } events) arguments.AddRange(["--cache-events", N(events)]);
        if (cacheMegabytes is { } mb) arguments.AddRange(["--cache-mb", N(mb)]);
        // A history replayed from its start: its events are ahead of the standing clock by up to its length.
        if (pinnedAt is not null) arguments.AddRange(["--max-future-skew", "36500d"]);
        foreach (var a in arguments) info.ArgumentList.Add(a);
        info.Environment["MDSL_ADMIN_TOKEN"] = AdminToken;
        if (pinnedAt is { } at) info.Environment["MDSL_SERVE_CLOCK"] = at.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
        else info.Environment.Remove("MDSL_SERVE_CLOCK");
        foreach (var (name, value) in Host.Environment) info.Environment[name] = value;
        var process = Process.Start(info)!;
        var log = Path.Combine(root, "serve.stderr.txt");
        var errors = new StreamWriter(log) { AutoFlush = true };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (errors) errors.WriteLine(e.Data); };
        process.BeginErrorReadLine();
        var first = process.StandardOutput.ReadLineAsync();
        // Generous: on a loaded machine the start (the workspace compiled, custom functions with Roslyn) can take a minute.
        if (await Task.WhenAny(first, Task.Delay(TimeSpan.FromMinutes(3))) != first || first.Result is not { } line
            || line.IndexOf("http://127.0.0.1:", StringComparison.Ordinal) is var at0 && at0 < 0)
        {
            if (!process.HasExited) process.Kill();
            await process.WaitForExitAsync();
            lock (errors) errors.Flush();
            throw new InvalidOperationException($"mdsl serve did not start ({(first.IsCompleted ? "it ended" : "no address in 3 min")}): " +
                File.ReadAllText(log));
        }
        // The serve's other lines (addresses, warnings) are drained so that its pipe never fills.
        _ = Task.Run(async () => { while (await process.StandardOutput.ReadLineAsync() is not null) { } });
        var url = line[at0..].Split([' ', ','], 2)[0];
        return new LiveServer(null, process, new Uri(url), root, outbox, db);
    }

    /// <summary>Posts a JSON array; throws unless the answer is 200 with every item accepted.</summary>
    public async Task PostAsync(string path, byte[] body, int items)
    {
        var (accepted, _, _, text) = await PostAndCountAsync(path, body);
        if (accepted != items) throw new InvalidOperationException($"{path}: {accepted} of {items} accepted: {text()}");
    }

    /// <summary>Posts a JSON array and counts its items' statuses (rejected and duplicate items are part of real data).</summary>
    public async Task<(int Accepted, int Duplicate, int Rejected)> PostCountingAsync(string path, byte[] body)
    {
        var (a, d, r, _) = await PostAndCountAsync(path, body);
        return (a, d, r);
    }

    private static readonly byte[] Accepted = "\"accepted\""u8.ToArray(), Duplicate = "\"duplicate\""u8.ToArray(),
        Rejected = "\"rejected\""u8.ToArray();

    // The answer's statuses are counted in its bytes: the client allocates little per request beside what HttpClient does.
    private async Task<(int Accepted, int Duplicate, int Rejected, Func<string> Text)> PostAndCountAsync(string path, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");
        using var response = await Client.PostAsync(path, content);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        string Text() => System.Text.Encoding.UTF8.GetString(bytes, 0, Math.Min(300, bytes.Length));
        if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"{path}: HTTP {(int)response.StatusCode}: {Text()}");
        return (CountOf(bytes, Accepted), CountOf(bytes, Duplicate), CountOf(bytes, Rejected), Text);
    }

    public async Task LoadProfilesAsync(int users)
    {
        foreach (var batch in LoadWorkspace.ProfileBatches(users)) await PostAsync("/api/profiles", batch, CountOf(batch, "\"user_id\""u8.ToArray()));
    }

    private static int CountOf(ReadOnlySpan<byte> text, ReadOnlySpan<byte> what)
    {
        var n = 0;
        for (int i; (i = text.IndexOf(what)) >= 0; text = text[(i + what.Length)..]) n++;
        return n;
    }

    /// <summary>The server's figures (<c>GET /api/admin/timings</c>): its committer since the last reset, its collector, its counters.</summary>
    public async Task<ServerFigures> FiguresAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/admin/timings");
        request.Headers.Authorization = new("Bearer", AdminToken);
        using var response = await Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK)
            throw new InvalidOperationException($"/api/admin/timings: HTTP {(int)response.StatusCode}: {text}");
        return ServerFigures.Parse(text);
    }

    /// <summary>Starts the committer's measured window (<c>POST /api/admin/timings/reset</c>).</summary>
    public async Task ResetTimingsAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/admin/timings/reset") { Content = new StringContent("{}") };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Authorization = new("Bearer", AdminToken);
        using var response = await Client.SendAsync(request);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>The server's CPU time: the child's from /proc; in this process, the whole process's (server and client).</summary>
    public TimeSpan CpuTime() => _process is { } p ? ProcessMemory.CpuTime(p.Id) : Process.GetCurrentProcess().TotalProcessorTime;

    /// <summary>The server process's resident memory (working set) in MB.</summary>
    public double ResidentMb() => _process is { } p ? ProcessMemory.ResidentMb(p.Id) : ProcessMemory.ResidentMb();

    /// <summary>The server process's resident anonymous memory in MB.</summary>
    public double AnonymousMb() => _process is { } p ? ProcessMemory.AnonymousMb(p.Id) : ProcessMemory.AnonymousMb();

    /// <summary>What the server's heap keeps reachable after a full collection, in MB: measurable only in this process (NaN for a child).</summary>
    public double ReachableHeapMb() => _app is null ? double.NaN : GC.GetTotalMemory(forceFullCollection: true) / 1048576.0;

    /// <summary>Waits (up to <paramref name="timeout"/>) until the outbox holds no pending action: every send is in its channel file.</summary>
    public async Task WaitDeliveredAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            using var health = JsonDocument.Parse(await Client.GetStringAsync("/api/health"));
            if (!health.RootElement.GetProperty("outbox").TryGetProperty("pending", out var pending) || pending.GetInt64() == 0) return;
            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        if (_process is not null)
        {
            if (!_process.HasExited) _process.Kill();
            await _process.WaitForExitAsync();
            _process.Dispose();
        }
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private sealed class PinnedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}

/// <summary>
/// The server's answer to <c>GET /api/admin/timings</c>: the committer's figures since the last
/// reset (and its summary line), the collector's counters since the process started, its counters.
/// </summary>
public sealed record ServerFigures(string Summary, double RequestP99Ms, double QueuedP99Ms, double AnswerP99Ms, double GroupWallP99Ms,
    long Events, int GroupsWithCollectorPause, double CollectorPauseInGroupsMs, double CommitterCpuMicrosPerEvent,
    bool ServerCollector, bool Concurrent, int Gen0, int Gen1, int Gen2, double PauseMs, long FullBlockingIndex, double FullBlockingPauseMs,
    long Allocated, long HeapBytes, long FragmentedBytes,
    long CommittedBytes, double CpuMs, int CachedUsers, int CachedUsersLoaded, long CachedEvents, long CacheBytes, long TimerWork,
    long SegmentEvaluations, long LogBytes, long OutboxPendingInMemory)
{
    public static ServerFigures Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        var c = root.GetProperty("committer");
        var gc = root.GetProperty("collector");
        var r = root.GetProperty("runtime");
        return new ServerFigures(root.GetProperty("summary").GetString()!, c.GetProperty("request_p99_ms").GetDouble(),
            c.GetProperty("queued_p99_ms").GetDouble(), c.GetProperty("answer_p99_ms").GetDouble(), c.GetProperty("group_wall_p99_ms").GetDouble(),
            c.GetProperty("events").GetInt64(), c.GetProperty("groups_with_collector_pause").GetInt32(),
            c.GetProperty("collector_pause_in_groups_ms").GetDouble(), c.GetProperty("committer_cpu_micros_per_event").GetDouble(),
            gc.GetProperty("server").GetBoolean(), gc.GetProperty("concurrent").GetBoolean(), gc.GetProperty("gen0_collections").GetInt32(),
            gc.GetProperty("gen1_collections").GetInt32(), gc.GetProperty("gen2_collections").GetInt32(),
            gc.GetProperty("pause_total_ms").GetDouble(), gc.GetProperty("full_blocking_index").GetInt64(),
            gc.GetProperty("full_blocking_pause_ms").GetDouble(),
            gc.GetProperty("allocated_bytes").GetInt64(), gc.GetProperty("heap_bytes").GetInt64(), gc.GetProperty("fragmented_bytes").GetInt64(),
            gc.GetProperty("committed_bytes").GetInt64(), root.GetProperty("process").GetProperty("cpu_ms").GetDouble(),
            r.GetProperty("cached_users").GetInt32(), r.GetProperty("cached_users_loaded").GetInt32(), r.GetProperty("cached_events").GetInt64(),
            r.GetProperty("cache_bytes").GetInt64(), r.GetProperty("timer_work").GetInt64(), r.GetProperty("segment_evaluations").GetInt64(),
            r.GetProperty("log_bytes").GetInt64(), r.GetProperty("outbox_pending_in_memory").GetInt64());
    }

    /// <summary>The collector's work between <paramref name="start"/> and these figures, per event of <paramref name="events"/>.</summary>
    /// <remarks>
    /// Under the server collector the process's allocation count (GC.GetTotalAllocatedBytes) sums the heaps active when read, and
    /// DATAS changes their number (dotnet/runtime#131069): it read 0 and 100 KB per event where the allocation ticks of a trace
    /// gave about 20. There the committer's own count (its summary) stands instead.
    /// </remarks>
    public string CollectorSince(ServerFigures start, int events) =>
        $"server's GC {Gen0 - start.Gen0}/{Gen1 - start.Gen1}/{Gen2 - start.Gen2} collections (gen 0/1/2), paused " +
        $"{PauseMs - start.PauseMs:0} ms" +
        // One blocking full collection stops every request for hundreds of milliseconds: whether one ran, and the last one's pause.
        (FullBlockingIndex != start.FullBlockingIndex ? $", a full blocking one among them (the last paused {FullBlockingPauseMs:0} ms)" : "") +
        (ServerCollector ? "" : $", allocated {(Allocated - start.Allocated) / (double)Math.Max(1, events) / 1024:0.0} KB per event") +
        $" ({(ServerCollector ? "server" : "workstation")}{(Concurrent ? ", concurrent" : "")})";
}
