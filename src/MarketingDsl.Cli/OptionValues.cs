using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace MarketingDsl.Cli;

/// <summary>
/// The options and arguments commands declare, each with its help text and one parser per kind of value:
/// durations by the language's grammar (<see cref="Core.Text.DurationText"/>), sizes (<see cref="MemoryLimitOption"/>),
/// ISO instants, whole numbers, choices and comma lists. A value that does not parse is a parse error naming the
/// option (exit 2).
/// </summary>
public static class OptionValues
{
    /// <summary>The WORKSPACE argument: a folder of `.mdsl` files (or one file).</summary>
    public static Argument<string> Workspace(string description = "the workspace folder (its .mdsl files; or one .mdsl file)") => new("WORKSPACE")
    {
        Description = description,
        // A word the command does not know as an option is not taken for the folder.
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (text.StartsWith("--", StringComparison.Ordinal)) result.AddError($"unknown option {text}");
            return text;
        },
    };

    /// <summary>A flag: present or not.</summary>
    public static Option<bool> Flag(string name, string description) => new(name) { Description = description };

    /// <summary>A text value (a path, a URL); null when not given.</summary>
    public static Option<string?> Text(string name, string helpName, string description) =>
        Parsed<string?>(name, helpName, description, text => text);

    /// <summary>A text value that must be given.</summary>
    public static Option<string> Required(string name, string helpName, string description) =>
        Parsed(name, helpName, description, text => text, required: true);

    /// <summary>A text value with a default.</summary>
    public static Option<string> Text(string name, string helpName, string description, string defaultValue) =>
        WithDefault(Parsed(name, helpName, description, text => text), defaultValue);

    /// <summary>One of <paramref name="values"/>, offered as completions.</summary>
    public static Option<string> Choice(string name, string description, string? defaultValue, params string[] values)
    {
        var option = Parsed(name, string.Join('|', values), description, text => values.Contains(text, StringComparer.Ordinal)
            ? text
            : throw new UsageException($"{name} must be {Alternatives(values)}, not '{text}'"), required: defaultValue is null);
        option.CompletionSources.Add(values);
        return defaultValue is null ? option : WithDefault(option, defaultValue);
    }

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>; required unless it has a default.</summary>
    public static Option<int> WholeNumber(string name, string helpName, string description, int min, int max, int? defaultValue = null)
    {
        var option = Parsed(name, helpName, description, text =>
            int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
                ? value
                : throw new UsageException($"{name} must be a whole number from {min} to {max}, not '{text}'"), required: defaultValue is null);
        return defaultValue is { } d ? WithDefault(option, d) : option;
    }

    /// <summary>A duration as the language writes it (`30s`, `5m`, `2w`, `1m 30s`); <paramref name="examples"/> go in the error.</summary>
    public static DurationOption Duration(string name, string description, TimeSpan defaultValue, string examples, bool positive = false) =>
        new(name, $"{description} [default: {Core.Text.DurationText.Format(defaultValue.Ticks)}]", defaultValue, text =>
            Core.Text.DurationText.TryParse(text.AsSpan(), out var ticks) && (positive ? ticks > 0 : ticks >= 0)
                ? TimeSpan.FromTicks(ticks)
                : throw new UsageException($"{name} takes a duration such as {examples}, got '{text}'"));

    /// <summary>
    /// A duration option whose default is applied when it is read (<see cref="Options.Value(DurationOption)"/>), so help
    /// states it as the language writes durations rather than as <see cref="TimeSpan"/> prints itself.
    /// </summary>
    public sealed class DurationOption : Option<TimeSpan?>
    {
        internal DurationOption(string name, string description, TimeSpan defaultValue, Func<string, TimeSpan> parse) : base(name)
        {
            HelpName = "D";
            Description = description;
            Default = defaultValue;
            CustomParser = result => ParseToken<TimeSpan?>(result, name, text => parse(text));
        }

        public TimeSpan Default { get; }
    }

    /// <summary>An ISO-8601 instant (UTC unless it says otherwise), to the microsecond; null when not given.</summary>
    public static Option<DateTime?> Instant(string name, string description) =>
        Parsed<DateTime?>(name, "ISO", description, text => ParseInstant(name, text));

    /// <summary>The instant of an ISO-8601 text, as every instant option reads it.</summary>
    public static DateTime ParseInstant(string option, string text)
    {
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal,
            out var parsed))
            throw new UsageException($"{option} must be an ISO-8601 instant such as 2025-06-30T00:00:00Z, not '{text}'");
        return new DateTime(parsed.UtcTicks - parsed.UtcTicks % 10, DateTimeKind.Utc);
    }

    /// <summary>A size in bytes (`2g`, `512m`), by <see cref="MemoryLimitOption.Parse"/>; null when not given.</summary>
    public static Option<long?> Size(string name, string description) =>
        Parsed<long?>(name, "SIZE", description, text => MemoryLimitOption.Parse(text));

    /// <summary>Comma-separated names (blanks trimmed, empty entries dropped); empty when not given.</summary>
    public static Option<string[]> List(string name, string helpName, string description) =>
        WithDefault(Parsed(name, helpName, description, text =>
            text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)), []);

    /// <summary>A value read by <paramref name="parse"/>, which throws <see cref="UsageException"/> on a bad value.</summary>
    public static Option<T> Parsed<T>(string name, string helpName, string description, Func<string, T> parse, bool required = false)
    {
        var option = new Option<T>(name)
        {
            HelpName = helpName,
            Description = required ? description + " (required)" : description,
            CustomParser = result => ParseToken(result, name, parse),
        };
        if (required) RequiredOptions.Add(option, option);
        return option;
    }

    /// <summary>
    /// Options a command cannot run without. Not System.CommandLine's <see cref="Option.Required"/>: its message
    /// does not read as ours do (`missing option --data`); <see cref="RequireGiven"/> checks them instead.
    /// </summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Option, Option> RequiredOptions = [];

    public static bool IsRequired(Option option) => RequiredOptions.TryGetValue(option, out _);

    /// <summary>Adds the check that every required option of <paramref name="command"/> is given.</summary>
    public static void RequireGiven(Command command) => command.Validators.Add(result =>
    {
        foreach (var option in command.Options.Where(IsRequired))
            if (result.GetResult(option) is null) result.AddError($"missing option {option.Name}");
    });

    /// <summary>An option that is refused with <paramref name="reason"/> whenever it is given (hidden from help).</summary>
    public static Option<string?> Refused(string name, string reason) => new(name)
    {
        Hidden = true,
        CustomParser = result =>
        {
            result.AddError(reason);
            return null;
        },
    };

    private static T ParseToken<T>(ArgumentResult result, string name, Func<string, T> parse)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        // System.CommandLine takes the next word as the value even when it is an option.
        if (text.StartsWith("--", StringComparison.Ordinal))
        {
            result.AddError($"option {name} needs a value");
            return default!;
        }
        try
        {
            return parse(text);
        }
        catch (UsageException ex)
        {
            result.AddError(ex.Message);
            return default!;
        }
    }

    private static Option<T> WithDefault<T>(Option<T> option, T value)
    {
        option.DefaultValueFactory = _ => value;
        return option;
    }

    private static string Alternatives(string[] values) =>
        values.Length == 1 ? values[0] : string.Join(", ", values[..^1]) + " or " + values[^1];
}
