using System.Text.RegularExpressions;

namespace MarketingDsl.Web.Tests;

/// <summary>
/// One source for each front-end concept: JSON requests go through pages.js's helper (sign-in redirect, anti-forgery
/// header, errors with their details), and the MarketingDsl syntax is registered with Monaco by editor/syntax.js only
/// (brackets, comments and word pattern with the colouring), so no page draws the language differently.
/// </summary>
public sealed partial class FrontEndModuleTests
{
    private static string Scripts => Path.Combine(TestPaths.Root, "src", "MarketingDsl.Web", "wwwroot", "js");

    private static IEnumerable<(string Name, string Text)> PageScripts() =>
        Directory.EnumerateFiles(Scripts, "*.js", SearchOption.AllDirectories)
            .Select(f => (Path.GetRelativePath(Scripts, f).Replace('\\', '/'), File.ReadAllText(f)));

    [Fact]
    public void Only_pages_js_fetches_and_only_syntax_js_registers_the_language()
    {
        var scripts = PageScripts().ToList();
        Assert.Contains(scripts, s => s.Name == "canvas.js");
        foreach (var (name, text) in scripts)
        {
            // syntax.js reads the Monarch definition, a static file, before any page helper is loaded (History).
            var fetches = Fetch().Matches(text).Count;
            if (name == "pages.js" || name == "editor/syntax.js") Assert.Equal(1, fetches);
            else Assert.True(fetches == 0, $"{name} calls fetch() itself; use window.mdslPages.request/post (pages.js)");
            if (name == "editor/syntax.js") continue;
            Assert.True(!text.Contains("setMonarchTokensProvider", StringComparison.Ordinal)
                && !text.Contains("languages.register(", StringComparison.Ordinal)
                && !text.Contains("marketingdsl.monarch.json", StringComparison.Ordinal),
                $"{name} registers the MarketingDsl syntax itself; use registerSyntax() from editor/syntax.js");
        }
    }

    [Fact]
    public void Pages_keep_their_state_to_themselves()
    {
        // The browser tests read what a page shows; a global of a page's state is a test hook in production code. A global
        // is a module shared by pages (pages.js, charts.js, results-view.js): one script defines it and another uses it.
        var scripts = PageScripts().ToList();
        foreach (var (name, text) in scripts)
        {
            foreach (var global in GlobalDefinition().Matches(text).Select(m => m.Groups[1].Value))
            {
                var users = scripts.Where(s => s.Name != name && s.Text.Contains("window." + global, StringComparison.Ordinal)).ToList();
                Assert.True(users.Count > 0, $"{name} puts window.{global} on the page and no other script uses it: a test hook?");
            }
        }
        Assert.DoesNotContain(scripts, s => FormerHook().IsMatch(s.Text));
    }

    [GeneratedRegex(@"\bmdsl(Canvas|Simulation|Models|Results)\b")]
    private static partial Regex FormerHook();

    [GeneratedRegex(@"window\.(mdsl\w+)\s*=[^=]")]
    private static partial Regex GlobalDefinition();

    [GeneratedRegex(@"(?<![.\w])fetch\(")]
    private static partial Regex Fetch();
}
