using MarketingDsl.Core;
using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Core.Formatting;
using MarketingDsl.Core.Syntax;

namespace MarketingDsl.Cli;

/// <summary>
/// `mdsl fmt WORKSPACE [--check]`: rewrites every file not in the canonical layout and lists it;
/// with `--check` writes nothing, lists the files that would change and exits 1 if there are any.
/// A file with syntax errors is reported (as `mdsl check` prints it), left untouched, and makes the exit code 1.
/// </summary>
public static class FormatCommand
{
    public sealed class Syntax : System.CommandLine.Command
    {
        public readonly System.CommandLine.Argument<string> Workspace = OptionValues.Workspace();
        public readonly System.CommandLine.Option<bool> Check =
            OptionValues.Flag("--check", "write nothing: list the files that would change and exit 1 if there are any");

        public Syntax() : base("fmt", "rewrites files in the canonical layout (comments kept) and lists them")
        {
            Add(Workspace);
            Add(Check);
            this.SetRun(Run);
        }
    }

    public static int Run(Options options, TextWriter stdout, TextWriter stderr)
    {
        var syntax = options.Bind<Syntax>();
        var check = options.Value(syntax.Check);
        var path = options.Value(syntax.Workspace);

        var workspace = Workspace.Load(path);
        var singleFile = File.Exists(path);
        var changed = 0;
        var broken = 0;
        foreach (var file in workspace.Files)
        {
            var tree = SyntaxTree.Parse(file);
            if (!SyntaxFormatter.TryFormat(tree, out var formatted))
            {
                broken++;
                stdout.Write(DiagnosticWriter.ToText(DiagnosticOrder.Sort(tree.Diagnostics), [file]));
                continue;
            }
            if (formatted == file.Text) continue;
            changed++;
            if (!check)
            {
                var target = singleFile ? path : Path.Combine(path, file.Path);
                try
                {
                    File.WriteAllText(target, formatted);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    throw new WorkspaceException($"Cannot write '{target}': {ex.Message}");
                }
            }
            stdout.WriteLine(file.Path);
        }

        var total = workspace.Files.Count;
        var summary = check
            ? $"{total} file(s): {changed} would be reformatted"
            : $"{total} file(s): {changed} reformatted";
        if (broken > 0) summary += $", {broken} with syntax errors left unchanged";
        stdout.WriteLine(summary);
        return broken > 0 || (check && changed > 0) ? CommandLine.Problems : CommandLine.Ok;
    }
}
