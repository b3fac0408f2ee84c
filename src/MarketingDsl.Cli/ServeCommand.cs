using MarketingDsl.Runtime;
using MarketingDsl.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MarketingDsl.Cli;

/// <summary>
/// `mdsl serve WORKSPACE [--urls http://127.0.0.1:5090] [--db PATH] [--outbox-dir DIR] [--grace D]
/// [--webhook [CHANNEL=]URL,...] [--webhook-attempts N] [--webhook-timeout D] [--admin-token-file PATH] [--max-future-skew D]
/// [--allowed-hosts NAME,...] [--editor-db PATH] [--data-root DIR] [--cache-users N] [--cache-events N] [--cache-mb N]`: one process serving the live runtime over a workspace (store in
/// `WORKSPACE/.mdsl/live.db`, channel files in `WORKSPACE/.mdsl/outbox` unless given; timers fire by wall
/// clock at due + grace, default 0) and the web editor on the same folder (`/`, accounts in
/// `WORKSPACE/.mdsl/editor.db` unless given). `--webhook` sends a channel's actions to a URL
/// (`sms=https://…`), a bare URL serves every other channel; channels without a webhook go to the channel files.
/// The runtime's per-user cache holds at most `--cache-users` users, `--cache-events` loaded events
/// and `--cache-mb` megabytes (estimated per user).
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
        if (graceText is not null && !Core.Text.DurationText.TryParse(graceText.AsSpan(), out grace))
            throw new UsageException($"--grace takes a duration such as 30s, 5m, 1h or 2w, got '{graceText}'");
        var webhooks = ParseWebhooks(options.Get("--webhook"));
        var attemptsText = options.Get("--webhook-attempts");
        var attempts = 8;
        if (attemptsText is not null && (!int.TryParse(attemptsText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out attempts) || attempts < 1 || attempts > 1000))
            throw new UsageException($"--webhook-attempts must be a whole number from 1 to 1000, not '{attemptsText}'");
        var timeoutText = options.Get("--webhook-timeout");
        var timeout = TimeSpan.FromSeconds(10).Ticks;
        if (timeoutText is not null && (!Core.Text.DurationText.TryParse(timeoutText.AsSpan(), out timeout) || timeout <= 0))
            throw new UsageException($"--webhook-timeout takes a duration such as 5s or 1m, got '{timeoutText}'");
        if (options.Get("--admin-token") is not null)
            throw new UsageException("--admin-token is refused: a token on the command line is visible to every user of the machine (ps). " +
                $"Set the environment variable {AdminTokenVariable} or pass --admin-token-file PATH (a file only you can read).");
        var adminToken = AdminToken(options.Get("--admin-token-file"));
        var skewText = options.Get("--max-future-skew");
        var skew = Engine.Data.FutureEvents.DefaultMaxSkew.Ticks;
        if (skewText is not null && (!Engine.Data.ValueParsers.TryParseDuration(skewText.AsSpan(), out skew) || skew < 0))
            throw new UsageException($"--max-future-skew takes a duration such as 30s, 5m or 1h, got '{skewText}'");
        var allowedHosts = (options.Get("--allowed-hosts") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var cachedUsers = options.Get("--cache-users") is null ? LiveOptions.DefaultCachedUsers : options.RequireInt("--cache-users", 1, 100_000_000);
        var cachedEvents = options.Get("--cache-events") is null ? LiveOptions.DefaultCachedEvents : options.RequireInt("--cache-events", 0, 1_000_000_000);
        var cacheMegabytes = options.Get("--cache-mb") is null ? LiveOptions.DefaultCacheMegabytes : options.RequireInt("--cache-mb", 1, 1_000_000);
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
            Webhooks = webhooks,
            Delivery = new DeliveryPolicy { MaxAttempts = attempts, Timeout = TimeSpan.FromTicks(timeout) },
            Workspace = workspace,
            AdminToken = adminToken,
            MaxFutureSkew = TimeSpan.FromTicks(skew),
            AllowedHosts = allowedHosts,
            // The editor's accounts that operate the live runtime may read its member data when signed in.
            MemberDataRoles = [Web.Roles.Publisher, Web.Roles.Admin],
            CachedUsers = cachedUsers,
            CachedEvents = cachedEvents,
            CacheBytes = (long)cacheMegabytes << 20,
            ModelScorer = model => TrainCommand.ScorerFor(model, workspace, stderr),
        };
        var args = new List<string> { "--urls", urls, "--Editor:Workspace", workspace };
        if (editorDb is not null) args.AddRange(["--Editor:Db", Path.GetFullPath(editorDb)]);
        if (dataRoot is not null) args.AddRange(["--Editor:DataRoot", Path.GetFullPath(dataRoot)]);
        var builder = EditorApp.CreateBuilder([.. args]);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // Log lines go to stderr: stdout carries the addresses and reports that scripts (and tests) read.
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
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
        if (app.Services.GetService(typeof(LiveRuntime)) is LiveRuntime runtime && runtime.StartReport is { Ended.Count: > 0 } report)
            foreach (var group in report.Ended.GroupBy(e => (e.Journey, e.Reason)))
                stderr.WriteLine($"mdsl serve: the workspace changed since the store was last used: {group.Count()} state(s) of journey '{group.Key.Journey}' ended ({group.Key.Reason})");
        stdout.WriteLine(adminToken is null
            ? $"mdsl serve: admin calls (reload, outbox retry) are disabled: set {AdminTokenVariable} or --admin-token-file to enable them; "
                + "member data (outbox, tags, journey ends, merges) needs a publisher or admin signed in to the editor"
            : "mdsl serve: admin calls and member data (outbox, tags, journey ends, merges) need 'Authorization: Bearer' with the admin token "
                + "(member data also a publisher or admin signed in to the editor)");
        foreach (var (channel, hook) in webhooks) stdout.WriteLine($"mdsl serve: webhook {(channel == "*" ? "(every other channel)" : channel)} -> {hook}");
        await app.WaitForShutdownAsync(stop);
        return CommandLine.Ok;
    }

    /// <summary>The environment variable that holds the admin token (reload, outbox retry).</summary>
    public const string AdminTokenVariable = "MDSL_ADMIN_TOKEN";

    /// <summary>The admin token: from the file given (its first line), else from <see cref="AdminTokenVariable"/>; null: admin calls are disabled.</summary>
    public static string? AdminToken(string? file)
    {
        string? token;
        if (file is not null)
        {
            try { token = File.ReadLines(file).FirstOrDefault()?.Trim(); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"--admin-token-file: cannot read '{file}': {ex.Message}");
            }
            if (string.IsNullOrEmpty(token)) throw new UsageException($"--admin-token-file: '{file}' holds no token on its first line");
        }
        else token = Environment.GetEnvironmentVariable(AdminTokenVariable)?.Trim();
        if (token is { Length: > 0 and < 16 }) throw new UsageException("the admin token must be at least 16 characters long");
        return string.IsNullOrEmpty(token) ? null : token;
    }

    /// <summary>`[CHANNEL=]URL` entries separated by commas; a bare URL is the default (`*`).</summary>
    public static Dictionary<string, Uri> ParseWebhooks(string? text)
    {
        var result = new Dictionary<string, Uri>(StringComparer.Ordinal);
        if (text is null) return result;
        foreach (var entry in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = entry.IndexOf('=', StringComparison.Ordinal);
            var scheme = entry.IndexOf("://", StringComparison.Ordinal);
            var (channel, url) = eq > 0 && (scheme < 0 || eq < scheme) ? (entry[..eq], entry[(eq + 1)..]) : ("*", entry);
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
                throw new UsageException($"--webhook takes [CHANNEL=]URL entries with an http or https URL, got '{entry}'");
            if (!result.TryAdd(channel, uri)) throw new UsageException($"--webhook gives channel '{channel}' twice");
        }
        return result;
    }
}
