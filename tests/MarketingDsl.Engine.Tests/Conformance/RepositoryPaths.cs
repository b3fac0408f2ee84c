namespace MarketingDsl.Engine.Tests.Conformance;

/// <summary>Finds folders of the repository from the test's output directory.</summary>
internal static class RepositoryPaths
{
    public static string Root => MarketingDsl.Testing.RepoRoot.FullPath;

    public static string Of(params string[] parts) => MarketingDsl.Testing.RepoRoot.Combine(parts);
}
