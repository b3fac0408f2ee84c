using System.Reflection;

namespace MarketingDsl.Core.Diagnostics;

/// <summary>
/// Every diagnostic descriptor of every stage, found by reflection over the per-stage catalogues
/// (<c>SyntaxErrors</c>, <c>NameErrors</c>, …). Tests use it to keep codes unique and documented.
/// </summary>
public static class DiagnosticCatalog
{
    private static readonly Lazy<IReadOnlyList<DiagnosticDescriptor>> s_all = new(() =>
        typeof(DiagnosticCatalog).Assembly.GetTypes()
            .Where(t => t.GetCustomAttribute<DiagnosticCatalogueAttribute>() is not null)
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static))
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
            .OrderBy(d => d.Code, StringComparer.Ordinal)
            .ToList());

    public static IReadOnlyList<DiagnosticDescriptor> All => s_all.Value;

    public static DiagnosticDescriptor? Find(string code) => All.FirstOrDefault(d => d.Code == code);
}

/// <summary>Marks a static class that defines the diagnostics of one stage.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class DiagnosticCatalogueAttribute(string stage) : Attribute
{
    public string Stage { get; } = stage;
}
