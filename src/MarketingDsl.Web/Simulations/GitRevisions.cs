using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using MarketingDsl.Core;
using MarketingDsl.Core.Text;

namespace MarketingDsl.Web.Simulations;

/// <summary>A Git request that cannot be answered: a bad revision string, a folder outside Git, a Git failure.</summary>
public sealed class GitException(string message) : Exception(message);

public sealed record GitCommit(string Hash, string Subject, string Author, DateTime DateUtc);

/// <summary>
/// The workspace folder as committed in Git, read with the `git` command line
/// (`git -C WORKSPACE ls-tree` / `show REV:./path`). Only plain ref names and hashes are
/// accepted as revisions: no `~`, `^`, `@{…}`, `..` or leading `-`, so a request cannot pass
/// Git an option or a revision expression.
/// </summary>
public sealed partial class GitRevisions(string workspaceRoot)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <exception cref="GitException">Not a plain ref name or hash.</exception>
    public static string CheckRevision(string? revision)
    {
        if (string.IsNullOrWhiteSpace(revision)) throw new GitException("A Git revision is required (a branch, tag or commit hash).");
        if (revision.Length > 200 || !PlainRef().IsMatch(revision) || revision.Contains("..", StringComparison.Ordinal)
            || revision.Contains("//", StringComparison.Ordinal)
            || revision.EndsWith('/') || revision.EndsWith('.') || revision.EndsWith(".lock", StringComparison.Ordinal))
            throw new GitException($"'{Shorten(revision)}' is not a plain Git ref name or commit hash (letters, digits, '.', '_', '-', " +
                $"'/' only; no revision expressions).");
        return revision;
    }

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9._/-]*$")]
    private static partial Regex PlainRef();

    public bool IsRepository()
    {
        var (code, output, _) = Run("rev-parse", "--is-inside-work-tree");
        return code == 0 && output.Trim() == "true";
    }

    /// <exception cref="GitException">The folder is not in a repository.</exception>
    public void RequireRepository()
    {
        var (code, output, error) = Run("rev-parse", "--is-inside-work-tree");
        if (code == 0 && output.Trim() == "true") return;
        var reason = error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        throw new GitException($"The workspace folder '{workspaceRoot}' is not in a Git repository, so there are no revisions to " +
            $"compare{(reason is null ? "" : $" (git: {reason})")}.");
    }

    /// <summary>Recent commits that touched the workspace folder, newest first.</summary>
    public IReadOnlyList<GitCommit> Recent(int count = 30)
    {
        var (code, output, _) = Run("log", $"-n{count}", "--format=%H%x1f%s%x1f%an%x1f%cI", "--", ".");
        if (code != 0) return [];
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split('\u001f')).Where(p => p.Length == 4)
            .Select(p => new GitCommit(p[0], p[1], p[2], DateTimeOffset.TryParse(p[3], System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.None, out var d) ? d.UtcDateTime : default))];
    }

    /// <summary>The `.mdsl` and `functions/*.csx` files of the workspace folder at a revision (the same files <see
    /// cref="Workspace.Load"/> reads).</summary>
    /// <exception cref="GitException"/>
    public Workspace Load(string revision)
    {
        CheckRevision(revision);
        RequireRepository();
        var (verify, _, _) = Run("rev-parse", "--verify", "--quiet", "--end-of-options", revision + "^{commit}");
        if (verify != 0) throw new GitException($"Git does not know the revision '{revision}' in this repository.");
        var (code, listing, error) = Run("ls-tree", "-r", "-z", "--name-only", "--end-of-options", revision);
        if (code != 0) throw new GitException($"git ls-tree {revision} failed: {error.Trim()}");
        var files = new List<SourceText>();
        foreach (var path in listing.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!path.EndsWith(".mdsl", StringComparison.Ordinal) && !Workspace.IsFunctionPath(path)) continue;
            if (path.Split('/').Any(part => part.StartsWith('.') || part is "node_modules" or "bin" or "obj")) continue;
            var (showCode, text, showError) = Run("show", $"{revision}:./{path}");
            if (showCode != 0) throw new GitException($"git show {revision}:{path} failed: {showError.Trim()}");
            files.Add(new SourceText(path, text));
        }
        if (files.Count == 0) throw new GitException($"Revision '{revision}' has no .mdsl files in the workspace folder.");
        return new Workspace(files);
    }

    private (int Code, string Output, string Error) Run(params string[] arguments)
    {
        var start = new ProcessStartInfo("git")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = new UTF8Encoding(false),
            StandardErrorEncoding = new UTF8Encoding(false),
        };
        start.ArgumentList.Add("-C");
        start.ArgumentList.Add(workspaceRoot);
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("core.quotepath=off");
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["GIT_TERMINAL_PROMPT"] = "0";
        start.Environment["LC_ALL"] = "C";
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new GitException("git could not be started.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new GitException($"git could not be started ({ex.Message}); is it installed?");
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(Timeout))
            {
                process.Kill(entireProcessTree: true);
                throw new GitException($"git {arguments[0]} did not finish within {Timeout.TotalSeconds:0} s.");
            }
            return (process.ExitCode, output.GetAwaiter().GetResult(), error.GetAwaiter().GetResult());
        }
    }

    private static string Shorten(string s) => s.Length > 60 ? s[..60] + "…" : s;
}
