namespace MarketingDsl.Engine.Tests.Conformance;

/// <summary>Finds folders of the repository from the test's output directory.</summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MarketingDsl.sln"))) return dir.FullName;
        throw new InvalidOperationException("MarketingDsl.sln not found above " + AppContext.BaseDirectory);
    }

    public static string Of(params string[] parts) => Path.Combine([Root, .. parts]);
}
