using System.CommandLine;
using System.Text.RegularExpressions;
using MarketingDsl.Runtime;
using MarketingDsl.Testing;

namespace MarketingDsl.Cli.Tests;

/// <summary>
/// The command line as each command declares it: help generated for every option, completions, usage mistakes
/// named in one line with exit 2, serve's options bound to <see cref="LiveOptions"/>, and README's table kept true.
/// </summary>
public sealed class CommandLineSyntaxTests
{
    private static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = CommandLine.RunAsync(args, stdout, stderr).GetAwaiter().GetResult();
        return (exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Every command that runs (`user add`, not `user`), with its words after `mdsl`.</summary>
    private static IEnumerable<(string[] Path, Command Command)> Commands(Command command, string[] path)
    {
        foreach (var sub in command.Subcommands)
        {
            string[] subPath = [.. path, sub.Name];
            if (sub.Subcommands.Count == 0) yield return (subPath, sub);
            foreach (var leaf in Commands(sub, subPath)) yield return leaf;
        }
    }

    private static IEnumerable<(string[] Path, Command Command)> AllCommands() => Commands(CommandLine.Root(), []);

    private static IEnumerable<Option> Documented(Command command) => command.Options.Where(o => !o.Hidden);

    [Fact]
    public void Every_option_of_every_command_is_in_the_overview_and_explained_in_the_commands_help()
    {
        var overview = CommandLine.Help;
        Assert.Equal(12, AllCommands().Count());
        foreach (var (path, command) in AllCommands())
        {
            Assert.Contains("mdsl " + string.Join(" ", path), overview);
            var (exit, help, _) = Run([.. path, "--help"]);
            Assert.Equal(0, exit);
            Assert.Contains(command.Description!.Split(' ')[0], help);
            foreach (var option in Documented(command))
            {
                Assert.False(string.IsNullOrWhiteSpace(option.Description), $"{option.Name} of {command.Name} has no help text");
                Assert.Matches(OptionPattern(option.Name), overview);
                Assert.Contains(option.Name, help);
            }
        }
        Assert.All(overview.Split('\n'), line => Assert.True(line.Length <= 120, line));
    }

    [Fact]
    public void Help_without_a_command_prints_the_overview_and_help_COMMAND_the_commands_help()
    {
        var (exit, output, _) = Run();
        Assert.Equal(CommandLine.Usage, exit);
        Assert.Equal(CommandLine.Help.TrimEnd(), output.TrimEnd());
        (exit, output, _) = Run("--help");
        Assert.Equal(CommandLine.Ok, exit);
        Assert.Contains("mdsl serve WORKSPACE", output);
        (exit, output, _) = Run("help", "serve");
        Assert.Equal(CommandLine.Ok, exit);
        Assert.Contains("--max-future-skew", output);
        Assert.Contains("[default: 5m]", output);
        Assert.DoesNotContain("--admin-token ", output);
    }

    /// <summary>README's command table names every command and every option it takes.</summary>
    [Fact]
    public void Readme_lists_every_command_with_every_option()
    {
        var rows = File.ReadLines(RepoRoot.Combine("README.md")).Where(l => l.StartsWith("| `mdsl ", StringComparison.Ordinal)).ToList();
        foreach (var (path, command) in AllCommands())
        {
            var prefix = "| `mdsl " + string.Join(" ", path) + " ";
            var own = string.Join("\n", rows.Where(r => r.StartsWith(prefix, StringComparison.Ordinal)));
            Assert.True(own.Length > 0, $"README has no row for mdsl {string.Join(" ", path)}");
            foreach (var option in Documented(command))
                Assert.True(OptionPattern(option.Name).IsMatch(own), $"README's rows of mdsl {string.Join(" ", path)} do not name {option.Name}");
        }
    }

    [Theory]
    [InlineData("option --urls needs a value", "serve", ".", "--urls", "--grace", "5m")]
    [InlineData("--format", "check", "ws", "--format", "json", "--format", "text")]
    [InlineData("--bogus", "check", "ws", "--bogus")]
    [InlineData("unknown option --out", "check", "--out", "o")]
    [InlineData("missing option --data", "import", "ws", "--out", "o")]
    [InlineData("--max-future-skew takes a duration", "serve", ".", "--max-future-skew", "soon")]
    [InlineData("--memory-limit", "simulate", "ws", "--data", "d", "--out", "o", "--memory-limit")]
    [InlineData("--order must be time or user", "generate-data", "--users", "1", "--days", "1", "--seed", "1", "--out", "o", "--order", "x")]
    [InlineData("unknown command 'frobnicate'", "frobnicate")]
    public void A_usage_mistake_is_one_line_naming_the_option_and_exit_2(string message, params string[] args)
    {
        var (exit, output, error) = Run(args);
        Assert.Equal(CommandLine.Usage, exit);
        Assert.Equal("", output);
        var first = error.Split('\n')[0];
        Assert.StartsWith("mdsl: ", first);
        Assert.Contains(message, first);
    }

    [Fact]
    public void The_suggest_directive_completes_commands_options_and_choices()
    {
        static string[] Suggest(string line) =>
            Run($"[suggest:{line.Length}]", line).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(["serve", "user"], Suggest("mdsl ser"));
        Assert.Equal(["json", "sarif", "text"], Suggest("mdsl check ws --format "));
        // A refused option is not offered.
        Assert.Equal(["--admin-token-file"], Suggest("mdsl serve ws --adm"));
        Assert.Contains("publisher", Suggest("mdsl user add bob --role p"));
    }

    [Fact]
    public void Serve_binds_its_options_to_the_live_runtimes_options()
    {
        var workspace = Path.Combine(Path.GetTempPath(), "ws");
        var live = ServeCommand.LiveOptionsOf(Options.Parse([
            workspace, "--grace", "2w", "--webhook-timeout", "1m 30s", "--max-future-skew", "0s", "--webhook-attempts", "3",
            "--webhook", "sms=http://127.0.0.1:9/a, http://127.0.0.1:9/b", "--allowed-hosts", "a.example, b.example",
            "--cache-users", "5", "--cache-events", "0", "--cache-mb", "3", "--db", "x.db", "--outbox-dir", "out"]),
            workspace, adminToken: null, TextWriter.Null);
        Assert.Equal(TimeSpan.FromDays(14), live.Grace);
        Assert.Equal(TimeSpan.FromSeconds(90), live.Delivery.Timeout);
        Assert.Equal(3, live.Delivery.MaxAttempts);
        Assert.Equal(TimeSpan.Zero, live.MaxFutureSkew);
        Assert.Equal(new Uri("http://127.0.0.1:9/a"), live.Webhooks["sms"]);
        Assert.Equal(new Uri("http://127.0.0.1:9/b"), live.Webhooks["*"]);
        Assert.Equal(["a.example", "b.example"], live.AllowedHosts);
        Assert.Equal((5, 0, 3L << 20), (live.CachedUsers, live.CachedEvents, live.CacheBytes));
        Assert.Equal(Path.GetFullPath("x.db"), live.DbPath);
        Assert.Equal(Path.GetFullPath("out"), live.OutboxDir);

        var defaults = ServeCommand.LiveOptionsOf(Options.Parse([workspace]), workspace, adminToken: null, TextWriter.Null);
        var plain = new LiveOptions { DbPath = "unused" };
        Assert.Equal(TimeSpan.Zero, defaults.Grace);
        Assert.Equal(new DeliveryPolicy().MaxAttempts, defaults.Delivery.MaxAttempts);
        Assert.Equal(new DeliveryPolicy().Timeout, defaults.Delivery.Timeout);
        Assert.Equal(plain.MaxFutureSkew, defaults.MaxFutureSkew);
        Assert.Equal((plain.CachedUsers, plain.CachedEvents, plain.CacheBytes), (defaults.CachedUsers, defaults.CachedEvents, defaults.CacheBytes));
        Assert.Empty(defaults.Webhooks);
        Assert.Empty(defaults.AllowedHosts);
        Assert.Equal(Path.Combine(workspace, ".mdsl", "live.db"), defaults.DbPath);
    }

    private static Regex OptionPattern(string name) => new($"(?<![\\w-]){Regex.Escape(name)}(?![\\w-])");
}
