using MarketingDsl.Core.Semantics;

namespace MarketingDsl.Runtime.Tests;

/// <summary>
/// A reload that fails inside its transaction leaves the running version whole in every part of
/// the runtime: validation of the old schema, the users' states of the old journeys, the executor
/// on the old machines, and nothing of the new version in the store.
/// </summary>
public sealed class VersionRollbackTests : IDisposable
{
    private readonly LiveFixture _f = new();
    public void Dispose() => _f.Dispose();

    [Fact]
    public void A_reload_that_fails_in_its_transaction_leaves_every_part_on_the_running_version()
    {
        SemanticModel? failing = null;
        using var live = new LiveRuntime(_f.Compilation.Model, new LiveOptions
        {
            DbPath = _f.Db, OutboxDir = _f.Outbox, Clock = _f.WallClock, MaxFutureSkew = TimeSpan.MaxValue,
            // Arming the new version's segment trigger evaluates the segment for every user, which asks for the version's scorer.
            ModelScorer = m => ReferenceEquals(m, failing) ? throw new InvalidOperationException("no scorer for this version") : null,
        });
        live.IngestProfiles(LiveFixture.Json("""[{"user_id":"u1"},{"user_id":"u2"}]"""));
        live.IngestEvents(LiveFixture.Json("""[{"type":"cart_add","user_id":"u1","ts":"2025-03-01T10:00:00Z","price":200}]"""));

        // v2: a new event type and a journey on entering a segment.
        File.WriteAllText(Path.Combine(_f.Workspace, "schema.mdsl"),
            LiveFixture.Schema.Replace("event login { platform: string? }", "event login { platform: string? }\n  event visit { page: string? }"));
        File.WriteAllText(Path.Combine(_f.Workspace, "main.mdsl"),
            LiveFixture.Main + "\njourney vip { trigger: enters segment buyer  steps { send push \"vip\" } }\n");
        var v2 = RuntimeApp.CompileWorkspace(_f.Workspace).Model;
        Assert.NotNull(v2.Schema.FindEvent("visit"));
        failing = v2;
        Assert.Throws<InvalidOperationException>(() => live.Reload(v2));

        Assert.Same(_f.Compilation.Model, live.Model);
        Assert.DoesNotContain("vip", live.Store.JourneyShapes().Keys);
        var visit = Assert.Single(live.IngestEvents(LiveFixture.Json("""[{"type":"visit","user_id":"u2","ts":"2025-03-01T10:30:00Z"}]""")));
        Assert.Equal((IngestResult.Rejected, "unknown event type 'visit'"), (visit.Status, visit.Reason));
        // u1 still waits in `cart` (its reminder is due at 11:00), and `welcome` still greets.
        live.IngestEvents(LiveFixture.Json("""
            [{"type":"login","user_id":"u2","ts":"2025-03-01T10:40:00Z"},
             {"type":"order","user_id":"u2","ts":"2025-03-01T10:50:00Z","order_id":"o1","amount":5},
             {"type":"login","user_id":"u1","ts":"2025-03-01T12:00:00Z"}]
            """));
        Assert.Equal(["2025-03-01T10:40:00Z u2 hello", "2025-03-01T11:00:00Z u1 reminder", "2025-03-01T12:00:00Z u1 hello"], Sends());

        // The same version installs once its scorer is there, and then runs in every part.
        failing = null;
        live.Reload(v2);
        Assert.Same(v2, live.Model);
        live.IngestEvents(LiveFixture.Json("""
            [{"type":"visit","user_id":"u2","ts":"2025-03-01T12:10:00Z"},
             {"type":"order","user_id":"u1","ts":"2025-03-01T12:20:00Z","order_id":"o2","amount":5}]
            """));
        Assert.Contains("2025-03-01T12:20:00Z u1 vip", Sends());
        Assert.Contains("vip", live.Store.JourneyShapes().Keys);
    }

    private List<string> Sends() =>
        [.. _f.OutboxLines().Select(l => $"{l.Line.GetProperty("at").GetString()} {l.Line.GetProperty("user_id").GetString()} " +
            $"{l.Line.GetProperty("template").GetString()}").Order(StringComparer.Ordinal)];
}
