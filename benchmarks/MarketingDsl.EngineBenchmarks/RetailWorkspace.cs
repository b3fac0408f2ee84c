using MarketingDsl.Core;
using MarketingDsl.Core.Text;

namespace MarketingDsl.EngineBenchmarks;

/// <summary>The benchmarked tag set (the conformance retail-core workspace) and the editor's one-line edit.</summary>
public static class RetailWorkspace
{
    public const string EditedTag = "annual_spend";
    private const string OriginalWindow = "sum(order.amount, within: 365d)";
    // 90d, not 180d: generated histories span 180 days, so a 180d window would change no value.
    private const string EditedWindow = "sum(order.amount, within: 90d)";

    /// <summary>The repository root: the nearest folder above the working directory or the binary holding MarketingDsl.sln.</summary>
    public static string RepositoryRoot => MarketingDsl.Testing.RepoRoot.FullPath;

    public static string ConformanceCase(string name) => Path.Combine(RepositoryRoot, "tests", "conformance", name);

    public static string DefaultWorkspace => Path.Combine(ConformanceCase("retail-core"), "workspace");

    public static Compilation Compile(Workspace workspace)
    {
        var compilation = Compilation.Create(workspace);
        if (compilation.HasErrors)
            throw new InvalidOperationException("the benchmark workspace has errors: "
                + string.Join("; ", compilation.Diagnostics.Where(d => d.IsError)));
        return compilation;
    }

    /// <summary>The workspace with annual_spend's window changed from 365d to 90d, as an editor would send it.</summary>
    public static Workspace WithEditedAnnualSpend(Workspace workspace)
    {
        var edited = workspace.Files.Select(f => f.Text.Contains(OriginalWindow, StringComparison.Ordinal)
            ? new SourceText(f.Path, f.Text.Replace(OriginalWindow, EditedWindow, StringComparison.Ordinal))
            : f).ToList();
        if (edited.SequenceEqual(workspace.Files)) throw new InvalidOperationException($"no file holds '{OriginalWindow}' to edit");
        return new Workspace(edited);
    }

}
