using MarketingDsl.Core;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Sql.Dialects;
using MarketingDsl.Sql.Execution;

namespace MarketingDsl.Sql.Tests;

/// <summary>
/// List fields in both SQL targets (Cases/sql-lists: every item type, aggregates over items, whole
/// lists, equality, membership on null lists, int items against decimals) on random lists — null
/// lists, empty lists, null items, repeated items —: DuckDB, and the Spark SQL transpiled by sqlglot,
/// give the engine's written values for every user.
/// </summary>
public sealed class SqlListTests
{
    private static readonly DateTime Start = new(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Both_targets_agree_with_the_engine_on_random_lists(int seed)
    {
        var compilation = Compilation.Create(Workspace.Load(SqlTestData.Workspace("sql-lists")));
        Assert.False(compilation.HasErrors, string.Join("\n", compilation.Diagnostics));
        var duck = SqlCompilation.Create(compilation, SqlTarget.DuckDb);
        var spark = SqlCompilation.Create(compilation, SqlTarget.SparkSql);
        Assert.False(duck.HasErrors || spark.HasErrors, string.Join("\n", duck.Diagnostics.Concat(spark.Diagnostics)));
        Assert.Equal(compilation.Model.Outputs.Length, duck.Outputs.Length);
        var data = RandomLists(compilation.Model.Schema, seed);
        foreach (var asOf in new[] { Start.AddDays(150), Start.AddDays(200) })
        {
            Assert.Null(SqlTestData.FirstDifference(compilation, duck, data, asOf, DuckDbEngine.Evaluate(duck, data, asOf)));
            Assert.Null(SqlTestData.FirstDifference(compilation, spark, data, asOf, SparkSqlTests.TranspiledToDuckDb(spark, duck, data, asOf)));
        }
    }

    private static DataSet RandomLists(SchemaModel schema, int seed)
    {
        var random = new Random(seed);
        string[] words = ["tea", "coffee", "books", "stroller", "car_seat", "bottle", "kettle", "上海", "a|b", ""];
        object?[]? List(Func<object?> item) => random.Next(6) switch
        {
            0 => null,
            1 => [],
            _ => [.. Enumerable.Range(0, 1 + random.Next(5)).Select(_ => random.Next(8) == 0 ? null : item())],
        };
        var profiles = Enumerable.Range(0, 160).Select(u => new object?[]
        {
            $"u{u:D3}",
            u == 0 ? new object?[] { "tea", "books" } : List(() => words[random.Next(words.Length)]),
            u == 1 ? new object?[] { 1L, 7L } : List(() => (long)random.Next(10)),
            List(() => DateOnly.FromDateTime(Start).AddDays(-random.Next(20_000))),
        }).ToList();
        var order = schema.FindEvent("order")!;
        var view = schema.FindEvent("view")!;
        var events = new List<(EventTypeSymbol, object?[])>();
        for (var n = 0; n < 1200; n++)
        {
            var user = $"u{random.Next(160):D3}";
            var ts = Start.AddMinutes(random.Next(200 * 24 * 60));
            events.Add(random.Next(4) == 0
                ? (view, [user, ts, words[random.Next(words.Length)]])
                : (order, [user, ts, $"o{random.Next(1100)}", List(() => words[random.Next(words.Length)]),
                    List(() => Math.Round((decimal)random.NextDouble() * 100, random.Next(4))),
                    List(() => DateOnly.FromDateTime(ts).AddDays(-random.Next(3))),
                    List(() => random.Next(2) == 0),
                    List(() => ts.AddSeconds(-random.Next(100_000)).AddTicks(10 * random.Next(1_000_000))),
                    List(() => TimeSpan.FromMinutes(random.Next(5000))),
                    List(() => (long)random.Next(-3, 6))]));
        }
        var data = InMemoryData.Build(schema, profiles, events);
        Assert.Empty(data.Report.Rejects);
        return data;
    }
}
