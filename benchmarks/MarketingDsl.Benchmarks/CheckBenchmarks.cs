using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using MarketingDsl.Core;
using MarketingDsl.Core.Syntax;
using MarketingDsl.Core.Text;

namespace MarketingDsl.Benchmarks;

/// <summary>
/// The full check (<see cref="Compilation.Create(Workspace)"/>: parse, bind, type and rule checks)
/// against a baseline of parsing only (<see cref="SyntaxTree.Parse(SourceText)"/> of every file).
/// Parsing is the part every host pays however good the checker is, so Ratio says how much the
/// binder and checkers add on top of ANTLR. Reading the files is not a useful baseline: the
/// texts are in memory, as in the editor.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class CheckBenchmarks
{
    private Workspace _retail = null!;
    private Workspace _generated = null!;

    /// <summary>Set by Program from a command-line path; the embedded retail workspace otherwise.</summary>
    public static string? RetailPath { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _retail = RetailPath is null ? Workspace.FromFiles(Resources.Retail()) : Workspace.Load(RetailPath);
        var schema = Resources.Retail().Single(f => f.Path == "schema.mdsl").Text;
        _generated = Workspace.FromFiles(WorkspaceGenerator.Generate(1000, schema));
        var check = Compilation.Create(_generated);
        if (check.HasErrors) throw new InvalidOperationException("generated workspace has errors: " + check.Diagnostics[0]);
    }

    [Benchmark(Baseline = true), BenchmarkCategory("retail")]
    public int RetailParseOnly() => ParseAll(_retail);

    [Benchmark, BenchmarkCategory("retail")]
    public int RetailFullCheck() => Compilation.Create(_retail).Diagnostics.Length;

    [Benchmark(Baseline = true), BenchmarkCategory("1000 tags")]
    public int Tags1000ParseOnly() => ParseAll(_generated);

    [Benchmark, BenchmarkCategory("1000 tags")]
    public int Tags1000FullCheck() => Compilation.Create(_generated).Diagnostics.Length;

    private static int ParseAll(Workspace workspace)
    {
        var n = 0;
        foreach (var file in workspace.Files) n += SyntaxTree.Parse(file).Root.Declarations.Length;
        return n;
    }
}

internal static class Resources
{
    public static (string Path, string Text)[] Retail()
    {
        var assembly = typeof(Resources).Assembly;
        return [.. assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("retail/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n =>
            {
                using var stream = assembly.GetManifestResourceStream(n)!;
                using var reader = new StreamReader(stream);
                return (n["retail/".Length..], reader.ReadToEnd());
            })];
    }
}
