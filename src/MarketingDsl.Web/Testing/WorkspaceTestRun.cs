using System.Diagnostics;
using MarketingDsl.Core;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Engine.Testing;
using MarketingDsl.Web.Compiling;

namespace MarketingDsl.Web.Testing;

public sealed record ExpectFailureView(SourcePlace Place, string Expectation, string Explanation);

public sealed record TestView(string Name, bool Passed, SourcePlace? Place, string AsOf, int ExpectCount, string? Error,
    IReadOnlyList<string> Notes, IReadOnlyList<ExpectFailureView> Failures);

public sealed record CompileErrorView(SourcePlace Place, string Code, string Message);

/// <summary>
/// The answer of POST /api/tests. Status `passed` or `failed` with every test; `errors` when the
/// workspace does not compile (no test runs, as with `mdsl test`), with the errors to fix.
/// </summary>
public sealed record TestRunView(string Status, string Message, int Passed, int Failed, IReadOnlyList<TestView> Tests, int ErrorCount,
    IReadOnlyList<CompileErrorView> Errors, double ElapsedMs);

/// <summary>
/// Runs the `test` blocks of a compiled workspace exactly as `mdsl test` does: the engine's
/// <see cref="TestRunner"/> on the production (compiled) engine, nothing when there are errors.
/// </summary>
public static class WorkspaceTestRun
{
    /// <summary>Errors listed in the answer; the rest are counted.</summary>
    private const int MaxErrorsListed = 100;

    public static TestRunView Run(Compilation compilation)
    {
        var watch = Stopwatch.StartNew();
        if (compilation.HasErrors)
        {
            var errors = compilation.Diagnostics.Where(d => d.IsError).ToList();
            return new TestRunView("errors", $"{errors.Count} error(s): fix them before running tests", 0, 0, [], errors.Count,
                [.. errors.Take(MaxErrorsListed).Select(d => new CompileErrorView(new SourcePlace(d.FilePath, d.Start.Line,
                    d.Start.Column), d.Code, d.Message))],
                Elapsed(watch));
        }
        var results = new TestRunner(new CompiledEngine()).RunAll(compilation.Model);
        var tests = results.Select(r => new TestView(
            r.Name, r.Passed,
            r.Location is { } l ? new SourcePlace(l.File.Path, l.Start.Line, l.Start.Column) : null,
            TestRunner.Format(r.AsOfUtc), r.ExpectCount, r.Error, r.Notes,
            [.. r.Failures.Select(f => new ExpectFailureView(new SourcePlace(f.File, f.Line, f.Column), f.Expectation, f.Explanation))])).ToList();
        var failed = tests.Count(t => !t.Passed);
        var message = tests.Count == 0 ? "The workspace has no test blocks." : $"{tests.Count - failed} passed, {failed} failed";
        return new TestRunView(failed > 0 ? "failed" : "passed", message, tests.Count - failed, failed, tests, 0, [], Elapsed(watch));
    }

    private static double Elapsed(Stopwatch watch) => Math.Round(watch.Elapsed.TotalMilliseconds, 2);
}
