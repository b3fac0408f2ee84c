using MarketingDsl.Core.Text;

namespace MarketingDsl.Core;

/// <summary>
/// The `.mdsl` files of a workspace, in ordinal path order (the order of tags.csv columns), and
/// its custom function files (`functions/*.csx`, LANGUAGE.md §17). Paths are relative to the
/// workspace folder, with forward slashes.
/// </summary>
public sealed class Workspace
{
    /// <param name="files">Language files and function files: a path ending in `.csx` is a function file.</param>
    public Workspace(IEnumerable<SourceText> files)
    {
        var all = files.OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
        Files = [.. all.Where(f => !IsFunctionFile(f.Path))];
        FunctionFiles = [.. all.Where(f => IsFunctionFile(f.Path))];
    }

    public IReadOnlyList<SourceText> Files { get; }

    /// <summary>The C# function files, compiled by a host-side loader (see <see cref="Functions.CustomFunctionSet"/>).</summary>
    public IReadOnlyList<SourceText> FunctionFiles { get; }

    /// <summary>Language files, then function files.</summary>
    public IEnumerable<SourceText> AllFiles => Files.Concat(FunctionFiles);

    public static bool IsFunctionFile(string path) => path.EndsWith(".csx", StringComparison.Ordinal);

    /// <summary>Where function files live: `functions/NAME.csx` at the top of the workspace.</summary>
    public static bool IsFunctionPath(string relativePath) =>
        IsFunctionFile(relativePath) && relativePath.StartsWith("functions/", StringComparison.Ordinal) && relativePath.Count(c => c == '/') == 1;

    public static Workspace FromFiles(params (string Path, string Text)[] files) => new(files.Select(f => new SourceText(f.Path, f.Text)));

    /// <summary>Reads every `*.mdsl` below the folder (skipping hidden folders and node_modules) and `functions/*.csx`.</summary>
    /// <exception cref="WorkspaceException">The folder does not exist or a file cannot be read.</exception>
    public static Workspace Load(string directory)
    {
        if (File.Exists(directory) && directory.EndsWith(".mdsl", StringComparison.Ordinal))
        {
            var full = Path.GetFullPath(directory);
            return new Workspace([new SourceText(Path.GetFileName(full), Read(full))]);
        }
        if (!Directory.Exists(directory)) throw new WorkspaceException($"The workspace folder '{directory}' does not exist.");
        var root = Path.GetFullPath(directory);
        var files = new List<SourceText>();
        foreach (var path in Directory.EnumerateFiles(root, "*.mdsl", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(root, path).Replace('\\', '/');
            if (relative.Split('/').Any(part => part.StartsWith('.') || part == "node_modules" || part == "bin" || part == "obj")) continue;
            files.Add(new SourceText(relative, Read(path)));
        }
        var functions = Path.Combine(root, "functions");
        if (Directory.Exists(functions))
            foreach (var path in Directory.EnumerateFiles(functions, "*.csx", SearchOption.TopDirectoryOnly))
                files.Add(new SourceText("functions/" + Path.GetFileName(path), Read(path)));
        return new Workspace(files);
    }

    private static string Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new WorkspaceException($"Cannot read '{path}': {ex.Message}");
        }
    }
}

/// <summary>A workspace folder or file that cannot be read (not a problem in its text).</summary>
public sealed class WorkspaceException(string message) : Exception(message);
