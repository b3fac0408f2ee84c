using MarketingDsl.Engine.Data;
using MarketingDsl.Web.Storage;

namespace MarketingDsl.Web.Simulations;

/// <summary>
/// The data folders a simulation may read: folders below the configured data root
/// (`Editor:DataRoot`, default `WORKSPACE/../data`) that hold a profiles file or are an import
/// snapshot (`mdsl import`, read as `simulate --data SNAPSHOT` reads it). A request names
/// a folder relative to the root with `/` between parts; anything that leaves the root (`..`,
/// an absolute path, a link pointing outside) is refused with <see cref="UnsafePathException"/>.
/// </summary>
public sealed class DataFolders(string root)
{
    private static readonly string[] ProfileFiles = ["profiles.jsonl", "profiles.csv", "profiles.parquet"];

    /// <summary>The root as configured, made absolute (it may not exist yet).</summary>
    public string Root { get; } = Path.GetFullPath(root);

    public bool RootExists => Directory.Exists(Root);

    /// <summary>Folders (one or two levels deep) that hold a profiles file or a snapshot, relative to the root.</summary>
    public IReadOnlyList<string> List()
    {
        if (!RootExists) return [];
        var result = new List<string>();
        var options = new EnumerationOptions { AttributesToSkip = FileAttributes.Hidden | FileAttributes.System, IgnoreInaccessible = true };
        foreach (var first in Directory.EnumerateDirectories(Root, "*", options))
        {
            if (!Add(first) && !Inside(first)) continue; // never walk through a link that leaves the root
            foreach (var second in Directory.EnumerateDirectories(first, "*", options)) Add(second);
        }
        result.Sort(StringComparer.Ordinal);
        return result;

        bool Add(string dir)
        {
            var isData = ProfileFiles.Any(f => File.Exists(Path.Combine(dir, f))) || ImportSnapshot.IsSnapshot(dir);
            if (!isData || !Inside(dir)) return false;
            result.Add(Path.GetRelativePath(Root, dir).Replace('\\', '/'));
            return true;
        }

        bool Inside(string dir)
        {
            try
            {
                Resolve(Path.GetRelativePath(Root, dir).Replace('\\', '/'));
                return true;
            }
            catch (UnsafePathException)
            {
                return false; // a link leaving the root is not offered
            }
        }
    }

    /// <summary>Checks a requested folder and returns its full path with links resolved.</summary>
    /// <exception cref="UnsafePathException">The name is malformed, leaves the root, or the folder does not exist.</exception>
    public string Resolve(string? relative)
    {
        if (string.IsNullOrWhiteSpace(relative)) throw new UnsafePathException("Choose a data folder.");
        if (relative.Length > 260) throw new UnsafePathException("The data folder name is too long.");
        if (relative.Contains('\\') || relative.Contains(':') || relative.Contains('\0') || relative.StartsWith('/') || Path.IsPathRooted(relative))
            throw new UnsafePathException($"Name a data folder relative to the data root, with / between folders (not '{relative}').");
        foreach (var segment in relative.Split('/'))
        {
            if (segment is "" or "." or "..") throw new UnsafePathException($"The data folder '{relative}' may not contain empty, '.' or " +
                $"'..' parts: only folders inside the data root can be read.");
            if (segment.StartsWith('.')) throw new UnsafePathException("Hidden folders are not data folders.");
            if (segment.Any(char.IsControl)) throw new UnsafePathException("The data folder name contains control characters.");
        }
        if (!RootExists) throw new UnsafePathException($"The data root '{Root}' does not exist (setting Editor:DataRoot).");
        var realRoot = WorkspaceFolder.RealPath(Root);
        var full = WorkspaceFolder.RealPath(Path.Combine(Root, relative));
        if (!full.StartsWith(realRoot + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new UnsafePathException($"The data folder '{relative}' leaves the data root (through a link).");
        if (!Directory.Exists(full)) throw new UnsafePathException($"There is no data folder '{relative}' in the data root.");
        return full;
    }
}
