using System.Globalization;
using System.Text.Json;
using MarketingDsl.Core;
using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Functions.Loading;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MarketingDsl.Runtime;

/// <summary>
/// `mdsl serve`: a minimal ASP.NET Core API over one <see cref="LiveRuntime"/>.
/// POST /api/events and POST /api/profiles take a JSON array and answer
/// `{"results":[{"index","status","code"?,"field"?,"reason"?}]}` (status accepted | duplicate | rejected; a rejected
/// item's code MD95xx and field from the row rules, RowRejects; valid
/// items are accepted even when others are rejected); GET /api/health (counts only); GET
/// /api/users/{id}/tags?at=ISO (member data: <see cref="RuntimeSecurity.MemberDataDenied"/>) (every tag as of the
/// instant, default the runtime's clock, or
/// the wall clock before any event); the
/// outbox and reload endpoints of <see cref="RuntimeAdminEndpoints"/>.
/// A background loop fires due timers by wall clock every <see cref="TimerLoop.Period"/>; another
/// (<see cref="DeliveryLoop"/>) delivers the outbox.
/// </summary>
public static class RuntimeApp
{
    public static string DefaultDbPath(string workspace) => Path.Combine(workspace, ".mdsl", "live.db");

    /// <summary>Compiles the workspace (errors throw <see cref="WorkspaceException"/>).</summary>
    public static Compilation CompileWorkspace(string workspace)
    {
        var compilation = FunctionCompilation.Create(Workspace.Load(workspace));
        if (compilation.HasErrors)
            throw new WorkspaceException("the workspace has errors; run 'mdsl check' first:\n" +
                DiagnosticWriter.ToText([.. compilation.Diagnostics.Where(d => d.IsError)], [.. compilation.Workspace.AllFiles]));
        return compilation;
    }

    public static WebApplication Build(Compilation compilation, LiveOptions options, string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = HostArgs(args) });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        QuietRequestLog(builder.Logging);
        builder.Services.AddLiveRuntime(compilation, options);
        var app = builder.Build();
        app.MapLiveRuntime();
        return app;
    }

    /// <summary>
    /// A host's arguments: <paramref name="args"/> after the generic host's documented switch that reads appsettings.json
    /// once instead of watching it. The watcher covers the content root, the folder `mdsl serve` is started from, which
    /// holds the live store: every commit's writes were file events (2.8 KB of garbage per ingest request).
    /// </summary>
    public static string[] HostArgs(string[] args) => ["--hostBuilder:reloadConfigOnChange=false", .. args];

    /// <summary>
    /// No log of each request's start and end (ASP.NET Core's hosting category): while that category
    /// may log at all, the host gives every request an Activity and a logging scope, a few hundred
    /// bytes of garbage per ingest call, even where those lines are filtered out. Errors are logged
    /// by Kestrel's own category and stay.
    /// </summary>
    public static void QuietRequestLog(ILoggingBuilder logging) =>
        logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);

    /// <summary>The runtime with its timer and delivery loops, for this app or a host that also serves the web editor (`mdsl serve`).</summary>
    public static IServiceCollection AddLiveRuntime(this IServiceCollection services, Compilation compilation, LiveOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton(_ => new LiveRuntime(compilation.Model, options));
        services.AddHostedService<TimerLoop>();
        services.AddHostedService<DeliveryLoop>();
        return services;
    }

    /// <summary>The HTTP API: /api/health, /api/events, /api/profiles (no sign-in), /api/users/{id}/tags (member data)
    /// and the admin endpoints (outbox, reload, journey ends).</summary>
    public static void MapLiveRuntime(this IEndpointRouteBuilder endpoints)
    {
        var options = endpoints.ServiceProvider.GetRequiredService<LiveOptions>();
        // Every endpoint of the runtime checks Host, Origin and (for POSTs) the JSON content type first.
        var app = endpoints.MapGroup("");
        app.AddEndpointFilter((context, next) =>
            RuntimeSecurity.Refused(context.HttpContext, options) is { } refused ? ValueTask.FromResult<object?>(refused) : next(context));
        app.MapGet("/api/health", (LiveRuntime runtime) =>
        {
            var clock = runtime.Clock;
            var (values, merges) = runtime.IdentityCounts();
            return Results.Json(new
            {
                status = "ok",
                clock = clock == 0 ? null : new DateTime(clock, DateTimeKind.Utc).ToString("O", CultureInfo.InvariantCulture),
                pending_timers = runtime.PendingTimers,
                outbox = RuntimeAdminEndpoints.OutboxHealth(runtime),
                identity = new { values, merges },
            });
        });
        app.MapGet("/api/identity-merges", (HttpContext http, LiveRuntime runtime) =>
            RuntimeSecurity.MemberDataDenied(http, options) ?? Results.Json(runtime.IdentityMerges().Select(m => new
            {
                survivor = m.Survivor, merged = m.Merged, key = m.Key, value = m.Value,
                at = m.At == 0 ? null : new DateTime(m.At, DateTimeKind.Utc).ToString("O", CultureInfo.InvariantCulture),
                events_moved = m.EventsMoved, journeys_ended = m.JourneysEnded,
            })));
        // Devices call the ingest endpoints at volume and no one signs in to them: they run as soon as
        // routing finds them, before a host's sign-in middleware (the editor's, in `mdsl serve`), whose
        // cookie handler costs a dozen objects per request for an answer these endpoints never read.
        app.MapPost("/api/events", (HttpContext http, LiveRuntime runtime) => Ingest(http, options, runtime.IngestEventsAsync))
            .ShortCircuit();
        app.MapPost("/api/profiles", (HttpContext http, LiveRuntime runtime) =>
            Ingest(http, options, items => Task.FromResult(runtime.IngestProfiles(items))))
            .ShortCircuit();
        app.MapGet("/api/users/{id}/tags", (string id, string? at, HttpContext http, LiveRuntime runtime) =>
        {
            if (RuntimeSecurity.MemberDataDenied(http, options) is { } denied) return denied;
            // The runtime's clock (the latest event); before any event, the wall clock: never year 1.
            var asOf = runtime.Clock is > 0 and var clock ? clock : runtime.WallClock.GetUtcNow().UtcTicks;
            if (at is not null && !Engine.Data.ValueParsers.TryParseTimestamp(at.AsSpan(), out asOf))
                return Results.Json(new { error = $"invalid 'at' {at}" }, statusCode: 400);
            var tags = runtime.Tags(id, new DateTime(asOf, DateTimeKind.Utc));
            return tags is null ? Results.Json(new { error = $"no profile '{id}'" }, statusCode: 404) : Results.Json(new { user_id = id, tags });
        });
        app.MapLiveAdmin(options);
        app.MapLiveResults(options);
        app.MapLiveTimings(options);
    }

    /// <summary>
    /// An ingest POST: the body's bytes are split into items (<see cref="RequestItems"/>: a body
    /// that is not a JSON array is refused whole, 400; one of more than
    /// <see cref="LiveOptions.MaxRequestItems"/> items too, 413) and each item is validated and
    /// stored from its bytes; the answer, a result per item, is written straight to UTF-8 as the
    /// serialiser would write it. A store whose disk is full answers 503: the request's
    /// transaction was rolled back whole, and what was acknowledged before stays.
    /// </summary>
    private static async Task<IResult> Ingest(HttpContext http, LiveOptions options,
        Func<IReadOnlyList<ReadOnlyMemory<byte>>, Task<IReadOnlyList<IngestResult>>> ingest)
    {
        var length = http.Request.ContentLength is > 0 and < 1 << 24 and var known ? (int)known : 0;
        using var body = new MemoryStream(length);
        await http.Request.Body.CopyToAsync(body);
        if (RequestItems.Split(body.GetBuffer().AsMemory(0, (int)body.Length), options.MaxRequestItems, out var error, out var tooMany)
            is not { } items)
            return tooMany
                ? Results.Json(new { error, max_items = options.MaxRequestItems }, statusCode: StatusCodes.Status413PayloadTooLarge)
                : Results.Json(new { error }, statusCode: 400);
        IReadOnlyList<IngestResult> results;
        try
        {
            results = await ingest(items);
        }
        catch (Microsoft.Data.Sqlite.SqliteException ex) when (ex.SqliteErrorCode == 13)   // SQLITE_FULL
        {
            http.Response.Headers.RetryAfter = "10";
            http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RuntimeApp)).LogError(
                "the live store's disk is full: a request was refused (503) and nothing of it stored ({Message})", ex.Message);
            return Results.Json(new
            {
                error = "the live store's disk is full: nothing of this request was stored (what was acknowledged before is kept); " +
                    "send it again once there is space",
            }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        var answer = new System.Buffers.ArrayBufferWriter<byte>(32 + 48 * results.Count);
        // The host's JSON settings (its encoder: which characters are escaped), as Results.Json writes.
        var json = http.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value;
        using (var w = new Utf8JsonWriter(answer, new JsonWriterOptions { Encoder = json.SerializerOptions.Encoder }))
        {
            w.WriteStartObject();
            w.WriteStartArray("results");
            foreach (var r in results)
            {
                w.WriteStartObject();
                w.WriteNumber("index", r.Index);
                w.WriteString("status", r.Status);
                if (r.Reject is { } reject)
                {
                    w.WriteString("code", reject.Code);
                    if (reject.Field is { } field) w.WriteString("field", field);
                }
                if (r.Reason is not null) w.WriteString("reason", r.Reason);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Results.Bytes(answer.WrittenMemory, "application/json; charset=utf-8");
    }
}

/// <summary>Fires due timers by wall clock (now ≥ due + grace) and retries undelivered outbox actions.</summary>
public sealed class TimerLoop(LiveRuntime runtime, ILogger<TimerLoop> logger) : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                runtime.FireDueTimers();
                runtime.Deliver();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "timer round failed; retrying");
            }
            try { await Task.Delay(Period, stoppingToken); }
            catch (OperationCanceledException) { break; }
        }
    }
}
