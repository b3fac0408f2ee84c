using System.Globalization;
using System.Text.Json.Nodes;
using MarketingDsl.Core;
using MarketingDsl.Engine.Simulation;

namespace MarketingDsl.Engine.Tests.Conformance;

/// <summary>
/// The cases of tests/conformance (computed by an independent SQL implementation): the engine
/// must write a byte-identical tags.csv and a summary.json with equal fields.
/// </summary>
public sealed class ConformanceTests
{
    public static TheoryData<string> Cases() => CasesExcept();

    /// <summary>The cases but those named (a feature some path does not have yet, with its own test of the refusal).</summary>
    public static TheoryData<string> CasesExcept(params string[] left)
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.GetDirectories(RepositoryPaths.Of("tests", "conformance")).Order(StringComparer.Ordinal))
            if (!left.Contains(Path.GetFileName(dir))) data.Add(Path.GetFileName(dir));
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Simulation_matches_the_expected_output(string name)
    {
        var dir = RepositoryPaths.Of("tests", "conformance", name);
        var compilation = Compilation.Create(Workspace.Load(Path.Combine(dir, "workspace")));
        Assert.False(compilation.HasErrors, string.Join("\n", compilation.Diagnostics));
        var asOf = AsOfArgument(dir);
        var outDir = Path.Combine(Path.GetTempPath(), "mdsl-conformance-" + name + "-" + Guid.NewGuid().ToString("N"));
        try
        {
            SimulationRunner.Run(compilation, Path.Combine(dir, "data"), outDir, asOf);

            var expectedCsv = File.ReadAllBytes(Path.Combine(dir, "expected", "tags.csv"));
            var actualCsv = File.ReadAllBytes(Path.Combine(outDir, "tags.csv"));
            if (!expectedCsv.AsSpan().SequenceEqual(actualCsv))
                Assert.Fail(FirstDifference(File.ReadAllLines(Path.Combine(dir, "expected", "tags.csv")),
                    File.ReadAllLines(Path.Combine(outDir, "tags.csv"))));

            var expected = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "expected", "summary.json")))!;
            var actual = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")))!;
            AssertContains(expected, actual, "");
        }
        finally
        {
            if (Directory.Exists(outDir)) Directory.Delete(outDir, recursive: true);
        }
    }

    internal static DateTime? AsOfArgument(string dir)
    {
        var argsFile = Path.Combine(dir, "args");
        if (!File.Exists(argsFile)) return null;
        var words = File.ReadAllText(argsFile).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var i = Array.IndexOf(words, "--as-of");
        return i < 0 ? null : DateTimeOffset.Parse(words[i + 1], CultureInfo.InvariantCulture).UtcDateTime;
    }

    /// <summary>Every field of the expected summary is in the actual one with an equal value (numbers by value, as_of as an instant).</summary>
    private static void AssertContains(JsonNode expected, JsonNode? actual, string path)
    {
        Assert.True(actual is not null, $"summary.json lacks {path}");
        switch (expected)
        {
            case JsonObject o:
                foreach (var (key, value) in o) AssertContains(value!, actual![key], path + "." + key);
                break;
            case JsonValue v when path == ".as_of":
                Assert.Equal(DateTimeOffset.Parse(v.GetValue<string>(), CultureInfo.InvariantCulture),
                    DateTimeOffset.Parse(actual!.GetValue<string>(), CultureInfo.InvariantCulture));
                break;
            case JsonValue v when v.TryGetValue<decimal>(out var number):
                Assert.True(actual!.AsValue().TryGetValue<decimal>(out var actualNumber) && actualNumber == number,
                    $"{path}: expected {number}, got {actual.ToJsonString()}");
                break;
            default:
                Assert.Equal(expected.ToJsonString(), actual!.ToJsonString());
                break;
        }
    }

    private static string FirstDifference(string[] expected, string[] actual)
    {
        for (var i = 0; i < Math.Min(expected.Length, actual.Length); i++)
            if (expected[i] != actual[i]) return $"tags.csv differs at line {i + 1}:\n  expected: {expected[i]}\n  actual:   {actual[i]}";
        return $"tags.csv has {actual.Length} lines, expected {expected.Length}";
    }
}
