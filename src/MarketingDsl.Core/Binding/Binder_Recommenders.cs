using System.Collections.Immutable;
using MarketingDsl.Core.Diagnostics.Catalogues;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Core.Syntax;
using MarketingDsl.Core.Text;

namespace MarketingDsl.Core.Binding;

/// <summary>`recommender` declarations, their members (`items`, `categories`, `related(item, n)`) and a send's `items:`.</summary>
internal sealed partial class Binder
{
    private static readonly string[] RecommenderProperties = ["items", "signals", "category", "within", "k", "repeat"];
    private static readonly string[] RecommenderMembers = ["items", "categories", "related"];
    private const long DefaultRecommenderWindowTicks = 180 * TimeSpan.TicksPerDay;
    public const int MaxRecommendations = 100;

    private void BindRecommender(ModelSymbol recommender)
    {
        var (file, declaration) = _declarations[recommender];
        var syntax = (RecommenderDeclarationSyntax)declaration;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var ok = true;
        (EventTypeSymbol Event, FieldSymbol Field)? items = null;
        (EventTypeSymbol Event, FieldSymbol Field, TextSpan Span)? category = null;
        var signals = new List<(EventTypeSymbol Event, double Weight, TextSpan Span)>();
        var window = DefaultRecommenderWindowTicks;
        var k = 10;
        var repeat = false;
        // items first: the other properties are checked against its event and field.
        foreach (var property in syntax.Properties.OrderBy(p => p.Name.Text == "items" ? 0 : 1))
        {
            var name = property.Name.Text;
            if (property.Name.IsMissing) { ok = false; continue; }
            if (!RecommenderProperties.Contains(name))
            {
                Report(RecommenderNameErrors.UnknownProperty(name, NameSuggestions.Closest(name, RecommenderProperties)), file, property.Name.Span);
                ok = false;
                continue;
            }
            if (!seen.Add(name))
            {
                Report(RecommenderErrors.DuplicateProperty(name), file, property.Name.Span);
                ok = false;
                continue;
            }
            if (name != "signals")
            {
                if (property.Values.Length != 1)
                {
                    Report(RecommenderErrors.OneValue(name), file, property.Span);
                    ok = false;
                    continue;
                }
                if (property.Values[0].Weight is { } weight)
                {
                    Report(RecommenderErrors.WeightOutsideSignals(name), file, weight.Span);
                    ok = false;
                }
            }
            var value = property.Values[0].Value;
            switch (name)
            {
                case "items":
                    items = RecommenderField(value, name, file) is { } i ? (i.Event, i.Field) : null;
                    ok &= items is not null;
                    break;
                case "category":
                    if (RecommenderField(value, name, file) is not { } c) { ok = false; break; }
                    if (items is { } it && c.Event != it.Event)
                    {
                        Report(RecommenderErrors.CategoryOnOtherEvent(file.ToString(value.Span), it.Event.Name), file, value.Span);
                        ok = false;
                        break;
                    }
                    category = (c.Event, c.Field, value.Span);
                    break;
                case "signals":
                    foreach (var signal in property.Values)
                    {
                        if (signal.Value is not NameExpressionSyntax eventName || signal.Weight is not { Value: long or decimal } w
                            || System.Convert.ToDecimal(w.Value, System.Globalization.CultureInfo.InvariantCulture) <= 0)
                        {
                            Report(RecommenderTypeErrors.SignalWeight(file.ToString(signal.Span)), file, signal.Span);
                            ok = false;
                            continue;
                        }
                        if (LookupRecommenderEvent(eventName.Name, name, file) is not { } ev) { ok = false; continue; }
                        if (signals.Any(s => s.Event == ev))
                        {
                            Report(RecommenderErrors.DuplicateSignal(ev.Name), file, signal.Span);
                            ok = false;
                            continue;
                        }
                        signals.Add((ev, System.Convert.ToDouble(w.Value, System.Globalization.CultureInfo.InvariantCulture), signal.Span));
                    }
                    break;
                case "within":
                    if (value is not LiteralExpressionSyntax { Kind: LiteralKind.Duration, Value: long ticks })
                    {
                        Report(RecommenderTypeErrors.WithinNotDuration(file.ToString(value.Span)), file, value.Span);
                        ok = false;
                    }
                    else if (ticks <= 0)
                    {
                        Report(RecommenderErrors.Within(file.ToString(value.Span)), file, value.Span);
                        ok = false;
                    }
                    else window = ticks;
                    break;
                case "k":
                    if (value is LiteralExpressionSyntax { Kind: LiteralKind.Int, Value: long count } &&
                        count is >= 1 and <= MaxRecommendations) k = (int)count;
                    else
                    {
                        Report(RecommenderErrors.K(file.ToString(value.Span)), file, value.Span);
                        ok = false;
                    }
                    break;
                case "repeat":
                    if (value is LiteralExpressionSyntax { Kind: LiteralKind.Bool, Value: bool b }) repeat = b;
                    else
                    {
                        Report(RecommenderTypeErrors.RepeatNotBool(file.ToString(value.Span)), file, value.Span);
                        ok = false;
                    }
                    break;
            }
        }
        if (!seen.Contains("items"))
        {
            Report(RecommenderErrors.MissingProperty(recommender.Name, "items", "items: order.sku"), file, syntax.Name.Span);
            ok = false;
        }
        if (!seen.Contains("signals"))
        {
            Report(RecommenderErrors.MissingProperty(recommender.Name, "signals", "signals: view 1, cart_add 3, order 5"), file, syntax.Name.Span);
            ok = false;
        }
        if (items is { } itemField)
            foreach (var (ev, _, span) in signals)
            {
                if (ev.Find(itemField.Field.Name) is not { } field)
                {
                    Report(RecommenderNameErrors.SignalWithoutItem(ev.Name, itemField.Field.Name), file, span);
                    ok = false;
                }
                else if (field.Type.Kind != TypeKind.String)
                {
                    Report(RecommenderTypeErrors.FieldNotString("signals", ev.Name, field.Name, field.Type), file, span);
                    ok = false;
                }
            }
        if (ok && items is { } definedItems)
            recommender.Recommender = new RecommenderDefinition(definedItems.Event, definedItems.Field.Name, category?.Field.Name,
                [.. signals.Select(s => new RecommenderSignalDefinition(s.Event, s.Weight))], window, k, repeat);
    }

    /// <summary>`EVENT.FIELD` naming a string field (items:, category:).</summary>
    private (EventTypeSymbol Event, FieldSymbol Field)? RecommenderField(ExpressionSyntax value, string property, SourceText file)
    {
        if (value is not MemberAccessExpressionSyntax { Target: NameExpressionSyntax eventName } member)
        {
            Report(RecommenderTypeErrors.FieldExpected(property, file.ToString(value.Span)), file, value.Span);
            return null;
        }
        if (LookupRecommenderEvent(eventName.Name, property, file) is not { } ev) return null;
        if (ev.Find(member.Member.Text) is not { } field)
        {
            Report(RecommenderNameErrors.UnknownField(ev.Name, member.Member.Text, property,
                NameSuggestions.Closest(member.Member.Text, ev.Fields.Select(f => f.Name))),
                file, member.Member.Span);
            return null;
        }
        if (field.Type.Kind != TypeKind.String)
        {
            Report(RecommenderTypeErrors.FieldNotString(property, ev.Name, field.Name, field.Type), file, value.Span);
            return null;
        }
        return (ev, field);
    }

    private EventTypeSymbol? LookupRecommenderEvent(IdentifierSyntax name, string property, SourceText file)
    {
        if (_schema.FindEvent(name.Text) is { } ev) return ev;
        Report(RecommenderNameErrors.UnknownEvent(name.Text, property, NameSuggestions.Closest(name.Text, _schema.Events.Select(e => e.Name))),
            file, name.Span);
        return null;
    }

    private bool RecommenderDeclares(ModelSymbol recommender, string property) =>
        _declarations[recommender].Syntax is RecommenderDeclarationSyntax syntax && syntax.Properties.Any(p => p.Name.Text == property);

    /// <summary>`r.items`, `r.categories` (and `r.related` without its arguments, an error); false when the target is not a recommender.</summary>
    private bool TryBindRecommenderMember(MemberAccessExpressionSyntax syntax, Scope scope, out BoundExpression bound)
    {
        bound = new BoundErrorExpression();
        if (RecommenderTarget(syntax.Target, scope) is not { } recommender) return false;
        var member = syntax.Member.Text;
        switch (member)
        {
            case "items":
                bound = new BoundModelOutput(recommender, ModelOutput.Items, DslType.ListOf(DslType.String));
                return true;
            case "categories":
                if (!RecommenderDeclares(recommender, "category"))
                {
                    Report(RecommenderNameErrors.NoCategories(recommender.Name), scope.File, syntax.Member.Span);
                    return true;
                }
                bound = new BoundModelOutput(recommender, ModelOutput.Categories, DslType.ListOf(DslType.String));
                return true;
            case "related":
                Report(RecommenderNameErrors.RelatedNotCalled(recommender.Name), scope.File, syntax.Span);
                return true;
            default:
                if (!syntax.Member.IsMissing)
                    Report(RecommenderNameErrors.UnknownMember(recommender.Name, member, NameSuggestions.Closest(member, RecommenderMembers)),
                        scope.File, syntax.Member.Span);
                return true;
        }
    }

    /// <summary>`r.related(item, n)`: the only member call of the language.</summary>
    private BoundExpression BindMemberCall(MemberCallExpressionSyntax syntax, Scope scope)
    {
        if (RecommenderTarget(syntax.Target, scope) is not { } recommender || syntax.Member.Text != "related")
        {
            if (RecommenderTarget(syntax.Target, scope) is { } r && !RecommenderMembers.Contains(syntax.Member.Text))
                Report(RecommenderNameErrors.UnknownMember(r.Name, syntax.Member.Text,
                    NameSuggestions.Closest(syntax.Member.Text, RecommenderMembers)),
                    scope.File, syntax.Member.Span);
            else
                Report(RecommenderNameErrors.NotCallable(scope.File.ToString(TextSpan.FromBounds(syntax.Target.Span.Start, syntax.Member.Span.End))),
                    scope.File, syntax.Span);
            foreach (var argument in syntax.Arguments) BindExpression(argument.Value, scope);
            return new BoundErrorExpression();
        }
        if (syntax.Arguments.Length != 2 || syntax.Arguments.Any(a => a.Name is not null))
        {
            Report(RecommenderTypeErrors.RelatedArguments(recommender.Name, syntax.Arguments.Length), scope.File, syntax.Span);
            foreach (var argument in syntax.Arguments) BindExpression(argument.Value, scope);
            return new BoundErrorExpression();
        }
        var item = BindExpression(syntax.Arguments[0].Value, scope);
        var countSyntax = syntax.Arguments[1].Value;
        if (item.Type.IsError) return new BoundErrorExpression();
        if (item.Type.Kind is not (TypeKind.String or TypeKind.Null))
        {
            Report(RecommenderTypeErrors.RelatedArguments(recommender.Name, 2, itemType: item.Type),
                scope.File, syntax.Arguments[0].Span);
            return new BoundErrorExpression();
        }
        if (countSyntax is not LiteralExpressionSyntax { Kind: LiteralKind.Int, Value: long count } || count is < 1 or > MaxRecommendations)
        {
            Report(RecommenderTypeErrors.RelatedArguments(recommender.Name, 2, countWritten: scope.File.ToString(countSyntax.Span)),
                scope.File, countSyntax.Span);
            return new BoundErrorExpression();
        }
        return new BoundModelOutput(recommender, ModelOutput.Related, DslType.ListOf(DslType.String))
        {
            Item = item,
            Count = new BoundLiteral(count, DslType.Int) { Syntax = countSyntax },
        };
    }

    private ModelSymbol? RecommenderTarget(ExpressionSyntax target, Scope scope)
    {
        if (target is not NameExpressionSyntax name || scope.Event is not null
            || !_values.TryGetValue(name.Name.Text, out var symbol) || symbol is not ModelSymbol { IsRecommender: true } recommender)
            return null;
        _references[name.Name] = recommender;
        _used.Add(recommender);
        return recommender;
    }

    /// <summary>A send's `items:`: a list, evaluated for the user when the message goes (like an `if`, for one user at one instant).</summary>
    private BoundExpression? BindSendItems(SendStepSyntax send, Scope scope, JourneySymbol journey)
    {
        if (send.Items is not { } syntax) return null;
        var items = BindExpression(syntax, scope);
        if (items.Type.IsError) return null;
        if (items.Type.Kind is not (TypeKind.List or TypeKind.Null))
        {
            Report(RecommenderTypeErrors.SendItemsNotList(items.Type), scope.File, syntax.Span);
            return null;
        }
        _journeyConditions.Add((journey, items, scope.File, syntax.Span, ConditionPlace.SendItems));
        return items;
    }
}
