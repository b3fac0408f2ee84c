using System.CommandLine;

namespace MarketingDsl.Cli;

/// <summary>A mistake on the command line: `mdsl` prints its message and exits 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>
/// The arguments of one command, parsed against that command's <see cref="Command"/> (its syntax:
/// arguments and typed options). Under `mdsl` System.CommandLine has parsed them already; <see cref="Parse"/>
/// keeps the arguments after a command's name, to be parsed when the command binds its syntax (tests).
/// </summary>
public sealed class Options
{
    private readonly IReadOnlyList<string> _arguments;
    private ParseResult? _parsed;

    private Options(IReadOnlyList<string> arguments, ParseResult? parsed) => (_arguments, _parsed) = (arguments, parsed);

    internal Options(ParseResult parsed) : this([], parsed) { }

    /// <summary>The arguments that follow a command's name (`mdsl serve` → `WORKSPACE --urls …`).</summary>
    public static Options Parse(string[] args) => new(args, null);

    /// <summary>The command's syntax with these arguments parsed against it; a parse error is a <see cref="UsageException"/>.</summary>
    public TSyntax Bind<TSyntax>() where TSyntax : Command, new()
    {
        if (_parsed?.CommandResult.Command is TSyntax bound) return bound;
        var syntax = new TSyntax();
        var parsed = syntax.Parse(_arguments, CommandLine.Parsing);
        if (parsed.Errors.Count > 0) throw new UsageException(parsed.Errors[0].Message);
        _parsed = parsed;
        return syntax;
    }

    /// <summary>The value of an option of the bound syntax (its default when not given).</summary>
    public T Value<T>(Option<T> option) => Parsed.GetValue(option)!;

    /// <summary>The duration given, else the option's default.</summary>
    public TimeSpan Value(OptionValues.DurationOption option) => Parsed.GetValue(option) ?? option.Default;

    /// <summary>The value of an argument of the bound syntax.</summary>
    public T Value<T>(Argument<T> argument) => Parsed.GetValue(argument)!;

    private ParseResult Parsed => _parsed ?? throw new InvalidOperationException("Bind the command's syntax before reading its values.");
}
