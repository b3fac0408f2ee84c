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
    public sealed class Syntax : System.CommandLine.Command
    {
        public readonly System.CommandLine.Argument<string> Workspace = OptionValues.Workspace();
        public readonly System.CommandLine.Option<string> Target = OptionValues.Choice("--target",
            "the SQL dialect: DuckDB or Spark SQL 3.5", null, "duckdb", "spark-sql");
        public readonly System.CommandLine.Option<string> Out = OptionValues.Required("--out", "DIR",
            "the folder for tags.sql (one query: every tag, segment and segmentation as of a parameter instant) and inputs.sql");
        public readonly System.CommandLine.Option<bool> ExcludeUnsupported = OptionValues.Flag("--exclude-unsupported",
            "leave out what SQL cannot compute (C# functions, models) with a warning naming each output, instead of an error");

        public Syntax() : base("compile", "writes the workspace as SQL for DuckDB or Spark SQL (LANGUAGE.md §20)")
        {
            Add(Workspace);
            Add(Target);
            Add(Out);
            Add(ExcludeUnsupported);
            this.SetRun(Run);
        }
    }

    public static int Run(Options options, TextWriter stdout, TextWriter stderr)
    {
        var syntax = options.Bind<Syntax>();
        var outDir = options.Value(syntax.Out);
        var exclude = options.Value(syntax.ExcludeUnsupported);
        var workspace = options.Value(syntax.Workspace);
        var target = options.Value(syntax.Target) == "duckdb" ? SqlTarget.DuckDb : SqlTarget.SparkSql;
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
