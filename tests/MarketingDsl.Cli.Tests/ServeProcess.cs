using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace MarketingDsl.Cli.Tests;

/// <summary>
/// A real `mdsl serve` child process, started from the built CLI next to the tests, and the
/// loopback URL it prints on its first line (it listens on port 0, so tests never share a port).
/// </summary>
internal static partial class ServeProcess
{
    /// <param name="arguments">The arguments after <c>serve</c>.</param>
    /// <param name="environment">Variables to set; a null value removes the variable (e.g. an inherited MDSL_ADMIN_TOKEN).</param>
    /// <param name="cli">The CLI to run (default: the build next to the tests), e.g. a `dotnet publish` output.</param>
    /// <param name="workingDirectory">The child's current folder (default: the tests').</param>
    public static async Task<(Process Process, Uri Url)> StartAsync(IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? startTimeout = null, string? cli = null, string? workingDirectory = null)
    {
        cli ??= Path.Combine(AppContext.BaseDirectory, "mdsl.dll");
        if (!File.Exists(cli)) throw new InvalidOperationException($"the built CLI is not at {cli}");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null) info.WorkingDirectory = workingDirectory;
        foreach (var a in new[] { cli, "serve" }.Concat(arguments)) info.ArgumentList.Add(a);
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null) info.Environment.Remove(name);
            else info.Environment[name] = value;
        }
        var process = Process.Start(info)!;
        var errors = new StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (errors) errors.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        var started = process.StandardOutput.ReadLineAsync();
        if (await Task.WhenAny(started, Task.Delay(startTimeout ?? TimeSpan.FromSeconds(30))) != started || started.Result is not { } line)
        {
            if (!process.HasExited) process.Kill();
            throw new InvalidOperationException("mdsl serve did not start: " + errors);
        }
        var match = UrlPattern().Match(line);
        if (!match.Success) throw new InvalidOperationException($"mdsl serve printed no URL: {line}");
        _ = Task.Run(async () => { while (await process.StandardOutput.ReadLineAsync() is not null) { } });
        return (process, new Uri(match.Value));
    }

    [GeneratedRegex(@"http://127\.0\.0\.1:\d+")]
    private static partial Regex UrlPattern();
}
