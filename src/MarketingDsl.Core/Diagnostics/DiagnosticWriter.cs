using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using MarketingDsl.Core.Text;

namespace MarketingDsl.Core.Diagnostics;

/// <summary>Prints diagnostics as text (with the source line and a caret), JSON or SARIF 2.1.0.</summary>
public static class DiagnosticWriter
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string ToText(IEnumerable<Diagnostic> diagnostics, IReadOnlyList<SourceText> files)
    {
        var byPath = files.ToDictionary(f => f.Path, StringComparer.Ordinal);
        var sb = new StringBuilder();
        foreach (var d in diagnostics)
        {
            sb.Append(d.ToString()).Append('\n');
            if (!byPath.TryGetValue(d.FilePath, out var file)) continue;
            var line = file.GetLineText(d.Start.Line);
            if (line.Length > 200) continue;
            sb.Append("  ").Append(line.Replace('\t', ' ')).Append('\n');
            var width = d.End.Line == d.Start.Line ? Math.Max(1, d.End.Column - d.Start.Column) : Math.Max(1, line.Length - d.Start.Column + 1);
            sb.Append("  ").Append(' ', Math.Max(0, d.Start.Column - 1)).Append('^').Append('~', Math.Max(0, width - 1)).Append('\n');
        }
        return sb.ToString();
    }

    public static string ToJson(IEnumerable<Diagnostic> diagnostics) =>
        JsonSerializer.Serialize(diagnostics.Select(d => new
        {
            code = d.Code,
            severity = d.SeverityText,
            file = d.FilePath,
            start = new { line = d.Start.Line, column = d.Start.Column },
            end = new { line = d.End.Line, column = d.End.Column },
            message = d.Message,
            suggestion = d.Suggestion,
        }), Json);

    public static string ToSarif(IEnumerable<Diagnostic> diagnostics)
    {
        var list = diagnostics.ToList();
        var sarif = new Dictionary<string, object>
        {
            ["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json",
            ["version"] = "2.1.0",
            ["runs"] = new[]
            {
                new
                {
                    tool = new
                    {
                        driver = new
                        {
                            name = "mdsl",
                            rules = DiagnosticCatalog.All.Where(r => list.Any(d => d.Code == r.Code)).Select(r =>
                                new { id = r.Code, shortDescription = new { text = r.Title } }),
                        },
                    },
                    results = list.Select(d => new
                    {
                        ruleId = d.Code,
                        level = d.Severity switch { DiagnosticSeverity.Error => "error", DiagnosticSeverity.Warning => "warning", _ => "note" },
                        message = new { text = d.Message },
                        locations = new[]
                        {
                            new
                            {
                                physicalLocation = new
                                {
                                    artifactLocation = new { uri = d.FilePath },
                                    region = new { startLine = d.Start.Line, startColumn = d.Start.Column, endLine = d.End.Line,
                                        endColumn = d.End.Column },
                                },
                            },
                        },
                    }),
                },
            },
        };
        return JsonSerializer.Serialize(sarif, Json);
    }
}
