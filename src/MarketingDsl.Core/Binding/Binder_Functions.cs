using System.Collections.Immutable;
using MarketingDsl.Core.Checking;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Core.Syntax;

namespace MarketingDsl.Core.Binding;

internal sealed partial class Binder
{
    private static readonly Dictionary<string, AggregateKind> Aggregates = new(StringComparer.Ordinal)
    {
        ["count"] = AggregateKind.Count, ["exists"] = AggregateKind.Exists, ["sum"] = AggregateKind.Sum,
        ["avg"] = AggregateKind.Avg, ["min"] = AggregateKind.Min, ["max"] = AggregateKind.Max,
        ["first"] = AggregateKind.First, ["last"] = AggregateKind.Last, ["distinct"] = AggregateKind.Distinct,
        ["top"] = AggregateKind.Top,
    };

    private BoundExpression BindCall(CallExpressionSyntax syntax, Scope scope)
    {
        var name = syntax.Function.Text;
        // Positional arguments come first; named ones after (`where:`, `within:`).
        var positional = new List<ExpressionSyntax>();
        var named = new Dictionary<string, ArgumentSyntax>(StringComparer.Ordinal);
        foreach (var argument in syntax.Arguments)
        {
            if (argument.Name is null)
            {
                if (named.Count > 0)
                {
                    Report(TypeErrors.NamedArgumentOrder, scope.File, argument.Span, "Write positional arguments before named ones such as where: and within:.");
                    return new BoundErrorExpression();
                }
                positional.Add(argument.Value);
            }
            else if (!named.TryAdd(argument.Name.Text, argument))
            {
                Report(TypeErrors.DuplicateArgument, scope.File, argument.Span, $"'{argument.Name.Text}:' is given twice.");
                return new BoundErrorExpression();
            }
        }

        if (Aggregates.TryGetValue(name, out var kind)) return BindAggregate(syntax, kind, positional, named, scope);
        if (Builtins.Find(name) is null && _callableFunctions.TryGetValue(name, out var custom)) return BindCustomCall(syntax, custom, positional, named, scope);
        if (Builtins.Find(name) is null && _functions.WithErrors.Contains(name)) return new BoundErrorExpression();
        if (name == "quantile_score") return BindQuantileScore(syntax, positional, named, scope);
        if (named.Count > 0)
        {
            var first = named.Values.First();
            Report(NameErrors.UnknownArgument, scope.File, first.Name!.Span, $"{name}() takes no named argument '{first.Name.Text}:'; only aggregates take where: and within:.");
            return new BoundErrorExpression();
        }
        var args = positional.Select(p => BindExpression(p, scope)).ToList();
        if (args.Any(a => a.Type.IsError)) return Builtins.Find(name) is null ? ReportUnknownFunction(syntax, scope) : new BoundErrorExpression();

        BoundExpression Fixed(BuiltinFunction f, DslType result, params TypeKind[][] accepted)
        {
            if (!CheckArity(syntax, args.Count, accepted.Length, accepted.Length, scope)) return new BoundErrorExpression();
            for (var i = 0; i < accepted.Length; i++)
            {
                if (args[i].Type.Kind == TypeKind.Null || accepted[i].Contains(args[i].Type.Kind)) continue;
                ReportArgumentType(syntax, i, args[i].Type, accepted[i], scope);
                return new BoundErrorExpression();
            }
            return new BoundCall(f, [.. args], result);
        }

        switch (name)
        {
            case "now":
                return CheckArity(syntax, args.Count, 0, 0, scope) ? new BoundNow() : new BoundErrorExpression();
            case "days_since": return Fixed(BuiltinFunction.DaysSince, DslType.Int, [TypeKind.DateTime, TypeKind.Date]);
            case "hours_since": return Fixed(BuiltinFunction.HoursSince, DslType.Int, [TypeKind.DateTime, TypeKind.Date]);
            case "years_between": return Fixed(BuiltinFunction.YearsBetween, DslType.Int, [TypeKind.DateTime, TypeKind.Date], [TypeKind.DateTime, TypeKind.Date]);
            case "date": return Fixed(BuiltinFunction.Date, DslType.Date, [TypeKind.DateTime, TypeKind.Date]);
            case "hour": return Fixed(BuiltinFunction.Hour, DslType.Int, [TypeKind.DateTime]);
            case "weekday": return Fixed(BuiltinFunction.Weekday, DslType.Int, [TypeKind.DateTime, TypeKind.Date]);
            case "lower": return Fixed(BuiltinFunction.Lower, DslType.String, [TypeKind.String]);
            case "upper": return Fixed(BuiltinFunction.Upper, DslType.String, [TypeKind.String]);
            case "contains": return Fixed(BuiltinFunction.Contains, DslType.Bool, [TypeKind.String], [TypeKind.String]);
            case "starts_with": return Fixed(BuiltinFunction.StartsWith, DslType.Bool, [TypeKind.String], [TypeKind.String]);
            case "abs":
                if (!CheckArity(syntax, args.Count, 1, 1, scope)) return new BoundErrorExpression();
                if (!args[0].Type.IsNumeric && args[0].Type.Kind != TypeKind.Null) { ReportArgumentType(syntax, 0, args[0].Type, [TypeKind.Int, TypeKind.Decimal], scope); return new BoundErrorExpression(); }
                return new BoundCall(BuiltinFunction.Abs, [.. args], args[0].Type.Kind == TypeKind.Int ? DslType.Int : DslType.Decimal);
            case "round":
                if (!CheckArity(syntax, args.Count, 1, 2, scope)) return new BoundErrorExpression();
                if (!args[0].Type.IsNumeric && args[0].Type.Kind != TypeKind.Null) { ReportArgumentType(syntax, 0, args[0].Type, [TypeKind.Int, TypeKind.Decimal], scope); return new BoundErrorExpression(); }
                var places = args.Count == 2 ? args[1] : new BoundLiteral(0L, DslType.Int);
                if (places is not BoundLiteral { Value: long p } || p is < 0 or > 28)
                {
                    Report(TypeErrors.NotConstant, scope.File, positional[1].Span, "The number of decimal places must be a whole number from 0 to 28 written out, e.g. round(x, 2).");
                    return new BoundErrorExpression();
                }
                return new BoundCall(BuiltinFunction.Round, [Convert(args[0], DslType.Decimal), places], DslType.Decimal);
            case "coalesce":
                if (!CheckArity(syntax, args.Count, 1, int.MaxValue, scope)) return new BoundErrorExpression();
                var common = DslType.Null;
                for (var i = 0; i < args.Count; i++)
                {
                    if (Unify(common, args[i].Type) is not { } u)
                    {
                        Report(TypeErrors.Mismatch, scope.File, positional[i].Span, $"coalesce() needs values of one kind; this is {Describe(args[i].Type)}, the ones before are {Describe(common)}.");
                        return new BoundErrorExpression();
                    }
                    common = u;
                }
                return new BoundCall(BuiltinFunction.Coalesce, [.. args.Select(a => Convert(a, common))], common.WithNullable(args[^1].Type.IsNullable || args[^1].Type.Kind == TypeKind.Null));
            default:
                return ReportUnknownFunction(syntax, scope);
        }
    }

    private BoundExpression ReportUnknownFunction(CallExpressionSyntax syntax, Scope scope)
    {
        var name = syntax.Function.Text;
        var hint = _values.ContainsKey(name) ? $" '{name}' is a {(_values[name] is ProfileFieldSymbol ? "profile field" : "tag")}; use it without ( )." : "";
        Report(NameErrors.UnknownFunction, scope.File, syntax.Function.Span, $"There is no function '{name}'.{hint}",
            NameSuggestions.Closest(name, Builtins.All.Select(f => f.Name).Concat(_callableFunctions.Keys)));
        return new BoundErrorExpression();
    }

    private bool CheckArity(CallExpressionSyntax syntax, int count, int min, int max, Scope scope)
    {
        if (count >= min && count <= max) return true;
        var expected = min == max ? $"{min}" : max == int.MaxValue ? $"at least {min}" : $"{min} or {max}";
        var signature = Builtins.Find(syntax.Function.Text)?.Signature ?? _callableFunctions.GetValueOrDefault(syntax.Function.Text)?.Signature ?? syntax.Function.Text;
        Report(TypeErrors.ArgumentCount, scope.File, syntax.Span, $"{syntax.Function.Text}() takes {expected} argument{(max == 1 && min == 1 ? "" : "s")}, not {count}: {signature}.");
        return false;
    }

    private void ReportArgumentType(CallExpressionSyntax syntax, int index, DslType actual, TypeKind[] accepted, Scope scope)
    {
        var wanted = string.Join(" or ", accepted.Select(k => Describe(new DslType(k))));
        var span = syntax.Arguments.Where(a => a.Name is null).ElementAtOrDefault(index)?.Span ?? syntax.Span;
        Report(TypeErrors.ArgumentType, scope.File, span, $"Argument {index + 1} of {syntax.Function.Text}() must be {wanted}, but it is {Describe(actual)}.");
    }

    private BoundExpression BindAggregate(CallExpressionSyntax syntax, AggregateKind kind, List<ExpressionSyntax> positional, Dictionary<string, ArgumentSyntax> named, Scope scope)
    {
        var name = syntax.Function.Text;
        var needsField = kind is not (AggregateKind.Count or AggregateKind.Exists);
        var expectedPositional = kind == AggregateKind.Top ? 2 : 1;
        if (scope.Event is not null || scope.InAggregate)
        {
            Report(TypeErrors.NestedAggregate, scope.File, syntax.Span, $"{name}() cannot be used inside where:; the condition is about one event at a time.");
            return new BoundErrorExpression();
        }
        if (positional.Count != expectedPositional)
        {
            var signature = Builtins.Find(name)!.Signature;
            Report(TypeErrors.ArgumentCount, scope.File, syntax.Span, $"{name}() takes {expectedPositional} argument{(expectedPositional == 1 ? "" : "s")} before where:/within:, not {positional.Count}: {signature}.");
            return new BoundErrorExpression();
        }
        foreach (var (argName, argument) in named)
        {
            if (argName is "where" or "within") continue;
            Report(NameErrors.UnknownArgument, scope.File, argument.Name!.Span, $"{name}() has no argument '{argName}:'; it takes where: and within:.", NameSuggestions.Closest(argName, ["where", "within"]));
            return new BoundErrorExpression();
        }

        // The stream: `order` for count/exists, `order.amount` for the others.
        EventTypeSymbol? ev = null;
        FieldSymbol? field = null;
        var target = positional[0];
        switch (target)
        {
            case NameExpressionSyntax n when _schema.FindEvent(n.Name.Text) is { } e:
                ev = e;
                _references[n.Name] = new EventTypeRef(e, null);
                break;
            case MemberAccessExpressionSyntax { Target: NameExpressionSyntax n } m when _schema.FindEvent(n.Name.Text) is { } e:
                ev = e;
                _references[n.Name] = new EventTypeRef(e, null);
                field = e.Find(m.Member.Text);
                if (field is null)
                {
                    Report(NameErrors.UnknownField, scope.File, m.Member.Span, $"The event '{e.Name}' has no field '{m.Member.Text}'; its fields are {FieldList(e)}.", NameSuggestions.Closest(m.Member.Text, e.Fields.Select(f => f.Name)));
                    return new BoundErrorExpression();
                }
                break;
        }
        if (ev is null)
        {
            var targetName = target switch { NameExpressionSyntax n => n.Name.Text, MemberAccessExpressionSyntax { Target: NameExpressionSyntax n } => n.Name.Text, _ => null };
            var suggestion = targetName is null ? null : NameSuggestions.Closest(targetName, _schema.Events.Select(e => e.Name));
            var message = targetName is not null && !_values.ContainsKey(targetName)
                ? $"'{targetName}' is not an event type; the events are {string.Join(", ", _schema.Events.Select(e => e.Name))}."
                : needsField ? $"{name}() needs an event field such as {name}(order.amount)." : $"{name}() needs an event type such as {name}(order).";
            Report(targetName is not null && !_values.ContainsKey(targetName) ? NameErrors.UnknownEvent : TypeErrors.AggregateTarget, scope.File, target.Span, message, suggestion);
            return new BoundErrorExpression();
        }
        if (needsField && field is null)
        {
            // The example must itself be valid: sum/avg need a number field, min/max an orderable one.
            var example = ev.Fields.Skip(2).FirstOrDefault(f => kind switch
            {
                AggregateKind.Sum or AggregateKind.Avg => f.Type.IsNumeric,
                AggregateKind.Min or AggregateKind.Max => f.Type.Kind is not (TypeKind.Bool or TypeKind.List),
                _ => true,
            })?.Name ?? (kind is AggregateKind.Sum or AggregateKind.Avg ? null : "ts");
            Report(TypeErrors.AggregateTarget, scope.File, target.Span, example is null
                ? $"{name}() needs a number field of '{ev.Name}', but '{ev.Name}' has none."
                : $"{name}() needs a field of '{ev.Name}', e.g. {name}({ev.Name}.{example}).");
            return new BoundErrorExpression();
        }
        if (!needsField && field is not null)
        {
            Report(TypeErrors.AggregateTarget, scope.File, target.Span, $"{name}() counts events: write {name}({ev.Name}), and put conditions on fields in where:.");
            return new BoundErrorExpression();
        }
        var fieldType = field?.Type.NonNullable ?? DslType.Error;
        if (kind is AggregateKind.Sum or AggregateKind.Avg && !fieldType.IsNumeric)
        {
            Report(TypeErrors.NotNumeric, scope.File, target.Span, $"{name}() adds numbers, but '{ev.Name}.{field!.Name}' is {Describe(fieldType)}.");
            return new BoundErrorExpression();
        }
        if (kind is AggregateKind.Min or AggregateKind.Max && fieldType.Kind is TypeKind.Bool)
        {
            Report(TypeErrors.NotComparable, scope.File, target.Span, $"{name}() needs values that can be ordered; '{ev.Name}.{field!.Name}' is yes/no.");
            return new BoundErrorExpression();
        }

        var topCount = 0;
        if (kind == AggregateKind.Top)
        {
            var k = BindExpression(positional[1], scope);
            if (k is not BoundLiteral { Value: long count } || count < 1 || count > 1000)
            {
                if (!k.Type.IsError) Report(TypeErrors.NotConstant, scope.File, positional[1].Span, "top() needs how many values to keep, written as a whole number from 1 to 1000, e.g. top(order.category, 3).");
                return new BoundErrorExpression();
            }
            topCount = (int)count;
        }

        BoundExpression? where = null;
        if (named.TryGetValue("where", out var whereArg))
        {
            where = BindCondition(whereArg.Value, scope with { Event = ev, InAggregate = true, Dependencies = scope.Dependencies }, "where:");
            if (where.Type.IsError) return new BoundErrorExpression();
        }
        long? window = null;
        var forward = false;
        if (named.TryGetValue("within", out var withinArg))
        {
            if (withinArg.Value is NextWindowExpressionSyntax next)
            {
                if (!scope.AllowNext)
                {
                    Report(TypeErrors.NextOutsideModel, scope.File, withinArg.Value.Span, "A `next` window looks into the future; it is only allowed in a model's predict: label.");
                    return new BoundErrorExpression();
                }
                forward = true;
                window = next.Duration.Ticks;
                scope.SawNextWindow = true;
            }
            else if (withinArg.Value is LiteralExpressionSyntax { Kind: LiteralKind.Duration, Value: long ticks })
            {
                window = ticks;
            }
            else
            {
                Report(TypeErrors.ArgumentType, scope.File, withinArg.Value.Span, "within: takes a duration written out, such as 30d or 12h.");
                return new BoundErrorExpression();
            }
            if (window <= 0)
            {
                Report(TypeErrors.BadValue, scope.File, withinArg.Value.Span, "within: must be longer than zero.");
                return new BoundErrorExpression();
            }
        }

        var type = kind switch
        {
            AggregateKind.Count or AggregateKind.Distinct => DslType.Int,
            AggregateKind.Exists => DslType.Bool,
            AggregateKind.Sum or AggregateKind.Avg => DslType.Decimal,
            AggregateKind.Top => DslType.ListOf(fieldType),
            _ => fieldType.WithNullable(true),
        };
        return new BoundAggregate(kind, ev, field, field is null ? -1 : ev.OrdinalOf(field.Name), where, window, forward, topCount, type);
    }

    private BoundExpression BindQuantileScore(CallExpressionSyntax syntax, List<ExpressionSyntax> positional, Dictionary<string, ArgumentSyntax> named, Scope scope)
    {
        if (named.Count > 0)
        {
            var first = named.Values.First();
            Report(NameErrors.UnknownArgument, scope.File, first.Name!.Span, "quantile_score() takes no named arguments: quantile_score(x, n[, descending]).");
            return new BoundErrorExpression();
        }
        if (!CheckArity(syntax, positional.Count, 2, 3, scope)) return new BoundErrorExpression();
        if (!scope.AllowPopulation || scope.Event is not null)
        {
            Report(TypeErrors.PopulationMisplaced, scope.File, syntax.Span,
                "quantile_score() compares a user with every other user, so it only goes in tags, segments and segmentations; define a tag with it and use that tag here.");
            return new BoundErrorExpression();
        }
        var value = BindExpression(positional[0], scope);
        if (value.Type.IsError) return new BoundErrorExpression();
        if (!value.Type.IsNumeric && value.Type.Kind is not (TypeKind.Date or TypeKind.DateTime or TypeKind.Duration))
        {
            Report(TypeErrors.ArgumentType, scope.File, positional[0].Span, $"quantile_score() ranks numbers, dates or durations, but this is {Describe(value.Type)}.");
            return new BoundErrorExpression();
        }
        var buckets = BindExpression(positional[1], scope);
        if (buckets is not BoundLiteral { Value: long n } || n < 1 || n > 1000)
        {
            if (!buckets.Type.IsError) Report(TypeErrors.NotConstant, scope.File, positional[1].Span, "The number of score buckets must be a whole number from 1 to 1000 written out, e.g. quantile_score(x, 5).");
            return new BoundErrorExpression();
        }
        var descending = false;
        if (positional.Count == 3)
        {
            if (positional[2] is NameExpressionSyntax { Name.Text: "descending" or "ascending" } order) descending = order.Name.Text == "descending";
            else
            {
                Report(TypeErrors.ArgumentType, scope.File, positional[2].Span, "The third argument of quantile_score() is the word descending (or ascending).", NameSuggestions.Closest((positional[2] as NameExpressionSyntax)?.Name.Text ?? "", ["descending", "ascending"]));
                return new BoundErrorExpression();
            }
        }
        return new BoundQuantileScore(_populationNodes++, value, (int)n, descending);
    }
}
