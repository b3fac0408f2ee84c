using MarketingDsl.Web;
using MarketingDsl.Web.Security;
using MarketingDsl.Web.Storage;
using Microsoft.Extensions.Hosting;

namespace MarketingDsl.Cli;

/// <summary>
/// `mdsl web WORKSPACE [--urls URLS] [--db PATH] [--data-root DIR]`: the web editor over a workspace folder
/// (`--data-root`: the folder whose subfolders the simulation page may read; default WORKSPACE/../data).
/// `mdsl user add NAME --role admin|publisher|editor|viewer [--password-stdin] [--workspace DIR | --db PATH]`:
/// adds a local account (or resets its password and role); the password is the environment variable
/// MDSL_USER_PASSWORD, else (and always with --password-stdin) the first line of standard input.
/// `--password P` is refused: `ps` shows a command line to every user of the machine.
/// </summary>
public static class WebCommands
{
    public static async Task<int> RunAsync(string command, Options options, TextWriter stdout, TextWriter stderr) =>
        command == "web" ? await RunWebAsync(options, stdout, stderr) : RunUser(options, Console.In, stdout, stderr);

    public static async Task<int> RunWebAsync(Options options, TextWriter stdout, TextWriter stderr)
    {
        var urls = options.Get("--urls") ?? "http://127.0.0.1:5080";
        var db = options.Get("--db");
        var dataRoot = options.Get("--data-root");
        var workspace = options.Workspace("web");
        options.RejectUnknown();
        if (!Directory.Exists(workspace)) throw new Core.WorkspaceException($"The workspace folder '{workspace}' does not exist.");
        var args = new List<string> { "--urls", urls, "--Editor:Workspace", Path.GetFullPath(workspace) };
        if (db is not null) args.AddRange(["--Editor:Db", Path.GetFullPath(db)]);
        if (dataRoot is not null) args.AddRange(["--Editor:DataRoot", Path.GetFullPath(dataRoot)]);
        var app = EditorApp.Build([.. args]);
        await app.StartAsync();
        stdout.WriteLine($"mdsl web: editing {Path.GetFullPath(workspace)} at {string.Join(", ", app.Urls)} (Ctrl+C to stop)");
        await app.WaitForShutdownAsync();
        return CommandLine.Ok;
    }

    /// <summary>The environment variable `mdsl user add` reads the password from (else standard input).</summary>
    public const string PasswordVariable = "MDSL_USER_PASSWORD";

    public static int RunUser(Options options, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        if (options.Positional.Count != 2 || options.Positional[0] != "add")
            throw new UsageException("usage: mdsl user add NAME --role admin|publisher|editor|viewer [--password-stdin] [--workspace DIR | --db PATH]");
        var name = options.Positional[1];
        var role = options.Require("--role");
        if (options.Get("--password") is not null)
            throw new UsageException("--password is refused: a password on the command line is visible to every user of the machine (ps). " +
                $"Give it on standard input (--password-stdin) or in the environment variable {PasswordVariable}.");
        var fromStdin = options.Flag("--password-stdin");
        var password = (fromStdin ? null : Environment.GetEnvironmentVariable(PasswordVariable)) ?? stdin.ReadLine() ?? "";
        var db = options.Get("--db");
        var workspace = options.Get("--workspace");
        options.RejectUnknown();
        if (db is not null && workspace is not null) throw new UsageException("give --workspace or --db, not both");
        if (db is null && !Directory.Exists(workspace ?? ".")) throw new UsageException($"the workspace folder '{workspace}' does not exist");
        var path = db ?? EditorStore.DefaultPath(Path.GetFullPath(workspace ?? "."));
        using var store = new EditorStore(path);
        var error = new Accounts(store, TimeProvider.System).AddOrUpdate(name, password, role, out var added);
        if (error is not null)
        {
            stderr.WriteLine($"mdsl: {error}");
            return CommandLine.Usage;
        }
        stdout.WriteLine($"{(added ? "added" : "updated")} user '{name}' ({role}) in {store.Path}");
        return CommandLine.Ok;
    }
}
