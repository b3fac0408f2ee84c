using System.Diagnostics;

namespace MarketingDsl.Web.Tests;

/// <summary>
/// Every folder the web tests write (workspace copies, stores, generated data) lives under one folder
/// of this test run, `mdsl-web-tests/run-PID-ID` in the temporary folder. A host whose folder no test
/// reopens deletes it in Dispose (LiveEditorHost); the rest (shared generated data, workspaces a test
/// restarts an editor on) goes when the test process exits normally, and the folder of a run whose
/// process is gone (the test runner often stops its host without an exit) is swept by the next run. Runs
/// of other processes at the same time are never touched. Screenshots go to the tests' artifacts folder,
/// not here.
/// </summary>
internal static class TestFolders
{
    private const string Prefix = "run-";
    private static readonly string Parent = Path.Combine(Path.GetTempPath(), "mdsl-web-tests");
    private static readonly Lazy<string> LazyRun = new(StartRun);

    /// <summary>This run's folder.</summary>
    public static string Run => LazyRun.Value;

    /// <summary>A new folder of this run (not created).</summary>
    public static string New() => Path.Combine(Run, Guid.NewGuid().ToString("N"));

    /// <summary>Deletes a folder of this run, best effort (a file still held stays until the run's end).</summary>
    public static void Delete(string folder)
    {
        var full = Path.GetFullPath(folder);
        if (!full.StartsWith(Run + Path.DirectorySeparatorChar, StringComparison.Ordinal)) return;
        try { Directory.Delete(full, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static string StartRun()
    {
        SweepDeadRuns();
        var run = Path.Combine(Parent, $"{Prefix}{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(run);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(run, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        };
        return run;
    }

    /// <summary>Deletes the folders of runs whose process is gone (a run killed before its exit handler ran).</summary>
    private static void SweepDeadRuns()
    {
        if (!Directory.Exists(Parent)) return;
        foreach (var folder in Directory.EnumerateDirectories(Parent, Prefix + "*"))
        {
            var parts = Path.GetFileName(folder).Split('-');
            if (parts.Length != 3 || !int.TryParse(parts[1], out var pid) || IsRunning(pid)) continue;
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false; // no such process
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
