using System.Collections;
using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Text;
using MarketingDsl.Core.Text;

namespace MarketingDsl.Core.Syntax;

/// <summary>
/// Prints a syntax tree as readable, deterministic text: one node per line, indented by depth,
/// with its kind (the record name without `Syntax`), its span as line:col-line:col and its
/// scalar properties. Names, labels and durations print inline as `Name=high_value@1:5-1:15`.
/// Used by the golden baselines (`main.syntax`) and handy in the web editor's debug view.
/// Properties are taken from each record's primary constructor, in declaration order, so a new
/// node kind prints without changes here.
/// </summary>
public static class SyntaxPrinter
{
    private static readonly ConcurrentDictionary<Type, PropertyInfo[]> s_properties = new();

    public static string Print(SyntaxTree tree)
    {
        var sb = new StringBuilder();
        Print(sb, tree.Text, tree.Root, 0, null);
        return sb.ToString();
    }

    public static string Print(SyntaxNode node, SourceText text)
    {
        var sb = new StringBuilder();
        Print(sb, text, node, 0, null);
        return sb.ToString();
    }

    private static void Print(StringBuilder sb, SourceText text, SyntaxNode node, int indent, string? role)
    {
        sb.Append(' ', indent * 2);
        if (role is not null) sb.Append(role).Append(": ");
        sb.Append(Kind(node.GetType())).Append(' ').Append(Span(text, node.Span));

        var children = new List<(string Role, object Value)>();
        foreach (var property in PropertiesOf(node.GetType()))
        {
            var value = property.GetValue(node);
            switch (value)
            {
                case null:
                    continue;
                case IdentifierSyntax or LabelSyntax or DurationSyntax:
                    sb.Append(' ').Append(property.Name).Append('=').Append(Inline(text, (SyntaxNode)value));
                    break;
                case SyntaxNode child:
                    children.Add((property.Name, child));
                    break;
                case IEnumerable list and not string:
                    var items = list.Cast<object>().ToList();
                    if (items.All(i => i is IdentifierSyntax))
                        sb.Append(' ').Append(property.Name).Append("=[").Append(string.Join(", ",
                            items.Select(i => Inline(text, (SyntaxNode)i)))).Append(']');
                    else
                        children.Add((property.Name, items));
                    break;
                case TextSpan span:
                    sb.Append(' ').Append(property.Name).Append('=').Append(Span(text, span));
                    break;
                default:
                    sb.Append(' ').Append(property.Name).Append('=').Append(Scalar(value));
                    break;
            }
        }
        if (node is DeclarationSyntax { Documentation: { } doc }) sb.Append(" Documentation=").Append(Quote(doc));
        sb.Append('\n');

        foreach (var (childRole, value) in children)
        {
            if (value is SyntaxNode child)
            {
                Print(sb, text, child, indent + 1, childRole);
                continue;
            }
            var items = (List<object>)value;
            sb.Append(' ', (indent + 1) * 2).Append(childRole).Append(": [").Append(items.Count).Append("]\n");
            foreach (var item in items)
                if (item is SyntaxNode n) Print(sb, text, n, indent + 2, null);
        }
    }

    private static PropertyInfo[] PropertiesOf(Type type) => s_properties.GetOrAdd(type, t =>
    {
        // The primary constructor is the one with the most parameters; its order is the record's.
        var ctor = t.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
        return [.. ctor.GetParameters()
            .Where(p => p.Name != "Span")
            .Select(p => t.GetProperty(p.Name!, BindingFlags.Public | BindingFlags.Instance))
            .OfType<PropertyInfo>()];
    });

    private static string Kind(Type type) => type.Name.EndsWith("Syntax", StringComparison.Ordinal) ? type.Name[..^"Syntax".Length] : type.Name;

    private static string Inline(SourceText text, SyntaxNode node) => node switch
    {
        IdentifierSyntax id => (id.IsMissing ? "<missing>" : id.Text) + "@" + Span(text, id.Span),
        LabelSyntax label => Quote(label.Text) + "@" + Span(text, label.Span),
        DurationSyntax d => Quote(d.Text) + "(" + d.Ticks.ToString(CultureInfo.InvariantCulture) + " ticks)@" + Span(text, d.Span),
        _ => Kind(node.GetType()),
    };

    private static string Span(SourceText text, TextSpan span) => $"{text.GetPosition(span.Start)}-{text.GetPosition(span.End)}";

    private static string Scalar(object value) => value switch
    {
        string s => Quote(s),
        bool b => b ? "true" : "false",
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateTime t => t.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string Quote(string s)
    {
        var sb = new StringBuilder(s.Length + 2).Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (char.IsControl(c)) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }
}
