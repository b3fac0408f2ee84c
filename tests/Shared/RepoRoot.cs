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
}
