using System.Diagnostics;

namespace MarketingDsl.Cli.Tests;

/// <summary>
/// What one serve test leaves behind, in one place: a folder of its own under the temporary folder
/// (workspace, databases, outbox) and the `mdsl serve` processes it started there. Dispose kills the
/// processes still running and deletes the folder, so a failed test leaves neither.
/// </summary>
internal sealed class ServeSandbox(string name) : IDisposable
{
    private readonly List<Process> _processes = [];

    /// <summary>The test's own folder (not created until the test writes into it).</summary>
    public string Root { get; } = Path.Combine(Path.GetTempPath(), name, Guid.NewGuid().ToString("N"));

    /// <summary>The last process started or tracked.</summary>
    public Process? Started => _processes.Count == 0 ? null : _processes[^1];

    /// <summary><see cref="ServeProcess.StartAsync"/>, the process killed at Dispose.</summary>
    public async Task<(Process Process, Uri Url)> StartAsync(IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? startTimeout = null, string? workingDirectory = null)
    {
        var started = await ServeProcess.StartAsync(arguments, environment, startTimeout, workingDirectory: workingDirectory);
        _processes.Add(started.Process);
        return started;
    }

    /// <summary>A process the test started itself, killed at Dispose.</summary>
    public void Track(Process process) => _processes.Add(process);

    /// <summary>Kills every process still running and waits for it to be gone (its files closed).</summary>
    public void StopAll()
    {
        foreach (var process in _processes)
        {
            try
            {
                if (process.HasExited) continue;
                process.Kill();
                process.WaitForExit();
            }
            catch (InvalidOperationException)
            {
                // never started or already reaped
            }
        }
    }

    public void Dispose()
    {
        StopAll();
        foreach (var process in _processes) process.Dispose();
        // A folder a test never made (DirectoryNotFoundException is an IOException) or one still held is left.
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
