using System.Text.RegularExpressions;
using MarketingDsl.Web.Localization;

namespace MarketingDsl.Web.Tests;

/// <summary>
/// 简体中文 everywhere: every UI text has an English and a Chinese wording, and every key a page
/// script asks for by name exists (a missing key would show the key itself, in both languages).
/// The compiler's messages are kept in both languages by DiagnosticCatalogTests.EveryFactory_SaysItsMessage_InEnglishAndChinese.
/// </summary>
public sealed partial class UiTextTests
{
    // The same in both languages by design: metric abbreviations, the "n / total" separator, and the switch that names the other language.
    private static readonly HashSet<string> SameInBoth = ["models.auc", "models.f1", "models.rmse", "models.mae", "models.r2", "nav.language",
        "editor.data.of"];

    [Fact]
    public void Every_key_has_an_english_and_a_chinese_text()
    {
        Assert.True(UiText.All.Count > 300);
        foreach (var (key, (en, zh)) in UiText.All)
        {
            Assert.False(string.IsNullOrWhiteSpace(en), $"{key}: no English text");
            Assert.False(string.IsNullOrWhiteSpace(zh), $"{key}: no Chinese text");
            if (SameInBoth.Contains(key)) continue;
            Assert.True(zh.Any(c => c is >= '\u4e00' and <= '\u9fff'), $"{key}: the Chinese text has no Chinese: {zh}");
            Assert.NotEqual(en, zh);
        }
    }

    [Fact]
    public void Every_key_a_script_names_exists()
    {
        var scripts = Path.Combine(TestPaths.Root, "src", "MarketingDsl.Web", "wwwroot", "js");
        var missing = new List<string>();
        foreach (var file in Directory.EnumerateFiles(scripts, "*.js", SearchOption.AllDirectories))
            foreach (Match m in ScriptKey().Matches(File.ReadAllText(file)))
                if (!UiText.All.ContainsKey(m.Groups[1].Value)) missing.Add($"{Path.GetRelativePath(scripts, file)}: {m.Groups[1].Value}");
        Assert.True(missing.Count == 0, "keys without a text: " + string.Join(", ", missing));
    }

    [GeneratedRegex(@"\bT\('([a-z0-9_.]+)'\)")]
    private static partial Regex ScriptKey();
}
