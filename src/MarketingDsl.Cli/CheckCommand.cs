using MarketingDsl.Core;
using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Functions.Loading;

namespace MarketingDsl.Cli;

/// <summary>`mdsl check WORKSPACE [--format text|json|sarif]`.</summary>
public static class CheckCommand
{
    public static int Run(Options options, TextWriter stdout, TextWriter stderr)
    {
        var format = options.Get("--format") ?? "text";
        if (format is not ("text" or "json" or "sarif")) throw new UsageException($"--format must be text, json or sarif, not '{format}'");
        var path = options.Workspace("check");
        options.RejectUnknown();

        var compilation = FunctionCompilation.Create(Workspace.Load(path));
        var diagnostics = compilation.Diagnostics;
        switch (format)
        {
            case "json": stdout.WriteLine(DiagnosticWriter.ToJson(diagnostics)); break;
            case "sarif": stdout.WriteLine(DiagnosticWriter.ToSarif(diagnostics)); break;
            default:
                stdout.Write(DiagnosticWriter.ToText(diagnostics, [.. compilation.Workspace.AllFiles]));
                var errors = diagnostics.Count(d => d.IsError);
                var warnings = diagnostics.Count(d => d.Severity == DiagnosticSeverity.Warning);
                stdout.WriteLine($"{compilation.Workspace.Files.Count} file(s), {FunctionsText(compilation)}{compilation.Model.Tags.Length} tag(s), {compilation.Model.Segments.Length} segment(s), " +
                                 $"{compilation.Model.Segmentations.Length} segmentation(s), {compilation.Model.Journeys.Length} journey(s): {errors} error(s), {warnings} warning(s)");
                break;
        }
        return compilation.HasErrors ? CommandLine.Problems : CommandLine.Ok;
    }

    /// <summary>"2 function(s), " when the workspace has function files; nothing otherwise (the line stays as it was).</summary>
    private static string FunctionsText(Compilation compilation) =>
        compilation.Workspace.FunctionFiles.Count == 0 ? "" : $"{compilation.Functions.Functions.Length} function(s), ";
}
