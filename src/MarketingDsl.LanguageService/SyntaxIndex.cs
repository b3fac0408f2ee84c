using System.Collections;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Reflection;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Core.Syntax;

namespace MarketingDsl.LanguageService;

/// <summary>
/// Parents of every syntax node of one file and the referenced names in it. The semantic
/// model's <see cref="SemanticModel.References"/> spans all files; this says which file a
/// reference is in and what encloses a node (for the scope of `where:`).
/// </summary>
internal sealed class SyntaxIndex
{
    private static readonly ConcurrentDictionary<Type, Func<SyntaxNode, IEnumerable<SyntaxNode>>> ChildGetters = new();

    private readonly Dictionary<SyntaxNode, SyntaxNode?> _parents = new(ReferenceEqualityComparer.Instance);

    public SyntaxIndex(SyntaxTree tree, SemanticModel model)
    {
        Tree = tree;
        var stack = new Stack<(SyntaxNode Node, SyntaxNode? Parent)>();
        stack.Push((tree.Root, null));
        var references = new List<(IdentifierSyntax, Symbol)>();
        while (stack.Count > 0)
        {
            var (node, parent) = stack.Pop();
            _parents[node] = parent;
            if (node is IdentifierSyntax id && model.References.TryGetValue(id, out var symbol)) references.Add((id, symbol));
            foreach (var child in Children(node)) stack.Push((child, node));
        }
        References = [.. references.OrderBy(r => r.Item1.Span.Start)];
    }

    public SyntaxTree Tree { get; }

    /// <summary>The names of this file that the binder resolved, in source order.</summary>
    public ImmutableArray<(IdentifierSyntax Name, Symbol Symbol)> References { get; }

    public bool Contains(SyntaxNode node) => _parents.ContainsKey(node);

    public SyntaxNode? Parent(SyntaxNode node) => _parents.TryGetValue(node, out var p) ? p : null;

    public IEnumerable<SyntaxNode> Ancestors(SyntaxNode node)
    {
        for (var p = Parent(node); p is not null; p = Parent(p)) yield return p;
    }

    public IEnumerable<SyntaxNode> Nodes => _parents.Keys;

    /// <summary>The identifier nodes whose span is exactly this one.</summary>
    public IEnumerable<IdentifierSyntax> IdentifiersAt(int start, int end) =>
        _parents.Keys.OfType<IdentifierSyntax>().Where(i => i.Span.Start == start && i.Span.End == end);

    /// <summary>Direct children of a node: its properties that are nodes or arrays of nodes (records keep them public).</summary>
    public static IEnumerable<SyntaxNode> Children(SyntaxNode node) => ChildGetters.GetOrAdd(node.GetType(), BuildGetter)(node);

    private static Func<SyntaxNode, IEnumerable<SyntaxNode>> BuildGetter(Type type)
    {
        var getters = new List<Func<object, IEnumerable<SyntaxNode>>>();
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0) continue;
            var t = property.PropertyType;
            if (typeof(SyntaxNode).IsAssignableFrom(t))
            {
                getters.Add(o => property.GetValue(o) is SyntaxNode child ? [child] : []);
            }
            else if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(ImmutableArray<>)
                && typeof(SyntaxNode).IsAssignableFrom(t.GetGenericArguments()[0]))
            {
                var isDefault = t.GetProperty(nameof(ImmutableArray<int>.IsDefault))!;
                getters.Add(o =>
                {
                    var value = property.GetValue(o);
                    if (value is null || (bool)isDefault.GetValue(value)!) return [];
                    return ((IEnumerable)value).Cast<SyntaxNode>();
                });
            }
        }
        return node => getters.SelectMany(g => g(node));
    }
}
