namespace MarketingDsl.Cli;

/// <summary>Dispatches `mdsl COMMAND …` to the command classes; parses options by hand so every mistake gets a plain message and exit code 2.</summary>
public static class CommandLine
{
    public const int Ok = 0;
    public const int Problems = 1;
    public const int Usage = 2;

    public const string Help = """
        mdsl — MarketingDsl command line

        usage:
          mdsl check WORKSPACE [--format text|json|sarif]
          mdsl fmt WORKSPACE [--check]
          mdsl simulate WORKSPACE --data DIR [--as-of ISO] --out DIR [--from ISO --to ISO] [--engine inprocess|duckdb]
                                 [--memory-limit SIZE]  (SIZE e.g. 2g, 512m; default 3/4 of the memory; larger data runs in partitions)
          mdsl compile WORKSPACE --target duckdb|spark-sql --out DIR [--exclude-unsupported]
          mdsl train WORKSPACE --data DIR [--as-of ISO] [--report FILE]
                                 (trains every model and clusters into WORKSPACE/.mdsl/models.db)
          mdsl test WORKSPACE
          mdsl import WORKSPACE --data DIR --out SNAPSHOT   (parse once; --data SNAPSHOT then reads columns)
          mdsl generate-data --users N --days D --seed S --out DIR [--order time|user] [--co-purchase P]
          mdsl demo [--users N] [--out DIR]
          mdsl web WORKSPACE [--urls http://127.0.0.1:5080] [--db PATH] [--data-root DIR]
          mdsl serve WORKSPACE [--urls http://127.0.0.1:5090] [--db PATH] [--outbox-dir DIR] [--grace D]
                     [--webhook [CHANNEL=]URL,...] [--webhook-attempts N] [--webhook-timeout D] [--admin-token-file PATH]
                     [--max-future-skew D] [--allowed-hosts NAME,...]
                     [--editor-db PATH] [--data-root DIR] [--cache-users N] [--cache-events N] [--cache-mb N]
                                 (the live runtime's API and the web editor in one process)
          mdsl user add NAME --role admin|publisher|editor|viewer [--password-stdin] [--workspace DIR | --db PATH]
                                 (the password: $MDSL_USER_PASSWORD, else the first line of stdin)

        exit codes: 0 ok (warnings allowed), 1 errors or failed tests, 2 usage or IO problems
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            stdout.WriteLine(Help);
            return args.Length == 0 ? Usage : Ok;
        }
        try
        {
            var options = Options.Parse(args.Skip(1).ToArray());
            return args[0] switch
            {
                "check" => CheckCommand.Run(options, stdout, stderr),
                "fmt" => FormatCommand.Run(options, stdout, stderr),
                "web" or "user" => await WebCommands.RunAsync(args[0], options, stdout, stderr),
                "serve" => await ServeCommand.RunAsync(options, stdout, stderr),
                "compile" => CompileCommand.Run(options, stdout, stderr),
                "import" => ImportCommand.Run(options, stdout, stderr),
                _ => await RunEngineCommandAsync(args[0], options, stdout, stderr),
            };
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

    private static Task<int> RunEngineCommandAsync(string command, Options options, TextWriter stdout, TextWriter stderr) =>
        EngineCommands.TryRun(command, options, stdout, stderr) ?? throw new UsageException($"unknown command '{command}'");
}

public sealed class UsageException(string message) : Exception(message);

/// <summary>Positional arguments and `--name value` / `--flag` options.</summary>
public sealed class Options
{
    private readonly Dictionary<string, string?> _named = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public List<string> Positional { get; } = [];

    private static readonly HashSet<string> Flags = ["--check", "--quiet", "--no-progress", "--password-stdin", "--exclude-unsupported"];

    public static Options Parse(string[] args)
    {
        var options = new Options();
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (a.StartsWith("--", StringComparison.Ordinal))
            {
                if (options._named.ContainsKey(a)) throw new UsageException($"option {a} is given twice");
                if (Flags.Contains(a)) { options._named[a] = null; continue; }
                if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal)) throw new UsageException($"option {a} needs a value");
                options._named[a] = args[++i];
            }
            else options.Positional.Add(a);
        }
        return options;
    }

    public bool Flag(string name) { _read.Add(name); return _named.ContainsKey(name); }

    public string? Get(string name) { _read.Add(name); return _named.TryGetValue(name, out var v) ? v : null; }

    public string Require(string name) => Get(name) ?? throw new UsageException($"missing option {name}");

    public int RequireInt(string name, int min, int max)
    {
        var text = Require(name);
        if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) || value < min || value > max)
            throw new UsageException($"{name} must be a whole number from {min} to {max}, not '{text}'");
        return value;
    }

    public string Workspace(string command)
    {
        if (Positional.Count == 0) throw new UsageException($"'{command}' needs a WORKSPACE folder");
        if (Positional.Count > 1) throw new UsageException($"'{command}' takes one WORKSPACE, got '{string.Join(" ", Positional)}'");
        return Positional[0];
    }

    /// <summary>Call after reading every option a command knows: any other option is a mistake.</summary>
    public void RejectUnknown()
    {
        var unknown = _named.Keys.Where(k => !_read.Contains(k)).ToList();
        if (unknown.Count > 0) throw new UsageException($"unknown option {unknown[0]}");
    }
}
