namespace MarketingDsl.Core.Syntax;

/// <summary>
/// Children of expression nodes, and an iterative depth check: later stages recurse over
/// expressions, so a tree deeper than they can safely walk is refused here, without recursion.
/// </summary>
public static class ExpressionDepth
{
    public static IEnumerable<ExpressionSyntax> Children(ExpressionSyntax node)
    {
        switch (node)
        {
            case MemberAccessExpressionSyntax m: yield return m.Target; break;
            case CallExpressionSyntax c: foreach (var a in c.Arguments) yield return a.Value; break;
            case MemberCallExpressionSyntax c:
                yield return c.Target;
                foreach (var a in c.Arguments) yield return a.Value;
                break;
            case UnaryExpressionSyntax u: yield return u.Operand; break;
            case BinaryExpressionSyntax b: yield return b.Left; yield return b.Right; break;
            case InExpressionSyntax i: yield return i.Value; yield return i.Collection; break;
            case BetweenExpressionSyntax b: yield return b.Value; yield return b.Low; yield return b.High; break;
            case IsNullExpressionSyntax n: yield return n.Operand; break;
            case ParenthesizedExpressionSyntax p: yield return p.Inner; break;
            case ListExpressionSyntax l: foreach (var item in l.Items) yield return item; break;
            case CaseExpressionSyntax c:
                foreach (var w in c.Whens) { yield return w.Condition; yield return w.Result; }
                if (c.Else is not null) yield return c.Else;
                break;
        }
    }

    public static bool Exceeds(ExpressionSyntax root, int limit)
    {
        var stack = new Stack<(ExpressionSyntax Node, int Depth)>();
        stack.Push((root, 1));
        while (stack.Count > 0)
        {
            var (node, depth) = stack.Pop();
            if (depth > limit) return true;
            foreach (var child in Children(node)) stack.Push((child, depth + 1));
        }
        return false;
    }
}
