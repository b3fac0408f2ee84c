using System.Text;
using MarketingDsl.Core;
using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Functions.Loading;
using MarketingDsl.Sql;
using MarketingDsl.Sql.Dialects;

namespace MarketingDsl.Cli;

/// <summary>`mdsl compile WORKSPACE --target duckdb|spark-sql --out DIR [--exclude-unsupported]`: the workspace as SQL.</summary>
public static class CompileCommand
{
    public static int Run(Options options, TextWriter stdout, TextWriter stderr)
    {
        var targetText = options.Require("--target");
        var outDir = options.Require("--out");
        var exclude = options.Flag("--exclude-unsupported");
        var workspace = options.Workspace("compile");
        options.RejectUnknown();
        var target = targetText switch
        {
            "duckdb" => SqlTarget.DuckDb,
            "spark-sql" => SqlTarget.SparkSql,
            _ => throw new UsageException($"--target must be duckdb or spark-sql, not '{targetText}'"),
        };
        var compilation = FunctionCompilation.Create(Workspace.Load(workspace));
        var sql = SqlCompilation.Create(compilation, target, exclude);
        if (sql.Diagnostics.Length > 0) stderr.Write(DiagnosticWriter.ToText(sql.Diagnostics, [.. compilation.Workspace.AllFiles]));
        if (sql.HasErrors)
        {
            stderr.WriteLine($"mdsl: the workspace cannot be compiled to {sql.Dialect.DisplayName} (see above).");
            return CommandLine.Problems;
        }
        Directory.CreateDirectory(outDir);
        var utf8 = new UTF8Encoding(false);
        File.WriteAllText(Path.Combine(outDir, "tags.sql"), sql.Script, utf8);
        File.WriteAllText(Path.Combine(outDir, "inputs.sql"), sql.InputTablesDdl(), utf8);
        stdout.WriteLine($"wrote {Path.Combine(outDir, "tags.sql")} ({sql.Outputs.Length} output(s) of {compilation.Model.Outputs.Length}) and "
            + $"{Path.Combine(outDir, "inputs.sql")} (the input tables) for {sql.Dialect.DisplayName}; "
            + $"the as-of instant is {sql.Dialect.AsOfParameter}");
        return CommandLine.Ok;
    }
}
