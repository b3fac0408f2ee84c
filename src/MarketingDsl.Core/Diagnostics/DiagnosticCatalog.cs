using System.Reflection;
using System.Text;

namespace MarketingDsl.Core.Diagnostics;

/// <summary>
/// Every diagnostic descriptor of every stage, found by reflection over the per-stage catalogues
/// (<c>SyntaxErrors</c>, <c>NameErrors</c>, …), public or private (a code whose only way in is its
/// factory method keeps its descriptor private; see <see cref="DiagnosticMessage"/>). Tests use it
/// to keep codes unique and documented.
/// </summary>
public static class DiagnosticCatalog
{
    private static readonly Lazy<IReadOnlyList<DiagnosticDescriptor>> s_all = new(() =>
        typeof(DiagnosticCatalog).Assembly.GetTypes()
            .Where(t => t.GetCustomAttribute<DiagnosticCatalogueAttribute>() is not null)
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static))
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
            .OrderBy(d => d.Code, StringComparer.Ordinal)
            .ToList());

    private static readonly Lazy<IReadOnlyDictionary<string, string>> s_stages = new(() =>
        typeof(DiagnosticCatalog).Assembly.GetTypes()
            .Where(t => t.GetCustomAttribute<DiagnosticCatalogueAttribute>() is not null)
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
                .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
                .Select(f => (Code: ((DiagnosticDescriptor)f.GetValue(null)!).Code, t.GetCustomAttribute<DiagnosticCatalogueAttribute>()!.Stage)))
            .GroupBy(e => e.Code, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First().Stage, StringComparer.Ordinal));

    public static IReadOnlyList<DiagnosticDescriptor> All => s_all.Value;

    /// <summary>The stage of the catalogue that defines the code (<c>syntax</c>, <c>names</c>, …).</summary>
    public static string StageOf(string code) => s_stages.Value.TryGetValue(code, out var stage) ? stage : "";

    /// <summary>The first digit every code of a stage starts with (MD<b>1</b>xxx for syntax …).</summary>
    public static readonly IReadOnlyDictionary<string, char> StageDigits = new Dictionary<string, char>(StringComparer.Ordinal)
    {
        ["syntax"] = '1', ["names"] = '2', ["types"] = '3', ["rules"] = '4', ["usage"] = '5', ["engine"] = '6', ["functions"] = '7',
            ["targets"] = '8', ["data"] = '9',
    };

    /// <summary>Marks where <c>LANGUAGE.md</c> holds the generated table of diagnostics.</summary>
    public const string TableMarker = "<!-- diagnostic-table -->";

    /// <summary>
    /// The markdown table of every diagnostic (code | severity | title), in code order. LANGUAGE.md
    /// carries it right after <see cref="TableMarker"/>; a test keeps the two equal.
    /// </summary>
    public static string DiagnosticTable()
    {
        var sb = new StringBuilder();
        sb.Append("| code | severity | title |\n");
        sb.Append("|---|---|---|\n");
        foreach (var d in All)
        {
            var severity = d.Severity switch { DiagnosticSeverity.Error => "error", DiagnosticSeverity.Warning => "warning", _ => "info" };
            sb.Append("| ").Append(d.Code).Append(" | ").Append(severity).Append(" | ").Append(d.Title.Replace("|", "\\|")).Append(" |\n");
        }
        return sb.ToString();
    }

    public static DiagnosticDescriptor? Find(string code) => All.FirstOrDefault(d => d.Code == code);
}

/// <summary>Marks a static class that defines the diagnostics of one stage.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class DiagnosticCatalogueAttribute(string stage) : Attribute
{
    public string Stage { get; } = stage;
}
