using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace MarketingDsl.Cli;

/// <summary>
/// `mdsl COMMAND …` on System.CommandLine: each command declares its syntax (arguments and typed options with their
/// help) in its own file; this class lists them, prints a usage mistake as one plain line with exit code 2, and maps
/// the environment's failures (a missing folder, a disk that is full) to exit code 2 as well.
/// <para>
/// A new option is one change in its command's file: a field of the command's <c>Syntax</c> built by
/// <see cref="OptionValues"/> (name, help text, the one parser of its kind of value), added in the
/// <c>Syntax</c> constructor, and read where the command runs with <c>options.Value(syntax.Field)</c>. Help, the
/// overview, completions and the unknown-option check follow from the declaration.
/// </para>
/// </summary>
public static class CommandLine
{
    public const int Ok = 0;
    public const int Problems = 1;
    public const int Usage = 2;

    /// <summary>Every command, in the order `mdsl --help` lists them; a new command adds its syntax here.</summary>
    private static Command[] Commands() =>
    [
        new CheckCommand.Syntax(),
        new FormatCommand.Syntax(),
        new EngineCommands.SimulateSyntax(),
        new CompileCommand.Syntax(),
        new TrainCommand.Syntax(),
        new TestCommand.Syntax(),
        new ImportCommand.Syntax(),
        new EngineCommands.GenerateDataSyntax(),
        new EngineCommands.DemoSyntax(),
        new WebCommands.WebSyntax(),
        new ServeCommand.Syntax(),
        new WebCommands.UserSyntax(),
    ];

    private const string ExitCodes = "exit codes: 0 ok (warnings allowed), 1 errors or failed tests, 2 usage or IO problems";

    /// <summary>The width help text is wrapped to, whatever the terminal.</summary>
    private const int HelpWidth = 110;

    /// <summary>`mdsl --help`: one synopsis per command, generated from the commands' syntax.</summary>
    public static string Help => Overview(Root());

    /// <summary>The command line: every command, `--help` on each (generated), `--version`, and the `[suggest]` directive for completions.</summary>
    /// <summary>How every command line is parsed: an argument starting with '@' is a word (a folder may be named `@shop`), not a
    /// response file whose content would replace it.</summary>
    internal static readonly ParserConfiguration Parsing = new() { ResponseFileTokenReplacer = null };

    public static RootCommand Root()
    {
        var root = new RootCommand("mdsl — MarketingDsl command line") { HelpName = "mdsl" };
        foreach (var command in Commands()) root.Add(command);
        var help = root.Options.OfType<HelpOption>().Single();
        if (help.Action is HelpAction generated)
        {
            generated.MaxWidth = HelpWidth;
            help.Action = new OverviewOrGeneratedHelp(generated);
        }
        return root;
    }

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0)
        {
            stdout.WriteLine(Help);
            return Usage;
        }
        if (args[0] == "help") args = [.. args[1..], "--help"];
        var parsed = Root().Parse(args, Parsing);
        if (parsed.Action is ParseErrorAction)
        {
            var command = parsed.CommandResult.Command;
            stderr.WriteLine(command is RootCommand && parsed.UnmatchedTokens.Count > 0
                ? $"mdsl: unknown command '{parsed.UnmatchedTokens[0]}'"
                : $"mdsl: {FirstError(parsed)}");
            stderr.WriteLine($"run '{string.Join(" ", Path(command))} --help' for usage");
            return Usage;
        }
        try
        {
            // No handler of ours for Ctrl+C: `serve` and `web` stop through their host's.
            var invocation = new InvocationConfiguration
            {
                Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null,
            };
            return await parsed.InvokeAsync(invocation);
        }
        catch (UsageException ex)
        {
            stderr.WriteLine($"mdsl: {ex.Message}");
            stderr.WriteLine("run 'mdsl --help' for usage");
            return Usage;
        }
        catch (Core.WorkspaceException ex)
        {
            stderr.WriteLine($"mdsl: {ex.Message}");
            return Usage;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // An output folder that cannot be written, a disk that is full: the user's environment, not a bug.
            stderr.WriteLine($"mdsl: {ex.Message}");
            return Usage;
        }
    }

    /// <summary>A value's own error first (`option --urls needs a value`), then the words it left unmatched.</summary>
    private static string FirstError(ParseResult parsed) =>
        (parsed.Errors.FirstOrDefault(e => e.SymbolResult is not System.CommandLine.Parsing.CommandResult) ?? parsed.Errors[0]).Message;

    /// <summary>Runs a command's <c>Run(Options, stdout, stderr)</c> as its action.</summary>
    internal static void SetRun(this Command command, Func<Options, TextWriter, TextWriter, int> run)
    {
        OptionValues.RequireGiven(command);
        command.SetAction(parsed => run(new Options(parsed), parsed.InvocationConfiguration.Output, parsed.InvocationConfiguration.Error));
    }

    /// <summary>Runs a command's <c>RunAsync(Options, stdout, stderr, stop)</c> as its action.</summary>
    internal static void SetRun(this Command command, Func<Options, TextWriter, TextWriter, CancellationToken, Task<int>> run)
    {
        OptionValues.RequireGiven(command);
        command.SetAction((parsed, stop) =>
            run(new Options(parsed), parsed.InvocationConfiguration.Output, parsed.InvocationConfiguration.Error, stop));
    }

    private static string Overview(RootCommand root)
    {
        var text = new System.Text.StringBuilder();
        text.AppendLine(root.Description).AppendLine().AppendLine("usage:");
        foreach (var command in Descendants(root).Where(c => c.Subcommands.Count == 0 && c is not RootCommand))
        {
            var words = new List<string> { string.Join(" ", Path(command)) };
            words.AddRange(command.Arguments.Select(a => a.HelpName ?? a.Name));
            words.AddRange(command.Options.Where(o => !o.Hidden).Select(Synopsis));
            Wrap(text, words, "  ", new string(' ', 2 + words[0].Length + 1));
            if (command.Description is { Length: > 0 } description)
                Wrap(text, [.. description.Split(' ')], "      ", "      ");
        }
        text.AppendLine()
            .AppendLine("run 'mdsl COMMAND --help' for what each option means; 'mdsl [suggest] TEXT' lists completions")
            .Append(ExitCodes);
        return text.ToString();
    }

    private static string Synopsis(Option option) => option.ValueType == typeof(bool)
        ? $"[{option.Name}]"
        : OptionValues.IsRequired(option) ? $"{option.Name} {option.HelpName}" : $"[{option.Name} {option.HelpName}]";

    private static void Wrap(System.Text.StringBuilder text, List<string> words, string indent, string continuation)
    {
        var line = indent + words[0];
        foreach (var word in words.Skip(1))
        {
            if (line.Length + 1 + word.Length > HelpWidth)
            {
                text.AppendLine(line);
                line = continuation + word;
            }
            else line += " " + word;
        }
        text.AppendLine(line);
    }

    /// <summary>`mdsl user add` for the command `add` under `user`.</summary>
    private static IEnumerable<string> Path(Command command)
    {
        var names = new List<string>();
        for (Symbol? s = command; s is Command c; s = c.Parents.FirstOrDefault())
            names.Insert(0, c is RootCommand ? "mdsl" : c.Name);
        return names;
    }

    private static IEnumerable<Command> Descendants(Command command) =>
        command.Subcommands.SelectMany(Descendants).Prepend(command);

    /// <summary>`mdsl --help` prints the overview of every command; `mdsl COMMAND --help` the command's generated help.</summary>
    private sealed class OverviewOrGeneratedHelp(HelpAction generated) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            if (parseResult.CommandResult.Command is not RootCommand root) return generated.Invoke(parseResult);
            parseResult.InvocationConfiguration.Output.WriteLine(Overview(root));
            return Ok;
        }
    }
}
