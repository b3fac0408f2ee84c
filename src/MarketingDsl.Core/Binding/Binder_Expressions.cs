using System.Collections.Immutable;
using MarketingDsl.Core.Diagnostics.Catalogues;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Core.Syntax;
using MarketingDsl.Core.Text;

namespace MarketingDsl.Core.Binding;

/// <summary>
/// What an expression may see. At the top level: tags, segments, profile fields, and events
/// inside aggregates. Inside `where:` (Event set): only that event's fields.
/// </summary>
internal sealed record Scope(
    SourceText File,
    ComputedSymbol? Owner = null,
    EventTypeSymbol? Event = null,
    bool AllowNext = false,
    bool AllowPopulation = true,
    bool InAggregate = false)
{
    public HashSet<ComputedSymbol> Dependencies { get; init; } = [];
    public bool SawNextWindow { get; set; }
    /// <summary>Set for journey audiences and conditions: tags are fine, population functions not.</summary>
    public string? Context { get; init; }
}

internal sealed partial class Binder
{
    private BoundExpression BindCondition(ExpressionSyntax syntax, Scope scope, string what) =>
        BindCondition(syntax, scope, ConditionPlace.Named(what));

    private BoundExpression BindCondition(ExpressionSyntax syntax, Scope scope, ConditionPlace what)
    {
        var bound = BindExpression(syntax, scope);
        if (bound.Type.Kind is TypeKind.Bool or TypeKind.Error) return bound;
        if (bound.Type.Kind == TypeKind.Null) return new BoundLiteral(null, DslType.Bool) { Syntax = syntax };
        Report(TypeErrors.ConditionNotBool(what, bound.Type), scope.File, syntax.Span);
        return new BoundErrorExpression { Syntax = syntax };
    }

    private BoundExpression BindExpression(ExpressionSyntax syntax, Scope scope)
    {
        var bound = syntax switch
        {
            LiteralExpressionSyntax l => BindLiteral(l),
            NameExpressionSyntax n => BindName(n, scope),
            MemberAccessExpressionSyntax m => BindMemberAccess(m, scope),
            MemberCallExpressionSyntax c => BindMemberCall(c, scope),
            CallExpressionSyntax c => BindCall(c, scope),
            UnaryExpressionSyntax u => BindUnary(u, scope),
            BinaryExpressionSyntax b => BindBinary(b, scope),
            InExpressionSyntax i => BindIn(i, scope),
            BetweenExpressionSyntax b => BindBetween(b, scope),
            IsNullExpressionSyntax n => new BoundIsNull(BindExpression(n.Operand, scope), n.Negated),
            ParenthesizedExpressionSyntax p => BindExpression(p.Inner, scope),
            ListExpressionSyntax l => BindList(l, scope),
            CaseExpressionSyntax c => BindCase(c, scope),
            NextWindowExpressionSyntax n => ReportNextOutsideWindow(n, scope),
            _ => new BoundErrorExpression(),
        };
        return bound.Syntax is null ? bound with { Syntax = syntax } : bound;
    }

    private BoundExpression ReportNextOutsideWindow(NextWindowExpressionSyntax syntax, Scope scope)
    {
        Report(TypeErrors.NextOutsideWithin(), scope.File, syntax.Span);
        return new BoundErrorExpression();
    }

    private static BoundExpression BindLiteral(LiteralExpressionSyntax l) => l.Kind switch
    {
        LiteralKind.Int => new BoundLiteral(l.Value, DslType.Int),
        LiteralKind.Decimal => new BoundLiteral(l.Value, DslType.Decimal),
        LiteralKind.String => new BoundLiteral(l.Value, DslType.String),
        LiteralKind.Bool => new BoundLiteral(l.Value, DslType.Bool),
        LiteralKind.Date => l.Value is null ? new BoundErrorExpression() : new BoundLiteral(l.Value, DslType.Date),
        LiteralKind.DateTime => l.Value is null ? new BoundErrorExpression() : new BoundLiteral(l.Value, DslType.DateTime),
        LiteralKind.Duration => new BoundLiteral(l.Value, DslType.Duration),
        _ => new BoundLiteral(null, DslType.Null),
    };

    private BoundExpression BindName(NameExpressionSyntax syntax, Scope scope)
    {
        var name = syntax.Name.Text;
        if (scope.Event is { } ev)
        {
            if (ev.Find(name) is { } field) return new BoundEventField(ev, field, ev.OrdinalOf(name));
            var suggestion = NameSuggestions.Closest(name, ev.Fields.Select(f => f.Name));
            Report(_values.ContainsKey(name)
                ? NameErrors.OutsideEventScope(name, ev.Name, FieldList(ev), suggestion)
                : NameErrors.UnknownEventField(ev.Name, name, FieldList(ev), suggestion), scope.File, syntax.Span);
            return new BoundErrorExpression();
        }
        if (_values.TryGetValue(name, out var symbol))
        {
            _references[syntax.Name] = symbol;
            switch (symbol)
            {
                case ProfileFieldSymbol p:
                    return new BoundProfileField(p.Field, _schema.ProfileOrdinalOf(p.Field.Name));
                case ComputedSymbol c:
                    return Reference(c, syntax, scope);
                case ModelSymbol { IsRecommender: true } r:
                    Report(RecommenderNameErrors.NotValue(name), scope.File, syntax.Span);
                    _used.Add(r);
                    return new BoundErrorExpression();
                case ModelSymbol m:
                    Report(NameErrors.ModelNotValue(name, m.IsClusters), scope.File, syntax.Span);
                    _used.Add(m);
                    return new BoundErrorExpression();
            }
        }
        if (_schema.FindEvent(name) is not null)
        {
            Report(NameErrors.EventNotValue(name), scope.File, syntax.Span);
            return new BoundErrorExpression();
        }
        if (name == "descending" || name == "ascending")
        {
            Report(TypeErrors.DirectionOutsideQuantileScore(name), scope.File, syntax.Span);
            return new BoundErrorExpression();
        }
        // After a syntax error, recovery often reads the next declaration's keyword (`tag`, `segment` …)
        // as a name; the syntax error already says what is wrong.
        if (DeclarationKeywords.Contains(name) && _filesWithSyntaxErrors.Contains(scope.File)) return new BoundErrorExpression();
        var candidates = _values.Keys.Concat(_schema.Events.Select(e => e.Name));
        Report(NameErrors.UnknownName(name, NameSuggestions.Closest(name, candidates)), scope.File, syntax.Span);
        return new BoundErrorExpression();
    }

    private BoundExpression Reference(ComputedSymbol target, NameExpressionSyntax syntax, Scope scope)
    {
        if (_cycleEdges.TryGetValue(syntax, out var cycle) || (_state.TryGetValue(target, out var state) && state == BindState.InProgress))
        {
            Report(NameErrors.Cycle(target.Name, target == scope.Owner ? target.Name : scope.Owner?.Name ?? "", cycle), scope.File, syntax.Span);
            return new BoundErrorExpression();
        }
        BindComputed(target);
        scope.Dependencies.Add(target);
        if (target.Type.IsError) return new BoundErrorExpression();
        return new BoundSymbolReference(target);
    }

    private static string FieldList(EventTypeSymbol ev) => string.Join(", ", ev.Fields.Select(f => f.Name));

    private BoundExpression BindMemberAccess(MemberAccessExpressionSyntax syntax, Scope scope)
    {
        if (TryBindRecommenderMember(syntax, scope, out var recommendation)) return recommendation;
        if (syntax.Target is NameExpressionSyntax target && scope.Event is null
            && _values.TryGetValue(target.Name.Text, out var symbol) && symbol is ModelSymbol model)
        {
            _references[target.Name] = model;
            _used.Add(model);
            var member = syntax.Member.Text;
            // Models are bound after tags, so whether a model is a regression is not known yet:
            // CheckModelOutputs reports a classifier's output read of a regression and back.
            (ModelOutput Output, DslType Type)? output = (model.IsClusters, member) switch
            {
                (false, "probability") => (ModelOutput.Probability, DslType.Decimal),
                (false, "predicted") => (ModelOutput.Predicted, DslType.Bool),
                (false, "value") => (ModelOutput.Value, DslType.Decimal),
                (false, "percentile") => (ModelOutput.Percentile, DslType.Int),
                (true, "cluster") => (ModelOutput.Cluster, DslType.Int),
                (true, "distance") => (ModelOutput.Distance, DslType.Decimal),
                _ => null,
            };
            if (output is null)
            {
                string[] members = model.IsClusters ? ["cluster", "distance"] : ["probability", "predicted", "value", "percentile"];
                Report(NameErrors.UnknownModelOutput(model.Name, member, members, NameSuggestions.Closest(member, members)),
                    scope.File, syntax.Member.Span);
                return new BoundErrorExpression();
            }
            _modelOutputUses.Add((scope.File, syntax.Member.Span, model, output.Value.Output));
            if (scope.Owner is null && scope.Context is not null)
            {
                // journeys and tests may read model outputs through a tag; directly is fine too
            }
            return new BoundModelOutput(model, output.Value.Output, output.Value.Type);
        }
        if (syntax.Target is NameExpressionSyntax evName && scope.Event is { } ev && evName.Name.Text == ev.Name)
        {
            // `order.amount` inside `where:` of an order aggregate is the same as `amount`.
            return BindName(new NameExpressionSyntax(syntax.Member), scope);
        }
        if (syntax.Target is NameExpressionSyntax eventTarget && _schema.FindEvent(eventTarget.Name.Text) is { } eventType)
        {
            var field = eventType.Find(syntax.Member.Text);
            if (field is null)
                Report(NameErrors.UnknownEventField(eventType.Name, syntax.Member.Text, FieldList(eventType),
                    NameSuggestions.Closest(syntax.Member.Text, eventType.Fields.Select(f => f.Name))), scope.File, syntax.Member.Span);
            else
                Report(TypeErrors.EventFieldOutsideAggregate(eventType.Name, field.Name), scope.File, syntax.Span);
            return new BoundErrorExpression();
        }
        var bound = BindExpression(syntax.Target, scope);
        if (!bound.Type.IsError)
            Report(NameErrors.NoMember(bound.Type, syntax.Member.Text), scope.File, syntax.Member.Span);
        return new BoundErrorExpression();
    }

    private BoundExpression BindUnary(UnaryExpressionSyntax syntax, Scope scope)
    {
        var operand = BindExpression(syntax.Operand, scope);
        if (operand.Type.IsError) return new BoundErrorExpression();
        if (syntax.Operator == UnaryOperator.Not)
        {
            if (operand.Type.Kind is TypeKind.Bool or TypeKind.Null) return new BoundUnary(BoundUnaryOperator.Not, operand, DslType.Bool);
            Report(TypeErrors.NotOperandNotBool(operand.Type), scope.File, syntax.Operand.Span);
            return new BoundErrorExpression();
        }
        if (operand.Type.IsNumeric || operand.Type.Kind is TypeKind.Duration)
            return new BoundUnary(BoundUnaryOperator.Negate, operand, operand.Type.NonNullable);
        if (operand.Type.Kind == TypeKind.Null) return operand;
        Report(TypeErrors.NegateNotNumber(operand.Type), scope.File, syntax.Operand.Span);
        return new BoundErrorExpression();
    }

    private BoundExpression BindBinary(BinaryExpressionSyntax syntax, Scope scope)
    {
        var left = BindExpression(syntax.Left, scope);
        var right = BindExpression(syntax.Right, scope);
        if (left.Type.IsError || right.Type.IsError) return new BoundErrorExpression();
        switch (syntax.Operator)
        {
            case BinaryOperator.And or BinaryOperator.Or:
                var ok = true;
                foreach (var (side, sideSyntax) in new[] { (left, syntax.Left), (right, syntax.Right) })
                {
                    if (side.Type.Kind is TypeKind.Bool or TypeKind.Null) continue;
                    Report(TypeErrors.LogicalOperandNotBool(syntax.Operator == BinaryOperator.And ? "and" : "or", side.Type),
                        scope.File, sideSyntax.Span);
                    ok = false;
                }
                if (!ok) return new BoundErrorExpression();
                var logical = syntax.Operator == BinaryOperator.And ? BoundBinaryOperator.And : BoundBinaryOperator.Or;
                return new BoundBinary(logical, AsBool(left), AsBool(right), DslType.Bool);

            case BinaryOperator.Equal or BinaryOperator.NotEqual or BinaryOperator.Less or BinaryOperator.LessOrEqual
                or BinaryOperator.Greater or BinaryOperator.GreaterOrEqual:
                return BindComparison(syntax, left, right, scope);

            case BinaryOperator.Coalesce:
                if (Unify(left.Type, right.Type) is not { } common)
                {
                    Report(TypeErrors.CoalesceOperatorMismatch(Quote(scope, syntax.Left), left.Type, Quote(scope, syntax.Right), right.Type),
                        scope.File, syntax.Span);
                    return new BoundErrorExpression();
                }
                return new BoundBinary(BoundBinaryOperator.Coalesce, Convert(left, common), Convert(right, common),
                    common.WithNullable(right.Type.IsNullable));

            default:
                return BindArithmetic(syntax, left, right, scope);
        }
    }

    private static BoundExpression AsBool(BoundExpression e) =>
        e.Type.Kind == TypeKind.Null ? new BoundLiteral(null, DslType.Bool) { Syntax = e.Syntax } : e;

    private BoundExpression BindArithmetic(BinaryExpressionSyntax syntax, BoundExpression left, BoundExpression right, Scope scope)
    {
        var op = syntax.Operator switch
        {
            BinaryOperator.Add => BoundBinaryOperator.Add,
            BinaryOperator.Subtract => BoundBinaryOperator.Subtract,
            BinaryOperator.Multiply => BoundBinaryOperator.Multiply,
            _ => BoundBinaryOperator.Divide,
        };
        var symbol = syntax.Operator switch { BinaryOperator.Add => "+", BinaryOperator.Subtract => "-", BinaryOperator.Multiply => "*", _ => "/" };
        var (l, r) = (left.Type.Kind, right.Type.Kind);
        if (l == TypeKind.Null || r == TypeKind.Null)
        {
            var other = l == TypeKind.Null ? right.Type : left.Type;
            var resultType = other.Kind == TypeKind.Int && op == BoundBinaryOperator.Divide ? DslType.Decimal
                : other.Kind == TypeKind.Null ? DslType.Null
                : other.NonNullable;
            return new BoundLiteral(null, resultType);
        }
        if (left.Type.IsNumeric && right.Type.IsNumeric)
        {
            // int op int stays int, except `/`, which is exact decimal division (conformance rule 3).
            var type = l == TypeKind.Int && r == TypeKind.Int && op != BoundBinaryOperator.Divide ? DslType.Int : DslType.Decimal;
            return new BoundBinary(op, Convert(left, type), Convert(right, type), type);
        }
        // Calendar arithmetic: datetime ± duration, datetime − datetime, duration ± duration, duration × number.
        switch (op, l, r)
        {
            case (BoundBinaryOperator.Add or BoundBinaryOperator.Subtract, TypeKind.DateTime, TypeKind.Duration):
                return new BoundBinary(op, left, right, DslType.DateTime);
            case (BoundBinaryOperator.Add, TypeKind.Duration, TypeKind.DateTime):
                return new BoundBinary(op, right, left, DslType.DateTime);
            case (BoundBinaryOperator.Subtract, TypeKind.DateTime, TypeKind.DateTime):
                return new BoundBinary(op, left, right, DslType.Duration);
            case (BoundBinaryOperator.Add or BoundBinaryOperator.Subtract, TypeKind.Duration, TypeKind.Duration):
                return new BoundBinary(op, left, right, DslType.Duration);
        }
        Report(TypeErrors.Arithmetic(Quote(scope, syntax.Left), symbol, Quote(scope, syntax.Right), left.Type, right.Type), scope.File, syntax.Span);
        return new BoundErrorExpression();
    }

    private BoundExpression BindComparison(BinaryExpressionSyntax syntax, BoundExpression left, BoundExpression right, Scope scope)
    {
        var op = syntax.Operator switch
        {
            BinaryOperator.Equal => BoundBinaryOperator.Equal,
            BinaryOperator.NotEqual => BoundBinaryOperator.NotEqual,
            BinaryOperator.Less => BoundBinaryOperator.Less,
            BinaryOperator.LessOrEqual => BoundBinaryOperator.LessOrEqual,
            BinaryOperator.Greater => BoundBinaryOperator.Greater,
            _ => BoundBinaryOperator.GreaterOrEqual,
        };
        if (left.Type.Kind == TypeKind.Null || right.Type.Kind == TypeKind.Null)
        {
            var null_ = left.Type.Kind == TypeKind.Null ? syntax.Left : syntax.Right;
            var other = left.Type.Kind == TypeKind.Null ? syntax.Right : syntax.Left;
            Report(TypeErrors.NullComparison(scope.File.ToString(other.Span), op == BoundBinaryOperator.NotEqual), scope.File, syntax.Span);
            return new BoundErrorExpression();
        }
        var isEquality = op is BoundBinaryOperator.Equal or BoundBinaryOperator.NotEqual;
        if (Unify(left.Type, right.Type) is not { } common || (common.IsList && !isEquality))
        {
            Report(TypeErrors.CompareMismatch(Quote(scope, syntax.Left), left.Type, Quote(scope, syntax.Right), right.Type), scope.File, syntax.Span);
            return new BoundErrorExpression();
        }
        if (!isEquality && common.Kind == TypeKind.Bool)
        {
            Report(TypeErrors.BoolNotOrderable(), scope.File, syntax.Span);
            return new BoundErrorExpression();
        }
        return new BoundBinary(op, Convert(left, common), Convert(right, common), DslType.Bool);
    }

    private BoundExpression BindIn(InExpressionSyntax syntax, Scope scope)
    {
        var value = BindExpression(syntax.Value, scope);
        var list = BindExpression(syntax.Collection, scope);
        if (value.Type.IsError || list.Type.IsError) return new BoundErrorExpression();
        if (!list.Type.IsList)
        {
            Report(TypeErrors.NotList(list.Type), scope.File, syntax.Collection.Span);
            return new BoundErrorExpression();
        }
        var element = list.Type.Element ?? DslType.Null;
        if (value.Type.Kind == TypeKind.Null) return new BoundLiteral(false, DslType.Bool);
        if (element.Kind == TypeKind.Null) return new BoundIn(value, list, syntax.Negated);
        if (Unify(value.Type, element) is not { } common)
        {
            Report(TypeErrors.InElementMismatch(Quote(scope, syntax.Value), value.Type, element), scope.File, syntax.Span);
            return new BoundErrorExpression();
        }
        return new BoundIn(Convert(value, common), ConvertList(list, common), syntax.Negated);
    }

    private BoundExpression BindBetween(BetweenExpressionSyntax syntax, Scope scope)
    {
        var value = BindExpression(syntax.Value, scope);
        var low = BindExpression(syntax.Low, scope);
        var high = BindExpression(syntax.High, scope);
        if (value.Type.IsError || low.Type.IsError || high.Type.IsError) return new BoundErrorExpression();
        var common = Unify(value.Type, low.Type) is { } a ? Unify(a, high.Type) : null;
        if (common is null || common.IsList || common.Kind == TypeKind.Bool)
        {
            Report(TypeErrors.BetweenMismatch(value.Type, low.Type, high.Type), scope.File, syntax.Span);
            return new BoundErrorExpression();
        }
        return new BoundBetween(Convert(value, common), Convert(low, common), Convert(high, common), syntax.Negated);
    }

    private BoundExpression BindList(ListExpressionSyntax syntax, Scope scope)
    {
        var items = syntax.Items.Select(i => BindExpression(i, scope)).ToList();
        if (items.Any(i => i.Type.IsError)) return new BoundErrorExpression();
        var element = DslType.Null;
        foreach (var (item, itemSyntax) in items.Zip(syntax.Items))
        {
            if (item.Type.IsList)
            {
                Report(TypeErrors.NestedList(), scope.File, itemSyntax.Span);
                return new BoundErrorExpression();
            }
            if (Unify(element, item.Type) is not { } u)
            {
                Report(TypeErrors.ListItemMismatch(item.Type, element), scope.File, itemSyntax.Span);
                return new BoundErrorExpression();
            }
            element = u;
        }
        return new BoundList([.. items.Select(i => Convert(i, element))], DslType.ListOf(element.NonNullable));
    }

    private BoundExpression BindCase(CaseExpressionSyntax syntax, Scope scope)
    {
        var whens = new List<(BoundExpression, BoundExpression)>();
        var resultType = DslType.Null;
        var failed = false;
        foreach (var when in syntax.Whens)
        {
            var condition = BindCondition(when.Condition, scope, ConditionPlace.CaseWhen);
            var result = BindExpression(when.Result, scope);
            if (condition.Type.IsError || result.Type.IsError) { failed = true; continue; }
            if (Unify(resultType, result.Type) is not { } u)
            {
                Report(TypeErrors.CaseBranchMismatch(result.Type, resultType), scope.File, when.Result.Span);
                failed = true;
                continue;
            }
            resultType = u;
            whens.Add((condition, result));
        }
        BoundExpression? @else = null;
        if (syntax.Else is not null)
        {
            @else = BindExpression(syntax.Else, scope);
            if (@else.Type.IsError) failed = true;
            else if (Unify(resultType, @else.Type) is not { } u)
            {
                Report(TypeErrors.CaseElseMismatch(resultType, @else.Type), scope.File, syntax.Else.Span);
                failed = true;
            }
            else resultType = u;
        }
        if (failed) return new BoundErrorExpression();
        var type = resultType.NonNullable;
        return new BoundCase([.. whens.Select(w => (w.Item1, Convert(w.Item2, type)))], @else is null ? null : Convert(@else, type), type);
    }

    // ------------------------------------------------------------------ types

    /// <summary>The type both values fit in: int and decimal meet in decimal, null fits anything.</summary>
    internal static DslType? Unify(DslType a, DslType b)
    {
        if (a.Kind == TypeKind.Error || b.Kind == TypeKind.Error) return DslType.Error;
        if (a.Kind == TypeKind.Null) return b;
        if (b.Kind == TypeKind.Null) return a;
        var nullable = a.IsNullable || b.IsNullable;
        if (a.SameAs(b)) return a.WithNullable(nullable);
        if (a.IsNumeric && b.IsNumeric) return DslType.Decimal.WithNullable(nullable);
        if (a.IsList && b.IsList && Unify(a.Element!, b.Element!) is { } e && !e.IsList) return DslType.ListOf(e);
        return null;
    }

    private static BoundExpression Convert(BoundExpression e, DslType target)
    {
        if (e.Type.Kind == TypeKind.Int && target.Kind == TypeKind.Decimal)
        {
            if (e is BoundLiteral { Value: long l }) return new BoundLiteral((decimal)l, DslType.Decimal) { Syntax = e.Syntax };
            return new BoundConversion(e, DslType.Decimal) { Syntax = e.Syntax };
        }
        if (e.Type.Kind == TypeKind.Null && target.Kind is not (TypeKind.Null or TypeKind.Error))
            return new BoundLiteral(null, target.NonNullable) { Syntax = e.Syntax };
        if (e is BoundList list && target.IsList) return ConvertList(list, target.Element!);
        return e;
    }

    private static BoundExpression ConvertList(BoundExpression list, DslType element)
    {
        if (list is BoundList l && l.Type.Element is { } current && !current.SameAs(element))
            return new BoundList([.. l.Items.Select(i => Convert(i, element))], DslType.ListOf(element.NonNullable)) { Syntax = l.Syntax };
        return list;
    }

    private static string Quote(Scope scope, ExpressionSyntax syntax)
    {
        var text = scope.File.ToString(syntax.Span).ReplaceLineEndings(" ");
        return text.Length > 40 ? $"'{text[..37]}...'" : $"'{text}'";
    }
}
