namespace MarketingDsl.Runtime.Tests;

/// <summary>
/// Which users in flight continue at the equivalent step of a new version, and the publisher's
/// choice to end a journey's users (LANGUAGE.md §15.7): the equivalent wait is the one with the same
/// entry and the same rank among equal waits, and only when both versions have equally many.
/// </summary>
public sealed class ReloadPolicyTests : IDisposable
{
    private readonly LiveFixture _f = new();
    public void Dispose() => _f.Dispose();

    private Core.Semantics.SemanticModel Version(string main)
    {
        File.WriteAllText(Path.Combine(_f.Workspace, "main.mdsl"), main);
        return RuntimeApp.CompileWorkspace(_f.Workspace).Model;
    }

    private static LiveRuntime WaitingAtTheFirstWait(LiveFixture f)
    {
        var live = f.Open();
        live.IngestProfiles(LiveFixture.Json("""[{"user_id":"u1"}]"""));
        live.IngestEvents(LiveFixture.Json("""[{"type":"cart_add","user_id":"u1","ts":"2025-03-01T10:00:00Z","price":200}]"""));
        Assert.Equal([-1, 0], live.Store.State("cart", "u1")!.Position.Single());
        return live;
    }

    [Fact]
    public void A_wait_moved_by_a_step_before_it_is_the_equivalent_step()
    {
        using var live = WaitingAtTheFirstWait(_f);
        var main = LiveFixture.Main.Replace("    wait 1h until order", "    send push \"ack\"\n    wait 1h until order", StringComparison.Ordinal);
        var report = live.Reload(Version(main));
        Assert.Empty(report.Ended);
        Assert.Equal((1, 1), (report.Continued, report.Moved));
        Assert.Equal([-1, 1], live.Store.State("cart", "u1")!.Position.Single());
    }

    [Fact]
    public void Without_as_many_equal_waits_there_is_no_equivalent_and_the_user_ends()
    {
        using var live = WaitingAtTheFirstWait(_f);
        // The user's wait moved (a send before it) and a second equal wait was added after: two equal waits where there was one.
        var main = LiveFixture.Main.Replace("    wait 1h until order", "    send push \"ack\"\n    wait 1h until order", StringComparison.Ordinal)
            .Replace("    wait 1d", "    wait 1d\n    wait 1h until order", StringComparison.Ordinal);
        var report = live.Reload(Version(main));
        Assert.Equal(0, report.Moved);
        Assert.Equal(LiveRuntime.EndStepChanged, Assert.Single(report.Ended).Reason);
    }

    [Fact]
    public void Ending_an_unchanged_journey_ends_its_users_in_flight_and_nothing_else()
    {
        using var live = WaitingAtTheFirstWait(_f);
        live.IngestEvents(LiveFixture.Json("""[{"type":"cart_add","user_id":"u1","ts":"2025-03-01T15:00:00Z","price":1}]"""));
        Assert.Contains(live.Store.AllTimers(), t => t is { Kind: LiveStore.DeferredTimer, Journey: "late" });
        var preview = live.Preview(_f.Compilation.Model, ["cart", "late"]);
        Assert.Equal(1, preview.InFlight["cart"]);
        var report = live.Reload(_f.Compilation.Model, ["cart", "late"]);
        Assert.Equal(["cart u1 ended_on_publish", "late u1 ended_on_publish"],
            report.Ended.Select(e => $"{e.Journey} {e.User} {e.Reason}").Order(StringComparer.Ordinal));
        Assert.Equal(preview.Ended.Count, report.Ended.Count);
        Assert.False(live.Store.State("cart", "u1")!.Active);
        Assert.DoesNotContain(live.Store.AllTimers(), t => t.Kind == LiveStore.DeferredTimer);
        // The journey still runs: a new big cart enters again.
        live.IngestEvents(LiveFixture.Json("""[{"type":"cart_add","user_id":"u1","ts":"2025-03-02T10:00:00Z","price":300}]"""));
        Assert.True(live.Store.State("cart", "u1")!.Active);
    }
}
