using MarketingDsl.Runtime;
using MarketingDsl.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MarketingDsl.Cli;

/// <summary>
/// `mdsl serve WORKSPACE [--urls http://127.0.0.1:5090] [--db PATH] [--outbox-dir DIR] [--grace D] [--editor-db PATH] [--data-root DIR]`:
/// one process serving the live runtime over a workspace (store in `WORKSPACE/.mdsl/live.db`, channel
/// files in `WORKSPACE/.mdsl/outbox` unless given; timers fire by wall clock at due + grace, default 0)
/// and the web editor on the same folder (`/`, accounts in `WORKSPACE/.mdsl/editor.db` unless given).
/// </summary>
public static class ServeCommand
{
    /// <param name="stop">Stops the server like Ctrl+C does (tests).</param>
    public static async Task<int> RunAsync(Options options, TextWriter stdout, TextWriter stderr, CancellationToken stop = default)
    {
        var urls = options.Get("--urls") ?? "http://127.0.0.1:5090";
        var db = options.Get("--db");
        var outbox = options.Get("--outbox-dir");
        var editorDb = options.Get("--editor-db");
        var dataRoot = options.Get("--data-root");
        var graceText = options.Get("--grace");
        var grace = 0L;
        if (graceText is not null && !Engine.Data.ValueParsers.TryParseDuration(graceText.AsSpan(), out grace))
            throw new UsageException($"--grace takes a duration such as 30s, 5m or 1h, got '{graceText}'");
        var workspace = options.Workspace("serve");
        options.RejectUnknown();
        if (!Directory.Exists(workspace)) throw new Core.WorkspaceException($"The workspace folder '{workspace}' does not exist.");
        workspace = Path.GetFullPath(workspace);
        Core.Compilation compilation;
        try
        {
            compilation = RuntimeApp.CompileWorkspace(workspace);
        }
        catch (Core.WorkspaceException ex)
        {
            // The live runtime runs only a checked workspace; the editor alone can be used to fix it.
            throw new Core.WorkspaceException($"{ex.Message}\n(`mdsl web {workspace}` starts the editor alone, to fix them)");
        }
        var live = new LiveOptions
        {
            DbPath = Path.GetFullPath(db ?? RuntimeApp.DefaultDbPath(workspace)),
            OutboxDir = Path.GetFullPath(outbox ?? Path.Combine(workspace, ".mdsl", "outbox")),
            Grace = TimeSpan.FromTicks(grace),
        };
        var args = new List<string> { "--urls", urls, "--Editor:Workspace", workspace };
        if (editorDb is not null) args.AddRange(["--Editor:Db", Path.GetFullPath(editorDb)]);
        if (dataRoot is not null) args.AddRange(["--Editor:DataRoot", Path.GetFullPath(dataRoot)]);
        var builder = EditorApp.CreateBuilder([.. args]);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddEditor();
        builder.Services.AddLiveRuntime(compilation, live);
        var app = builder.Build();
        app.UseEditor();
        app.MapLiveRuntime();
        await app.StartAsync();
        var url = app.Urls.First().TrimEnd('/');
        stdout.WriteLine($"mdsl serve: {workspace} at {string.Join(", ", app.Urls)} (Ctrl+C to stop)");
        stdout.WriteLine($"  editor   {url}/ (sign in; accounts: mdsl user add NAME --role admin --workspace {workspace})");
        stdout.WriteLine($"  live API {url}/api/health, /api/events, /api/profiles, /api/users/ID/tags; store {live.DbPath}; outbox {live.OutboxDir}");
        var notLive = app.Services.GetService(typeof(LiveRuntime)) is LiveRuntime runtime ? runtime.NotRunLive : [];
        foreach (var name in notLive)
            stderr.WriteLine($"mdsl serve: warning: journey '{name}' has a schedule or segment trigger, which the live runtime does not run yet");
        await app.WaitForShutdownAsync(stop);
        return CommandLine.Ok;
    }
}
