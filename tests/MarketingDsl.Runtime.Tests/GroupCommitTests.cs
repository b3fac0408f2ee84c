namespace MarketingDsl.Runtime.Tests;

/// <summary>Concurrent requests share transactions (group commit) without losing, doubling or mixing up anything.</summary>
public sealed class GroupCommitTests : IDisposable
{
    private readonly LiveFixture _f = new();
    public void Dispose() => _f.Dispose();

    [Fact]
    public void Concurrent_requests_each_get_their_own_results_and_every_id_is_accepted_once()
    {
        const int threads = 8, requests = 25, users = 5;
        using (var live = _f.Open(cachedUsers: 2))
        {
            live.IngestProfiles(LiveFixture.Json("[" + string.Join(",", Enumerable.Range(0, users).Select(u => $$"""{"user_id":"u{{u}}"}""")) + "]"));
            var results = new List<IngestResult>[threads];
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            {
                results[t] = [];
                for (var r = 0; r < requests; r++)
                {
                    // Two threads send each id (t and t ^ 1); one item per request is invalid.
                    var id = (t / 2) * requests + r;
                    var (hour, minute) = (10 + id / 60, id % 60);   // each id its own instant: its send its own key
                    var body = $$"""
                        [{"type":"login","user_id":"u{{id % users}}","ts":"2025-03-01T{{hour:00}}:{{minute:00}}:00Z","id":"L{{id}}"},
                         {"type":"login","user_id":"u{{id % users}}","ts":"not a time"}]
                        """;
                    var answer = live.IngestEvents(LiveFixture.Json(body));
                    Assert.Equal([0, 1], answer.Select(a => a.Index));
                    Assert.Equal(IngestResult.Rejected, answer[1].Status);
                    results[t].Add(answer[0]);
                }
            });
            var statuses = results.SelectMany(r => r).GroupBy(r => r.Status).ToDictionary(g => g.Key, g => g.Count());
            Assert.Equal(threads / 2 * requests, statuses[IngestResult.Accepted]);
            Assert.Equal(threads / 2 * requests, statuses[IngestResult.Duplicate]);
            live.Deliver();
        }
        // Every accepted login entered `welcome` once: one line per id, keys unique, across a restart.
        var lines = _f.OutboxLines();
        Assert.Equal(threads / 2 * requests, lines.Count);
        Assert.Equal(lines.Count, lines.Select(l => l.Line.GetProperty("key").GetString()).Distinct().Count());
        using var reopened = _f.Open();
        Assert.Equal(0, reopened.Deliver());
    }
}
