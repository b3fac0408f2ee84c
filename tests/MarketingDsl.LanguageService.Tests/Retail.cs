using MarketingDsl.Core;
using MarketingDsl.Functions.Loading;

namespace MarketingDsl.LanguageService.Tests;

/// <summary>The seed workspace `examples/retail`, and a helper to edit one file of it with a cursor marked `|`.</summary>
internal static class Retail
{
    public static string Root => MarketingDsl.Testing.RepoRoot.FullPath;

    public static Workspace Workspace { get; } = Workspace.Load(Path.Combine(Root, "examples", "retail"));

    /// <summary>The language service with <paramref name="path"/> holding <paramref name="text"/>; `|` marks the cursor (removed).</summary>
    public static (LanguageService Service, int Line, int Column) WithCursor(string path, string text)
    {
        var at = text.IndexOf('|');
        Assert.True(at >= 0, "the text needs a | for the cursor");
        var clean = text.Remove(at, 1);
        var before = clean[..at];
        var line = before.Count(c => c == '\n') + 1;
        var column = at - (before.LastIndexOf('\n') + 1) + 1;
        return (LanguageService.ForBuffer(Workspace, path, clean, FunctionLoader.Shared.Load(Workspace)), line, column);
    }

    public static LanguageService With(string path, string text) => LanguageService.ForBuffer(Workspace, path, text,
        FunctionLoader.Shared.Load(Workspace));

    public static string Text(string path) => Workspace.Files.Single(f => f.Path == path).Text;
}
