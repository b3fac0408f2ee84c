using System.Net;
using MarketingDsl.Engine.Data;
using MarketingDsl.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace MarketingDsl.LoadBenchmarks;

/// <summary>
/// `mdsl serve` in this process: the runtime's own app (RuntimeApp.Build) on loopback Kestrel
/// (a free port), over a fresh temp folder with the workspace, the LiteDB file and the file
/// adapter's outbox. Disposing stops it and deletes the folder.
/// </summary>
public sealed class LiveServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LiveServer(WebApplication app, string root, string outbox, string db)
    {
        _app = app;
        Root = root;
        OutboxDir = outbox;
        DbPath = db;
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        BaseAddress = new Uri(addresses.First());
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
    public LiveRuntime Runtime => _app.Services.GetRequiredService<LiveRuntime>();

    /// <param name="writeWorkspace">Writes another workspace into the folder it is given (default: <see cref="LoadWorkspace"/>).</param>
    /// <param name="clock">The runtime's wall clock (default: the system's).</param>
    public static async Task<LiveServer> StartAsync(bool withJourneys, int? cachedUsers = null, int? cachedEvents = null, int? cacheMegabytes = null,
        Action<string>? writeWorkspace = null, TimeProvider? clock = null, TimeSpan? timerRideWait = null, int? maxGroupEvents = null)
    {
        var root = Path.Combine(Path.GetTempPath(), "mdsl-load", Guid.NewGuid().ToString("N"));
        var workspace = Path.Combine(root, "ws");
        if (writeWorkspace is not null) writeWorkspace(workspace);
        else LoadWorkspace.Write(workspace, withJourneys);
        var compilation = RuntimeApp.CompileWorkspace(workspace);
        var options = new LiveOptions
        {
            DbPath = Path.Combine(root, "live.db"),
            OutboxDir = Path.Combine(root, "outbox"),
            CachedUsers = cachedUsers ?? LiveOptions.DefaultCachedUsers,
            CachedEvents = cachedEvents ?? LiveOptions.DefaultCachedEvents,
            CacheBytes = (long)(cacheMegabytes ?? LiveOptions.DefaultCacheMegabytes) << 20,
            Clock = clock ?? TimeProvider.System,
            // A pinned clock replays a history from its start: its events are "ahead" of that clock by design.
            MaxFutureSkew = clock is null ? FutureEvents.DefaultMaxSkew : TimeSpan.MaxValue,
            TimerRideWait = timerRideWait ?? TimeSpan.FromMilliseconds(LiveOptions.DefaultTimerRideWaitMilliseconds),
            MaxGroupEvents = maxGroupEvents ?? LiveOptions.DefaultMaxGroupEvents,
        };
        var app = RuntimeApp.Build(compilation, options, ["--urls", "http://127.0.0.1:0"]);
        await app.StartAsync();
        var server = new LiveServer(app, root, options.OutboxDir, options.DbPath);
        _ = server.Runtime;   // open the store now, not under the first request
        return server;
    }

    /// <summary>Posts a JSON array; throws unless the answer is 200 with every item accepted.</summary>
    public async Task PostAsync(string path, byte[] body, int items)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");
        using var response = await Client.PostAsync(path, content);
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"{path}: HTTP {(int)response.StatusCode}: {text}");
        var accepted = CountOf(text, "\"accepted\"");
        if (accepted != items) throw new InvalidOperationException($"{path}: {accepted} of {items} accepted: {text[..Math.Min(300, text.Length)]}");
    }

    /// <summary>Posts a JSON array and counts its items' statuses (rejected and duplicate items are part of real data).</summary>
    public async Task<(int Accepted, int Duplicate, int Rejected)> PostCountingAsync(string path, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");
        using var response = await Client.PostAsync(path, content);
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"{path}: HTTP {(int)response.StatusCode}: " +
            $"{text[..Math.Min(300, text.Length)]}");
        return (CountOf(text, "\"accepted\""), CountOf(text, "\"duplicate\""), CountOf(text, "\"rejected\""));
    }

    public async Task LoadProfilesAsync(int users)
    {
        foreach (var batch in LoadWorkspace.ProfileBatches(users)) await PostAsync("/api/profiles", batch,
            CountOf(System.Text.Encoding.UTF8.GetString(batch), "\"user_id\""));
    }

    private static int CountOf(string text, string what)
    {
        var n = 0;
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
