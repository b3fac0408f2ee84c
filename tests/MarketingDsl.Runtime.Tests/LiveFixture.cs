using System.Globalization;
using System.Text.Json;
using MarketingDsl.Core;

namespace MarketingDsl.Runtime.Tests;

/// <summary>A small workspace on disk, a live store file and an outbox folder; runtimes are opened (and reopened: a restart) on them.</summary>
public sealed class LiveFixture : IDisposable
{
    /// <summary>The admin token of the HTTP tests' servers (member data and admin calls need it).</summary>
    public const string AdminToken = "the-runtime-tests-admin-token";

    public const string Schema = """
        schema {
          profile {
            user_id: string key
            level: int?
            timezone: string?
          }
          event order { order_id: string unique, amount: decimal?, category: string? }
          event cart_add { price: decimal? }
          event login { platform: string? }
        }
        """;

    public const string Main = """
        tag orders_7d = count(order, within: 7d)
        tag spend_30d = sum(order.amount, within: 30d)
        tag big_carts_1d = count(cart_add, where: price > 100, within: 1d)
        segment buyer = orders_7d >= 1

        channel push { cost: 0.001 }
        channel sms { cost: 0.05  cap: 1 per 1d }

        channel night { cost: 0  quiet: 22:00-08:00 }

        journey welcome { trigger: login  steps { send push "hello" } }
        journey late { trigger: cart_add where price < 10  steps { send night "good_morning" } }
        journey cart {
          trigger: cart_add where price > 100
          goal: order within 2d
          steps {
            wait 1h until order
            send sms "reminder" offer "c5"
            wait 1d
            send push "followup"
          }
        }
        """;

    public LiveFixture() : this(Schema, Main) { }

    /// <summary>A fixture whose main file is <paramref name="main"/> (the schema stays).</summary>
    public LiveFixture(string main) : this(Schema, main) { }

    public LiveFixture(string schema, string main)
    {
        Root = Path.Combine(Path.GetTempPath(), "mdsl-live-tests", Guid.NewGuid().ToString("N"));
        Workspace = Path.Combine(Root, "ws");
        Directory.CreateDirectory(Workspace);
        File.WriteAllText(Path.Combine(Workspace, "schema.mdsl"), schema);
        File.WriteAllText(Path.Combine(Workspace, "main.mdsl"), main);
        Compilation = RuntimeApp.CompileWorkspace(Workspace);
    }

    public string Root { get; }
    public string Workspace { get; }
    public string Db => Path.Combine(Root, "live.db");
    public string Outbox => Path.Combine(Root, "outbox");
    public Compilation Compilation { get; }

    /// <summary>A wall clock pinned long before any test event, so only events advance time unless a test moves it.</summary>
    public FixedClock WallClock { get; } = new(new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero));

    /// <summary>Opens a runtime on the fixture's store.</summary>
    public LiveRuntime Open(TimeSpan? grace = null, int cachedUsers = LiveOptions.DefaultCachedUsers,
        int cachedEvents = LiveOptions.DefaultCachedEvents,
        long cacheBytes = (long)LiveOptions.DefaultCacheMegabytes << 20, int timerSlice = LiveOptions.DefaultTimerSlice,
        int timerSliceWithRequests = LiveOptions.DefaultTimerSliceWithRequests) =>
        new(Compilation.Model, new LiveOptions
        {
            DbPath = Db, OutboxDir = Outbox, Clock = WallClock, MaxFutureSkew = TimeSpan.MaxValue, Grace = grace ?? TimeSpan.Zero,
            CachedUsers = cachedUsers, CachedEvents = cachedEvents, CacheBytes = cacheBytes, TimerSlice = timerSlice,
            TimerSliceWithRequests = timerSliceWithRequests,
            // Slices by count only: live = replay tests must not depend on how fast the machine is.
            TimerSliceTime = Timeout.InfiniteTimeSpan,
        });

    /// <summary>A runtime whose every channel goes to <paramref name="webhook"/> (no channel files).</summary>
    public LiveRuntime OpenWithWebhook(Uri webhook, DeliveryPolicy policy) =>
        new(Compilation.Model, new LiveOptions
        {
            DbPath = Db, Clock = WallClock, MaxFutureSkew = TimeSpan.MaxValue, Delivery = policy,
            Webhooks = new Dictionary<string, Uri>(StringComparer.Ordinal) { ["*"] = webhook },
        });

    public static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    public static string Statuses(IEnumerable<IngestResult> results) => string.Join(",", results.Select(r => r.Status));

    /// <summary>Every line of every channel file: (channel, parsed line).</summary>
    public List<(string Channel, JsonElement Line)> OutboxLines()
    {
        if (!Directory.Exists(Outbox)) return [];
        return [.. Directory.GetFiles(Outbox, "*.jsonl").OrderBy(f => f, StringComparer.Ordinal)
            .SelectMany(f => File.ReadAllLines(f).Where(l => l.Length > 0).Select(l => (Path.GetFileNameWithoutExtension(f), Json(l))))];
    }

    public static string Ts(DateTime t) => t.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

public sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;
    public override DateTimeOffset GetUtcNow() => Now;
}
