using MarketingDsl.Core;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Engine.Simulation;
using MarketingDsl.Engine.Tests.Conformance;
using MarketingDsl.Functions.Loading;

namespace MarketingDsl.Engine.Tests.Evaluation;

/// <summary>
/// The compiled engine and the reference interpreter agree value for value: on the conformance
/// cases, and on generated histories of several seeds and sizes at several as-of instants
/// evaluated over the whole retail example (every tag family).
/// </summary>
public sealed class EngineAgreementTests
{
    [Theory]
    [InlineData("retail-core", null)]
    [InlineData("retail-core-as-of", "2025-06-30T00:00:00Z")]
    [InlineData("list-fields", null)]
    public void Engines_agree_on_conformance_cases(string name, string? asOf)
    {
        var dir = RepositoryPaths.Of("tests", "conformance", name);
        var compilation = Compilation.Create(Workspace.Load(Path.Combine(dir, "workspace")));
        var data = DataImporter.Load(compilation.Model.Schema, Path.Combine(dir, "data"));
        var instant = asOf is null ? new DateTime(data.MaxTimestampTicks!.Value, DateTimeKind.Utc) : DateTime.Parse(asOf, null,
            System.Globalization.DateTimeStyles.AdjustToUniversal);
        AssertAgree(compilation, data, instant);
    }

    [Theory]
    [InlineData(1, 300, 0)]
    [InlineData(2, 500, 30)]
    [InlineData(3, 200, 100)]
    public void Engines_agree_on_generated_history(int seed, int users, int daysBeforeEnd)
    {
        var compilation = FunctionCompilation.Create(Workspace.Load(RepositoryPaths.Of("examples", "retail")));
        Assert.False(compilation.HasErrors);
        var dir = Path.Combine(Path.GetTempPath(), $"mdsl-agree-{seed}-{Guid.NewGuid():N}");
        try
        {
            var generated = RetailDataGenerator.Generate(dir, users, 90, seed);
            var data = DataImporter.Load(compilation.Model.Schema, dir);
            AssertAgree(compilation, data, generated.EndUtc.AddDays(-daysBeforeEnd));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Engines_agree_on_in_lists_sums_and_top_with_nulls()
    {
        var s = new Scenario("""
            tag cat = last(order.category)
            tag in_list = cat in ["x", "y"]
            tag not_in_list = cat not in ["x", "y"]
            tag any_xy = exists(order, where: category in ["x", "y"])
            tag any_not_xy = exists(order, where: category not in ["x", "y"])
            tag count_not_x = count(order, where: category not in ["x"])
            tag spend = sum(order.amount)
            tag favs = top(order.category, 2)
            """)
            .Profile("none")
            .Profile("nulls")
            .Profile("some")
            .Order("nulls", "2025-05-01T00:00:00Z")
            .Order("some", "2025-05-01T00:00:00Z", 5, category: "x")
            .Order("some", "2025-05-02T00:00:00Z", 79228162514264337593543950335m, category: "z")
            .Order("some", "2025-05-03T00:00:00Z", 1, category: "z")
            .Order("some", "2025-05-04T00:00:00Z", category: "y")
            .Evaluate("2025-06-01T00:00:00Z");
        var compiled = new CompiledEngine().Evaluate(s.Model, s.Data!, new DateTime(2025, 6, 1, 0, 0, 0, DateTimeKind.Utc));
        foreach (var output in s.Model.Outputs)
            foreach (var user in new[] { "none", "nulls", "some" })
                Assert.Equal(s[output.Name, user], compiled.Column(output.Name).Get(s.Data!.IndexOfUser(user)));
        Assert.Equal(false, s["not_in_list", "nulls"]);
        Assert.Equal(true, s["any_not_xy", "some"]);
        Assert.Null(s["spend", "some"]);   // overflowed
    }

    [Fact]
    public void Engines_agree_on_min_and_max_of_a_string_field()
    {
        var s = new Scenario("""
            tag first_category = min(order.category)
            tag last_category = max(order.category)
            """)
            .Profile("none")
            .Profile("nulls")
            .Profile("some")
            .Order("nulls", "2025-05-01T00:00:00Z")
            .Order("some", "2025-05-01T00:00:00Z", 5, category: "tv")
            .Order("some", "2025-05-02T00:00:00Z", 1, category: "Zoo")
            .Order("some", "2025-05-03T00:00:00Z", 1, category: "é")
            .Evaluate("2025-06-01T00:00:00Z");
        var compiled = new CompiledEngine().Evaluate(s.Model, s.Data!, new DateTime(2025, 6, 1, 0, 0, 0, DateTimeKind.Utc));
        foreach (var output in s.Model.Outputs)
            foreach (var user in new[] { "none", "nulls", "some" })
                Assert.Equal(s[output.Name, user], compiled.Column(output.Name).Get(s.Data!.IndexOfUser(user)));
        Assert.Equal("Zoo", s["first_category", "some"]);   // code-point order: upper case before lower case
        Assert.Equal("é", s["last_category", "some"]);
        Assert.Null(s["first_category", "nulls"]);
    }

    /// <summary>Random lists (null lists, empty lists, null items, repeated items) through the list-fields workspace.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Engines_agree_on_random_lists(int seed)
    {
        var compilation = Compilation.Create(Workspace.Load(RepositoryPaths.Of("tests", "conformance", "list-fields", "workspace")));
        Assert.False(compilation.HasErrors);
        var schema = compilation.Model.Schema;
        var random = new Random(seed);
        string[] words = ["tea", "coffee", "books", "stroller", "car_seat", "bottle", "kettle"];
        object?[]? List(Func<object?> item) => random.Next(6) switch
        {
            0 => null,
            1 => [],
            _ => [.. Enumerable.Range(0, 1 + random.Next(5)).Select(_ => random.Next(8) == 0 ? null : item())],
        };
        var start = new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var profiles = Enumerable.Range(0, 150).Select(u => new object?[]
        {
            $"u{u:D3}", List(() => words[random.Next(words.Length)]), List(() => (long)random.Next(10)),
        }).ToList();
        var order = schema.FindEvent("order")!;
        var view = schema.FindEvent("view")!;
        var events = new List<(Core.Semantics.EventTypeSymbol, object?[])>();
        for (var n = 0; n < 900; n++)
        {
            var user = $"u{random.Next(150):D3}";
            var ts = start.AddMinutes(random.Next(180 * 24 * 60));
            events.Add(random.Next(4) == 0
                ? (view, [user, ts, words[random.Next(words.Length)]])
                : (order, [user, ts, $"o{n}", List(() => words[random.Next(words.Length)]),
                    List(() => Math.Round((decimal)random.NextDouble() * 100, 2)), List(() => DateOnly.FromDateTime(ts).AddDays(-random.Next(3)))]));
        }
        var data = InMemoryData.Build(schema, profiles, events);
        Assert.Empty(data.Report.Rejects);
        AssertAgree(compilation, data, start.AddDays(150));
    }

    private static void AssertAgree(Compilation compilation, DataSet data, DateTime asOf)
    {
        var compiled = new CompiledEngine().Evaluate(compilation.Model, data, asOf);
        var reference = new ReferenceInterpreter().Evaluate(compilation.Model, data, asOf);
        Assert.Equal(reference.Columns.Length, compiled.Columns.Length);
        var compared = 0;
        for (var c = 0; c < compiled.Columns.Length; c++)
        {
            if (DependsOnModel(compiled.Columns[c].Symbol)) continue; // models are not trained in either engine
            for (var u = 0; u < data.UserCount; u++)
            {
                var expected = ValueFormatter.Format(reference.Columns[c].Get(u));
                var actual = ValueFormatter.Format(compiled.Columns[c].Get(u));
                if (expected != actual)
                    Assert.Fail($"{compiled.Columns[c].Symbol.Name} for {data.UserIds[u]}: interpreter '{expected}', compiled '{actual}'");
                compared++;
            }
        }
        Assert.True(compared > 0);
    }

    private static bool DependsOnModel(Core.Semantics.ComputedSymbol symbol)
    {
        var pending = new Stack<Core.Semantics.ComputedSymbol>([symbol]);
        var seen = new HashSet<Core.Semantics.ComputedSymbol>();
        while (pending.Count > 0)
        {
            var s = pending.Pop();
            if (!seen.Add(s)) continue;
            if (s is Core.Semantics.TagSymbol t && Core.Semantics.BoundTree.Descendants(t.Body).Any(n =>
                n is Core.Semantics.BoundModelOutput)) return true;
            foreach (var d in s.Dependencies) pending.Push(d);
        }
        return false;
    }
}

public sealed class PlanCacheTests
{
    [Fact]
    public void Plans_are_shared_by_content_and_not_across_edits()
    {
        const string schema = "schema { profile { user_id: string key } event order { amount: decimal } }\n";
        var first = MarketingDsl.Core.Compilation.Create(("a.mdsl", schema + "tag n = count(order)\n"));
        var same = MarketingDsl.Core.Compilation.Create(("a.mdsl", schema + "tag n = count(order)\n"));
        var edited = MarketingDsl.Core.Compilation.Create(("a.mdsl", schema + "tag n = count(order, within: 7d)\n"));
        Assert.NotSame(first.Model, same.Model);
        Assert.Same(CompiledEngine.PlanFor(first), CompiledEngine.PlanFor(same));
        Assert.NotSame(CompiledEngine.PlanFor(first), CompiledEngine.PlanFor(edited));
    }
}

public sealed class OverflowTests
{
    [Fact]
    public void Overflowing_arithmetic_and_sums_are_null_in_both_engines()
    {
        var compilation = MarketingDsl.Core.Compilation.Create(("a.mdsl", """
            schema { profile { user_id: string key } event order { amount: decimal } }
            tag int_overflow = 9223372036854775807 + 1
            tag int_fine = 9223372036854775806 + 1
            tag negate_min = -(-9223372036854775807 - 1)
            tag decimal_overflow = 79228162514264337593543950335.0 * 2
            tag big_sum = sum(order.amount)
            tag big_avg = avg(order.amount)
            tag late = now() + 3650000d

            """));
        Assert.False(compilation.HasErrors, string.Join("\n", compilation.Diagnostics));
        var schema = compilation.Model.Schema;
        var order = schema.FindEvent("order")!;
        var t = new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var data = MarketingDsl.Engine.Data.InMemoryData.Build(schema, [["u1"]],
            [(order, ["u1", t, 79228162514264337593543950335m]), (order, ["u1", t, 79228162514264337593543950335m])]);
        foreach (var evaluator in new ITagEvaluator[] { new CompiledEngine(), new ReferenceInterpreter() })
        {
            var result = evaluator.Evaluate(compilation.Model, data, t);
            Assert.Null(result.Column("int_overflow").Get(0));
            Assert.Equal(9223372036854775807L, result.Column("int_fine").Get(0));
            Assert.Null(result.Column("negate_min").Get(0));
            Assert.Null(result.Column("decimal_overflow").Get(0));
            Assert.Null(result.Column("big_sum").Get(0));
            Assert.Null(result.Column("big_avg").Get(0));
            Assert.Null(result.Column("late").Get(0));
        }
    }
}
