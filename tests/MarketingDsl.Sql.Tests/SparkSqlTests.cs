using System.Diagnostics;
using System.Text.RegularExpressions;
using MarketingDsl.Core;
using MarketingDsl.Engine.Data;
using MarketingDsl.Functions.Loading;
using MarketingDsl.Sql.Dialects;
using MarketingDsl.Sql.Execution;
using MarketingDsl.Testing;

namespace MarketingDsl.Sql.Tests;

/// <summary>
/// The Spark SQL target, checked by an independent tool (sqlglot parses it as Spark SQL and
/// transpiles it to DuckDB, where it must give the engine's values), by a golden file of
/// examples/retail (MDSL_UPDATE_GOLDEN=1 rewrites it), and by an allow-list of the functions
/// Spark SQL 3.5 documents.
/// </summary>
public sealed partial class SparkSqlTests
{
    private static SqlCompilation Retail(SqlTarget target) =>
        SqlCompilation.Create(FunctionCompilation.Create(Workspace.Load(SqlTestData.Example("retail"))), target, excludeUnsupported: true);

    [Fact]
    public void Spark_sql_of_examples_retail_matches_its_golden_file()
    {
        var sql = Retail(SqlTarget.SparkSql);
        Assert.False(sql.HasErrors, string.Join("\n", sql.Diagnostics));
        var golden = RepoRoot.Combine("tests", "MarketingDsl.Sql.Tests", "Golden", "retail.spark.sql");
        var actual = sql.Script + "\n-- inputs.sql\n" + sql.InputTablesDdl();
        if (Environment.GetEnvironmentVariable("MDSL_UPDATE_GOLDEN") == "1") File.WriteAllText(golden, actual);
        Assert.Equal(File.ReadAllText(golden), actual);
    }

    /// <summary>
    /// Every function the Spark SQL calls is in this list, each documented in the Spark SQL 3.5
    /// built-in function reference: https://spark.apache.org/docs/3.5.0/api/sql/index.html
    /// </summary>
    private static readonly HashSet<string> SparkFunctions = new(StringComparer.OrdinalIgnoreCase)
    {
        "abs", "array", "array_compact", "array_contains", "cast", "coalesce", "contains", "count", "datediff", "day", "explode", "floor",
        "from_utc_timestamp", "hour", "least", "lower", "max", "min", "month", "round", "rank", "row_number",
        "size", "startswith", "sum", "timestamp_micros",
        "try_add", "try_multiply", "try_subtract", "unix_micros", "upper", "year",
    };

    [GeneratedRegex(@"([A-Za-z_][A-Za-z_0-9]*)\s*\(")]
    private static partial Regex CallPattern();

    [Theory]
    [InlineData("retail")]
    [InlineData("sql-functions")]
    [InlineData("sql-timezone")]
    [InlineData("sql-lists")]
    public void Spark_sql_calls_only_functions_spark_3_5_documents(string example)
    {
        var workspace = SqlTestData.Workspace(example);
        var sql = SqlCompilation.Create(FunctionCompilation.Create(Workspace.Load(workspace)), SqlTarget.SparkSql, excludeUnsupported: true);
        // Names followed by "(" outside string literals and quoted identifiers, minus SQL keywords.
        var code = Regex.Replace(Regex.Replace(sql.Query!, @"'(?:[^'\\]|\\.)*'", "''"), "`[^`]*`", "x");
        var keywords = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        {
            "AS", "IN", "OVER", "AND", "OR", "NOT", "THEN", "ELSE", "WHEN", "FROM", "ON", "JOIN", "WITH", "SELECT", "BY", "DECIMAL",
        };
        var unknown = CallPattern().Matches(code).Select(m => m.Groups[1].Value).Where(n => !keywords.Contains(n) && !SparkFunctions.Contains(n))
            .Distinct().ToList();
        Assert.True(unknown.Count == 0 || unknown.All(IsCteName), $"not in the Spark 3.5 allow-list: {string.Join(", ", unknown)}");
        static bool IsCteName(string name) => name is "params";
    }

    /// <summary>
    /// sqlglot (Debian python3-sqlglot) reads the Spark SQL with its Spark dialect and writes DuckDB
    /// SQL; run on the staged data it gives the engine's values. The few Spark functions sqlglot
    /// passes through by name are defined in DuckDB with their documented Spark meaning.
    /// </summary>
    [Theory]
    [InlineData("retail")]
    [InlineData("sql-functions")]
    [InlineData("sql-timezone")]
    public void Sqlglot_transpiles_the_spark_sql_to_duckdb_with_the_engines_values(string example)
    {
        var compilation = FunctionCompilation.Create(Workspace.Load(SqlTestData.Workspace(example)));
        var spark = SqlCompilation.Create(compilation, SqlTarget.SparkSql, excludeUnsupported: true);
        var duck = SqlCompilation.Create(compilation, SqlTarget.DuckDb, excludeUnsupported: true);
        var dir = Path.Combine(Path.GetTempPath(), $"mdsl-sqlglot-{Guid.NewGuid():N}");
        try
        {
            RetailDataGenerator.Generate(dir, 200, 200, 7);
            var data = SqlTestData.Load(compilation, dir);
            var asOf = new DateTime(data.MaxTimestampTicks!.Value, DateTimeKind.Utc) - TimeSpan.FromDays(3);
            var columns = TranspiledToDuckDb(spark, duck, data, asOf);
            Assert.Null(SqlTestData.FirstDifference(compilation, spark, data, asOf, columns));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The Spark SQL transpiled to DuckDB by sqlglot, run on the data set staged for the DuckDB compilation.</summary>
    internal static System.Collections.Immutable.ImmutableArray<Engine.Evaluation.ResultColumn> TranspiledToDuckDb(SqlCompilation spark,
        SqlCompilation duck, DataSet data, DateTime asOf)
    {
        var python = "/usr/bin/python3";
        Assert.True(File.Exists(python) && Run(python, "-c \"import sqlglot\"", "").Exit == 0,
            "Debian's python3-sqlglot is needed (apt-get install -y python3-sqlglot; .ci/run installs it)");
        // spark-sql substitutes ${as_of}; the session time zone is UTC (the preamble), as in DuckDB.
        var query = spark.Query!.Replace("${as_of}", SqlDialect.TimestampText(asOf), StringComparison.Ordinal);
        var script = "import sqlglot, sys\nprint(sqlglot.transpile(sys.stdin.read(), read='spark', write='duckdb')[0])\n";
        var (exit, transpiled, errors) = Run(python, "-c \"" + script.Replace("\"", "\\\"") + "\"", query);
        Assert.True(exit == 0, errors);
        using var connection = DuckDbEngine.Open();
        DuckDbEngine.Stage(connection, duck, data);
        string[] sparkFunctions =
        [
            "CREATE MACRO try_add(a, b) AS try(a + b)",
            "CREATE MACRO try_subtract(a, b) AS try(a - b)",
            "CREATE MACRO try_multiply(a, b) AS try(a * b)",
            "CREATE MACRO unix_micros(t) AS epoch_us(t)",
            "CREATE MACRO timestamp_micros(m) AS make_timestamp(m)",
            "CREATE MACRO array_compact(l) AS list_filter(l, x -> x IS NOT NULL)",
            "CREATE MACRO startswith(s, p) AS starts_with(s, p)",
            "CREATE MACRO from_utc_timestamp(t, zone) AS timezone(zone, CAST(t AS TIMESTAMPTZ))",
        ];
        return DuckDbEngine.Run(connection, sparkFunctions, transpiled, spark.Outputs, data, asOf);
    }

    private static (int Exit, string Output, string Errors) Run(string file, string arguments, string input)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        process.StandardInput.Write(input);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, output.Result, errors.Result);
    }
}
