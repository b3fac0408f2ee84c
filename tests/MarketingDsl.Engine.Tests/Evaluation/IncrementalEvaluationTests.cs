using System.Text.RegularExpressions;
using MarketingDsl.Core;
using MarketingDsl.Core.Text;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Engine.Lowering;
using MarketingDsl.Engine.Simulation;
using MarketingDsl.Engine.Tests.Conformance;
using MarketingDsl.Functions.Loading;

namespace MarketingDsl.Engine.Tests.Evaluation;

/// <summary>
/// The oracle of incremental evaluation: after every edit of a random sequence on the retail
/// example (numbers in tags, segments and groups nudged, files put back as they were), the
/// incremental evaluator's values equal the compiled engine's from scratch, value for value, with
/// the default budget and with one so small that kept columns are evicted all the time.
/// </summary>
public sealed partial class IncrementalEvaluationTests
{
    [GeneratedRegex(@"\b\d+\b")]
    private static partial Regex Number();

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    public void Incremental_values_equal_a_whole_evaluation_after_random_edits(int seed)
    {
        var original = Workspace.Load(RepositoryPaths.Of("examples", "retail"));
        var first = FunctionCompilation.Create(original);
        Assert.False(first.HasErrors);
        var dir = Path.Combine(Path.GetTempPath(), $"mdsl-incremental-{seed}-{Guid.NewGuid():N}");
        try
        {
            var generated = RetailDataGenerator.Generate(dir, 300, 90, seed);
            var data = DataImporter.Load(first.Model.Schema, dir);
            var asOf = generated.EndUtc;
            var roomy = new IncrementalEvaluator(data, asOf);
            var tight = new IncrementalEvaluator(data, asOf, maxBytes: 40 * 300 * 8);
            var random = new Random(seed);
            var files = original.Files.ToDictionary(f => f.Path, f => f.Text, StringComparer.Ordinal);
            // Tags are read by segments and groups: their edits must reach what reads them, so they are edited most.
            var editable = files.Keys.Where(p => p.StartsWith("tags/", StringComparison.Ordinal)).Order().Append("segments.mdsl").ToList();
            var (checkedSteps, reused) = (0, 0);
            for (var step = 0; step < 12; step++)
            {
                var path = editable[random.Next(editable.Count)];
                if (step > 0 && random.NextDouble() < 0.25)
                {
                    files[path] = original.Files.First(f => f.Path == path).Text; // typed back as it was
                }
                else
                {
                    var numbers = Number().Matches(files[path]).Where(m => IsInDeclarationBody(files[path], m.Index)).ToList();
                    var number = numbers[random.Next(numbers.Count)];
                    var value = Math.Max(0, long.Parse(number.Value, System.Globalization.CultureInfo.InvariantCulture) + random.Next(-3, 6));
                    files[path] = files[path][..number.Index] + value + files[path][(number.Index + number.Length)..];
                }
                var compilation = FunctionCompilation.Create(new Workspace(
                    files.Select(f => new SourceText(f.Key, f.Value)).Concat(original.FunctionFiles)));
                if (compilation.HasErrors) continue;
                var expected = CompiledEngine.Evaluate(PlanCompiler.Compile(compilation.Model), data, asOf);
                var fromRoomy = roomy.Evaluate(compilation);
                AssertSame(expected, fromRoomy.Result, $"step {step} ({path})");
                AssertSame(expected, tight.Evaluate(compilation).Result, $"step {step} ({path}), small budget");
                checkedSteps++;
                if (step > 0) reused += fromRoomy.Reused;
            }
            Assert.True(checkedSteps >= 5, $"only {checkedSteps} edits compiled");
            Assert.True(reused > 0, "no column was ever kept");
            Assert.True(tight.Kept.Bytes <= 40 * 300 * 8);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Only_the_edited_declaration_and_what_reads_it_are_computed_again()
    {
        const string schema = "schema { profile { user_id: string key } event order { amount: decimal } }\n";
        var model = Compilation.Create(("a.mdsl", schema)).Model.Schema;
        var order = model.FindEvent("order")!;
        var data = InMemoryData.Build(model, [["u1"], ["u2"], ["u3"]],
            [(order, ["u1", new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc), 10m]),
                (order, ["u2", new DateTime(2025, 1, 2, 0, 0, 0, DateTimeKind.Utc), 30m])]);
        var evaluator = new IncrementalEvaluator(data, new DateTime(2025, 2, 1, 0, 0, 0, DateTimeKind.Utc));
        Compilation Workspace(int threshold) => Compilation.Create(("a.mdsl", schema + $"""
            tag spend = sum(order.amount)
            tag orders = count(order)
            segment big = spend >= {threshold}
            segment big_buyer = big and orders >= 1
            """));
        var first = evaluator.Evaluate(Workspace(20));
        Assert.Equal((4, 0), (first.Computed, first.Reused));
        var edited = evaluator.Evaluate(Workspace(5));
        Assert.Equal((2, 2), (edited.Computed, edited.Reused)); // big and big_buyer
        Assert.Equal([true, true, false], Enumerable.Range(0, 3).Select(u => edited.Result.Column("big").Get(u)));
        var back = evaluator.Evaluate(Workspace(20));
        Assert.Equal((0, 4), (back.Computed, back.Reused));
        Assert.Equal([false, true, false], Enumerable.Range(0, 3).Select(u => back.Result.Column("big_buyer").Get(u)));
    }

    /// <summary>A number after the `=` of a tag or segment, or in a segmentation's rule (not in a label or a comment).</summary>
    private static bool IsInDeclarationBody(string text, int index)
    {
        var lineStart = text.LastIndexOf('\n', Math.Max(0, index - 1)) + 1;
        var line = text[lineStart..index];
        if (line.TrimStart().StartsWith("//", StringComparison.Ordinal) || line.Count(c => c == '"') % 2 == 1) return false;
        return line.Contains('=', StringComparison.Ordinal) || line.Contains(" when ", StringComparison.Ordinal);
    }

    private static void AssertSame(EvaluationResult expected, EvaluationResult actual, string where)
    {
        Assert.Equal(expected.Columns.Select(c => c.Symbol.Name), actual.Columns.Select(c => c.Symbol.Name));
        for (var c = 0; c < expected.Columns.Length; c++)
            for (var u = 0; u < expected.Data.UserCount; u++)
            {
                var (e, a) = (ValueFormatter.Format(expected.Columns[c].Get(u)), ValueFormatter.Format(actual.Columns[c].Get(u)));
                if (e != a)
                    Assert.Fail($"{where}: {expected.Columns[c].Symbol.Name} for {expected.Data.UserIds[u]}: from scratch '{e}', incremental '{a}'");
            }
    }
}
