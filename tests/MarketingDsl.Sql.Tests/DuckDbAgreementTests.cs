using System.Globalization;
using MarketingDsl.Core;
using MarketingDsl.Engine.Data;
using MarketingDsl.Functions.Loading;
using MarketingDsl.Sql.Dialects;
using MarketingDsl.Sql.Execution;
using MarketingDsl.Testing;

namespace MarketingDsl.Sql.Tests;

/// <summary>
/// The DuckDB target joins the oracle tests: every conformance case (byte-identical tags.csv,
/// through `simulate --engine duckdb`'s runner), and every example on generated histories of
/// several seeds at several as-of instants, against the in-process engine.
/// </summary>
public sealed class DuckDbAgreementTests
{
    public static TheoryData<string> ConformanceCases()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.GetDirectories(RepoRoot.Combine("tests", "conformance")).Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(dir));
        return data;
    }

    [Theory]
    [MemberData(nameof(ConformanceCases))]
    public void DuckDb_writes_the_expected_tags_csv_of_every_conformance_case(string name)
    {
        var dir = RepoRoot.Combine("tests", "conformance", name);
        var compilation = Compilation.Create(Workspace.Load(Path.Combine(dir, "workspace")));
        var outDir = Path.Combine(Path.GetTempPath(), $"mdsl-sql-conformance-{name}-{Guid.NewGuid():N}");
        try
        {
            var (run, sql) = DuckDbSimulation.Run(compilation, Path.Combine(dir, "data"), outDir, AsOfArgument(dir));
            Assert.True(run is not null, string.Join("\n", sql.Diagnostics));
            Assert.Equal(File.ReadAllText(Path.Combine(dir, "expected", "tags.csv")), File.ReadAllText(Path.Combine(outDir, "tags.csv")));
            Assert.True(File.Exists(Path.Combine(outDir, "summary.json")));
        }
        finally
        {
            if (Directory.Exists(outDir)) Directory.Delete(outDir, recursive: true);
        }
    }

    private static DateTime? AsOfArgument(string dir)
    {
        var argsFile = Path.Combine(dir, "args");
        if (!File.Exists(argsFile)) return null;
        var words = File.ReadAllText(argsFile).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var i = Array.IndexOf(words, "--as-of");
        return i < 0 ? null : DateTimeOffset.Parse(words[i + 1], CultureInfo.InvariantCulture).UtcDateTime;
    }

    public static TheoryData<string, int> ExampleRuns() => new()
    {
        { "retail", 11 },
        { "retail", 23 },
        { "sql-functions", 5 },
        { "sql-functions", 17 },
        { "sql-timezone", 9 },
    };

    /// <summary>
    /// Every output the SQL computes has the engine's written value for every user, as of the end of
    /// the history and 40 days and a half before (windows cut through the data). Outputs that need a
    /// C# function or a model are left out (MD8010) and said so.
    /// </summary>
    [Theory]
    [MemberData(nameof(ExampleRuns))]
    public void DuckDb_agrees_with_the_engine_on_every_example_and_generated_history(string example, int seed)
    {
        var workspace = SqlTestData.Workspace(example);
        var compilation = FunctionCompilation.Create(Workspace.Load(workspace));
        Assert.False(compilation.HasErrors, string.Join("\n", compilation.Diagnostics));
        var sql = SqlCompilation.Create(compilation, SqlTarget.DuckDb, excludeUnsupported: true);
        Assert.False(sql.HasErrors, string.Join("\n", sql.Diagnostics));
        var dir = Path.Combine(Path.GetTempPath(), $"mdsl-sql-agree-{seed}-{Guid.NewGuid():N}");
        try
        {
            RetailDataGenerator.Generate(dir, 250, 200, seed);
            var data = SqlTestData.Load(compilation, dir);
            var end = new DateTime(data.MaxTimestampTicks!.Value, DateTimeKind.Utc);
            using var connection = DuckDbEngine.Open();
            DuckDbEngine.Stage(connection, sql, data);
            foreach (var asOf in new[] { end, end - TimeSpan.FromDays(40.5) })
            {
                var columns = DuckDbEngine.Run(connection, sql.Preamble, sql.Query!, sql.Outputs, data, asOf);
                Assert.Null(SqlTestData.FirstDifference(compilation, sql, data, asOf, columns));
            }
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
