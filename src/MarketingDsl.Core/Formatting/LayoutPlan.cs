using System.Collections.Immutable;
using MarketingDsl.Core.Syntax;
using MarketingDsl.Core.Syntax.Generated;
using MarketingDsl.Core.Text;

namespace MarketingDsl.Core.Formatting;

/// <summary>
/// What the syntax tree says about the layout, keyed by index into <see cref="SyntaxTree.Tokens"/>:
/// which tokens start a line (and at what indentation), which must stay on the previous line,
/// which block braces open and close, which commas go or come, and where spacing differs from
/// the token-type defaults. Built by one walk over the tree; the <see cref="TokenPrinter"/> does the rest.
/// </summary>
internal sealed class LayoutPlan
{
    public Dictionary<int, int> Forced { get; } = [];
    public HashSet<int> Join { get; } = [];
    public HashSet<int> ForcedBlank { get; } = [];
    public HashSet<int> BlockOpen { get; } = [];
    public HashSet<int> BlockClose { get; } = [];
    public HashSet<int> Drop { get; } = [];
    public HashSet<int> CommaAfter { get; } = [];
    public HashSet<int> NoSpaceBefore { get; } = [];
    public HashSet<int> NoSpaceAfter { get; } = [];

    private readonly ImmutableArray<SyntaxToken> _tokens;
    private readonly SourceText _text;
    private readonly int[] _starts;

    private LayoutPlan(SyntaxTree tree)
    {
        _tokens = tree.Tokens;
        _text = tree.Text;
        _starts = [.. _tokens.Select(t => t.Span.Start)];
    }

    public static LayoutPlan Build(SyntaxTree tree)
    {
        var plan = new LayoutPlan(tree);
        plan.File(tree.Root);
        return plan;
    }

    // ------------------------------------------------------------------ token lookup

    public int StartLine(int i) => _text.GetPosition(_tokens[i].Span.Start).Line;
    public int EndLine(int i) => _text.GetPosition(_tokens[i].Span.End).Line;
    public bool SourceBreakBefore(int i) => i > 0 && StartLine(i) > EndLine(i - 1);
    public bool SourceBlankBefore(int i) => i > 0 && StartLine(i) - EndLine(i - 1) >= 2;
    public bool IsTrailingComment(int i) => i > 0 && StartLine(i) == EndLine(i - 1);

    /// <summary>Index of the token that starts at <paramref name="offset"/> (or the first one after it).</summary>
    private int At(int offset)
    {
        var i = Array.BinarySearch(_starts, offset);
        if (i < 0) i = ~i;
        while (i < _tokens.Length && _tokens[i].IsComment) i++;
        return Math.Min(i, _tokens.Length - 1);
    }

    /// <summary>Index of the last non-comment token inside <paramref name="span"/>.</summary>
    private int Last(TextSpan span)
    {
        var i = Array.BinarySearch(_starts, span.End);
        i = i < 0 ? ~i - 1 : i - 1;
        while (i > 0 && _tokens[i].IsComment) i--;
        return Math.Max(i, 0);
    }

    private int NextCode(int i)
    {
        i++;
        while (i < _tokens.Length && _tokens[i].IsComment) i++;
        return i;
    }

    private int PrevCode(int i)
    {
        i--;
        while (i >= 0 && _tokens[i].IsComment) i--;
        return i;
    }

    /// <summary>The first token of type <paramref name="type"/> at or after the start of <paramref name="span"/>.</summary>
    private int First(TextSpan span, int type)
    {
        for (var i = At(span.Start); i < _tokens.Length && _tokens[i].Span.Start < span.End; i++)
            if (_tokens[i].Type == type) return i;
        return -1;
    }

    private bool Is(int i, int type) => i >= 0 && i < _tokens.Length && _tokens[i].Type == type;

    private void Force(int i, int indent) => Forced[i] = indent;

    // ------------------------------------------------------------------ declarations

    private void File(WorkspaceFileSyntax root)
    {
        var declarations = root.Declarations;
        for (var k = 0; k < declarations.Length; k++)
        {
            Declaration(declarations[k]);
            if (k > 0 && (IsBlock(declarations[k - 1]) || IsBlock(declarations[k])))
                ForcedBlank.Add(LeadingGroupStart(At(declarations[k].Span.Start)));
        }
    }

    private static bool IsBlock(DeclarationSyntax d) => d is not (TagDeclarationSyntax or SegmentDeclarationSyntax);

    /// <summary>The first own-line comment directly above a declaration (no blank line between;
    /// blank lines after a `///` do not count, the printer drops them), or the declaration itself.</summary>
    private int LeadingGroupStart(int j)
    {
        while (j - 1 >= 0 && _tokens[j - 1].IsComment && !IsTrailingComment(j - 1) &&
               (!SourceBlankBefore(j) || _tokens[j - 1].Type == MarketingDslLexer.DOC_COMMENT)) j--;
        return j;
    }

    private void Declaration(DeclarationSyntax d)
    {
        var first = At(d.Span.Start);
        Force(first, 0);
        switch (d)
        {
            case SchemaDeclarationSyntax schema:
                Block(First(d.Span, MarketingDslLexer.LBRACE), Last(d.Span), 0);
                foreach (var member in schema.Members) SchemaMember(member, 1);
                break;
            case SettingsDeclarationSyntax settings:
                Block(First(d.Span, MarketingDslLexer.LBRACE), Last(d.Span), 0);
                foreach (var setting in settings.Settings)
                {
                    Force(At(setting.Span.Start), 1);
                    var last = Last(setting.Span);
                    if (Is(last, MarketingDslLexer.COMMA)) Drop.Add(last);
                    Expression(setting.Value);
                }
                break;
            case TagDeclarationSyntax tag:
                Expression(tag.Expression);
                break;
            case SegmentDeclarationSyntax segment:
                Expression(segment.Expression);
                break;
            case SegmentationDeclarationSyntax segmentation:
                Block(First(d.Span, MarketingDslLexer.LBRACE), Last(d.Span), 0);
                foreach (var rule in segmentation.Rules)
                {
                    Force(At(rule.Span.Start), 1);
                    if (rule.Condition is not null) Expression(rule.Condition);
                }
                break;
            case ModelDeclarationSyntax model:
                Block(First(d.Span, MarketingDslLexer.LBRACE), Last(d.Span), 0);
                foreach (var property in model.Properties)
                {
                    Force(At(property.Span.Start), 1);
                    switch (property)
                    {
                        case PredictPropertySyntax p: Expression(p.Label); break;
                        case FeaturesPropertySyntax f: foreach (var e in f.Features) Expression(e); break;
                        case ModelOptionSyntax o: Expression(o.Value); break;
                    }
                }
                break;
            case RecommenderDeclarationSyntax recommender:
                Block(First(d.Span, MarketingDslLexer.LBRACE), Last(d.Span), 0);
                foreach (var property in recommender.Properties)
                {
                    Force(At(property.Span.Start), 1);
                    foreach (var value in property.Values) Expression(value.Value);
                }
                break;
            case ChannelDeclarationSyntax channel:
                Block(First(d.Span, MarketingDslLexer.LBRACE), Last(d.Span), 0);
                foreach (var property in channel.Properties)
                {
                    Force(At(property.Span.Start), 1);
                    switch (property)
                    {
                        case QuietPropertySyntax:
                            var minus = First(property.Span, MarketingDslLexer.MINUS);
                            if (minus >= 0) { NoSpaceBefore.Add(minus); NoSpaceAfter.Add(minus); }
                            break;
                        case ChannelOptionSyntax o: Expression(o.Value); break;
                    }
                }
                break;
            case JourneyDeclarationSyntax journey:
                Journey(journey);
                break;
            case TestDeclarationSyntax test:
                Block(First(d.Span, MarketingDslLexer.LBRACE), Last(d.Span), 0);
                foreach (var statement in test.Statements)
                {
                    Force(At(statement.Span.Start), 1);
                    switch (statement)
                    {
                        case GivenStatementSyntax given:
                            List(First(given.Span, MarketingDslLexer.LBRACE), Last(given.Span), [.. given.Fields.Select(f => f.Span)], 1,
                                commasOptional: false);
                            foreach (var field in given.Fields) Expression(field.Value);
                            break;
                        case ExpectStatementSyntax expect: Expression(expect.Condition); break;
                    }
                }
                break;
        }
    }

    private void SchemaMember(SchemaMemberSyntax member, int indent)
    {
        Force(At(member.Span.Start), indent);
        var open = First(member.Span, MarketingDslLexer.LBRACE);
        var close = Last(member.Span);
        switch (member)
        {
            case ProfileSchemaSyntax profile:
                List(open, close, [.. profile.Fields.Select(f => f.Span)], indent, commasOptional: true);
                foreach (var field in profile.Fields) Field(field);
                break;
            case EventSchemaSyntax ev:
                List(open, close, [.. ev.Fields.Select(f => f.Span)], indent, commasOptional: true);
                foreach (var field in ev.Fields) Field(field);
                break;
            case IdentitySchemaSyntax identity:
                List(open, close, [.. identity.Keys.Select(k => k.Span)], indent, commasOptional: false);
                break;
        }
    }

    private void Field(FieldDeclarationSyntax field) => TypeReference(field.Type);

    private void TypeReference(TypeReferenceSyntax type)
    {
        if (type.Argument is null) return;
        var lt = NextCode(At(type.Name.Span.Start));
        if (Is(lt, MarketingDslLexer.LT)) { NoSpaceBefore.Add(lt); NoSpaceAfter.Add(lt); }
        var gt = NextCode(Last(type.Argument.Span));
        if (Is(gt, MarketingDslLexer.GT)) NoSpaceBefore.Add(gt);
        TypeReference(type.Argument);
    }

    /// <summary>A brace block of members, one per line: the caller forces each member's first token.</summary>
    private void Block(int open, int close, int indent)
    {
        if (open < 0) return;
        Join.Add(open);
        if (close == open + 1)
        {
            NoSpaceBefore.Add(close);
            return;
        }
        BlockOpen.Add(open);
        BlockClose.Add(close);
        Force(close, indent);
    }

    /// <summary>
    /// A brace list of fields, keys or object fields. Written on one line without comments, it
    /// stays on one line as `{ a, b }`; otherwise one item per line. Trailing commas go; optional
    /// separating commas go in the multi-line form and are added in the one-line form.
    /// </summary>
    private void List(int open, int close, IReadOnlyList<TextSpan> items, int indent, bool commasOptional)
    {
        if (open < 0) return;
        Join.Add(open);
        var hasComments = false;
        for (var i = open + 1; i < close; i++) hasComments |= _tokens[i].IsComment;
        if (close == open + 1)
        {
            NoSpaceBefore.Add(close);
            return;
        }
        var compact = !hasComments && EndLine(open) == StartLine(close);
        for (var k = 0; k < items.Count; k++)
        {
            var last = Last(items[k]);
            var next = NextCode(last);
            var isComma = next < close && Is(next, MarketingDslLexer.COMMA);
            if (k == items.Count - 1) { if (isComma) Drop.Add(next); }
            else if (compact) { if (!isComma) CommaAfter.Add(last); }
            else if (isComma && commasOptional) Drop.Add(next);
            if (!compact) Force(At(items[k].Start), indent + 1);
        }
        if (compact) return;
        BlockOpen.Add(open);
        BlockClose.Add(close);
        Force(close, indent);
    }

    // ------------------------------------------------------------------ journeys

    private void Journey(JourneyDeclarationSyntax journey)
    {
        Block(First(journey.Span, MarketingDslLexer.LBRACE), Last(journey.Span), 0);
        foreach (var property in journey.Properties)
        {
            Force(At(property.Span.Start), 1);
            switch (property)
            {
                case TriggerPropertySyntax { Trigger: EventTriggerSyntax { Where: { } where } }: Expression(where); break;
                case AudiencePropertySyntax audience: Expression(audience.Condition); break;
                case GoalPropertySyntax { Where: { } where }: Expression(where); break;
            }
        }
        if (journey.Steps is { } steps)
        {
            var open = At(steps.Span.Start);
            var keyword = PrevCode(open);
            if (keyword >= 0) Force(keyword, 1);
            StepBlock(steps, 1);
        }
    }

    private void StepBlock(StepBlockSyntax block, int indent)
    {
        Block(At(block.Span.Start), Last(block.Span), indent);
        foreach (var step in block.Steps) Step(step, indent + 1, force: true);
    }

    private void Step(StepSyntax step, int indent, bool force)
    {
        var first = At(step.Span.Start);
        if (force) Force(first, indent);
        else Join.Add(first);
        switch (step)
        {
            case WaitStepSyntax { Where: { } where }:
                Expression(where);
                break;
            case SendStepSyntax { Items: { } items }:
                Expression(items);
                break;
            case IfStepSyntax ifStep:
                Expression(ifStep.Condition);
                StepBlock(ifStep.Then, indent);
                var elseKeyword = NextCode(Last(ifStep.Then.Span));
                if (Is(elseKeyword, MarketingDslLexer.ELSE)) Join.Add(elseKeyword);
                if (ifStep.ElseIf is { } elseIf) Step(elseIf, indent, force: false);
                else if (ifStep.Else is { } elseBlock) StepBlock(elseBlock, indent);
                break;
            case SplitStepSyntax split:
                Block(First(split.Span, MarketingDslLexer.LBRACE), Last(split.Span), indent);
                foreach (var branch in split.Branches)
                {
                    Force(At(branch.Span.Start), indent + 1);
                    if (branch.IsBraced) StepBlock(branch.Body, indent + 1);
                    else foreach (var s in branch.Body.Steps) Step(s, indent + 1, force: false);
                }
                break;
        }
    }

    // ------------------------------------------------------------------ expressions

    private void Expression(ExpressionSyntax? e)
    {
        switch (e)
        {
            case null:
                return;
            case MemberAccessExpressionSyntax m:
                Expression(m.Target);
                break;
            case MemberCallExpressionSyntax memberCall:
                Expression(memberCall.Target);
                var open = NextCode(At(memberCall.Member.Span.Start));
                if (Is(open, MarketingDslLexer.LPAREN)) NoSpaceBefore.Add(open);
                foreach (var argument in memberCall.Arguments) Expression(argument.Value);
                break;
            case CallExpressionSyntax call:
                var paren = NextCode(At(call.Function.Span.Start));
                if (Is(paren, MarketingDslLexer.LPAREN)) NoSpaceBefore.Add(paren);
                foreach (var argument in call.Arguments) Expression(argument.Value);
                break;
            case UnaryExpressionSyntax unary:
                // `- -1`, not `--1`: two signs written together would read as one token to a reader
                // (and the printer keeps them apart), so the next format would change the text again.
                if (unary.Operator == UnaryOperator.Negate && !Is(NextCode(At(unary.Span.Start)), MarketingDslLexer.MINUS))
                    NoSpaceAfter.Add(At(unary.Span.Start));
                Expression(unary.Operand);
                break;
            case LiteralExpressionSyntax { Kind: LiteralKind.Int or LiteralKind.Decimal } literal when literal.Text.StartsWith('-'):
                var sign = At(literal.Span.Start);
                if (Is(sign, MarketingDslLexer.MINUS)) NoSpaceAfter.Add(sign);
                break;
            case BinaryExpressionSyntax binary:
                Expression(binary.Left);
                Expression(binary.Right);
                break;
            case InExpressionSyntax @in:
                Expression(@in.Value);
                Expression(@in.Collection);
                break;
            case BetweenExpressionSyntax between:
                Expression(between.Value);
                Expression(between.Low);
                Expression(between.High);
                break;
            case IsNullExpressionSyntax isNull:
                Expression(isNull.Operand);
                break;
            case ParenthesizedExpressionSyntax paren2:
                Expression(paren2.Inner);
                break;
            case ListExpressionSyntax list:
                foreach (var item in list.Items) Expression(item);
                var trailing = PrevCode(Last(list.Span));
                if (list.Items.Length > 0 && Is(trailing, MarketingDslLexer.COMMA)) Drop.Add(trailing);
                break;
            case CaseExpressionSyntax @case:
                foreach (var when in @case.Whens)
                {
                    Expression(when.Condition);
                    Expression(when.Result);
                }
                Expression(@case.Else);
                break;
        }
    }
}
