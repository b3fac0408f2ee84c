namespace MarketingDsl.Cli.Tests;

/// <summary>`mdsl compile` and `mdsl simulate --engine duckdb` as a user runs them.</summary>
public sealed class CompileCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mdsl-compile-" + Guid.NewGuid().ToString("N"));

    public CompileCommandTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = CommandLine.RunAsync(args, stdout, stderr).GetAwaiter().GetResult();
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private static string Conformance(string name) => Testing.RepoRoot.Combine("tests", "conformance", name);

    [Fact]
    public void Simulate_with_engine_duckdb_writes_the_files_of_the_in_process_engine()
    {
        var dir = Conformance("retail-core");
        var (workspace, data) = (Path.Combine(dir, "workspace"), Path.Combine(dir, "data"));
        var (inProcess, _, _) = Run("simulate", workspace, "--data", data, "--out", Path.Combine(_dir, "a"), "--quiet");
        var (duck, _, err) = Run("simulate", workspace, "--data", data, "--out", Path.Combine(_dir, "b"), "--quiet", "--engine", "duckdb");
        Assert.Equal(0, inProcess);
        Assert.True(duck == 0, err);
        foreach (var file in new[] { "tags.csv", "summary.json", "rejects.jsonl" })
            Assert.Equal(File.ReadAllText(Path.Combine(_dir, "a", file)), File.ReadAllText(Path.Combine(_dir, "b", file)));
    }

    [Fact]
    public void Compile_writes_the_query_and_the_input_tables()
    {
        var (exit, output, err) = Run("compile", Path.Combine(Conformance("retail-core"), "workspace"), "--target", "spark-sql", "--out", _dir);
        Assert.True(exit == 0, err);
        Assert.Contains("tags.sql", output, StringComparison.Ordinal);
        Assert.StartsWith("SET spark.sql.session.timeZone = UTC;", File.ReadAllText(Path.Combine(_dir, "tags.sql")), StringComparison.Ordinal);
        Assert.Contains("CREATE TABLE IF NOT EXISTS `events_order`", File.ReadAllText(Path.Combine(_dir, "inputs.sql")), StringComparison.Ordinal);
    }

    [Fact]
    public void Compile_of_a_custom_function_exits_1_naming_it_and_excluding_it_warns()
    {
        var workspace = Testing.RepoRoot.Combine("examples", "retail");
        var (exit, _, err) = Run("compile", workspace, "--target", "duckdb", "--out", _dir);
        Assert.Equal(1, exit);
        Assert.Contains("error MD8001: SkuLine() is a C# function", err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "tags.sql")));
        (exit, _, err) = Run("compile", workspace, "--target", "duckdb", "--out", _dir, "--exclude-unsupported");
        Assert.Equal(0, exit);
        Assert.Contains("warning MD8010: 'last_order_line' is left out of the SQL", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Simulate_with_engine_duckdb_refuses_a_model_output_and_an_unknown_engine()
    {
        var retail = Testing.RepoRoot.Combine("examples", "retail");
        var (exit, _, err) = Run("simulate", retail, "--data", Path.Combine(Conformance("retail-core"), "data"),
            "--out", _dir, "--quiet", "--engine", "duckdb");
        Assert.Equal(1, exit);
        Assert.Contains("MD8002", err, StringComparison.Ordinal);
        (exit, _, err) = Run("simulate", "ws", "--data", "d", "--out", _dir, "--engine", "spark");
        Assert.Equal(2, exit);
        Assert.Contains("--engine must be inprocess or duckdb", err, StringComparison.Ordinal);
        (exit, _, err) = Run("compile", "ws", "--target", "postgres", "--out", _dir);
        Assert.Equal(2, exit);
        Assert.Contains("--target must be duckdb or spark-sql", err, StringComparison.Ordinal);
    }
}
