using System.Text;
using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Core.Syntax;

namespace MarketingDsl.Core.Tests;

/// <summary>
/// Golden files, Bicep style: every folder of tests/baselines/ holds a workspace (`main.mdsl`
/// and any other `.mdsl`) and the expected `main.syntax` and `main.diagnostics`. Negative cases
/// are named Invalid* and also carry `expect.txt`: the code and span of the first error (or,
/// for a warning case, of the first warning). Regenerate with
/// `MDSL_UPDATE_BASELINES=1 dotnet test tests/MarketingDsl.Core.Tests -c Release --filter Baselines`.
/// </summary>
public sealed class BaselineTests
{
    private static List<string> CaseNames() =>
        [.. Directory.GetDirectories(TestPaths.Baselines).Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal)];

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var name in CaseNames()) data.Add(name);
        return data;
    }

    [Fact]
    public void Baselines_EnoughCases()
    {
        var names = CaseNames();
        Assert.True(names.Count(n => n.StartsWith("Invalid", StringComparison.Ordinal)) >= 45, "at least 45 Invalid* cases");
        Assert.True(names.Count(n => !n.StartsWith("Invalid", StringComparison.Ordinal)) >= 7, "valid cases for every declaration kind");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Baselines(string name)
    {
        var folder = Path.Combine(TestPaths.Baselines, name);
        var files = Directory.GetFiles(folder, "*.mdsl")
            .Order(StringComparer.Ordinal)
            .Select(f => (Path.GetFileName(f), TestPaths.Normalize(File.ReadAllText(f))))
            .ToArray();
        Assert.Contains(files, f => f.Item1 == "main.mdsl");

        var compilation = Compilation.Create(files);
        var main = compilation.SyntaxTrees.Single(t => t.Text.Path == "main.mdsl");
        var actualSyntax = SyntaxPrinter.Print(main);
        var actualDiagnostics = FormatDiagnostics(compilation.Diagnostics);

        var failures = new StringBuilder();
        // Every emitted diagnostic speaks both UI languages: a message only in English means its code has no factory.
        foreach (var d in compilation.Diagnostics.Where(d => d.ChineseMessage?.Any(c => c is >= '\u4e00' and <= '\u9fff') != true))
            failures.Append($"{d.Code} at {d.Start} has no 简体中文 text: {d.Message}\n");
        Compare(folder, "main.syntax", actualSyntax, failures);
        Compare(folder, "main.diagnostics", actualDiagnostics, failures);

        var invalid = name.StartsWith("Invalid", StringComparison.Ordinal);
        if (invalid)
        {
            Assert.NotEmpty(compilation.Diagnostics);
            var first = compilation.Diagnostics.FirstOrDefault(d => d.IsError) ?? compilation.Diagnostics[0];
            var actualExpect = $"{first.Code} {first.Start}-{first.End}";
            if (first.FilePath != "main.mdsl") actualExpect = $"{first.FilePath}:{actualExpect}";
            var expectPath = Path.Combine(folder, "expect.txt");
            Assert.True(File.Exists(expectPath), $"{name}: an Invalid case needs expect.txt with e.g. `MD3001 1:12-1:30` (first error " +
                $"here: {actualExpect}).");
            var expected = File.ReadAllText(expectPath).Trim();
            if (expected != actualExpect)
                failures.Append($"expect.txt: expected first diagnostic `{expected}`, got `{actualExpect}` ({first.Message})\n");
        }
        else
        {
            Assert.True(compilation.Diagnostics.IsEmpty, $"{name} must check clean:\n{actualDiagnostics}");
        }

        if (failures.Length > 0) Assert.Fail($"Baseline {name} differs (regenerate with MDSL_UPDATE_BASELINES=1 and review the diff):\n{failures}");
    }

    /// <summary>LANGUAGE.md carries the generated diagnostic table after its marker.</summary>
    [Fact]
    public void Baselines_DiagnosticTableInLanguageMd()
    {
        var table = DiagnosticCatalog.DiagnosticTable();
        var path = Path.Combine(TestPaths.Root, "LANGUAGE.md");
        Assert.True(File.Exists(path), $"LANGUAGE.md is missing at {path}");
        var text = TestPaths.Normalize(File.ReadAllText(path));
        var at = text.IndexOf(DiagnosticCatalog.TableMarker, StringComparison.Ordinal);
        Assert.True(at >= 0, $"LANGUAGE.md has lost the marker {DiagnosticCatalog.TableMarker} that places the diagnostic table");
        var afterMarker = at + DiagnosticCatalog.TableMarker.Length;
        var rest = text[afterMarker..].TrimStart('\n');
        var existingLength = rest.Split('\n').TakeWhile(l => l.StartsWith('|')).Sum(l => l.Length + 1);
        var existing = rest[..Math.Min(existingLength, rest.Length)];
        if (existing == table) return;
        if (TestPaths.UpdateBaselines)
        {
            File.WriteAllText(path, text[..afterMarker] + "\n" + table + rest[Math.Min(existingLength, rest.Length)..]);
            return;
        }
        Assert.Fail($"LANGUAGE.md: the table after {DiagnosticCatalog.TableMarker} is not DiagnosticCatalog.DiagnosticTable() " +
            $"(regenerate with MDSL_UPDATE_BASELINES=1):\n{Diff(existing, table)}");
    }

    internal static string FormatDiagnostics(IEnumerable<Diagnostic> diagnostics)
    {
        var sb = new StringBuilder();
        foreach (var d in diagnostics)
            sb.Append($"{d.FilePath}:{d.Start}-{d.End}: {d.SeverityText} {d.Code}: {d.Message}\n");
        return sb.ToString();
    }

    private static void Compare(string folder, string fileName, string actual, StringBuilder failures)
    {
        var path = Path.Combine(folder, fileName);
        var expected = File.Exists(path) ? TestPaths.Normalize(File.ReadAllText(path)) : null;
        if (expected == actual) return;
        if (TestPaths.UpdateBaselines)
        {
            File.WriteAllText(path, actual);
            return;
        }
        failures.Append($"--- {fileName} (expected)\n+++ {fileName} (actual)\n");
        failures.Append(expected is null ? "(file missing)\n" : Diff(expected, actual));
    }

    /// <summary>A short line diff: the lines that differ, with their line numbers.</summary>
    internal static string Diff(string expected, string actual)
    {
        var e = expected.Split('\n');
        var a = actual.Split('\n');
        var sb = new StringBuilder();
        var shown = 0;
        for (var i = 0; i < Math.Max(e.Length, a.Length) && shown < 30; i++)
        {
            var el = i < e.Length ? e[i] : null;
            var al = i < a.Length ? a[i] : null;
            if (el == al) continue;
            if (el is not null) sb.Append($"{i + 1,4} - {el}\n");
            if (al is not null) sb.Append($"{i + 1,4} + {al}\n");
            shown++;
        }
        if (shown == 30) sb.Append("     … (more differences)\n");
        return sb.ToString();
    }
}
