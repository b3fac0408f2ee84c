namespace MarketingDsl.Core.Tests;

internal static class TestPaths
{
    /// <summary>The repository root: the folder holding MarketingDsl.sln.</summary>
    public static string Root => MarketingDsl.Testing.RepoRoot.FullPath;

    public static string Baselines => Path.Combine(Root, "tests", "baselines");

    public static bool UpdateBaselines => Environment.GetEnvironmentVariable("MDSL_UPDATE_BASELINES") == "1";

    public static string Normalize(string text) => text.Replace("\r\n", "\n");
}
