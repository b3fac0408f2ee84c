using MarketingDsl.Runtime;
using Microsoft.Extensions.Hosting;

namespace MarketingDsl.Cli;

/// <summary>
/// `mdsl serve WORKSPACE [--urls http://127.0.0.1:5090] [--db PATH] [--outbox-dir DIR] [--grace D]
/// [--cache-users N] [--cache-events N]`: the live runtime over a workspace (store in
/// `WORKSPACE/.mdsl/live.db`, channel files in `WORKSPACE/.mdsl/outbox` unless given); timers fire
/// by wall clock at due + grace (default 0); the per-user cache holds at most N users and N events.
/// </summary>
public static class ServeCommand
{
    public static async Task<int> RunAsync(Options options, TextWriter stdout, TextWriter stderr)
    {
        var urls = options.Get("--urls") ?? "http://127.0.0.1:5090";
        var db = options.Get("--db");
        var outbox = options.Get("--outbox-dir");
        var graceText = options.Get("--grace");
        var grace = 0L;
        if (graceText is not null && !Engine.Data.ValueParsers.TryParseDuration(graceText.AsSpan(), out grace))
            throw new UsageException($"--grace takes a duration such as 30s, 5m or 1h, got '{graceText}'");
        var cachedUsers = options.Get("--cache-users") is null ? LiveOptions.DefaultCachedUsers : options.RequireInt("--cache-users", 1, 100_000_000);
        var cachedEvents = options.Get("--cache-events") is null ? LiveOptions.DefaultCachedEvents : options.RequireInt("--cache-events", 0, 1_000_000_000);
        var workspace = options.Workspace("serve");
        options.RejectUnknown();
        if (!Directory.Exists(workspace)) throw new Core.WorkspaceException($"The workspace folder '{workspace}' does not exist.");
        workspace = Path.GetFullPath(workspace);
        var compilation = RuntimeApp.CompileWorkspace(workspace);
        var live = new LiveOptions
        {
            DbPath = Path.GetFullPath(db ?? RuntimeApp.DefaultDbPath(workspace)),
            OutboxDir = Path.GetFullPath(outbox ?? Path.Combine(workspace, ".mdsl", "outbox")),
            Grace = TimeSpan.FromTicks(grace),
            CachedUsers = cachedUsers,
            CachedEvents = cachedEvents,
        };
        var app = RuntimeApp.Build(compilation, live, ["--urls", urls]);
        await app.StartAsync();
        stdout.WriteLine($"mdsl serve: {workspace} at {string.Join(", ", app.Urls)}; store {live.DbPath}; outbox {live.OutboxDir} (Ctrl+C to stop)");
        var notLive = app.Services.GetService(typeof(LiveRuntime)) is LiveRuntime runtime ? runtime.NotRunLive : [];
        foreach (var name in notLive)
            stderr.WriteLine($"mdsl serve: warning: journey '{name}' has a schedule or segment trigger, which the live runtime does not run yet");
        await app.WaitForShutdownAsync();
        return CommandLine.Ok;
    }
}
