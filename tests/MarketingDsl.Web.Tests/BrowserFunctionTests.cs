using MarketingDsl.Web.Security;
using Microsoft.Playwright;

namespace MarketingDsl.Web.Tests;

/// <summary>
/// A custom function file in the editor (LANGUAGE.md §17): it is listed, opens as C#, shows the
/// sandbox's error as a marker at its line and column, and the marker clears when the file is
/// fixed in the browser. Screenshots in English and 简体中文 in tests/MarketingDsl.Web.Tests/artifacts/.
/// </summary>
public sealed class BrowserFunctionTests
{
    private const string Hostile = """
        // Reads a file: the sandbox refuses it.
        public static string Secret(string path) => System.IO.File.ReadAllText(path);
        """;

    [Fact]
    public async Task A_function_file_opens_shows_its_sandbox_marker_and_clears_when_fixed()
    {
        var workspace = TestPaths.CopyRetail();
        File.WriteAllText(Path.Combine(workspace, "functions", "secret.csx"), Hostile);
        var (app, baseUrl) = await KestrelEditor.StartAsync(workspace, [("engineer", Roles.Editor)]);
        await using var _ = app;

        await using var browser = await BrowserSession.OpenAsync(1280, 800);
        var page = browser.Page;
        await page.GotoAsync(baseUrl + "/");
        await browser.SignInAsync("engineer", "password-engineer");

        foreach (var language in Screenshots.Languages)
        {
            await page.GotoAsync(baseUrl + "/?lang=" + language);
            await page.WaitForSelectorAsync("body[data-ready=true]");
            Assert.Equal(language, await page.EvaluateAsync<string>("() => document.documentElement.lang"));
            await page.ClickAsync("a[data-path='functions/secret.csx']");
            await page.WaitForFunctionAsync("() => document.getElementById('editor').dataset.file === 'functions/secret.csx' && " +
                "document.getElementById('editor').dataset.markersVersion > 0");
            await page.WaitForSelectorAsync(".monaco-editor .view-lines");
            Assert.Equal("csharp", await page.EvaluateAsync<string>("() => monaco.editor.getEditors()[0].getModel().getLanguageId()"));
            var marker = Assert.Single(await ErrorMarkers(page));
            Assert.Equal(("MD7002", 2), (marker.Code, marker.Line));
            Assert.Equal(Hostile.Split('\n')[1].IndexOf("System.IO", StringComparison.Ordinal) + 1, marker.Column);
            await Screenshots.ShootAsync(page, "function-marker", language);
        }

        // Fix the file in the browser: the marker goes.
        await page.EvaluateAsync("() => monaco.editor.getEditors()[0].getModel().setValue('public static string Secret(string path) => " +
            "path.ToUpperInvariant();\\n')");
        await page.WaitForFunctionAsync("() => document.getElementById('editor').dataset.markersVersion == " +
            "monaco.editor.getEditors()[0].getModel().getVersionId()");
        Assert.Empty(await ErrorMarkers(page));
    }

    private static async Task<(string Code, int Line, int Column)[]> ErrorMarkers(IPage page) =>
        [.. (await page.EvaluateAsync<string[]>("() => monaco.editor.getModelMarkers({ owner: 'mdsl', resource: " +
            "monaco.editor.getEditors()[0].getModel().uri }).filter(m => m.severity === monaco.MarkerSeverity.Error).map(m => [m.code, " +
            "m.startLineNumber, m.startColumn].join(' '))"))
            .Select(m => m.Split(' ')).Select(p => (p[0], int.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture),
                int.Parse(p[2], System.Globalization.CultureInfo.InvariantCulture)))];
}
