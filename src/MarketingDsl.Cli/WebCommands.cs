using System.CommandLine;
using MarketingDsl.Web;
using MarketingDsl.Web.Security;
using MarketingDsl.Web.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
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
    public sealed class WebSyntax : Command
    {
        public readonly Argument<string> Workspace = OptionValues.Workspace();
        public readonly Option<string> Urls = OptionValues.Text("--urls", "URLS", "the addresses to listen on", "http://127.0.0.1:5080");
        public readonly Option<string?> Db = OptionValues.Text("--db", "PATH",
            "the editor's store of accounts and versions (default WORKSPACE/.mdsl/editor.db)");
        public readonly Option<string?> DataRoot = OptionValues.Text("--data-root", "DIR",
            "the folder whose subfolders the simulation and models pages read (default WORKSPACE/../data)");

        public WebSyntax() : base("web", "the web editor over the workspace folder (sign-in needed; accounts: mdsl user add)")
        {
            Add(Workspace);
            Add(Urls);
            Add(Db);
            Add(DataRoot);
            this.SetRun(RunWebAsync);
        }
    }

    public sealed class UserSyntax : Command
    {
        public UserSyntax() : base("user", "local accounts of the web editor") => Add(new UserAddSyntax());
    }

    public sealed class UserAddSyntax : Command
    {
        public readonly Argument<string> AccountName = new("NAME") { Description = "the account's name" };
        public readonly Option<string> Role = OptionValues.Required("--role", "admin|publisher|editor|viewer",
            "viewer reads; editor saves; publisher publishes to the live runtime; admin all of it");
        public readonly Option<bool> PasswordStdin = OptionValues.Flag("--password-stdin",
            $"read the password from the first line of standard input even when ${PasswordVariable} is set");
        public readonly Option<string?> Workspace = OptionValues.Text("--workspace", "DIR",
            "the workspace whose .mdsl/editor.db holds the accounts (default: the current folder)");
        public readonly Option<string?> Db = OptionValues.Text("--db", "PATH", "the editor's store, instead of --workspace");
        public readonly Option<string?> Password = OptionValues.Refused("--password",
            "--password is refused: a password on the command line is visible to every user of the machine (ps). "
            + $"Give it on standard input (--password-stdin) or in the environment variable {PasswordVariable}.");

        public UserAddSyntax() : base("add",
            $"adds an account of the web editor, or resets its password and role; the password: ${PasswordVariable}, "
            + "else the first line of stdin")
        {
            Add(AccountName);
            Add(Role);
            Add(PasswordStdin);
            Add(Workspace);
            Add(Db);
            Add(Password);
            Role.CompletionSources.Add([.. Roles.All]);
            this.SetRun((options, stdout, stderr) => RunUser(options, Console.In, stdout, stderr));
        }
    }

    /// <param name="stop">Stops the server like Ctrl+C does (tests).</param>
    public static async Task<int> RunWebAsync(Options options, TextWriter stdout, TextWriter stderr, CancellationToken stop = default)
    {
        var syntax = options.Bind<WebSyntax>();
        var workspace = options.Value(syntax.Workspace);
        if (!Directory.Exists(workspace)) throw new Core.WorkspaceException($"The workspace folder '{workspace}' does not exist.");
        workspace = Path.GetFullPath(workspace);
        var builder = EditorHost(options.Value(syntax.Urls), EditorSettingsOf(workspace, options.Value(syntax.Db), options.Value(syntax.DataRoot)));
        var app = builder.Build();
        app.UseEditor();
        await StartAsync(app, options.Value(syntax.Urls));
        stdout.WriteLine($"mdsl web: editing {workspace} at {string.Join(", ", app.Urls)} (Ctrl+C to stop)");
        await app.WaitForShutdownAsync(stop);
        return CommandLine.Ok;
    }

    /// <summary>Starts a host listening on <paramref name="urls"/>; an address Kestrel cannot read is a usage error, not a crash.</summary>
    internal static async Task StartAsync(WebApplication app, string urls)
    {
        try { await app.StartAsync(); }
        catch (FormatException ex)
        {
            throw new UsageException($"--urls '{urls}' is not a list of addresses such as http://127.0.0.1:5000 ({ex.Message})");
        }
    }

    /// <summary>
    /// The editor's host for `mdsl web` and `mdsl serve`: listening on <paramref name="urls"/> (`;`-separated), with the editor's
    /// services and <paramref name="settings"/> applied over its configuration (appsettings.json, `Editor__Name` variables).
    /// </summary>
    internal static WebApplicationBuilder EditorHost(string urls, Action<EditorSettings> settings)
    {
        var builder = EditorApp.CreateBuilder([]);
        builder.WebHost.UseUrls(urls);
        builder.Services.AddEditor(settings);
        return builder;
    }

    /// <summary>The editor's settings the command line gives (<paramref name="workspace"/>: a full path; the others when given).</summary>
    internal static Action<EditorSettings> EditorSettingsOf(string workspace, string? db, string? dataRoot)
    {
        var dbPath = db is null ? null : Path.GetFullPath(db);
        var dataRootPath = dataRoot is null ? null : Path.GetFullPath(dataRoot);
        return settings =>
        {
            settings.Workspace = workspace;
            if (dbPath is not null) settings.Db = dbPath;
            if (dataRootPath is not null) settings.DataRoot = dataRootPath;
        };
    }

    /// <summary>The environment variable `mdsl user add` reads the password from (else standard input).</summary>
    public const string PasswordVariable = "MDSL_USER_PASSWORD";

    public static int RunUser(Options options, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        var syntax = options.Bind<UserAddSyntax>();
        var name = options.Value(syntax.AccountName);
        var role = options.Value(syntax.Role);
        var fromStdin = options.Value(syntax.PasswordStdin);
        var password = (fromStdin ? null : Environment.GetEnvironmentVariable(PasswordVariable)) ?? stdin.ReadLine() ?? "";
        var db = options.Value(syntax.Db);
        var workspace = options.Value(syntax.Workspace);
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
