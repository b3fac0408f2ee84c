namespace MarketingDsl.Core.Semantics;

/// <summary>Walks bound expressions (iteratively: trees may be up to SyntaxTree.MaxExpressionDepth deep).</summary>
public static class BoundTree
{
    public static IEnumerable<BoundExpression> Children(BoundExpression node)
    {
        switch (node)
        {
            case BoundConversion c: yield return c.Operand; break;
            case BoundUnary u: yield return u.Operand; break;
            case BoundBinary b: yield return b.Left; yield return b.Right; break;
            case BoundIn i: yield return i.Value; yield return i.List; break;
            case BoundBetween b: yield return b.Value; yield return b.Low; yield return b.High; break;
            case BoundIsNull n: yield return n.Operand; break;
            case BoundList l: foreach (var item in l.Items) yield return item; break;
            case BoundCase c:
                foreach (var (condition, result) in c.Whens) { yield return condition; yield return result; }
                if (c.Else is not null) yield return c.Else;
                break;
            case BoundCall c: foreach (var a in c.Arguments) yield return a; break;
            case BoundCustomCall c: foreach (var a in c.Arguments) yield return a; break;
            case BoundAggregate a: if (a.Where is not null) yield return a.Where; break;
            case BoundQuantileScore q: yield return q.Value; break;
            case BoundModelOutput { Item: { } item, Count: { } count }: yield return item; yield return count; break;
        }
    }

    /// <summary>
    /// The bound expressions a computed symbol's values come from: a tag's body, a segment's
    /// condition, a segmentation's rule conditions.
    /// </summary>
    public static IEnumerable<BoundExpression> RootsOf(ComputedSymbol symbol) => symbol switch
    {
        TagSymbol t => [t.Body],
        SegmentSymbol s => [s.Condition],
        SegmentationSymbol s => s.Rules.Where(r => r.Condition is not null).Select(r => r.Condition!),
        _ => [],
    };

    /// <summary>The node and everything below it, parents before children.</summary>
    public static IEnumerable<BoundExpression> Descendants(BoundExpression root)
    {
        var stack = new Stack<BoundExpression>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            yield return node;
            foreach (var child in Children(node).Reverse()) stack.Push(child);
        }
    }

    /// <summary>
    /// The earliest phase in which an expression can be evaluated: after every symbol it reads,
    /// and after the population pass of every `quantile_score` inside it.
    /// </summary>
    /// <summary>The phase in which every feature of a model is known (its scores are ready in the next one).</summary>
    /// A model whose features read the model itself (an error, MD4068) counts as phase 0 inside itself.
    public static int FeaturePhase(ModelSymbol model)
    {
        s_visiting ??= [];
        if (!s_visiting.Add(model)) return 0;
        try { return model.Features.Select(PhaseOf).DefaultIfEmpty(0).Max(); }
        finally { s_visiting.Remove(model); }
    }

    [ThreadStatic] private static HashSet<ModelSymbol>? s_visiting;

    public static int PhaseOf(BoundExpression e)
    {
        var phase = 0;
        foreach (var node in Descendants(e))
        {
            if (node is BoundSymbolReference r) phase = Math.Max(phase, r.Symbol.Phase);
            if (node is BoundQuantileScore q && !ReferenceEquals(q, e)) phase = Math.Max(phase, 1 + PhaseOf(q.Value));
            // A recommendation is computed from the user's events in the reading phase; no scoring pass first.
            if (node is BoundModelOutput { IsRecommendation: false } m) phase = Math.Max(phase, 1 + FeaturePhase(m.Model));
        }
        return phase;
    }
}
