using System.Text.RegularExpressions;
using MarketingDsl.Core.Diagnostics;

namespace MarketingDsl.Core.Tests;

public sealed class DiagnosticCatalogTests
{
    [Fact]
    public void Codes_AreUnique_WellFormed_AndMatchTheirStage()
    {
        var all = DiagnosticCatalog.All;
        Assert.NotEmpty(all);
        var duplicates = all.GroupBy(d => d.Code).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(duplicates.Count == 0, "duplicate codes: " + string.Join(", ", duplicates));
        foreach (var d in all)
        {
            Assert.Matches(new Regex(@"^MD[1-7]\d{3}$"), d.Code);
            var stage = DiagnosticCatalog.StageOf(d.Code);
            Assert.True(DiagnosticCatalog.StageDigits.TryGetValue(stage, out var digit), $"{d.Code}: catalogue stage '{stage}' has no digit");
            Assert.True(d.Code[2] == digit, $"{d.Code} is in the '{stage}' catalogue, whose codes are MD{digit}xxx");
            Assert.False(string.IsNullOrWhiteSpace(d.Title), $"{d.Code} has no title");
        }
    }

    [Fact]
    public void DiagnosticTable_ListsEveryCodeOnce()
    {
        var table = DiagnosticCatalog.DiagnosticTable();
        AssertTableShape(table);
    }

    [Fact]
    public void LanguageMd_WhenPresent_ListsEveryCode()
    {
        var path = Path.Combine(TestPaths.Root, "LANGUAGE.md");
        if (!File.Exists(path)) return; // covered by the generated table's shape (DiagnosticTable_ListsEveryCodeOnce)
        var text = File.ReadAllText(path);
        var missing = DiagnosticCatalog.All.Where(d => !text.Contains(d.Code, StringComparison.Ordinal)).Select(d => d.Code).ToList();
        Assert.True(missing.Count == 0, "LANGUAGE.md does not mention: " + string.Join(", ", missing));
    }

    internal static void AssertTableShape(string table)
    {
        var lines = table.TrimEnd('\n').Split('\n');
        Assert.Equal("| code | severity | title |", lines[0]);
        Assert.Equal("|---|---|---|", lines[1]);
        var rows = lines.Skip(2).ToList();
        Assert.Equal(DiagnosticCatalog.All.Count, rows.Count);
        var row = new Regex(@"^\| (MD[1-7]\d{3}) \| (error|warning|info) \| (.+) \|$");
        var codes = new List<string>();
        foreach (var line in rows)
        {
            var m = row.Match(line);
            Assert.True(m.Success, $"not a table row: {line}");
            codes.Add(m.Groups[1].Value);
        }
        Assert.Equal(DiagnosticCatalog.All.Select(d => d.Code), codes);
        Assert.Equal(codes.Order(StringComparer.Ordinal), codes);
    }
}
