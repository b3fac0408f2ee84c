using MarketingDsl.Core;
using MarketingDsl.Core.Text;

namespace MarketingDsl.Web.Storage;

/// <summary>A path the editor may not touch: outside the workspace, hidden, not `.mdsl` (or `functions/*.csx`), or
/// through a link that leaves it.</summary>
public sealed class UnsafePathException(string message) : Exception(message);

/// <summary>
/// The workspace folder on disk. Every path from a request is workspace-relative with forward
/// slashes and is checked here: no `..`, no absolute or drive paths, no hidden segments (the
/// store lives in `.mdsl/`), only `.mdsl` files and `functions/*.csx`, and no symbolic link that resolves outside the folder.
/// </summary>
public sealed class WorkspaceFolder
{
    public const int MaxFileChars = 512 * 1024;

    public WorkspaceFolder(string root)
    {
        if (string.IsNullOrWhiteSpace(root)) throw new InvalidOperationException("Editor:Workspace (the workspace folder) is not configured.");
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"The workspace folder '{root}' does not exist.");
        Root = RealPath(Path.GetFullPath(root));
    }

    /// <summary>The folder's full path with links resolved.</summary>
    public string Root { get; }

    /// <summary>Checks a request path and returns the full path on disk.</summary>
    /// <exception cref="UnsafePathException"/>
    public string Resolve(string? relative)
    {
        if (string.IsNullOrWhiteSpace(relative)) throw new UnsafePathException("A file path is required.");
        if (relative.Length > 260) throw new UnsafePathException("The path is too long.");
        if (relative.Contains('\\') || relative.Contains(':') || relative.Contains('\0') || relative.StartsWith('/') || Path.IsPathRooted(relative))
            throw new UnsafePathException("Use a path relative to the workspace, with / between folders.");
        var segments = relative.Split('/');
        foreach (var segment in segments)
        {
            if (segment is "" or "." or "..") throw new UnsafePathException("The path may not contain empty, '.' or '..' parts.");
            if (segment.StartsWith('.')) throw new UnsafePathException("Hidden files and folders are not part of the workspace.");
            if (segment.Any(c => char.IsControl(c))) throw new UnsafePathException("The path contains control characters.");
        }
        if (!relative.EndsWith(".mdsl", StringComparison.Ordinal) && !Workspace.IsFunctionPath(relative))
            throw new UnsafePathException("Only .mdsl files and custom function files (functions/NAME.csx) can be opened or saved.");

        var full = Path.GetFullPath(Path.Combine(Root, relative));
        if (!IsInside(full)) throw new UnsafePathException("The path leaves the workspace.");
        // Every existing part of the path (folders and the file) must stay inside once links are followed.
        var current = Root;
        foreach (var segment in segments)
        {
            current = Path.Combine(current, segment);
            var info = new FileInfo(current);
            if (info.LinkTarget is null && !Directory.Exists(current) && !File.Exists(current)) break;
            if (info.LinkTarget is not null && !IsInside(RealPath(current)))
                throw new UnsafePathException("The path goes through a link that leaves the workspace.");
        }
        return full;
    }

    private bool IsInside(string full) => full.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary>
    /// The workspace-relative paths of the `.mdsl` files and the `functions/*.csx` files (skipping
    /// hidden folders, node_modules, bin, obj and links that leave).
    /// </summary>
    public IReadOnlyList<string> ListFiles()
    {
        var result = new List<string>();
        var options = new EnumerationOptions { RecurseSubdirectories = true,
            AttributesToSkip = FileAttributes.Hidden | FileAttributes.System, IgnoreInaccessible = true };
        var functions = Path.Combine(Root, "functions");
        var functionFiles = Directory.Exists(functions)
            ? Directory.EnumerateFiles(functions, "*.csx",
                new EnumerationOptions { AttributesToSkip = FileAttributes.Hidden | FileAttributes.System, IgnoreInaccessible = true })
            : [];
        foreach (var path in Directory.EnumerateFiles(Root, "*.mdsl", options).Concat(functionFiles))
        {
            var relative = Path.GetRelativePath(Root, path).Replace('\\', '/');
            if (relative.Split('/').Any(p => p.StartsWith('.') || p is "node_modules" or "bin" or "obj")) continue;
            try
            {
                Resolve(relative);
            }
            catch (UnsafePathException)
            {
                continue;
            }
            result.Add(relative);
        }
        result.Sort(StringComparer.Ordinal);
        return result;
    }

    public string Read(string relative)
    {
        var full = Resolve(relative);
        if (!File.Exists(full)) throw new FileNotFoundException($"There is no file '{relative}'.");
        return File.ReadAllText(full);
    }

    public bool Exists(string relative) => File.Exists(Resolve(relative));

    public void Write(string relative, string text)
    {
        var full = Resolve(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        // Write then move, so a reader never sees half a file.
        var temp = full + ".saving";
        File.WriteAllText(temp, text);
        File.Move(temp, full, overwrite: true);
    }

    /// <summary>The workspace as the compiler sees it, read from disk (only the files <see cref="ListFiles"/> allows).</summary>
    public Workspace Load() => new(ListFiles().Select(p => new SourceText(p, File.ReadAllText(Path.Combine(Root, p)))));

    internal static string RealPath(string path) => Workspace.RealPath(path);
}
