using System.Collections;
using System.Globalization;
using System.Text;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;

namespace MarketingDsl.Runtime.Tests;

/// <summary>
/// Property on generated data: for random event streams (late events, ties of ts, duplicate ids,
/// an orphan user), ingested in random batches with restarts and events moving into the per-user index in between, tag reads in between and a cache
/// small enough to evict, every live tag value as of many instants equals the batch engine's on
/// the same events.
/// </summary>
public sealed class LiveEvaluationPropertyTests
{
    private const string Schema = """
        schema {
          profile {
            user_id: string key
            level: int?
          }
          event order { order_id: string unique, amount: decimal?, category: string? }
          event view { page: string?, ms: int? }
        }
        """;

    private const string Main = """
        tag orders_7d = count(order, within: 7d)
        tag orders_all = count(order)
        tag spend_30d = sum(order.amount, within: 30d)
        tag avg_amount_30d = avg(order.amount, within: 30d)
        tag max_amount = max(order.amount)
        tag first_category = first(order.category)
        tag last_category_3d = last(order.category, within: 3d)
        tag first_order_at = first(order.ts)
        tag categories_14d = distinct(order.category, within: 14d)
        tag top_pages_10d = top(view.page, 2, within: 10d)
        tag checkout_views_1d = count(view, where: page == "checkout", within: 1d)
        tag viewed_2h = exists(view, within: 2h)
        tag min_ms_5d = min(view.ms, within: 5d)
        tag big_level = level >= 2 and spend_30d > 50
        segment big = spend_30d > 100
        """;

    private static readonly string[] Users = ["u1", "u2", "u3", "orphan"];
    private static readonly string[] Categories = ["tv", "phone", "fan"];
    private static readonly string[] Pages = ["home", "checkout", "cart", "search"];
    private static readonly DateTime Start = new(2025, 3, 1, 0, 0, 0, DateTimeKind.Utc);

    private sealed record GeneratedEvent(string Type, string User, DateTime Ts, string? OrderId, decimal? Amount, string? Text, long? Ms);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void Live_tags_equal_batch_tags_on_random_streams(int seed)
    {
        using var f = new LiveFixture(Schema, Main);
        var model = f.Compilation.Model;
        var random = new Random(seed);
        var events = Generate(random, count: 60 + random.Next(60));
        var profiles = new List<object?[]> { new object?[] { "u1", 1L }, new object?[] { "u2", 3L }, new object?[] { "u3", null } };

        // Live: random batches, a restart now and then, tag reads in between (they load histories that later events extend).
        // Seeds 1-6 evict by the user and event bounds, 7-8 by the byte bound alone.
        LiveRuntime Open() => seed <= 6
            ? f.Open(cachedUsers: 2, cachedEvents: 25)
            : f.Open(cachedUsers: 1000, cachedEvents: 100_000, cacheBytes: 6_000);
        var runtime = Open();
        try
        {
            runtime.IngestProfiles(LiveFixture.Json("""[{"user_id":"u1","level":1},{"user_id":"u2","level":3},{"user_id":"u3"}]"""));
            for (var i = 0; i < events.Count;)
            {
                var n = Math.Min(events.Count - i, 1 + random.Next(5));
                var results = runtime.IngestEvents(LiveFixture.Json("[" + string.Join(",", events.Skip(i).Take(n).Select(ToJson)) + "]"));
                Assert.All(results, r => Assert.NotEqual(IngestResult.Rejected, r.Status));
                i += n;
                if (random.Next(4) == 0) runtime.Tags(Users[random.Next(3)], events[i - 1].Ts);
                if (random.Next(10) == 0)
                {
                    runtime.Dispose();
                    runtime = Open();
                }
            }

            // Batch: the same events in arrival order (the input line), through the importer.
            var data = InMemoryData.Build(model.Schema, profiles, events.Select(e => (model.Schema.FindEvent(e.Type)!, Row(e))));
            var instants = new List<DateTime> { Start, Start.AddDays(40) };
            for (var k = 0; k < 12; k++) instants.Add(Start.AddMinutes(random.Next(20 * 24 * 60)));
            foreach (var e in events.Take(15)) instants.AddRange([e.Ts, e.Ts.AddTicks(-10), e.Ts.AddDays(7), e.Ts.AddDays(3).AddTicks(10)]);
            var plan = CompiledEngine.PlanFor(model);
            var compared = 0;
            foreach (var asOf in instants)
            {
                var batch = CompiledEngine.Evaluate(plan, data, asOf);
                foreach (var user in Users)
                {
                    var tags = runtime.Tags(user, asOf);
                    var index = data.IndexOfUser(user);
                    if (index < 0) { Assert.Null(tags); continue; }
                    Assert.NotNull(tags);
                    foreach (var column in batch.Columns)
                    {
                        Assert.True(Format(column.Get(index)) == Format(tags[column.Symbol.Name]),
                            $"seed {seed}: {column.Symbol.Name} of {user} as of {asOf:O}: batch {Format(column.Get(index))}, live " +
                                $"{Format(tags[column.Symbol.Name])}");
                        compared++;
                    }
                }
            }
            Assert.True(compared > 500, $"only {compared} values compared");
        }
        finally
        {
            runtime.Dispose();
        }
    }

    /// <summary>Events over 20 days: mostly in time order, some late; ts on whole hours so ties happen; a small
    /// order-id pool so duplicates happen.</summary>
    private static List<GeneratedEvent> Generate(Random random, int count)
    {
        var events = new List<GeneratedEvent>();
        var clock = Start.AddHours(1);
        for (var i = 0; i < count; i++)
        {
            clock = clock.AddHours(random.Next(0, 12));
            var ts = random.Next(6) == 0 ? clock.AddHours(-random.Next(1, 72)) : clock;   // a late event
            var user = Users[random.Next(Users.Length)];
            events.Add(random.Next(2) == 0
                ? new GeneratedEvent("order", user, ts, "o" + random.Next(count), random.Next(5) == 0 ? null : random.Next(1, 20000) / 100m,
                    random.Next(6) == 0 ? null : Categories[random.Next(Categories.Length)], null)
                : new GeneratedEvent("view", user, ts, null, null, random.Next(8) == 0 ? null : Pages[random.Next(Pages.Length)],
                    random.Next(5) == 0 ? null : random.Next(0, 5000)));
        }
        return events;
    }

    private static string ToJson(GeneratedEvent e)
    {
        var json = new StringBuilder($$"""{"type":"{{e.Type}}","user_id":"{{e.User}}","ts":"{{LiveFixture.Ts(e.Ts)}}" """);
        if (e.Type == "order")
        {
            json.Append(CultureInfo.InvariantCulture, $",\"order_id\":\"{e.OrderId}\"");
            if (e.Amount is { } amount) json.Append(CultureInfo.InvariantCulture, $",\"amount\":{amount}");
            if (e.Text is { } category) json.Append(CultureInfo.InvariantCulture, $",\"category\":\"{category}\"");
        }
        else
        {
            if (e.Text is { } page) json.Append(CultureInfo.InvariantCulture, $",\"page\":\"{page}\"");
            if (e.Ms is { } ms) json.Append(CultureInfo.InvariantCulture, $",\"ms\":{ms}");
        }
        return json.Append('}').ToString();
    }

    private static object?[] Row(GeneratedEvent e) => e.Type == "order"
        ? [e.User, e.Ts, e.OrderId, e.Amount, e.Text]
        : [e.User, e.Ts, e.Text, e.Ms];

    private static string Format(object? value) => value switch
    {
        null => "null",
        string s => "\"" + s + "\"",
        IEnumerable list => "[" + string.Join(",", list.Cast<object?>().Select(Format)) + "]",
        IFormattable x => x.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
