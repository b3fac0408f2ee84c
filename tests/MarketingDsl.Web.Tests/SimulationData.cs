using MarketingDsl.Core;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Functions.Loading;

namespace MarketingDsl.Web.Tests;

/// <summary>
/// The data root of the web tests: `retail/` is a small generated retail history (the engine's
/// RetailDataGenerator, fixed seed and end), `not-data/` a folder without profiles; generated
/// once per test run. Expected results come from the reference interpreter, not the compiled
/// engine the editor runs.
/// </summary>
internal static class SimulationData
{
    public const string Folder = "retail";
    public static readonly DateTime End = new(2025, 6, 30, 0, 0, 0, DateTimeKind.Utc);

    private static readonly Lazy<string> LazyRoot = new(() =>
    {
        var root = Path.Combine(TestFolders.New(), "data");
        RetailDataGenerator.Generate(Path.Combine(root, Folder), users: 600, days: 365, seed: 11, endUtc: End);
        Directory.CreateDirectory(Path.Combine(root, "not-data"));
        return root;
    });

    public static string Root => LazyRoot.Value;

    public static string RetailFolder => Path.Combine(Root, Folder);

    /// <summary>The reference interpreter's result for a workspace on the retail folder (as of the latest event when null).</summary>
    public static EvaluationResult Expected(Workspace workspace, DateTime? asOf = null)
    {
        var compilation = FunctionCompilation.Create(workspace);
        Assert.False(compilation.HasErrors, string.Join("\n", compilation.Diagnostics.Where(d => d.IsError)));
        var data = DataImporter.Load(compilation.Model.Schema, RetailFolder);
        return new ReferenceInterpreter().Evaluate(compilation.Model, data, asOf ?? new DateTime(data.MaxTimestampTicks!.Value, DateTimeKind.Utc));
    }

    public static HashSet<string> Members(EvaluationResult result, string segment)
    {
        var column = result.Column(segment);
        return [.. Enumerable.Range(0, result.Data.UserCount).Where(u => column.Get(u) is true).Select(u => result.Data.UserIds[u])];
    }

    public static HashSet<string> InGroup(EvaluationResult result, string segmentation, string group)
    {
        var column = result.Column(segmentation);
        return [.. Enumerable.Range(0, result.Data.UserCount).Where(u => column.Get(u) is string g && g == group).Select(u =>
            result.Data.UserIds[u])];
    }
}
