using System.Collections.Frozen;
using MarketingDsl.Core.Syntax;
using MarketingDsl.Core.Text;

namespace MarketingDsl.Core.Semantics;

/// <summary>
/// A key per computed symbol (tag, segment, segmentation) that changes exactly when its values
/// can: a <see cref="ContentHasher"/> hash of its kind, its declaration's text, the schema and
/// settings declarations (fields, ordinals, time zone), and the keys of what its bound body reads —
/// other symbols, models (their declaration and the keys of what their features read) and custom
/// functions (their file). Positions are not part of it: a declaration moved by an edit above it
/// keeps its key. The compiled engine's incremental evaluation keeps evaluated columns by it.
/// </summary>
public sealed class DeclarationKeys
{
    private readonly FrozenDictionary<ComputedSymbol, string> _keys;

    private DeclarationKeys(FrozenDictionary<ComputedSymbol, string> keys) => _keys = keys;

    /// <summary>The symbol's key (a symbol of another compilation has none).</summary>
    public string this[ComputedSymbol symbol] => _keys[symbol];

    public bool TryGet(ComputedSymbol symbol, out string key) => _keys.TryGetValue(symbol, out key!);

    internal static DeclarationKeys Of(IEnumerable<SyntaxTree> trees, SemanticModel model)
    {
        using var hasher = new ContentHasher();
        // What every body is bound against: the schema (field types and ordinals) and the settings (time zone).
        foreach (var tree in trees)
        foreach (var declaration in tree.Root.Declarations)
            if (declaration is SchemaDeclarationSyntax or SettingsDeclarationSyntax)
                hasher.Add(tree.Text.Path).Add(tree.Text.ToString(declaration.Span));
        var environment = hasher.Finish();

        var keys = new Dictionary<ComputedSymbol, string>(ReferenceEqualityComparer.Instance);
        var models = new Dictionary<ModelSymbol, string>(ReferenceEqualityComparer.Instance);
        // Dependencies come first in the evaluation order, and what a model's features read comes
        // before any symbol reading the model (a lower phase), so every key read is already known.
        string KeyOf(ComputedSymbol s) => keys.TryGetValue(s, out var k) ? k : "?" + s.Name;
        string ModelKey(ModelSymbol m)
        {
            if (models.TryGetValue(m, out var known)) return known;
            hasher.Add("model").Add(m.DeclarationText).Add(environment);
            foreach (var node in m.Features.SelectMany(BoundTree.Descendants))
                if (node is BoundSymbolReference r) hasher.Add(KeyOf(r.Symbol));
            return models[m] = hasher.Finish();
        }
        foreach (var symbol in model.EvaluationOrder.Concat(model.Outputs))
        {
            if (keys.ContainsKey(symbol)) continue;
            var reads = new List<string>();
            foreach (var node in BoundTree.RootsOf(symbol).SelectMany(BoundTree.Descendants))
            {
                switch (node)
                {
                    case BoundSymbolReference r: reads.Add(KeyOf(r.Symbol)); break;
                    case BoundModelOutput o: reads.Add(ModelKey(o.Model)); break;
                    case BoundCustomCall c: reads.Add(c.Function.File.Path + "\n" + c.Function.File.Text); break;
                }
            }
            hasher.Add(symbol.Kind.ToString()).Add(DeclarationText(symbol)).Add(environment);
            foreach (var read in reads) hasher.Add(read);
            keys[symbol] = hasher.Finish();
        }
        return new DeclarationKeys(keys.ToFrozenDictionary(ReferenceEqualityComparer.Instance));
    }

    private static string DeclarationText(ComputedSymbol symbol) =>
        symbol.Syntax is { } syntax && symbol.Location is { } at ? at.File.ToString(syntax.Span) : symbol.Name;
}
