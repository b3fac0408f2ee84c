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
            RefuseLinkOutside(root, relative);
            files.Add(new SourceText(relative, Read(path)));
        }
        var functions = Path.Combine(root, "functions");
        if (Directory.Exists(functions))
            foreach (var path in Directory.EnumerateFiles(functions, "*.csx", SearchOption.TopDirectoryOnly))
                files.Add(new SourceText("functions/" + Path.GetFileName(path), Read(path)));
        return new Workspace(files);
    }

    /// <summary>
    /// A symbolic link (the file or a folder on its path) that leads outside the workspace is refused:
    /// the editor, `serve` and a reload would otherwise read, show and publish a file nobody put in
    /// the workspace. Links that stay inside are fine.
    /// </summary>
    private static void RefuseLinkOutside(string root, string relative)
    {
        var realRoot = RealPath(root);
        var current = root;
        foreach (var part in relative.Split('/'))
        {
            current = Path.Combine(current, part);
            FileSystemInfo info = Directory.Exists(current) && part != relative.Split('/')[^1] ? new DirectoryInfo(current) : new FileInfo(current);
            if (info.LinkTarget is null) continue;
            if (!IsUnder(RealPath(current), realRoot))
                throw new WorkspaceException($"'{Path.GetRelativePath(root, current).Replace('\\', '/')}' is a symbolic link that leads " +
                    $"outside the workspace; " +
                    "workspace files must be inside the workspace folder (copy the file in instead)");
        }
    }

    private static bool IsUnder(string path, string root) =>
        path.Equals(root, StringComparison.Ordinal) || path.StartsWith(root.TrimEnd(Path.DirectorySeparatorChar)
            + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary>
    /// The path with every symbolic link on it resolved, part by part from the file system's root (the
    /// folder itself may be reached through a link); a cycle of links stops after 40 hops. The one
    /// resolver of links for the compiler and the editor, which both refuse links leading outside.
    /// </summary>
    public static string RealPath(string path)
    {
        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full)!;
        var current = root;
        foreach (var part in full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Combine(current, part);
            for (var hops = 0; hops < 40; hops++)
            {
                var info = new FileInfo(current);
                if (info.LinkTarget is null) break;
                current = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(current)!, info.LinkTarget));
            }
        }
        return current;
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
