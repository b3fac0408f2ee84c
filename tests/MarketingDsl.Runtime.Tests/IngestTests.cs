namespace MarketingDsl.Runtime.Tests;

public sealed class IngestTests : IDisposable
{
    private readonly LiveFixture _f = new();
    public void Dispose() => _f.Dispose();

    [Fact]
    public void Each_event_gets_its_own_result_and_valid_ones_are_accepted()
    {
        using var live = _f.Open();
        live.IngestProfiles(LiveFixture.Json("""[{"user_id":"u1"}]"""));
        var results = live.IngestEvents(LiveFixture.Json("""
            [
              {"type":"login","user_id":"u1","ts":"2025-03-01T10:00:00Z","platform":"ios"},
              {"type":"refund","user_id":"u1","ts":"2025-03-01T10:00:00Z"},
              {"type":"login","ts":"2025-03-01T10:00:00Z"},
              {"type":"login","user_id":"u1"},
              {"type":"cart_add","user_id":"u1","ts":"2025-03-01T10:00:00Z","price":"cheap"},
              {"type":"login","user_id":"u1","ts":"2025-03-01T10:00:00Z","colour":"red"},
              {"type":"order","user_id":"u1","ts":"2025-03-01T11:00:00Z","order_id":"o1","amount":10},
              {"type":"order","user_id":"u1","ts":"2025-03-01T11:00:00Z","order_id":"o1","amount":10},
              {"type":"order","user_id":"u1","ts":"2025-03-01T11:00:00Z","amount":null},
              "not an object",
              {"type":"login","user_id":7,"ts":"2025-03-01T10:00:00Z"},
              {"type":"login","user_id":"u1","ts":1740823200}
            ]
            """));
        Assert.Equal(Enumerable.Range(0, 12), results.Select(r => r.Index));
        Assert.Equal("accepted,rejected,rejected,rejected,rejected,rejected,accepted,duplicate,accepted,rejected,rejected,rejected",
            LiveFixture.Statuses(results));
        Assert.Equal("field 'user_id': expected string, got a number", results[10].Reason);
        Assert.Equal("field 'ts': expected datetime, got a number", results[11].Reason);
        Assert.Equal(["MD9512", "MD9520", "MD9520", "MD9530", "MD9513", "MD9501", "MD9530", "MD9530"],
            results.Where(r => r.Status == "rejected").Select(r => r.Code));
        Assert.Equal("unknown event type 'refund'", results[1].Reason);
        Assert.Equal("missing user_id", results[2].Reason);
        Assert.Equal("missing ts", results[3].Reason);
        Assert.Contains("field 'price'", results[4].Reason);
        Assert.Contains("unknown field 'colour'", results[5].Reason);
        // A missing unique field is a null id, and a null id is one id (as in the batch import): the next one is a duplicate.
        Assert.Equal("accepted", results[8].Status);
    }

    [Fact]
    public void Events_are_idempotent_by_unique_field_or_id_across_requests_and_restarts()
    {
        const string batch = """
            [
              {"type":"order","user_id":"u1","ts":"2025-03-01T11:00:00Z","order_id":"o1","amount":10},
              {"type":"login","user_id":"u1","ts":"2025-03-01T12:00:00Z","id":"L1"},
              {"type":"login","user_id":"u1","ts":"2025-03-01T12:00:00Z"}
            ]
            """;
        using (var live = _f.Open())
        {
            live.IngestProfiles(LiveFixture.Json("""[{"user_id":"u1","level":2}]"""));
            Assert.Equal("accepted,accepted,accepted", LiveFixture.Statuses(live.IngestEvents(LiveFixture.Json(batch))));
            // No id, no idempotency: an event without one is always accepted.
            Assert.Equal("duplicate,duplicate,accepted", LiveFixture.Statuses(live.IngestEvents(LiveFixture.Json(batch))));
        }
        using (var live = _f.Open())
            Assert.Equal("duplicate,duplicate,accepted", LiveFixture.Statuses(live.IngestEvents(LiveFixture.Json(batch))));
    }

    [Fact]
    public void Profiles_are_validated_and_idempotent()
    {
        using var live = _f.Open();
        var results = live.IngestProfiles(LiveFixture.Json("""
            [{"user_id":"u1","level":3}, {"level":1}, {"user_id":"u2","level":"high"}, {"user_id":"u1","level":3}, {"user_id":"u1","level":4}]
            """));
        Assert.Equal("accepted,rejected,rejected,duplicate,accepted", LiveFixture.Statuses(results));
        Assert.Equal("missing user_id", results[1].Reason);
    }

    [Fact]
    public void An_event_of_a_user_without_profile_is_stored_but_runs_no_journey()
    {
        using var live = _f.Open();
        var r = live.IngestEvents(LiveFixture.Json("""[{"type":"login","user_id":"ghost","ts":"2025-03-01T10:00:00Z"}]"""));
        Assert.Equal("accepted", r[0].Status);
        Assert.NotNull(r[0].Reason);
        Assert.Empty(_f.OutboxLines());
    }
}
