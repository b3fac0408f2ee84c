using System.Globalization;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Engine.Simulation;

namespace MarketingDsl.Runtime.Tests;

/// <summary>
/// `list&lt;T&gt;` fields in the live runtime: items are validated by the importer's list rules (a
/// bad item rejects that event only, with the field and the item), stored, read back after a
/// restart, and every list tag equals the batch engine's on the same rows imported from JSON Lines.
/// </summary>
public sealed class ListFieldTests
{
    private const string Schema = """
        schema {
          profile { user_id: string key  interests: list<string> }
          event order { order_id: string unique, skus: list<string>, prices: list<decimal> }
        }
        """;

    private const string Main = """
        tag n_interests = size(interests)
        tag tea = "tea" in interests
        tag tea_fn = contains(interests, "tea")
        tag fav = top(order.skus, 2)
        tag kinds = distinct(order.skus, within: 3d)
        tag spend = sum(order.prices)
        tag last_basket = last(order.skus)
        tag strollers = count(order, where: contains(skus, "stroller"))
        segment parents = "stroller" in fav or contains(last_basket, "car_seat")
        """;

    private const string Profiles = """
        [{"user_id":"u1","interests":["tea","books"]},{"user_id":"u2","interests":[]},{"user_id":"u3"}]
        """;

    private static readonly string[] Orders =
    [
        """{"type":"order","user_id":"u1","ts":"2025-03-01T10:00:00Z","order_id":"o1","skus":["stroller","car_seat"],"prices":[899.5,499]}""",
        """{"type":"order","user_id":"u1","ts":"2025-03-02T10:00:00Z","order_id":"o2","skus":["bottle",null,"a|b"],"prices":[19.9,null]}""",
        """{"type":"order","user_id":"u2","ts":"2025-03-01T12:00:00Z","order_id":"o3","skus":[],"prices":null}""",
        """{"type":"order","user_id":"u2","ts":"2025-03-04T12:00:00Z","order_id":"o4","skus":["car_seat"],"prices":[120]}""",
        """{"type":"order","user_id":"u3","ts":"2025-03-03T12:00:00Z","order_id":"o5","skus":null}""",
    ];

    [Fact]
    public void Live_list_tags_equal_batch_after_a_restart_and_bad_items_are_rejected()
    {
        using var f = new LiveFixture(Schema, Main);
        var runtime = f.Open();
        try
        {
            Assert.Equal("accepted,accepted,accepted", LiveFixture.Statuses(runtime.IngestProfiles(LiveFixture.Json(Profiles))));
            var bad = """{"type":"order","user_id":"u1","ts":"2025-03-02T11:00:00Z","order_id":"o9","skus":["ok",7]}""";
            var results = runtime.IngestEvents(LiveFixture.Json("[" + string.Join(",", Orders.Take(2).Append(bad).Concat(Orders.Skip(2))) + "]"));
            Assert.Equal(IngestResult.Rejected, results[2].Status);
            Assert.Equal("field 'skus': item 2: 7 is not a valid string", results[2].Reason);
            Assert.All(results.Where(r => r.Index != 2), r => Assert.NotEqual(IngestResult.Rejected, r.Status));
            runtime.Dispose();
            runtime = f.Open();   // the stored events are read back

            using var dir = new TempFolder();
            File.WriteAllText(Path.Combine(dir.Path, "profiles.jsonl"),
                string.Join("\n", LiveFixture.Json(Profiles).EnumerateArray().Select(p => p.GetRawText())) + "\n");
            File.WriteAllText(Path.Combine(dir.Path, "events.jsonl"), string.Join("\n", Orders) + "\n");
            var data = DataImporter.Load(f.Compilation.Model.Schema, dir.Path);
            Assert.Empty(data.Report.Rejects);
            var plan = CompiledEngine.PlanFor(f.Compilation.Model);
            var compared = 0;
            foreach (var asOf in new[] { "2025-03-01T11:00:00Z", "2025-03-02T10:00:00Z", "2025-03-05T00:00:00Z" })
            {
                var instant = DateTime.Parse(asOf, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);
                var batch = CompiledEngine.Evaluate(plan, data, instant);
                foreach (var user in new[] { "u1", "u2", "u3" })
                {
                    var tags = runtime.Tags(user, instant)!;
                    foreach (var column in batch.Columns)
                    {
                        var expected = ValueFormatter.Format(column.Get(data.IndexOfUser(user)));
                        Assert.True(expected == ValueFormatter.Format(tags[column.Symbol.Name]),
                            $"{column.Symbol.Name} of {user} as of {asOf}: batch '{expected}', live " +
                            $"'{ValueFormatter.Format(tags[column.Symbol.Name])}'");
                        compared++;
                    }
                }
            }
            Assert.Equal(3 * 3 * 9, compared);
            var final = runtime.Tags("u1", new DateTime(2025, 3, 5, 0, 0, 0, DateTimeKind.Utc))!;
            Assert.Equal("a\\|b|bottle", ValueFormatter.Format(final["fav"]));   // four items seen once: code point order
            Assert.Equal("bottle||a\\|b", ValueFormatter.Format(final["last_basket"]));
            Assert.Equal(false, final["parents"]);
        }
        finally
        {
            runtime.Dispose();
        }
    }

    private sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("mdsl-live-lists-").FullName;
        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
