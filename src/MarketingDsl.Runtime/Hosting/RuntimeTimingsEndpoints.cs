using System.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace MarketingDsl.Runtime;

/// <summary>
/// Where the server's time goes, for an operator or a load client in another process (admin calls:
/// `Authorization: Bearer TOKEN`): GET /api/admin/timings answers the committer's figures since the
/// last reset (<see cref="CommitTimings"/>: groups, per-request server time, the collector's pauses
/// inside groups, and its one-line summary), the process's collector (settings, collections per
/// generation, total pause, allocation, heap) and the runtime's counters (user cache, timer work,
/// write-ahead log); POST /api/admin/timings/reset forgets the committer's samples (the start of a
/// measured window). Counters of the collector only grow: a client takes differences.
/// </summary>
public static class RuntimeTimingsEndpoints
{
    public static IEndpointRouteBuilder MapLiveTimings(this IEndpointRouteBuilder app, LiveOptions options)
    {
        app.MapGet("/api/admin/timings", (HttpContext http, LiveRuntime runtime) =>
            RuntimeSecurity.AdminDenied(http, options) ?? Results.Json(Answer(runtime), ReloadAnswer.SnakeCase));
        app.MapPost("/api/admin/timings/reset", (HttpContext http, LiveRuntime runtime) =>
        {
            if (RuntimeSecurity.AdminDenied(http, options) is { } denied) return denied;
            runtime.Timings.Reset();
            return Results.Json(new { reset = true });
        });
        return app;
    }

    private static object Answer(LiveRuntime runtime)
    {
        var memory = GC.GetGCMemoryInfo();
        var fullBlocking = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        var cache = runtime.CacheSize;
        var cpu = Environment.CpuUsage;
        return new
        {
            Committer = runtime.Timings.Figures(),
            Summary = runtime.Timings.Summary(),
            Collector = new
            {
                Server = GCSettings.IsServerGC,
                Concurrent = AppContext.GetData("System.GC.Concurrent") as bool? ?? true,
                LatencyMode = GCSettings.LatencyMode.ToString(),
                Gen0Collections = GC.CollectionCount(0),
                Gen1Collections = GC.CollectionCount(1),
                Gen2Collections = GC.CollectionCount(2),
                PauseTotalMs = GC.GetTotalPauseDuration().TotalMilliseconds,
                // The last full blocking collection (index 0: none yet): a client comparing two answers sees whether one ran between.
                FullBlockingIndex = fullBlocking.Index,
                FullBlockingPauseMs = fullBlocking.Index == 0 ? 0 : fullBlocking.PauseDurations[0].TotalMilliseconds,
                AllocatedBytes = GC.GetTotalAllocatedBytes(),
                HeapBytes = memory.HeapSizeBytes,
                FragmentedBytes = memory.FragmentedBytes,
                CommittedBytes = memory.TotalCommittedBytes,
            },
            Process = new { CpuMs = cpu.TotalTime.TotalMilliseconds },
            Runtime = new
            {
                CachedUsers = cache.Users, CachedUsersLoaded = cache.Loaded, CachedEvents = cache.Events, CacheBytes = cache.Bytes,
                TimerWork = runtime.TimerWorkDone, SegmentEvaluations = runtime.SegmentEvaluations, LogBytes = runtime.Store.LogBytes,
                OutboxPendingInMemory = runtime.Store.OutboxPendingInMemory,
            },
        };
    }
}
