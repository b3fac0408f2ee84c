using MarketingDsl.Core;
using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Functions.Loading;

namespace MarketingDsl.Cli;

/// <summary>`mdsl check WORKSPACE [--format text|json|sarif]`.</summary>
public static class CheckCommand
{
    public sealed class Syntax : System.CommandLine.Command
    {
        public readonly System.CommandLine.Argument<string> Workspace = OptionValues.Workspace();
        public readonly System.CommandLine.Option<string> Format = OptionValues.Choice("--format",
            "text: `file:line:col: error MD3001: message` with the source line and a caret; json or sarif for tools", "text",
            "text", "json", "sarif");

        public Syntax() : base("check", "parses, binds and type-checks every .mdsl file (exit 1 on errors)")
        {
            Add(Workspace);
            Add(Format);
            this.SetRun(Run);
        }
    }

    public static int Run(Options options, TextWriter stdout, TextWriter stderr)
    {
        var syntax = options.Bind<Syntax>();
        var format = options.Value(syntax.Format);
        var path = options.Value(syntax.Workspace);

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
                stdout.WriteLine($"{compilation.Workspace.Files.Count} file(s), " +
                    $"{FunctionsText(compilation)}{compilation.Model.Tags.Length} tag(s), {compilation.Model.Segments.Length} segment(s), " +
                                 $"{compilation.Model.Segmentations.Length} segmentation(s), {compilation.Model.Journeys.Length} " +
                                     $"journey(s): {errors} error(s), {warnings} warning(s)");
                break;
        }
        return compilation.HasErrors ? CommandLine.Problems : CommandLine.Ok;
    }

    /// <summary>"2 function(s), " when the workspace has function files; nothing otherwise (the line stays as it was).</summary>
    private static string FunctionsText(Compilation compilation) =>
        compilation.Workspace.FunctionFiles.Count == 0 ? "" : $"{compilation.Functions.Functions.Length} function(s), ";
}
