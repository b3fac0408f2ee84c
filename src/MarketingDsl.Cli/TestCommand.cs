using MarketingDsl.Core;
using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Engine.Testing;
using MarketingDsl.Functions.Loading;

namespace MarketingDsl.Cli;

/// <summary>`mdsl test WORKSPACE`: runs every `test` block; exit 1 on a workspace error or a failed test.</summary>
public static class TestCommand
{
    public sealed class Syntax : System.CommandLine.Command
    {
        public readonly System.CommandLine.Argument<string> Workspace = OptionValues.Workspace();

        public Syntax() : base("test", "runs the `test` blocks of the workspace (exit 1 on a failure)")
        {
            Add(Workspace);
            this.SetRun(Run);
        }
    }

    public static int Run(Options options, TextWriter stdout, TextWriter stderr)
    {
        var path = options.Value(options.Bind<Syntax>().Workspace);

        var compilation = FunctionCompilation.Create(Workspace.Load(path));
        if (compilation.HasErrors)
        {
            stdout.Write(DiagnosticWriter.ToText(compilation.Diagnostics, [.. compilation.Workspace.AllFiles]));
            stdout.WriteLine($"{compilation.Diagnostics.Count(d => d.IsError)} error(s): fix them before running tests");
            return CommandLine.Problems;
        }

        // Tests run on the production engine; expectations are read from its results.
        var results = new TestRunner(new Engine.Evaluation.CompiledEngine()).RunAll(compilation.Model);
        foreach (var result in results)
        {
            stdout.WriteLine($"{(result.Passed ? "PASS" : "FAIL")} {result.Name}");
            foreach (var note in result.Notes) stdout.WriteLine($"  note: {note}");
            if (result.Error is not null) stdout.WriteLine($"  {result.Error}");
            foreach (var failure in result.Failures)
            {
                stdout.WriteLine($"  {failure.Location}: expect {failure.Expectation}");
                stdout.WriteLine($"    but {failure.Explanation}");
            }
        }
        var failed = results.Count(r => !r.Passed);
        stdout.WriteLine($"{results.Length - failed} passed, {failed} failed");
        return failed > 0 ? CommandLine.Problems : CommandLine.Ok;
    }
}
