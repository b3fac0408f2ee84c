using System.Collections.Immutable;
using MarketingDsl.Core.Binding;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Core.Syntax;
using MarketingDsl.Core.Syntax.Generated;
using MarketingDsl.Core.Text;
using L = MarketingDsl.Core.Syntax.Generated.MarketingDslLexer;

namespace MarketingDsl.LanguageService;

/// <summary>
/// Completion and signature help. The text being typed is usually not valid yet, so the context
/// is read from the tokens before the cursor (the compiler's own tokens) rather than the tree;
/// what is offered comes from the semantic model (names in scope, the schema, Builtins).
/// </summary>
public sealed partial class LanguageService
{
    /// <summary>Every keyword of the lexer (the names a declaration may not take).</summary>
    public static readonly ImmutableHashSet<string> Keywords = Enumerable.Range(1, 256)
        .Select(t => L.DefaultVocabulary.GetLiteralName(t)?.Trim('\''))
        .Where(n => n is not null && IsIdentifier(n))
        .Select(n => n!)
        .ToImmutableHashSet(StringComparer.Ordinal);

    private static readonly string[] DeclarationKeywords = ["tag", "segment", "segmentation", "model", "clusters", "channel", "journey", "test",
        "schema", "settings"];
    private static readonly string[] OperandKeywords = ["not", "case", "true", "false", "null"];
    private static readonly string[] OperatorKeywords = ["and", "or", "in", "not", "between", "is", "when", "then", "else", "end"];
    private static readonly int[] OperandEnd = [L.IDENTIFIER, L.INT, L.DECIMAL, L.STRING, L.RPAREN, L.RBRACK, L.TRUE, L.FALSE, L.NULL, L.DURATION,
        L.DATE, L.DATETIME, L.PERCENT, L.END];

    /// <param name="values">A loaded data set's values: inside a string literal compared with a field, they are offered
    /// (LanguageService.Data.cs).</param>
    public CompletionList Complete(string path, int line, int column, DataAware.DataValueIndex? values = null)
    {
        var tree = TreeOf(path);
        if (tree is null) return new CompletionList(new EditorRange(line, column, line, column), []);
        var offset = tree.Text.GetOffset(new LinePosition(line, column));
        var before = new List<SyntaxToken>();
        foreach (var token in tree.Tokens)
        {
            if (token.Span.Start >= offset) break;
            if (token.Span.End > offset || (token.IsComment && token.Span.End == offset && token.Type != L.BLOCK_COMMENT))
            {
                // Inside a comment: nothing to complete; inside a text in quotes: the data's values, if any.
                if (token.Type is L.STRING or L.UNTERMINATED_STRING && values is not null
                    && ValueCompletions(tree, before, token, offset, values) is { } inString)
                    return inString;
                if (token.IsComment || token.Type is L.STRING or L.UNTERMINATED_STRING) return new CompletionList(new EditorRange(line, column, line,
                    column), []);
                break;
            }
            if (token.Type == L.UNTERMINATED_STRING && token.Span.End == offset)
                return values is not null && ValueCompletions(tree, before, token, offset,
                    values) is { } open ? open : new CompletionList(new EditorRange(line, column, line, column), []);
            if (!token.IsComment) before.Add(token);
        }
        var range = new EditorRange(line, column, line, column);
        var wordStart = offset;
        if (before.Count > 0 && before[^1].Span.End == offset && IsIdentifier(before[^1].Text))
        {
            wordStart = before[^1].Span.Start;
            range = RangeOf(tree.Text, before[^1].Span);
            before.RemoveAt(before.Count - 1);
        }
        var items = CompletionsFor(tree, before, wordStart).GroupBy(i => (i.Label, i.Kind)).Select(g => g.First());
        return new CompletionList(range, [.. items]);
    }

    private IEnumerable<CompletionItem> CompletionsFor(SyntaxTree tree, List<SyntaxToken> before, int wordStart)
    {
        var schema = Compilation.Model.Schema;
        var prev = before.Count > 0 ? before[^1] : default;
        var prev2 = before.Count > 1 ? before[^2] : default;
        var hasPrev = before.Count > 0;

        // `order.` → the fields of order (in an aggregate's stream, those it takes: none for count,
        // numbers for sum); `churn_risk.` → the model's outputs.
        if (hasPrev && prev.Type == L.DOT)
        {
            if (schema.FindEvent(prev2.Text) is { } ev)
                return OpenCall(before) is { ArgumentIndex: 0, Current.Count: 2 } stream && Builtins.Find(stream.Function) is { IsAggregate: true }
                    ? ev.Fields.Where(f => Builtins.AggregateTakesField(stream.Function, f.Type)).Select(FieldItem(ev))
                    : ev.Fields.Select(FieldItem(ev));
            var model = Compilation.Model.Models.FirstOrDefault(m => m.Name == prev2.Text);
            if (model is not null)
                return model.IsClusters
                    ? [new CompletionItem("cluster", CompletionKind.ModelOutput, "cluster", "int"),
                        new CompletionItem("distance", CompletionKind.ModelOutput, "distance", "decimal")]
                    : model.IsRegression
                    ? [new CompletionItem("value", CompletionKind.ModelOutput, "value", "decimal"),
                        new CompletionItem("percentile", CompletionKind.ModelOutput, "percentile", "int")]
                    : [new CompletionItem("probability", CompletionKind.ModelOutput, "probability", "decimal"),
                        new CompletionItem("predicted", CompletionKind.ModelOutput, "predicted", "bool"),
                       new CompletionItem("percentile", CompletionKind.ModelOutput, "percentile", "int")];
            return [];
        }
        if (hasPrev && prev.Type == L.SEND) return Channels();
        if (hasPrev && prev.Type == L.UNTIL) return Events();
        if (hasPrev && prev.Type == L.COLON && prev2.Type == L.TRIGGER)
            return [.. Events(), Keyword("every"), Keyword("enters segment", "enters segment "), Keyword("leaves segment", "leaves segment ")];
        if (hasPrev && prev.Type == L.COLON && prev2.Type == L.GOAL) return Events();
        if (hasPrev && prev.Type == L.SEGMENT && prev2.Type is L.ENTERS or L.LEAVES) return Segments();
        if (hasPrev && prev.Type == L.COLON && prev2.Type == L.REENTRY) return [Keyword("once"), Keyword("once per", "once per "), Keyword("always")];
        if (hasPrev && prev.Type == L.EVERY) return [Keyword("day"),
            .. new[] { "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday" }.Select(d => Keyword(d))];

        // Inside a call's parentheses.
        if (OpenCall(before) is { } call)
        {
            var (function, argumentIndex, current, whereEvent) = call;
            var info = Builtins.Find(function);
            if (current.Count >= 2 && current[0].Type == L.WHERE && current[1].Type == L.COLON)
                return schema.FindEvent(whereEvent ?? "") is { } ev ? WhereItems(ev, current.Skip(2).ToList()) : [];
            if (current.Count >= 2 && current[0].Type == L.WITHIN && current[1].Type == L.COLON) return [];
            if (info is { IsAggregate: true })
            {
                var positional = function == "top" ? 2 : 1;
                if (argumentIndex == 0 && current.Count == 0) return Events();
                if (argumentIndex >= positional && current.Count == 0) return NamedArguments();
                if (argumentIndex == 0) return [];
            }
            if (function == "quantile_score" && argumentIndex == 2 && current.Count == 0)
                return [Keyword("descending")];
            return ExpressionItems(current.Count > 0 ? current[^1] : (SyntaxToken?)null, null);
        }

        // `trigger: cart_add where …`, `goal: order where …`, `wait 1d until order where …`
        if (OpenWhere(before) is { } whereIndex)
        {
            var eventToken = before[whereIndex - 1];
            if (schema.FindEvent(eventToken.Text) is { } ev) return WhereItems(ev, before.Skip(whereIndex + 1).ToList());
        }

        // At the start of a statement: the keywords of the enclosing block.
        var block = EnclosingBlock(before);
        var atStatementStart = !hasPrev || prev.Type is L.LBRACE or L.RBRACE || (OnEarlierLine(tree, prev, wordStart) && EndsStatement(prev));
        if (atStatementStart)
        {
            switch (block)
            {
                case null: return DeclarationKeywords.Select(k => Keyword(k, k + " "));
                case L.JOURNEY: return new[] { "trigger", "audience", "reentry", "goal",
                    "holdout" }.Select(p => Keyword(p + ":", p + ": ")).Append(Keyword("steps", "steps {\n\t$0\n}", snippet: true));
                case L.STEPS or L.IF or L.ELSE or L.PERCENT: return StepKeywords();
                case L.SPLIT: return [Keyword("50%: ", "50%: ")];
                case L.TEST: return [Keyword("given profile", "given profile { $0 }", snippet: true),
                    .. schema.Events.Select(e => Keyword($"given {e.Name}", $"given {e.Name} {{ $0 }}", snippet: true)), Keyword("as of", "as of "),
                    Keyword("expect", "expect ")];
                case L.SCHEMA: return [Keyword("profile", "profile {\n\t$0\n}", snippet: true), Keyword("identity", "identity { $0 }", snippet: true),
                    Keyword("event", "event ")];
                case L.MODEL or L.CLUSTERS: return [Keyword("predict:", "predict: "), Keyword("features:", "features: "),
                    Keyword("algorithm:", "algorithm: "), Keyword("k:", "k: "), Keyword("seed:", "seed: "),
                    Keyword("horizon:", "horizon: "), Keyword("scale:", "scale: standard"), Keyword("min_labels:", "min_labels: ")];
                case L.CHANNEL: return [Keyword("cost:", "cost: "), Keyword("cap:", "cap: "), Keyword("quiet:", "quiet: ")];
                case L.SETTINGS: return [Keyword("timezone:", "timezone: ")];
                case L.PROFILE or L.EVENT or L.IDENTITY or L.SEGMENTATION or L.GIVEN: return [];
            }
        }
        if (block is L.PROFILE or L.EVENT && hasPrev && prev.Type == L.COLON)
            return DslType.ScalarTypeNames.Append("list").Select(t => new CompletionItem(t, CompletionKind.Type, t));
        if (block is L.STEPS or L.IF or L.ELSE or L.PERCENT && hasPrev && prev.Type == L.SEND) return Channels();
        return ExpressionItems(hasPrev ? prev : null, null);
    }

    private IEnumerable<CompletionItem> StepKeywords() =>
    [
        Keyword("wait", "wait "), Keyword("wait … until", "wait ${1:1d} until ${2:order}", snippet: true), Keyword("send", "send "),
        Keyword("if", "if $1 {\n\t$0\n}", snippet: true), Keyword("split", "split \"$1\" {\n\t50%: $0\n}", snippet: true), Keyword("exit"),
    ];

    /// <summary>Inside `where:` only the event's own fields, scalar functions and operators can be used.</summary>
    private IEnumerable<CompletionItem> WhereItems(EventTypeSymbol ev, List<SyntaxToken> current)
    {
        SyntaxToken? last = current.Count > 0 ? current[^1] : null;
        if (last is { } t && OperandEnd.Contains(t.Type)) return OperatorKeywords.Select(k => Keyword(k));
        return ev.Fields.Select(FieldItem(ev))
            .Concat(Builtins.All.Where(f => !f.IsAggregate && !f.IsPopulation).Select(FunctionItem))
            .Concat(OperandKeywords.Select(k => Keyword(k)));
    }

    private IEnumerable<CompletionItem> ExpressionItems(SyntaxToken? last, object? _)
    {
        if (last is { } t && OperandEnd.Contains(t.Type)) return OperatorKeywords.Select(k => Keyword(k));
        var model = Compilation.Model;
        var items = new List<CompletionItem>();
        items.AddRange(model.Tags.Select(s => SymbolItem(s, CompletionKind.Tag)));
        items.AddRange(model.Segments.Select(s => SymbolItem(s, CompletionKind.Segment)));
        items.AddRange(model.Segmentations.Select(s => SymbolItem(s, CompletionKind.Segmentation)));
        items.AddRange(model.Schema.ProfileFields.Select(f => new CompletionItem(f.Name, CompletionKind.ProfileField, f.Name,
            $"profile field: {f.Type.DisplayName}")));
        items.AddRange(model.Models.Select(m => new CompletionItem(m.Name, CompletionKind.Model, m.Name, m.IsClusters ? "clusters" : "model",
            m.Documentation)));
        items.AddRange(Builtins.All.Select(FunctionItem));
        items.AddRange(OperandKeywords.Select(k => Keyword(k)));
        return items;
    }

    private static CompletionItem SymbolItem(ComputedSymbol s, CompletionKind kind) =>
        new(s.Name, kind, s.Name, $"{KindName(s.Kind)}{(s.Label is null ? "" : $" \"{s.Label}\"")}: {s.Type.DisplayName}", s.Documentation);

    private static Func<FieldSymbol, CompletionItem> FieldItem(EventTypeSymbol ev) =>
        f => new CompletionItem(f.Name, CompletionKind.EventField, f.Name, $"{ev.Name}.{f.Name}: {f.Type.DisplayName}");

    private static CompletionItem FunctionItem(Builtins.FunctionInfo f) =>
        new(f.Name, CompletionKind.Function, f.Name == "now" ? "now()" : f.Name + "($0)", $"{f.Signature}: {f.Returns}", f.Summary,
            IsSnippet: f.Name != "now");

    private static IEnumerable<CompletionItem> NamedArguments() =>
    [
        new("where:", CompletionKind.NamedArgument, "where: ", "where: predicate",
            "Only the events for which the condition holds; inside it, the event's own fields."),
        new("within:", CompletionKind.NamedArgument, "within: ", "within: duration",
            "Only the events of the last duration before T, e.g. within: 30d."),
    ];

    private IEnumerable<CompletionItem> Events() =>
        Compilation.Model.Schema.Events.Select(e => new CompletionItem(e.Name, CompletionKind.EventType, e.Name,
            $"event {{ {string.Join(", ", e.Fields.Skip(2).Select(f => f.Name))} }}"));

    private IEnumerable<CompletionItem> Channels() =>
        Compilation.Model.Channels.Select(c => new CompletionItem(c.Name, CompletionKind.Channel, c.Name,
            $"channel{(c.Label is null ? "" : $" \"{c.Label}\"")}: cost {c.Cost}", c.Documentation));

    private IEnumerable<CompletionItem> Segments() =>
        Compilation.Model.Segments.Select(s => SymbolItem(s, CompletionKind.Segment));

    private static CompletionItem Keyword(string label, string? insert = null, bool snippet = false) =>
        new(label, CompletionKind.Keyword, insert ?? label, "keyword", IsSnippet: snippet);

    private static bool OnEarlierLine(SyntaxTree tree, SyntaxToken token, int offset) =>
        tree.Text.GetPosition(token.Span.End).Line < tree.Text.GetPosition(offset).Line;

    /// <summary>Whether a statement can end after this token (so a new line starts a new one, not a continuation).</summary>
    private static bool EndsStatement(SyntaxToken token) =>
        OperandEnd.Contains(token.Type) || token.Type is L.RBRACE or L.EXIT
        || (IsIdentifier(token.Text) && token.Type is not (L.AND or L.OR or L.NOT or L.IN or L.IS or L.BETWEEN or L.WHERE or L.WHEN
            or L.THEN or L.ELSE or L.CASE or L.SEND or L.UNTIL or L.EVERY));

    /// <summary>The token type naming the innermost open `{ … }` block (JOURNEY, STEPS, IF, TEST …), or null at top level.</summary>
    private static int? EnclosingBlock(List<SyntaxToken> before)
    {
        var depth = 0;
        for (var i = before.Count - 1; i >= 0; i--)
        {
            var t = before[i];
            if (t.Type == L.RBRACE) depth++;
            else if (t.Type == L.LBRACE)
            {
                if (depth > 0) { depth--; continue; }
                for (var j = i - 1; j >= 0; j--)
                {
                    var h = before[j].Type;
                    if (h is L.LBRACE or L.RBRACE) return null;
                    if (h == L.PROFILE && j > 0 && before[j - 1].Type == L.GIVEN) return L.GIVEN;
                    if (h == L.IDENTIFIER && j > 0 && before[j - 1].Type == L.GIVEN) return L.GIVEN;
                    if (h is L.SCHEMA or L.PROFILE or L.IDENTITY or L.EVENT or L.SETTINGS or L.SEGMENTATION or L.MODEL or L.CLUSTERS or L.CHANNEL
                        or L.JOURNEY or L.TEST or L.STEPS or L.IF or L.ELSE or L.SPLIT or L.PERCENT)
                        return h;
                }
                return null;
            }
        }
        return null;
    }

    /// <summary>
    /// The innermost call whose `(` is still open before the cursor: the function, the index of the
    /// argument being written, that argument's tokens so far, and the event of its first argument.
    /// </summary>
    private static (string Function, int ArgumentIndex, List<SyntaxToken> Current, string? Event)? OpenCall(List<SyntaxToken> before)
    {
        var depth = 0;
        for (var i = before.Count - 1; i >= 0; i--)
        {
            var t = before[i];
            if (t.Type is L.RPAREN or L.RBRACK) depth++;
            else if (t.Type is L.LBRACE or L.RBRACE) return null;
            else if (t.Type is L.LPAREN or L.LBRACK)
            {
                if (depth > 0) { depth--; continue; }
                if (t.Type == L.LBRACK || i == 0 || !IsIdentifier(before[i - 1].Text)) return null;
                var arguments = new List<List<SyntaxToken>> { new() };
                var inner = 0;
                for (var j = i + 1; j < before.Count; j++)
                {
                    var a = before[j];
                    if (a.Type is L.LPAREN or L.LBRACK) inner++;
                    else if (a.Type is L.RPAREN or L.RBRACK) inner--;
                    if (a.Type == L.COMMA && inner == 0) { arguments.Add([]); continue; }
                    arguments[^1].Add(a);
                }
                var first = arguments[0];
                var ev = first.Count > 0 && IsIdentifier(first[0].Text) ? first[0].Text : null;
                return (before[i - 1].Text, arguments.Count - 1, arguments[^1], ev);
            }
        }
        return null;
    }

    /// <summary>The index of a `where` after an event name (trigger, goal, wait … until) whose condition the cursor is in.</summary>
    private static int? OpenWhere(List<SyntaxToken> before)
    {
        for (var i = before.Count - 1; i > 0; i--)
        {
            var t = before[i];
            if (t.Type == L.WHERE)
                return before[i - 1].Type != L.COLON && IsIdentifier(before[i - 1].Text) && i > 1
                    && before[i - 2].Type is L.COLON or L.UNTIL ? i : null;
            if (t.Type is L.LBRACE or L.RBRACE or L.TRIGGER or L.AUDIENCE or L.REENTRY or L.GOAL or L.HOLDOUT or L.STEPS or L.SEND
                or L.WAIT or L.IF or L.SPLIT or L.EXIT)
            {
                // `wait 1d until order where …` reads WAIT before WHERE only when the where is behind us.
                return null;
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ signature help

    public SignatureHelp? Signature(string path, int line, int column)
    {
        var tree = TreeOf(path);
        if (tree is null) return null;
        var offset = tree.Text.GetOffset(new LinePosition(line, column));
        var before = tree.Tokens.Where(t => !t.IsComment && t.Span.End <= offset).ToList();
        if (OpenCall(before) is not { } call || Builtins.Find(call.Function) is not { } info) return null;
        var parameters = SplitParameters(info.Signature);
        var active = call.ArgumentIndex;
        if (call.Current.Count > 0 && call.Current[0].Type is L.WHERE or L.WITHIN)
        {
            var named = call.Current[0].Text + ":";
            active = parameters.FindIndex(p => p.StartsWith(named, StringComparison.Ordinal));
        }
        else if (info.IsAggregate)
        {
            var positional = parameters.Count(p => !p.StartsWith("where:", StringComparison.Ordinal)
                && !p.StartsWith("within:", StringComparison.Ordinal));
            if (active >= positional) active = -1;
        }
        if (active >= parameters.Count && parameters.Count > 0 && parameters[^1].Contains('…')) active = parameters.Count - 1;
        return new SignatureHelp($"{info.Signature}: {info.Returns}", info.Summary, [.. parameters], active);
    }

    private static List<string> SplitParameters(string signature)
    {
        var open = signature.IndexOf('(');
        var inner = signature[(open + 1)..signature.LastIndexOf(')')];
        var result = new List<string>();
        var depth = 0;
        var start = 0;
        for (var i = 0; i < inner.Length; i++)
        {
            if (inner[i] is '(' or '[' or '<') depth++;
            else if (inner[i] is ')' or ']' or '>') depth--;
            else if (inner[i] == ',' && depth == 0)
            {
                result.Add(inner[start..i].Trim());
                start = i + 1;
            }
        }
        if (inner.Trim().Length > 0) result.Add(inner[start..].Trim());
        return result;
    }
}
