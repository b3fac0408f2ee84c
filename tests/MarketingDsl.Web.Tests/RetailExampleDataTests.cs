using MarketingDsl.Core;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Functions.Loading;
using MarketingDsl.LanguageService.DataAware;
using MarketingDsl.Web.DataAware;

namespace MarketingDsl.Web.Tests;

/// <summary>
/// examples/retail on its own generated data (`mdsl generate-data`, 600 users, one year): a boolean
/// tag or segment that is the same for every user is a rule that compares with a value the data
/// never has (like `platform == "app"` when the platforms are ios, android, miniapp and web), and so
/// is a data-aware warning (MD5050) on the example opened in the editor with that data chosen.
/// </summary>
public sealed class RetailExampleDataTests
{
    /// <summary>
    /// Constant for a known reason: they read models or the recommender, untrained here (`fan_prospects`
    /// splits the users once `picks` is trained: TrainCommandTests).
    /// </summary>
    private static readonly HashSet<string> Explained = ["likely_repurchase", "churn_risk_top20", "fan_prospects"];

    [Fact]
    public void Every_boolean_tag_and_segment_of_the_example_splits_its_generated_users()
    {
        var result = SimulationData.Expected(Workspace.Load(Path.Combine(TestPaths.Root, "examples", "retail")));
        var constant = new List<string>();
        foreach (var column in result.Columns.Where(c => c.Symbol.Type.NonNullable.Kind == TypeKind.Bool && !Explained.Contains(c.Symbol.Name)))
        {
            var trues = Enumerable.Range(0, result.Data.UserCount).Count(u => column.Get(u) is true);
            if (trues == 0 || trues == result.Data.UserCount) constant.Add($"{column.Symbol.Name}: {trues} of {result.Data.UserCount} true");
        }
        Assert.True(constant.Count == 0, "constant on the generated data: " + string.Join("; ", constant));
    }

    [Fact]
    public void Every_literal_the_example_compares_with_a_field_occurs_in_its_generated_data()
    {
        var compilation = FunctionCompilation.Create(Workspace.Load(Path.Combine(TestPaths.Root, "examples", "retail")));
        var data = DataImporter.Load(compilation.Model.Schema, SimulationData.RetailFolder);
        var values = new DataValueIndex(SimulationData.Folder, null, FieldValueCounts.Of(data));
        var warnings = new MarketingDsl.LanguageService.LanguageService(compilation).AllDataDiagnostics(values)
            .SelectMany(f => f.Markers.Select(m => $"{f.Path}:{m.Range.StartLine}: {m.Code} {m.Message}")).ToList();
        Assert.True(warnings.Count == 0, "data-aware warnings on the example's own generated data:\n" + string.Join("\n", warnings));
    }
}
