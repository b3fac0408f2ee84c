using System.Globalization;
using MarketingDsl.Engine.Data;
using MarketingDsl.Journeys.Measurement;
using MarketingDsl.Journeys.Replay;

namespace MarketingDsl.Runtime.Tests;

/// <summary>
/// Feedback from the history's `message_*` events: replay applies the live runtime's rule, so the
/// two give equal results JSON with receipts by journey and step and by send key, repeated, out of
/// order, after a failure, and for no known send.
/// </summary>
public sealed class FeedbackReplayTests : IDisposable
{
    private const string Schema = """
        schema {
          profile { user_id: string key }
          event order { order_id: string unique, amount: decimal? }
          event cart_add { price: decimal? }
          event message_delivered { journey: string?, step: string? }
          event message_failed { journey: string?, step: string? }
          event message_opened { journey: string?, step: string?, send_key: string? }
          event message_clicked { send_key: string? }
        }
        """;
    private const string Main = """
        channel push { cost: 0.01 }
        channel sms { cost: 0.05 }
        journey cart {
          trigger: cart_add
          goal: order within 2d value amount
          holdout: 10%
          steps {
            send push "reminder"
            wait 2h
            split "copy" { 50%: send sms "a"  50%: send push "b" }
          }
        }
        """;

    private readonly LiveFixture _f = new(Schema, Main);
    public void Dispose() => _f.Dispose();

    private static readonly DateTime From = new(2025, 3, 1, 0, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime To = new(2025, 3, 8, 0, 0, 0, DateTimeKind.Utc);

    private sealed record Ev(string Type, string User, DateTime Ts, object?[] Fields);

    [Fact]
    public void Replay_takes_feedback_from_message_events_as_live_does()
    {
        var model = _f.Compilation.Model;
        var random = new Random(16);
        var users = Enumerable.Range(0, 40).Select(i => "u" + i.ToString("00", CultureInfo.InvariantCulture)).ToArray();
        var history = new List<Ev>();
        for (var i = 0; i < 150; i++)
        {
            var ts = From.AddMinutes(1 + random.Next(6 * 24 * 60));
            var user = users[random.Next(users.Length)];
            history.Add(random.Next(3) == 0
                ? new Ev("order", user, ts, ["o" + i.ToString(CultureInfo.InvariantCulture), (decimal)random.Next(20, 300)])
                : new Ev("cart_add", user, ts, [(decimal)random.Next(5, 200)]));
        }
        history = [.. history.OrderBy(e => e.Ts)];
        var before = Replay(history);

        // Receipts for the sends the replay made (feedback does not change what the journeys do).
        var feedback = new List<Ev>();
        var sends = before.Measures.Where(m => m.Kind == MeasureKind.Sent).ToList();
        foreach (var send in sends)
        {
            var at = new DateTime(send.At, DateTimeKind.Utc);
            var key = Feedback.SendKey(send.Journey, send.User, send.EntryAt, send.Step!);
            DateTime After(int maxMinutes) => at.AddMinutes(1 + random.Next(maxMinutes));
            switch (random.Next(6))
            {
                case 0:   // delivered, then opened by key, then clicked by key, the delivery receipt repeated
                    feedback.Add(new Ev("message_delivered", send.User, After(5), [send.Journey, send.Step]));
                    feedback.Add(new Ev("message_opened", send.User, After(600), [null, null, key]));
                    feedback.Add(new Ev("message_clicked", send.User, After(900).AddHours(12), [key]));
                    feedback.Add(new Ev("message_delivered", send.User, After(5).AddHours(1), [send.Journey, send.Step]));
                    break;
                case 1:   // clicked only: implies delivered and opened at its instant; a late open receipt before it is kept
                    var clicked = After(300);
                    feedback.Add(new Ev("message_clicked", send.User, clicked, [key]));
                    feedback.Add(new Ev("message_opened", send.User, clicked.AddMinutes(30), [send.Journey, send.Step, null]));
                    break;
                case 2:   // failed, then an open proves delivery
                    feedback.Add(new Ev("message_failed", send.User, After(10), [send.Journey, send.Step]));
                    if (random.Next(2) == 0) feedback.Add(new Ev("message_opened", send.User, After(10).AddHours(2), [null, null, key]));
                    break;
                case 3:   // delivered, then a failure (refused)
                    feedback.Add(new Ev("message_delivered", send.User, After(10), [send.Journey, send.Step]));
                    feedback.Add(new Ev("message_failed", send.User, After(10).AddHours(1), [send.Journey, send.Step]));
                    break;
                case 4:   // naming no send: another step, an unknown key, no fields
                    feedback.Add(new Ev("message_delivered", send.User, After(10), [send.Journey, "9"]));
                    feedback.Add(new Ev("message_clicked", send.User, After(10), [key + "x"]));
                    feedback.Add(new Ev("message_opened", send.User, After(10), [null, null, null]));
                    break;
            }
        }
        var all = history.Concat(feedback).Where(e => e.Ts <= To).Select((e, i) => (e, i)).OrderBy(x => x.e.Ts).ThenBy(x => x.i)
            .Select(x => x.e).ToList();
        var replay = Replay(all);

        for (var start = 0; start < all.Count; start += 200)
        {
            using var live = _f.Open();
            if (start == 0) live.IngestProfiles(LiveFixture.Json("[" + string.Join(",", users.Select(u => $$"""{"user_id":"{{u}}"}""")) + "]"));
            var batch = all.Skip(start).Take(200).Select((e, i) => Json(e, start + i));
            var results = live.IngestEvents(LiveFixture.Json("[" + string.Join(",", batch) + "]"));
            Assert.All(results, r => Assert.Equal("accepted", r.Status));
        }
        using (var live = _f.Open())
        {
            live.IngestEvents(LiveFixture.Json($$"""[{"type":"cart_add","user_id":"late","ts":"{{LiveFixture.Ts(To.AddSeconds(1))}}"}]"""));
            Assert.Equal(ResultsJson.Document(replay.Results["cart"], From, To, TimeZoneInfo.Utc),
                ResultsJson.Document(live.Results("cart", From, To)!, From, To, TimeZoneInfo.Utc));
        }
        var funnel = replay.Results["cart"].Total;
        var without = before.Results["cart"].Total;
        Assert.Equal((0L, 0L, 0L, 0L), (without.Delivered, without.Failed, without.Opened, without.Clicked));
        Assert.True(funnel.Delivered > 0 && funnel.Failed > 0 && funnel.Opened > 0 && funnel.Clicked > 0,
            $"{funnel.Delivered} {funnel.Failed} {funnel.Opened} {funnel.Clicked}");
        Assert.True(funnel.Clicked <= funnel.Opened && funnel.Opened <= funnel.Delivered && funnel.Delivered + funnel.Failed <= funnel.Sent);
        Assert.Equal(without.Sent, funnel.Sent);
    }

    private ReplayStatistics Replay(List<Ev> events)
    {
        var model = _f.Compilation.Model;
        var profiles = Enumerable.Range(0, 40).Select(i => new object?[] { "u" + i.ToString("00", CultureInfo.InvariantCulture) });
        var data = InMemoryData.Build(model.Schema, profiles, events.Select(e =>
            (model.Schema.FindEvent(e.Type)!, (object?[])[e.User, e.Ts, .. e.Fields])));
        return JourneyReplay.Run(model, data, From, To);
    }

    private string Json(Ev e, int id)
    {
        var type = _f.Compilation.Model.Schema.FindEvent(e.Type)!;
        var fields = string.Concat(e.Fields.Select((v, i) => v is null ? "" : $",\"{type.Fields[2 + i].Name}\":" + (v is string s ? $"\"{s}\""
            : Convert.ToString(v, CultureInfo.InvariantCulture))));
        var idField = e.Type == "order" ? "" : $",\"id\":\"e{id}\"";
        return $$"""{"type":"{{e.Type}}","user_id":"{{e.User}}","ts":"{{LiveFixture.Ts(e.Ts)}}"{{idField}}{{fields}}}""";
    }
}
