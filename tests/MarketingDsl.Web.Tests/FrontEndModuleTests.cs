using System.Net;
using System.Text.RegularExpressions;

namespace MarketingDsl.Web.Tests;

/// <summary>
/// The pages' scripts are ES modules that share code by import: JSON requests go through pages.js's one helper (sign-in
/// redirect, anti-forgery header, errors with their details), the MarketingDsl syntax is registered with Monaco by
/// editor/syntax.js only (brackets, comments and word pattern with the colouring), no script hands another anything
/// through a global, and every import names a module and an export that exist.
/// </summary>
public sealed partial class FrontEndModuleTests(EditorFactory factory) : IClassFixture<EditorFactory>
{
    private static string Web => Path.Combine(TestPaths.Root, "src", "MarketingDsl.Web");
    private static string Scripts => Path.Combine(Web, "wwwroot", "js");

    private static List<(string Name, string Text)> PageScripts() =>
        [.. Directory.EnumerateFiles(Scripts, "*.js", SearchOption.AllDirectories)
            .Select(f => (Path.GetRelativePath(Scripts, f).Replace('\\', '/'), File.ReadAllText(f)))];

    [Fact]
    public void Only_pages_js_fetches_and_only_syntax_js_registers_the_language()
    {
        var scripts = PageScripts();
        Assert.Contains(scripts, s => s.Name == "canvas/main.js");
        foreach (var (name, text) in scripts)
        {
            var fetches = Fetch().Matches(text).Count;
            if (name == "pages.js") Assert.Equal(1, fetches);
            else Assert.True(fetches == 0, $"{name} calls fetch() itself; import request/post from pages.js");
            if (name == "editor/syntax.js") continue;
            Assert.True(!text.Contains("setMonarchTokensProvider", StringComparison.Ordinal)
                && !text.Contains("languages.register(", StringComparison.Ordinal)
                && !text.Contains("marketingdsl.monarch.json", StringComparison.Ordinal),
                $"{name} registers the MarketingDsl syntax itself; use registerSyntax() from editor/syntax.js");
        }
    }

    [Fact]
    public void Every_script_is_a_module_and_none_shares_through_globals()
    {
        // A page's state read by a test through a global is a test hook in production code; code shared through a global
        // is an import nobody can follow. Modules share by import only.
        foreach (var (name, text) in PageScripts())
        {
            Assert.False(GlobalWrite().IsMatch(text), $"{name} puts something on window; export it instead");
            Assert.False(FormerGlobal().IsMatch(text), $"{name} reads a former global (window.mdsl…); import it instead");
            Assert.False(text.Contains("(function ()", StringComparison.Ordinal), $"{name} is a classic script's closure; write a module");
        }
    }

    [Fact]
    public void Every_page_loads_its_script_as_a_module()
    {
        // The shared modules (pages.js, charts.js, results-view.js, publishing.js) have no tag: the page's script imports them.
        var tags = Directory.EnumerateFiles(Path.Combine(Web, "Pages"), "*.cshtml", SearchOption.AllDirectories)
            .SelectMany(f => ScriptTag().Matches(File.ReadAllText(f)).Select(m => (Page: Path.GetFileName(f), Tag: m.Value))).ToList();
        Assert.Contains(tags, t => t.Tag.Contains("/js/simulation.js", StringComparison.Ordinal));
        foreach (var (page, tag) in tags.Where(t => t.Tag.Contains("src=\"/js/", StringComparison.Ordinal)))
            Assert.True(tag.Contains("type=\"module\"", StringComparison.Ordinal), $"{page}: {tag} is a classic script");
        Assert.DoesNotContain(tags, t => SharedModule().IsMatch(t.Tag));
    }

    [Fact]
    public void Every_import_names_a_module_and_an_export_it_has()
    {
        var scripts = PageScripts().ToDictionary(s => s.Name, s => s.Text);
        var exports = scripts.ToDictionary(s => s.Key, s => Exports(s.Value));
        foreach (var (name, text) in scripts)
        {
            var code = Comment().Replace(text, "");
            var body = Import().Replace(code, "");
            foreach (Match import in Import().Matches(code))
            {
                var from = import.Groups["from"].Value;
                if (from.StartsWith("/lib/", StringComparison.Ordinal)) continue;   // dagre's own module
                var target = Resolve(name, from);
                Assert.True(exports.TryGetValue(target, out var names), $"{name} imports {from}, which is not a script of the site");
                if (import.Groups["names"].Success)
                {
                    foreach (var imported in Names(import.Groups["names"].Value))
                    {
                        var exported = imported.Split(" as ")[0].Trim();
                        Assert.True(names.Contains(exported), $"{name} imports {exported} from {target}, which does not export it");
                    }
                }
                if (import.Groups["all"].Success)
                {
                    var alias = import.Groups["all"].Value;
                    foreach (Match use in Regex.Matches(body, $@"\b{alias}\.(\w+)"))
                        Assert.True(names.Contains(use.Groups[1].Value), $"{name} uses {use.Value}, which {target} does not export");
                }
            }
        }
    }

    [Fact]
    public async Task The_sites_own_scripts_are_javascript_revalidated_on_each_load()
    {
        // Modules import each other: a browser that kept some of them from an older build would link old against new.
        using var client = factory.Anonymous();
        foreach (var path in new[] { "/js/pages.js", "/js/editor/main.js", "/js/simulation.js", "/css/site.css" })
        {
            var response = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(response.Headers.CacheControl?.NoCache == true, $"{path}: Cache-Control {response.Headers.CacheControl}");
            Assert.NotNull(response.Headers.ETag);
        }
        Assert.Equal("text/javascript", (await client.GetAsync("/js/charts.js")).Content.Headers.ContentType?.MediaType);
    }

    private static string Resolve(string from, string path)
    {
        var folder = Path.GetDirectoryName(from)!.Replace('\\', '/');
        var parts = (folder.Length == 0 ? path : folder + "/" + path).Split('/').ToList();
        var resolved = new List<string>();
        foreach (var part in parts)
        {
            if (part == ".") continue;
            if (part == "..") resolved.RemoveAt(resolved.Count - 1);
            else resolved.Add(part);
        }
        return string.Join('/', resolved);
    }

    private static HashSet<string> Exports(string text)
    {
        var names = Export().Matches(text).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        foreach (Match list in ExportList().Matches(text))
            foreach (var entry in Names(list.Groups[1].Value))
                names.Add(entry.Split(':')[^1].Split(" as ")[^1].Trim());
        return names;
    }

    private static string[] Names(string list) => list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [GeneratedRegex(@"\bwindow\.\w+\s*=[^=]")]
    private static partial Regex GlobalWrite();

    [GeneratedRegex(@"\bmdsl(Pages|Charts|ResultsView|Canvas|Simulation|Models|Results)\b")]
    private static partial Regex FormerGlobal();

    [GeneratedRegex(@"<script\b[^>]*>")]
    private static partial Regex ScriptTag();

    [GeneratedRegex(@"src=""/js/(pages|charts|results-view|publishing)\.js""")]
    private static partial Regex SharedModule();

    [GeneratedRegex(@"^import\s+(?:\{(?<names>[^}]*)\}|\*\s+as\s+(?<all>\w+)|\w+)\s+from\s+'(?<from>[^']+)';", RegexOptions.Multiline)]
    private static partial Regex Import();

    [GeneratedRegex(@"export\s+(?:async\s+)?(?:function|const|let|class)\s+([\w$]+)")]
    private static partial Regex Export();

    [GeneratedRegex(@"export\s+(?:const\s+)?\{([^}]*)\}")]
    private static partial Regex ExportList();

    // Line comments (not the `//` of a URL inside a string) and block comments.
    [GeneratedRegex(@"(?<![:'""\w])//[^\n]*|/\*.*?\*/", RegexOptions.Singleline)]
    private static partial Regex Comment();

    [GeneratedRegex(@"(?<![.\w])fetch\(")]
    private static partial Regex Fetch();
}
