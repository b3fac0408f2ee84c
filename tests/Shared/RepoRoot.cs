namespace MarketingDsl.Testing;

/// <summary>
/// The repository's root (the folder holding MarketingDsl.sln), found above the working directory
/// or the binary: the one finder every test and benchmark project compiles in (linked by
/// tests/Directory.Build.props and benchmarks/Directory.Build.props).
/// </summary>
internal static class RepoRoot
{
    private static readonly Lazy<string> s_root = new(() =>
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "MarketingDsl.sln"))) return dir.FullName;
        throw new InvalidOperationException($"No MarketingDsl.sln above {AppContext.BaseDirectory} or {Directory.GetCurrentDirectory()}.");
    });

    public static string FullPath => s_root.Value;

    /// <summary>A path inside the repository, e.g. <c>Combine("examples", "retail")</c>.</summary>
    public static string Combine(params string[] parts) => Path.Combine([FullPath, .. parts]);

    /// <summary>
    /// Copies examples/retail's language files and the custom functions they call (functions/*.csx) into
    /// <paramref name="target"/>; without <c>journeys/</c> for a baseline with the same schema, tags, segments and channels.
    /// </summary>
    public static void CopyRetailExample(string target, bool journeys)
    {
        var source = Combine("examples", "retail");
        foreach (var file in Directory.GetFiles(source, "*.*", SearchOption.AllDirectories).Where(f => f.EndsWith(".mdsl") || f.EndsWith(".csx")))
        {
            var relative = Path.GetRelativePath(source, file);
            if (!journeys && relative.StartsWith("journeys", StringComparison.Ordinal)) continue;
            var to = Path.Combine(target, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
    }
}
