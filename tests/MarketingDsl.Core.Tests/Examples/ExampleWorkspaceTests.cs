using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Core.Formatting;
using MarketingDsl.Functions.Loading;

namespace MarketingDsl.Core.Tests.Examples;

/// <summary>Examples are tests: every workspace under examples/ checks with no error and no warning.</summary>
public sealed class ExampleWorkspaceTests
{

    public static TheoryData<string> Workspaces()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.GetDirectories(Path.Combine(TestPaths.Root,
            "examples")).Order(StringComparer.Ordinal)) data.Add(Path.GetFileName(dir));
        return data;
    }

    [Theory]
    [MemberData(nameof(Workspaces))]
    public void Example_checks_clean(string name)
    {
        var compilation = FunctionCompilation.Create(Workspace.Load(Path.Combine(TestPaths.Root, "examples", name)));
        Assert.NotEmpty(compilation.Workspace.Files);
        Assert.True(compilation.Diagnostics.IsEmpty, DiagnosticWriter.ToText(compilation.Diagnostics, [.. compilation.Workspace.AllFiles]));
    }

    [Theory]
    [MemberData(nameof(Workspaces))]
    public void Example_formats_unchanged(string name)
    {
        var compilation = FunctionCompilation.Create(Workspace.Load(Path.Combine(TestPaths.Root, "examples", name)));
        foreach (var tree in compilation.SyntaxTrees)
        {
            Assert.True(SyntaxFormatter.TryFormat(tree, out var formatted), tree.Text.Path);
            Assert.True(formatted == tree.Text.Text.ReplaceLineEndings("\n"),
                $"{tree.Text.Path} is not in canonical layout: run `mdsl fmt examples/{name}`");
        }
    }

    [Fact]
    public void Retail_example_has_the_families_the_brand_asked_for()
    {
        var model = FunctionCompilation.Create(Workspace.Load(Path.Combine(TestPaths.Root, "examples", "retail"))).Model;
        Assert.True(model.Tags.Length >= 40, $"{model.Tags.Length} tags");
        Assert.Contains(model.Segmentations, s => s.Name == "core_groups" && s.Rules.Length == 8);
        Assert.True(model.Journeys.Length >= 4);
        Assert.NotEmpty(model.Tests);
    }
}
