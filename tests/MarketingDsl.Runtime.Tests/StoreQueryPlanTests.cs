using System.Globalization;

namespace MarketingDsl.Runtime.Tests;

/// <summary>
/// What a request costs must not grow with the users and events already stored: every statement
/// the live store runs for profiles, events, timers, journeys (every trigger kind), outbox,
/// measurement log and feedback is an index lookup, never a scan of a table (SQLite's own plan).
/// </summary>
public sealed class StoreQueryPlanTests : IDisposable
{
    private const string Main = TriggerTests.Main + """

        segment big_spender = orders_30d >= 2
        journey cart_nudge {
          trigger: cart_add
          audience: orders_30d >= 0
          reentry: once per 1d
          goal: order within 1d
          holdout: 20%
          steps {
            wait 1h until order
            split "copy" { 50%: send push "a"  50%: send sms "b" }
          }
        }
        journey big { trigger: enters segment big_spender  steps { send push "big" } }
        """;

    /// <summary>
    /// Statements that read a whole table or index on purpose, once at start, on a reload or for an
    /// admin page (never per request): the counters, the armed segments, journey shapes, the due
    /// index mirrored in memory, the profile list of a schedule's fan-out, the timer count, the
    /// outbox's counts and pending rows (kept in memory from the start).
    /// </summary>
    private static readonly string[] WholeTableReads =
    [
        "SELECT name, value FROM meta WHERE name LIKE 'c:%'",
        "SELECT segment FROM segments_armed",
        "SELECT journey, json FROM journey_shapes",
        "SELECT user, due FROM segment_due",
        "SELECT user FROM profiles",
        "SELECT count(*) FROM",
        "SELECT journey, user, json FROM journey_states ORDER BY journey, user",
        "SELECT id, due, kind, journey, user, token, path, entry, split FROM timers ORDER BY due, id",
        "SELECT status, count(*) FROM outbox GROUP BY status",
        "SELECT key, channel, line, status, attempts, next_at, error, seq FROM outbox WHERE status = $0",
    ];

    private readonly LiveFixture _f = new(Main);
    public void Dispose() => _f.Dispose();

    private static string Ts(int day, int hour, int minute = 0) =>
        LiveFixture.Ts(new DateTime(2025, 3, 1, hour, minute, 0, DateTimeKind.Utc).AddDays(day - 1));

    [Fact]
    public void Every_statement_a_request_runs_is_an_index_lookup()
    {
        _f.WallClock.Now = new DateTimeOffset(2025, 3, 1, 0, 0, 0, TimeSpan.Zero);
        using (var live = _f.Open())
        {
            var users = Enumerable.Range(0, 40).Select(i => "u" + i.ToString("00", CultureInfo.InvariantCulture)).ToList();
            live.IngestProfiles(LiveFixture.Json("[" + string.Join(",", users.Select(u => $$"""{"user_id":"{{u}}"}""")) + "]"));
            var events = new List<string>();
            for (var day = 1; day <= 4; day++)
            for (var i = 0; i < users.Count; i++)
            {
                var user = users[(i * 7 + day) % users.Count];
                var hour = 6 + (i * 5 + day) % 16;
                events.Add(i % 3 == 0
                    ? $$"""{"type":"order","user_id":"{{user}}","ts":"{{Ts(day, hour, i % 60)}}","order_id":"o{{day}}-{{i}}","amount":{{20 + i}}}"""
                    : i % 3 == 1
                        ? $$"""{"type":"cart_add","user_id":"{{user}}","ts":"{{Ts(day, hour, i % 60)}}","price":{{5 + i * 10}}}"""
                        : $$"""{"type":"login","user_id":"{{user}}","ts":"{{Ts(day, hour, i % 60)}}"}""");
            }
            foreach (var batch in events.Chunk(10)) live.IngestEvents(LiveFixture.Json("[" + string.Join(",", batch) + "]"));
            // A resent batch (de-duplication), a changed profile, feedback and the results page.
            live.IngestEvents(LiveFixture.Json("[" + string.Join(",", events.Take(10)) + "]"));
            live.IngestProfiles(LiveFixture.Json("""[{"user_id":"u01","level":3}]"""));
            var sent = live.Store.Measures(0, long.MaxValue).Count;
            Assert.True(sent > 0, "the history made no journey facts: the test would show nothing");
            live.IngestEvents(LiveFixture.Json($$"""[{"type":"login","user_id":"u02","ts":"{{Ts(5, 9)}}"}]"""));

            var scans = live.Store.QueryPlans()
                .Where(p => !WholeTableReads.Any(w => p.Key.StartsWith(w, StringComparison.Ordinal)))
                .SelectMany(p => p.Value.Where(line => line.StartsWith("SCAN", StringComparison.Ordinal)).Select(line => $"{p.Key}\n    {line}"))
                .ToList();
            Assert.True(scans.Count == 0, "statements that scan a table:\n" + string.Join("\n", scans));
            // The check sees the statements of every kind of work above.
            var plans = live.Store.QueryPlans().Keys.ToList();
            Assert.Contains(plans, sql => sql.Contains("FROM events WHERE type = $0 AND id = $1", StringComparison.Ordinal));
            // A user read back after a restart: its states in every journey with one statement, by the key (journey, user).
            Assert.Contains(plans, sql => sql.Contains("FROM journey_states WHERE user = $0 AND journey IN", StringComparison.Ordinal));
            // A user's events of the types an evaluation reads, through the index on (user, type).
            Assert.Contains(plans, sql => sql.Contains("FROM events WHERE user = $0 AND type IN", StringComparison.Ordinal));
            Assert.Contains(plans, sql => sql.Contains("FROM measures WHERE key = $0", StringComparison.Ordinal));
            Assert.Contains(plans, sql => sql.Contains("FROM timers WHERE due = $0", StringComparison.Ordinal));
        }
    }
}
