using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Antlr4.Runtime;
using Antlr4.Runtime.Tree;
using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Core.Syntax.Generated;
using MarketingDsl.Core.Text;
using P = MarketingDsl.Core.Syntax.Generated.MarketingDslParser;

namespace MarketingDsl.Core.Syntax;

/// <summary>
/// Converts ANTLR's parse tree into our syntax tree at once, so nothing past this file sees ANTLR.
/// The parse tree may be incomplete after error recovery: every child may be missing, and the
/// builder fills in missing identifiers and <see cref="ErrorExpressionSyntax"/> instead.
/// Literal values are parsed here; a malformed one is a diagnostic.
/// </summary>
internal sealed class SyntaxTreeBuilder(SourceText source, CommonTokenStream tokens, List<Diagnostic> diagnostics)
{
    private const int CommentsChannel = 2;

    public WorkspaceFileSyntax Build(P.WorkspaceFileContext file)
    {
        var declarations = ImmutableArray.CreateBuilder<DeclarationSyntax>();
        foreach (var d in file.declaration())
        {
            var built = Declaration(d);
            if (built is not null) declarations.Add(built with { Documentation = DocumentationFor(d) });
        }
        return new WorkspaceFileSyntax(declarations.ToImmutable(), new TextSpan(0, source.Text.Length));
    }

    // ------------------------------------------------------------------ spans and names

    private TextSpan Span(ParserRuleContext? ctx)
    {
        if (ctx?.Start is null) return new TextSpan(source.Text.Length, 0);
        var start = Math.Clamp(ctx.Start.StartIndex, 0, source.Text.Length);
        var stop = ctx.Stop is { } s && s.StopIndex >= start ? s.StopIndex + 1 : start;
        return TextSpan.FromBounds(start, Math.Min(stop, source.Text.Length));
    }

    private TextSpan Span(IToken? token) =>
        token is null || token.StartIndex < 0
            ? new TextSpan(Math.Clamp(token?.StartIndex ?? source.Text.Length, 0, source.Text.Length), 0)
            : TextSpan.FromBounds(token.StartIndex, Math.Min(token.StopIndex + 1, source.Text.Length));

    private TextSpan Span(ITerminalNode? node) => Span(node?.Symbol);

    private static bool IsMissing(IToken? token) => token is null || token.StartIndex < 0 || token.TokenIndex < 0;

    private IdentifierSyntax Identifier(P.IdentifierContext? ctx)
    {
        if (ctx is null || ctx.exception is not null || ctx.Start is null || ctx.Stop is null || IsMissing(ctx.Start)
            || ctx.ChildCount == 0 || ctx.GetChild(0) is IErrorNode)
            return new IdentifierSyntax("", ctx is null ? new TextSpan(source.Text.Length, 0) : new TextSpan(Span(ctx).Start, 0));
        return new IdentifierSyntax(ctx.GetText(), Span(ctx));
    }

    private LabelSyntax? Label(P.LabelContext? ctx) => ctx?.STRING() is { } s ? StringLabel(s.Symbol) : null;

    private LabelSyntax StringLabel(IToken? token)
    {
        if (token is null || IsMissing(token)) return new LabelSyntax("", Span(token));
        return new LabelSyntax(Unquote(token), Span(token));
    }

    private string? DocumentationFor(P.DeclarationContext d)
    {
        var hidden = tokens.GetHiddenTokensToLeft(d.Start.TokenIndex, CommentsChannel);
        if (hidden is null || hidden.Count == 0) return null;
        var lines = new List<string>();
        for (var i = hidden.Count - 1; i >= 0 && hidden[i].Type == MarketingDslLexer.DOC_COMMENT; i--)
        {
            var text = hidden[i].Text[3..];
            lines.Insert(0, text.StartsWith(' ') ? text[1..] : text);
        }
        return lines.Count == 0 ? null : string.Join("\n", lines).TrimEnd();
    }

    private void Report(DiagnosticMessage message, TextSpan span) => diagnostics.Add(Diagnostic.Create(message, source, span));

    // ------------------------------------------------------------------ declarations

    private DeclarationSyntax? Declaration(P.DeclarationContext d)
    {
        if (d.schemaDecl() is { } schema) return Schema(schema);
        if (d.settingsDecl() is { } settings) return Settings(settings);
        if (d.tagDecl() is { } tag)
            return new TagDeclarationSyntax(Identifier(tag.name), Label(tag.label()), Expression(tag.expression()), Span(tag));
        if (d.segmentDecl() is { } segment)
            return new SegmentDeclarationSyntax(Identifier(segment.name), Label(segment.label()), Expression(segment.expression()), Span(segment));
        if (d.segmentationDecl() is { } segmentation) return Segmentation(segmentation);
        if (d.modelDecl() is { } model)
            return new ModelDeclarationSyntax(false, Identifier(model.name), Label(model.label()), ModelProperties(model.modelProperty()),
                Span(model));
        if (d.clustersDecl() is { } clusters)
            return new ModelDeclarationSyntax(true, Identifier(clusters.name), Label(clusters.label()), ModelProperties(clusters.modelProperty()),
                Span(clusters));
        if (d.recommenderDecl() is { } recommender) return Recommender(recommender);
        if (d.channelDecl() is { } channel) return Channel(channel);
        if (d.journeyDecl() is { } journey) return Journey(journey);
        if (d.testDecl() is { } test) return Test(test);
        return null;
    }

    private SchemaDeclarationSyntax Schema(P.SchemaDeclContext ctx)
    {
        var members = ImmutableArray.CreateBuilder<SchemaMemberSyntax>();
        foreach (var m in ctx.schemaMember())
        {
            switch (m)
            {
                case P.ProfileMemberContext profile:
                    members.Add(new ProfileSchemaSyntax(Fields(profile.fieldList()), Span(profile)));
                    break;
                case P.IdentityMemberContext identity:
                    ImmutableArray<IdentifierSyntax> keys = identity.identifierList() is { } list ? [.. list.identifier().Select(Identifier)] : [];
                    members.Add(new IdentitySchemaSyntax(keys, Span(identity)));
                    break;
                case P.EventMemberContext ev:
                    members.Add(new EventSchemaSyntax(Identifier(ev.name), Fields(ev.fieldList()), Span(ev)));
                    break;
            }
        }
        return new SchemaDeclarationSyntax(members.ToImmutable(), Span(ctx));
    }

    private ImmutableArray<FieldDeclarationSyntax> Fields(P.FieldListContext? list) =>
        list is null ? [] : [.. list.fieldDecl().Select(f => new FieldDeclarationSyntax(
            Identifier(f.name), TypeReference(f.typeRef()),
            [.. f.fieldModifier().Select(m => new IdentifierSyntax(m.GetText(), Span(m)))], Span(f)))];

    private TypeReferenceSyntax TypeReference(P.TypeRefContext? ctx) =>
        ctx is null
            ? new TypeReferenceSyntax(new IdentifierSyntax("", new TextSpan(source.Text.Length, 0)), null, false, new TextSpan(source.Text.Length, 0))
            : new TypeReferenceSyntax(Identifier(ctx.name), ctx.typeRef() is { } arg ? TypeReference(arg) : null, ctx.QUESTION() is not null,
                Span(ctx));

    private SettingsDeclarationSyntax Settings(P.SettingsDeclContext ctx) =>
        new([.. ctx.settingEntry().Select(e => new SettingSyntax(Identifier(e.name), OptionValue(e.optionValue()), Span(e)))], Span(ctx));

    private SegmentationDeclarationSyntax Segmentation(P.SegmentationDeclContext ctx)
    {
        var rules = ImmutableArray.CreateBuilder<SegmentationRuleSyntax>();
        foreach (var r in ctx.segmentationRule())
        {
            switch (r)
            {
                case P.WhenRuleContext whenRule:
                    rules.Add(new SegmentationRuleSyntax(Identifier(whenRule.name), Label(whenRule.label()), Expression(whenRule.expression()),
                        Span(whenRule)));
                    break;
                case P.ElseRuleContext @else:
                    rules.Add(new SegmentationRuleSyntax(Identifier(@else.name), Label(@else.label()), null, Span(@else)));
                    break;
            }
        }
        return new SegmentationDeclarationSyntax(Identifier(ctx.name), Label(ctx.label()), rules.ToImmutable(), Span(ctx));
    }

    private ImmutableArray<ModelPropertySyntax> ModelProperties(IEnumerable<P.ModelPropertyContext> properties) =>
        [.. properties.Select(ModelProperty).OfType<ModelPropertySyntax>()];

    private ModelPropertySyntax? ModelProperty(P.ModelPropertyContext ctx) => ctx switch
    {
        P.PredictPropertyContext p => new PredictPropertySyntax(Expression(p.expression()), Span(p)),
        P.FeaturesPropertyContext f => new FeaturesPropertySyntax([.. f.expression().Select(Expression)], Span(f)),
        P.OptionPropertyContext o => new ModelOptionSyntax(Identifier(o.name), OptionValue(o.optionValue()), Span(o)),
        _ => null,
    };

    private RecommenderDeclarationSyntax Recommender(P.RecommenderDeclContext ctx) => new(Identifier(ctx.name), Label(ctx.label()),
        [.. ctx.recommenderProperty().Select(p => new RecommenderPropertySyntax(Identifier(p.name),
            [.. p.recommenderValue().Select(v => new RecommenderValueSyntax(Expression(v.expression()),
                v.weight is { } w && !IsMissing(w) ? LiteralToken(w) : null, Span(v)))],
            Span(p)))],
        Span(ctx));

    private ChannelDeclarationSyntax Channel(P.ChannelDeclContext ctx)
    {
        var properties = ImmutableArray.CreateBuilder<ChannelPropertySyntax>();
        foreach (var p in ctx.channelProperty())
        {
            switch (p)
            {
                case P.CapPropertyContext cap:
                    properties.Add(new CapPropertySyntax(WholeNumber(cap.INT()), Span(cap.INT()), Duration(cap.duration()), Span(cap)));
                    break;
                case P.QuietPropertyContext quiet:
                    properties.Add(new QuietPropertySyntax(TimeOfDay(quiet.fromTime), TimeOfDay(quiet.toTime),
                        quiet.fromTime?.Text ?? "", quiet.toTime?.Text ?? "", Span(quiet)));
                    break;
                case P.ChannelOptionContext option:
                    properties.Add(new ChannelOptionSyntax(Identifier(option.name), OptionValue(option.optionValue()), Span(option)));
                    break;
            }
        }
        return new ChannelDeclarationSyntax(Identifier(ctx.name), Label(ctx.label()), properties.ToImmutable(), Span(ctx));
    }

    private JourneyDeclarationSyntax Journey(P.JourneyDeclContext ctx)
    {
        var properties = ImmutableArray.CreateBuilder<JourneyPropertySyntax>();
        foreach (var p in ctx.journeyProperty())
        {
            JourneyPropertySyntax? built = p switch
            {
                P.TriggerPropertyContext t => t.trigger() is { } trigger ? new TriggerPropertySyntax(Trigger(trigger), Span(t)) : null,
                P.AudiencePropertyContext a => new AudiencePropertySyntax(Expression(a.expression()), Span(a)),
                P.ReentryPropertyContext r => r.reentryRule() switch
                {
                    P.OnceReentryContext once => new ReentryPropertySyntax(false, once.duration() is { } d ? Duration(d) : null, Span(r)),
                    P.AlwaysReentryContext => new ReentryPropertySyntax(true, null, Span(r)),
                    _ => null,
                },
                P.GoalPropertyContext g => new GoalPropertySyntax(Identifier(g.eventName), g.expression() is { } w ? Expression(w) : null,
                    Duration(g.duration()), Span(g), g.valueField is { } v ? Identifier(v) : null),
                P.HoldoutPropertyContext h => new HoldoutPropertySyntax(Percent(h.PERCENT()), Span(h)),
                _ => null,
            };
            if (built is not null) properties.Add(built);
        }
        var steps = ctx.stepsBlock()?.stepBlock() is { } block ? StepBlock(block) : null;
        return new JourneyDeclarationSyntax(Identifier(ctx.name), Label(ctx.label()), properties.ToImmutable(), steps, Span(ctx));
    }

    private TriggerSyntax Trigger(P.TriggerContext ctx) => ctx switch
    {
        P.EventTriggerContext e => new EventTriggerSyntax(Identifier(e.eventName), e.expression() is { } w ? Expression(w) : null, Span(e)),
        P.CalendarTriggerContext c => new CalendarTriggerSyntax(Identifier(c.period), c.TIME() is { } t ? TimeOfDay(t.Symbol) : null,
            c.TIME()?.GetText(), Span(c)),
        P.IntervalTriggerContext i => new IntervalTriggerSyntax(Duration(i.duration()), Span(i)),
        P.SegmentTriggerContext s => new SegmentTriggerSyntax(s.direction?.Type == MarketingDslLexer.ENTERS, Identifier(s.segment), Span(s)),
        _ => new EventTriggerSyntax(new IdentifierSyntax("", Span(ctx)), null, Span(ctx)),
    };

    private StepBlockSyntax StepBlock(P.StepBlockContext ctx) =>
        new([.. ctx.step().Select(Step).OfType<StepSyntax>()], Span(ctx));

    private StepSyntax? Step(P.StepContext ctx) => ctx switch
    {
        P.WaitStepContext w => new WaitStepSyntax(Duration(w.duration()), w.eventName is null ? null : Identifier(w.eventName),
            w.expression() is { } e ? Expression(e) : null, Span(w)),
        P.SendStepContext s => new SendStepSyntax(Identifier(s.channel), StringLabel(s.template), s.offer is null ? null : StringLabel(s.offer),
            Span(s), s.items is null ? null : Expression(s.items)),
        P.IfStepContext i => IfStep(i),
        P.SplitStepContext s => new SplitStepSyntax(
            s.name is null ? null : StringLabel(s.name),
            s.duration() is { } d ? Duration(d) : null,
            [.. s.splitBranch().Select(SplitBranch)], Span(s)),
        P.ExitStepContext e => new ExitStepSyntax(Span(e)),
        _ => null,
    };

    private IfStepSyntax IfStep(P.IfStepContext ctx)
    {
        var then = ctx.stepBlock(0) is { } t ? StepBlock(t) : new StepBlockSyntax([], Span(ctx));
        StepBlockSyntax? elseBlock = ctx.elseBlock is null ? null : StepBlock(ctx.elseBlock);
        IfStepSyntax? elseIf = null;
        if (ctx.ifElse is not null)
        {
            // `else if …` is the only step allowed after `else` without braces; anything else
            // (`else send …`) is wrapped in a block so no step is lost, and reported.
            if (ctx.ifElse is P.IfStepContext nested) elseIf = IfStep(nested);
            else
            {
                Report(SyntaxErrors.ElseWithoutBlock(), Span(ctx.ifElse));
                var step = Step(ctx.ifElse);
                elseBlock = new StepBlockSyntax(step is null ? [] : [step], Span(ctx.ifElse));
            }
        }
        return new IfStepSyntax(Expression(ctx.expression()), then, elseBlock, elseIf, Span(ctx));
    }

    private SplitBranchSyntax SplitBranch(P.SplitBranchContext ctx)
    {
        StepBlockSyntax body;
        var braced = ctx.stepBlock() is not null;
        if (ctx.stepBlock() is { } block) body = StepBlock(block);
        else
        {
            var step = ctx.step() is { } s ? Step(s) : null;
            body = new StepBlockSyntax(step is null ? [] : [step], Span(ctx.step()));
        }
        return new SplitBranchSyntax(Percent(ctx.PERCENT()), Span(ctx.PERCENT()), body, braced, Span(ctx));
    }

    private TestDeclarationSyntax Test(P.TestDeclContext ctx)
    {
        var statements = ImmutableArray.CreateBuilder<TestStatementSyntax>();
        foreach (var s in ctx.testStatement())
        {
            switch (s)
            {
                case P.GivenStatementContext given:
                    var fields = given.objectLiteral()?.objectField() ?? [];
                    statements.Add(new GivenStatementSyntax(Identifier(given.kind),
                        [.. fields.Select(f => new ObjectFieldSyntax(Identifier(f.name), Expression(f.expression()), Span(f)))], Span(given)));
                    break;
                case P.AsOfStatementContext asOf:
                    var token = asOf.DATETIME()?.Symbol ?? asOf.DATE()?.Symbol;
                    var instant = token is null ? new LiteralExpressionSyntax(LiteralKind.Null, "", null, Span(asOf)) : LiteralToken(token);
                    statements.Add(new AsOfStatementSyntax(instant, Span(asOf)));
                    break;
                case P.ExpectStatementContext expect:
                    statements.Add(new ExpectStatementSyntax(Expression(expect.expression()), Span(expect)));
                    break;
            }
        }
        return new TestDeclarationSyntax(StringLabel(ctx.name), statements.ToImmutable(), Span(ctx));
    }

    // ------------------------------------------------------------------ expressions

    private ExpressionSyntax Expression(P.ExpressionContext? ctx)
    {
        if (ctx?.orExpr() is not { } or) return new ErrorExpressionSyntax(ctx is null ? new TextSpan(source.Text.Length, 0) : Span(ctx));
        var result = Or(or);
        if (ExpressionDepth.Exceeds(result, SyntaxTree.MaxExpressionDepth))
        {
            Report(SyntaxErrors.TooDeep(SyntaxTree.MaxExpressionDepth, tokens: false), result.Span);
            return new ErrorExpressionSyntax(result.Span);
        }
        return result;
    }

    private ExpressionSyntax Or(P.OrExprContext ctx) =>
        Chain(ctx.andExpr().Select(And).ToList(), ctx.OR().Select(o => (BinaryOperator.Or, Span(o))).ToList(), ctx);

    private ExpressionSyntax And(P.AndExprContext ctx) =>
        Chain(ctx.notExpr().Select(Not).ToList(), ctx.AND().Select(a => (BinaryOperator.And, Span(a))).ToList(), ctx);

    private ExpressionSyntax Chain(List<ExpressionSyntax> operands, List<(BinaryOperator Op, TextSpan Span)> operators, ParserRuleContext ctx)
    {
        if (operands.Count == 0) return new ErrorExpressionSyntax(Span(ctx));
        var result = operands[0];
        for (var i = 1; i < operands.Count; i++)
        {
            var (op, opSpan) = i - 1 < operators.Count ? operators[i - 1] : (BinaryOperator.And, operands[i].Span);
            var span = TextSpan.FromBounds(result.Span.Start, Math.Max(result.Span.End, operands[i].Span.End));
            result = new BinaryExpressionSyntax(op, result, operands[i], opSpan, span);
        }
        return result;
    }

    private ExpressionSyntax Not(P.NotExprContext ctx)
    {
        if (ctx.NOT() is { } not)
        {
            var operand = ctx.notExpr() is { } inner ? Not(inner) : new ErrorExpressionSyntax(Span(ctx));
            return new UnaryExpressionSyntax(UnaryOperator.Not, operand, Span(ctx));
        }
        return ctx.predicateExpr() is { } p ? Predicate(p) : new ErrorExpressionSyntax(Span(ctx));
    }

    private ExpressionSyntax Predicate(P.PredicateExprContext ctx)
    {
        var operands = ctx.coalesceExpr();
        if (operands.Length == 0) return new ErrorExpressionSyntax(Span(ctx));
        var left = Coalesce(operands[0]);
        var span = Span(ctx);
        var negated = ctx.NOT() is not null;
        if (ctx.op is { } op && ctx.right is { } right)
        {
            var kind = op.Type switch
            {
                MarketingDslLexer.EQ => BinaryOperator.Equal,
                MarketingDslLexer.NEQ => BinaryOperator.NotEqual,
                MarketingDslLexer.LT => BinaryOperator.Less,
                MarketingDslLexer.LE => BinaryOperator.LessOrEqual,
                MarketingDslLexer.GT => BinaryOperator.Greater,
                _ => BinaryOperator.GreaterOrEqual,
            };
            return new BinaryExpressionSyntax(kind, left, Coalesce(right), Span(op), span);
        }
        if (ctx.IN() is not null)
            return new InExpressionSyntax(left, ctx.right is { } c ? Coalesce(c) : new ErrorExpressionSyntax(span), negated, span);
        if (ctx.BETWEEN() is not null)
            return new BetweenExpressionSyntax(left,
                ctx.low is { } low ? Coalesce(low) : new ErrorExpressionSyntax(span),
                ctx.high is { } high ? Coalesce(high) : new ErrorExpressionSyntax(span), negated, span);
        if (ctx.IS() is not null)
            return new IsNullExpressionSyntax(left, negated, span);
        return left;
    }

    private ExpressionSyntax Coalesce(P.CoalesceExprContext ctx) =>
        Chain(ctx.additiveExpr().Select(Additive).ToList(), ctx.COALESCE().Select(c => (BinaryOperator.Coalesce, Span(c))).ToList(), ctx);

    private ExpressionSyntax Additive(P.AdditiveExprContext ctx) =>
        Chain(ctx.multiplicativeExpr().Select(Multiplicative).ToList(),
              ctx._op.Select(o => (o.Type == MarketingDslLexer.PLUS ? BinaryOperator.Add : BinaryOperator.Subtract, Span(o))).ToList(), ctx);

    private ExpressionSyntax Multiplicative(P.MultiplicativeExprContext ctx) =>
        Chain(ctx.unaryExpr().Select(Unary).ToList(),
              ctx._op.Select(o => (o.Type == MarketingDslLexer.STAR ? BinaryOperator.Multiply : BinaryOperator.Divide, Span(o))).ToList(), ctx);

    private ExpressionSyntax Unary(P.UnaryExprContext ctx)
    {
        if (ctx.MINUS() is not null)
        {
            var operand = ctx.unaryExpr() is { } inner ? Unary(inner) : new ErrorExpressionSyntax(Span(ctx));
            // `-5` and `-2.5` are literals, so a negative bound reads as one value.
            if (operand is LiteralExpressionSyntax { Kind: LiteralKind.Int, Value: long l } && operand.Span.Start == Span(ctx.MINUS()).End)
                return new LiteralExpressionSyntax(LiteralKind.Int, "-" + ((LiteralExpressionSyntax)operand).Text, -l, Span(ctx));
            if (operand is LiteralExpressionSyntax { Kind: LiteralKind.Decimal, Value: decimal m } && operand.Span.Start == Span(ctx.MINUS()).End)
                return new LiteralExpressionSyntax(LiteralKind.Decimal, "-" + ((LiteralExpressionSyntax)operand).Text, -m, Span(ctx));
            return new UnaryExpressionSyntax(UnaryOperator.Negate, operand, Span(ctx));
        }
        return ctx.postfixExpr() is { } p ? Postfix(p) : new ErrorExpressionSyntax(Span(ctx));
    }

    private ExpressionSyntax Postfix(P.PostfixExprContext ctx)
    {
        ExpressionSyntax result = ctx.primary() is { } p ? Primary(p) : new ErrorExpressionSyntax(Span(ctx));
        foreach (var part in ctx.postfixPart())
        {
            var name = Identifier(part.identifier());
            var end = Math.Max(result.Span.End, Math.Max(name.Span.End, Span(part).End));
            result = part.LPAREN() is null
                ? new MemberAccessExpressionSyntax(result, name, TextSpan.FromBounds(result.Span.Start, Math.Max(result.Span.End, name.Span.End)))
                : new MemberCallExpressionSyntax(result, name, Arguments(part.argumentList()), TextSpan.FromBounds(result.Span.Start, end));
        }
        return result;
    }

    private ImmutableArray<ArgumentSyntax> Arguments(P.ArgumentListContext? list) =>
        [.. (list?.argument() ?? []).Select(a =>
            new ArgumentSyntax(a.name is null ? null : Identifier(a.name), Expression(a.expression()), Span(a)))];

    private ExpressionSyntax Primary(P.PrimaryContext ctx)
    {
        var span = Span(ctx);
        switch (ctx)
        {
            case P.LiteralPrimaryContext l:
                return Literal(l.literal());
            case P.NextWindowPrimaryContext n:
                return new NextWindowExpressionSyntax(Duration(n.duration()), span);
            case P.CallPrimaryContext c:
                return new CallExpressionSyntax(Identifier(c.name), Arguments(c.argumentList()), span);
            case P.NamePrimaryContext n:
                var name = Identifier(n.identifier());
                return name.IsMissing ? new ErrorExpressionSyntax(span) : new NameExpressionSyntax(name);
            case P.ParenPrimaryContext p:
                return new ParenthesizedExpressionSyntax(Expression(p.expression()), span);
            case P.ListPrimaryContext l:
                return new ListExpressionSyntax([.. l.expression().Select(Expression)], span);
            case P.CasePrimaryContext c:
                var expressions = c.expression();
                var pairs = c.WHEN().Length;
                var whens = ImmutableArray.CreateBuilder<CaseWhenSyntax>();
                for (var i = 0; i < pairs && 2 * i + 1 < expressions.Length; i++)
                {
                    var condition = Expression(expressions[2 * i]);
                    var result = Expression(expressions[2 * i + 1]);
                    whens.Add(new CaseWhenSyntax(condition, result, TextSpan.FromBounds(Span(c.WHEN(i)).Start, result.Span.End)));
                }
                var @else = c.ELSE() is not null && expressions.Length > 2 * pairs ? Expression(expressions[^1]) : null;
                return new CaseExpressionSyntax(whens.ToImmutable(), @else, span);
            default:
                return new ErrorExpressionSyntax(span);
        }
    }

    // ------------------------------------------------------------------ literals

    private ExpressionSyntax OptionValue(P.OptionValueContext? ctx)
    {
        if (ctx?.identifier() is { } word)
        {
            var name = Identifier(word);
            return name.IsMissing ? new ErrorExpressionSyntax(name.Span) : new NameExpressionSyntax(name);
        }
        return Literal(ctx?.literal());
    }

    private LiteralExpressionSyntax Literal(P.LiteralContext? ctx)
    {
        if (ctx is null) return new LiteralExpressionSyntax(LiteralKind.Null, "", null, new TextSpan(source.Text.Length, 0));
        if (ctx.duration() is { } d)
        {
            var duration = Duration(d);
            return new LiteralExpressionSyntax(LiteralKind.Duration, duration.Text, duration.Ticks, duration.Span);
        }
        return ctx.Start is { } token && !IsMissing(token) ? LiteralToken(token) : new LiteralExpressionSyntax(LiteralKind.Null, "", null, Span(ctx));
    }

    private LiteralExpressionSyntax LiteralToken(IToken token)
    {
        var span = Span(token);
        var text = token.Text;
        switch (token.Type)
        {
            case MarketingDslLexer.INT:
                if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var l))
                    return new LiteralExpressionSyntax(LiteralKind.Int, text, l, span);
                Report(SyntaxErrors.WholeNumberTooLarge(Shorten(text)), span);
                return new LiteralExpressionSyntax(LiteralKind.Int, text, 0L, span);
            case MarketingDslLexer.DECIMAL:
                if (decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var m))
                    return new LiteralExpressionSyntax(LiteralKind.Decimal, text, m, span);
                Report(SyntaxErrors.DecimalOutOfRange(Shorten(text)), span);
                return new LiteralExpressionSyntax(LiteralKind.Decimal, text, 0m, span);
            case MarketingDslLexer.STRING:
                return new LiteralExpressionSyntax(LiteralKind.String, text, Unquote(token), span);
            case MarketingDslLexer.TRUE:
                return new LiteralExpressionSyntax(LiteralKind.Bool, text, true, span);
            case MarketingDslLexer.FALSE:
                return new LiteralExpressionSyntax(LiteralKind.Bool, text, false, span);
            case MarketingDslLexer.DATE:
                if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
                    return new LiteralExpressionSyntax(LiteralKind.Date, text, date, span);
                Report(SyntaxErrors.BadDate(text), span);
                return new LiteralExpressionSyntax(LiteralKind.Date, text, null, span);
            case MarketingDslLexer.DATETIME:
                if (TryParseInstant(text, out var instant))
                    return new LiteralExpressionSyntax(LiteralKind.DateTime, text, instant, span);
                Report(SyntaxErrors.BadDateTime(text), span);
                return new LiteralExpressionSyntax(LiteralKind.DateTime, text, null, span);
            default:
                return new LiteralExpressionSyntax(LiteralKind.Null, text, null, span);
        }
    }

    /// <summary>Parses an ISO-8601 instant to UTC, truncated to whole microseconds (conformance rule 11).</summary>
    public static bool TryParseInstant(string text, out DateTime utc)
    {
        var styles = DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal;
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, styles, out var value))
        {
            var ticks = value.UtcTicks;
            utc = new DateTime(ticks - ticks % 10, DateTimeKind.Utc);
            return true;
        }
        utc = default;
        return false;
    }

    private DurationSyntax Duration(P.DurationContext? ctx)
    {
        if (ctx is null) return new DurationSyntax("", 0, new TextSpan(source.Text.Length, 0));
        long total = 0;
        var parts = new List<string>();
        foreach (var part in ctx.DURATION())
        {
            var text = part.GetText();
            parts.Add(text);
            if (!DurationText.TryParsePart(text, out var ticks) || total > long.MaxValue - ticks)
            {
                Report(SyntaxErrors.DurationTooLong(Shorten(text)), Span(part));
                // Saturate rather than drop the part: a zero length would add a misleading
                // "must be longer than zero" error after this one.
                total = long.MaxValue;
                break;
            }
            total += ticks;
        }
        return new DurationSyntax(string.Join(" ", parts), total, Span(ctx));
    }

    private long WholeNumber(ITerminalNode? node)
    {
        if (node is null || IsMissing(node.Symbol)) return 0;
        if (long.TryParse(node.GetText(), NumberStyles.None, CultureInfo.InvariantCulture, out var value)) return value;
        Report(SyntaxErrors.WholeNumberTooLarge(Shorten(node.GetText())), Span(node));
        return 0;
    }

    private decimal Percent(ITerminalNode? node)
    {
        if (node is null || IsMissing(node.Symbol)) return 0;
        var text = node.GetText();
        if (decimal.TryParse(text[..^1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) && value <= 100)
            return value;
        Report(SyntaxErrors.BadPercent(Shorten(text)), Span(node));
        return 0;
    }

    private int TimeOfDay(IToken? token)
    {
        if (token is null || IsMissing(token)) return 0;
        var parts = token.Text.Split(':');
        if (parts.Length == 2
            && int.TryParse(parts[0], CultureInfo.InvariantCulture, out var h) && int.TryParse(parts[1], CultureInfo.InvariantCulture, out var m)
            && h is >= 0 and <= 24 && m is >= 0 and <= 59 && (h < 24 || m == 0))
            return h * 60 + m;
        Report(SyntaxErrors.BadTimeOfDay(token.Text), Span(token));
        return 0;
    }

    private string Unquote(IToken token)
    {
        var text = token.Text;
        if (text.Length < 2 || text[0] != '"' || text[^1] != '"') return text.Trim('"');
        var body = text.AsSpan(1, text.Length - 2);
        if (body.IndexOf('\\') < 0) return body.ToString();
        var sb = new StringBuilder(body.Length);
        for (var i = 0; i < body.Length; i++)
        {
            var c = body[i];
            if (c != '\\' || i + 1 >= body.Length) { sb.Append(c); continue; }
            var e = body[++i];
            switch (e)
            {
                case '"': sb.Append('"'); break;
                case '\\': sb.Append('\\'); break;
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case 'u' when i + 4 < body.Length
                    && int.TryParse(body.Slice(i + 1, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code):
                    sb.Append((char)code);
                    i += 4;
                    break;
                default:
                    var at = token.StartIndex + 1 + i - 1;
                    Report(SyntaxErrors.BadEscape(e), new TextSpan(at, 2));
                    sb.Append(e);
                    break;
            }
        }
        return sb.ToString();
    }

    private static string Shorten(string text) => text.Length > 30 ? text[..27] + "..." : text;
}
