using System.CommandLine;
using MarketingDsl.Runtime;
using MarketingDsl.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MarketingDsl.Cli;

/// <summary>
/// `mdsl serve WORKSPACE [options]`: one process serving the live runtime over a workspace (store in
/// `WORKSPACE/.mdsl/live.db`, channel files in `WORKSPACE/.mdsl/outbox` unless given; timers fire by wall
/// clock at due + grace, default 0) and the web editor on the same folder (`/`, accounts in
/// `WORKSPACE/.mdsl/editor.db` unless given). Channels without a webhook go to the channel files.
/// </summary>
public static class ServeCommand
{
    public sealed class Syntax : Command
    {
        public readonly Argument<string> Workspace = OptionValues.Workspace("the workspace folder; the runtime runs it as compiled at start");
        public readonly Option<string> Urls = OptionValues.Text("--urls", "URLS", "the addresses to listen on", "http://127.0.0.1:5090");
        public readonly Option<string?> Db = OptionValues.Text("--db", "PATH", "the live store (default WORKSPACE/.mdsl/live.db)");
        public readonly Option<string?> OutboxDir = OptionValues.Text("--outbox-dir", "DIR",
            "the channel files DIR/CHANNEL.jsonl for channels without a webhook (default WORKSPACE/.mdsl/outbox)");
        public readonly OptionValues.DurationOption Grace = OptionValues.Duration("--grace",
            "timers fire by wall clock at due + D, room for late events; durations as the language writes them (30s, 5m, 2w)",
            TimeSpan.Zero, "30s, 5m, 1h or 2w");
        public readonly Option<Dictionary<string, Uri>?> Webhook = OptionValues.Parsed<Dictionary<string, Uri>?>("--webhook", "[CHANNEL=]URL,...",
            "send a channel's actions to a URL (sms=https://…); a bare URL serves every other channel; retried with backoff, "
            + "then parked as failed", ParseWebhooks);
        public readonly Option<int> WebhookAttempts = OptionValues.WholeNumber("--webhook-attempts", "N",
            "attempts per send before it is parked as failed", 1, 1000, new DeliveryPolicy().MaxAttempts);
        public readonly OptionValues.DurationOption WebhookTimeout = OptionValues.Duration("--webhook-timeout", "how long one attempt may take",
            new DeliveryPolicy().Timeout, "5s or 1m", positive: true);
        public readonly Option<string?> AdminTokenFile = OptionValues.Text("--admin-token-file", "PATH",
            $"a file whose first line is the admin token (at least 16 characters; else ${AdminTokenVariable}); the reload and "
            + "outbox-retry POSTs and the GETs of member data (tags, outbox, journey ends, merges) need 'Authorization: Bearer "
            + "TOKEN' (member data also a publisher or admin signed in); without a token admin calls are disabled");
        public readonly Option<string?> AdminToken = OptionValues.Refused("--admin-token",
            "--admin-token is refused: a token on the command line is visible to every user of the machine (ps). "
            + $"Set the environment variable {AdminTokenVariable} or pass --admin-token-file PATH (a file only you can read).");
        public readonly OptionValues.DurationOption MaxFutureSkew = OptionValues.Duration("--max-future-skew",
            "an event whose ts is more than D after the server's wall clock is rejected per item and never moves the clock",
            Engine.Data.FutureEvents.DefaultMaxSkew, "30s, 5m or 1h");
        public readonly Option<string[]> AllowedHosts = OptionValues.List("--allowed-hosts", "NAME,...",
            "host names besides IP addresses and localhost that requests may use (README, Security)");
        public readonly Option<string?> EditorDb = OptionValues.Text("--editor-db", "PATH",
            "the editor's store of accounts and versions (default WORKSPACE/.mdsl/editor.db)");
        public readonly Option<string?> DataRoot = OptionValues.Text("--data-root", "DIR",
            "the folder whose subfolders the editor's simulation and models pages read (default WORKSPACE/../data)");
        public readonly Option<int> CacheUsers = OptionValues.WholeNumber("--cache-users", "N",
            "users the runtime keeps in memory; least recently used leave first", 1, 100_000_000, LiveOptions.DefaultCachedUsers);
        public readonly Option<int> CacheEvents = OptionValues.WholeNumber("--cache-events", "N",
            "events the runtime keeps loaded in memory", 0, 1_000_000_000, LiveOptions.DefaultCachedEvents);
        public readonly Option<int> CacheMb = OptionValues.WholeNumber("--cache-mb", "N",
            "megabytes of the runtime's user cache, by an estimate per user", 1, 1_000_000, LiveOptions.DefaultCacheMegabytes);

        public Syntax() : base("serve", "the live runtime's API and the web editor in one process")
        {
            Add(Workspace);
            Add(Urls);
            Add(Db);
            Add(OutboxDir);
            Add(Grace);
            Add(Webhook);
            Add(WebhookAttempts);
            Add(WebhookTimeout);
            Add(AdminTokenFile);
            Add(AdminToken);
            Add(MaxFutureSkew);
            Add(AllowedHosts);
            Add(EditorDb);
            Add(DataRoot);
            Add(CacheUsers);
            Add(CacheEvents);
            Add(CacheMb);
            this.SetRun(RunAsync);
        }
    }

    /// <param name="stop">Stops the server like Ctrl+C does (tests).</param>
    public static async Task<int> RunAsync(Options options, TextWriter stdout, TextWriter stderr, CancellationToken stop = default)
    {
        var syntax = options.Bind<Syntax>();
        var adminToken = AdminToken(options.Value(syntax.AdminTokenFile));
        var workspace = options.Value(syntax.Workspace);
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
        var live = LiveOptionsOf(options, workspace, adminToken, stderr);
        var builder = WebCommands.EditorHost(options.Value(syntax.Urls),
            WebCommands.EditorSettingsOf(workspace, options.Value(syntax.EditorDb), options.Value(syntax.DataRoot)));
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // Log lines go to stderr: stdout carries the addresses and reports that scripts (and tests) read.
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        // A failed start is reported once, as the one `mdsl:` line of its exception (CommandLine), not also as the host's logged trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        builder.Services.AddLiveRuntime(compilation, live);
        var app = builder.Build();
        // The store opens here, before the host starts: a store that cannot be opened is an IOException naming the file.
        app.Services.GetRequiredService<LiveRuntime>();
        app.UseEditor();
        app.MapLiveRuntime();
        await WebCommands.StartAsync(app, options.Value(syntax.Urls));
        var url = app.Urls.First().TrimEnd('/');
        stdout.WriteLine($"mdsl serve: {workspace} at {string.Join(", ", app.Urls)} (Ctrl+C to stop)");
        stdout.WriteLine($"  editor   {url}/ (sign in; accounts: mdsl user add NAME --role admin --workspace {workspace})");
        stdout.WriteLine($"  live API {url}/api/health, /api/events, /api/profiles, /api/users/ID/tags; store {live.DbPath}; outbox " +
            $"{live.OutboxDir}");
        if (app.Services.GetService(typeof(LiveRuntime)) is LiveRuntime runtime && runtime.StartReport is { Ended.Count: > 0 } report)
            foreach (var group in report.Ended.GroupBy(e => (e.Journey, e.Reason)))
                stderr.WriteLine($"mdsl serve: the workspace changed since the store was last used: {group.Count()} state(s) of journey " +
                    $"'{group.Key.Journey}' ended ({group.Key.Reason})");
        stdout.WriteLine(adminToken is null
            ? $"mdsl serve: admin calls (reload, outbox retry) are disabled: set {AdminTokenVariable} or --admin-token-file to enable them; "
                + "member data (outbox, tags, journey ends, merges) needs a publisher or admin signed in to the editor"
            : "mdsl serve: admin calls and member data (outbox, tags, journey ends, merges) need 'Authorization: Bearer' with the admin token "
                + "(member data also a publisher or admin signed in to the editor)");
        foreach (var (channel, hook) in live.Webhooks) stdout.WriteLine($"mdsl serve: webhook " +
            $"{(channel == "*" ? "(every other channel)" : channel)} -> {hook}");
        if (live.Clock != TimeProvider.System)
            stdout.WriteLine($"mdsl serve: the wall clock stands at {live.Clock.GetUtcNow():O} ({ClockVariable}): timers fire as events reach them");
        await app.WaitForShutdownAsync(stop);
        return CommandLine.Ok;
    }

    /// <summary>The live runtime's options from serve's command line (<paramref name="workspace"/>: its full path).</summary>
    public static LiveOptions LiveOptionsOf(Options options, string workspace, string? adminToken, TextWriter stderr)
    {
        var syntax = options.Bind<Syntax>();
        return new LiveOptions
        {
            DbPath = Path.GetFullPath(options.Value(syntax.Db) ?? RuntimeApp.DefaultDbPath(workspace)),
            OutboxDir = Path.GetFullPath(options.Value(syntax.OutboxDir) ?? Path.Combine(workspace, ".mdsl", "outbox")),
            Grace = options.Value(syntax.Grace),
            Webhooks = options.Value(syntax.Webhook) ?? new(StringComparer.Ordinal),
            Delivery = new DeliveryPolicy
            {
                MaxAttempts = options.Value(syntax.WebhookAttempts), Timeout = options.Value(syntax.WebhookTimeout),
            },
            Workspace = workspace,
            AdminToken = adminToken,
            MaxFutureSkew = options.Value(syntax.MaxFutureSkew),
            AllowedHosts = options.Value(syntax.AllowedHosts),
            // The editor's accounts that operate the live runtime may read its member data when signed in.
            MemberDataRoles = [Web.Roles.Publisher, Web.Roles.Admin],
            CachedUsers = options.Value(syntax.CacheUsers),
            CachedEvents = options.Value(syntax.CacheEvents),
            CacheBytes = (long)options.Value(syntax.CacheMb) << 20,
            ModelScorer = model => TrainCommand.ScorerFor(model, workspace, stderr),
            Clock = ClockOf(Environment.GetEnvironmentVariable(ClockVariable)),
        };
    }

    /// <summary>
    /// The environment variable that stands the runtime's wall clock still at an ISO instant, to replay a recorded history
    /// (the load benchmark does): timers then fire only as the events' own ts reach them. Unset: the system clock.
    /// </summary>
    public const string ClockVariable = "MDSL_SERVE_CLOCK";

    /// <summary>The wall clock <see cref="ClockVariable"/> gives (<paramref name="text"/>), or the system's when it is unset.</summary>
    public static TimeProvider ClockOf(string? text) =>
        string.IsNullOrWhiteSpace(text) ? TimeProvider.System : new StandingClock(OptionValues.ParseInstant(ClockVariable, text.Trim()));

    private sealed class StandingClock(DateTime instant) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(instant);
    }

    /// <summary>The environment variable that holds the admin token (reload, outbox retry).</summary>
    public const string AdminTokenVariable = "MDSL_ADMIN_TOKEN";

    /// <summary>The admin token: from the file given (its first line), else from <see cref="AdminTokenVariable"/>;
    /// null: admin calls are disabled.</summary>
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
    public static Dictionary<string, Uri> ParseWebhooks(string text)
    {
        var result = new Dictionary<string, Uri>(StringComparer.Ordinal);
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
