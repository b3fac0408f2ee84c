namespace MarketingDsl.Core.Tests;

internal static class TestPaths
{
    private static readonly Lazy<string> s_root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MarketingDsl.sln"))) return dir.FullName;
        throw new InvalidOperationException($"No MarketingDsl.sln above {AppContext.BaseDirectory}.");
    });

    /// <summary>The repository root: the folder holding MarketingDsl.sln.</summary>
    public static string Root => s_root.Value;

    public static string Baselines => Path.Combine(Root, "tests", "baselines");

    public static bool UpdateBaselines => Environment.GetEnvironmentVariable("MDSL_UPDATE_BASELINES") == "1";

    public static string Normalize(string text) => text.Replace("\r\n", "\n");
}
