using System.Collections.Immutable;
using MarketingDsl.Core.Diagnostics.Catalogues;
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
                    Report(TypeErrors.NamedArgumentOrder(), scope.File, argument.Span);
                    return new BoundErrorExpression();
                }
                positional.Add(argument.Value);
            }
            else if (!named.TryAdd(argument.Name.Text, argument))
            {
                Report(TypeErrors.DuplicateArgument(argument.Name.Text), scope.File, argument.Span);
                return new BoundErrorExpression();
            }
        }

        if (Aggregates.TryGetValue(name, out var kind)) return BindAggregate(syntax, kind, positional, named, scope);
        if (Builtins.Find(name) is null && _callableFunctions.TryGetValue(name, out var custom)) return BindCustomCall(syntax, custom,
            positional, named, scope);
        if (Builtins.Find(name) is null && _functions.WithErrors.Contains(name)) return new BoundErrorExpression();
        if (name == "quantile_score") return BindQuantileScore(syntax, positional, named, scope);
        if (named.Count > 0)
        {
            var first = named.Values.First();
            Report(NameErrors.NoNamedArguments(name, first.Name!.Text), scope.File, first.Name.Span);
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
            case "years_between": return Fixed(BuiltinFunction.YearsBetween, DslType.Int, [TypeKind.DateTime, TypeKind.Date],
                [TypeKind.DateTime, TypeKind.Date]);
            case "date": return Fixed(BuiltinFunction.Date, DslType.Date, [TypeKind.DateTime, TypeKind.Date]);
            case "hour": return Fixed(BuiltinFunction.Hour, DslType.Int, [TypeKind.DateTime]);
            case "weekday": return Fixed(BuiltinFunction.Weekday, DslType.Int, [TypeKind.DateTime, TypeKind.Date]);
            case "lower": return Fixed(BuiltinFunction.Lower, DslType.String, [TypeKind.String]);
            case "upper": return Fixed(BuiltinFunction.Upper, DslType.String, [TypeKind.String]);
            case "contains" when args.Count == 2 && args[0].Type.IsList:
            {
                var element = args[0].Type.Element ?? DslType.Error;
                if (element.IsError || args[1].Type.Kind == TypeKind.Null) return new BoundCall(BuiltinFunction.ListContains, [.. args],
                    DslType.Bool);
                if (Unify(element, args[1].Type) is not { } itemType || itemType.IsList)
                {
                    Report(TypeErrors.ListContainsMismatch(args[1].Type, element), scope.File, positional[1].Span);
                    return new BoundErrorExpression();
                }
                return new BoundCall(BuiltinFunction.ListContains, [Convert(args[0], DslType.ListOf(itemType)),
                    Convert(args[1], itemType)], DslType.Bool);
            }
            case "contains": return Fixed(BuiltinFunction.Contains, DslType.Bool, [TypeKind.String], [TypeKind.String]);
            case "size": return Fixed(BuiltinFunction.Size, DslType.Int, [TypeKind.List]);
            case "starts_with": return Fixed(BuiltinFunction.StartsWith, DslType.Bool, [TypeKind.String], [TypeKind.String]);
            case "abs":
                if (!CheckArity(syntax, args.Count, 1, 1, scope)) return new BoundErrorExpression();
                if (!args[0].Type.IsNumeric && args[0].Type.Kind != TypeKind.Null) { ReportArgumentType(syntax, 0, args[0].Type,
                    [TypeKind.Int, TypeKind.Decimal], scope); return new BoundErrorExpression(); }
                return new BoundCall(BuiltinFunction.Abs, [.. args], args[0].Type.Kind == TypeKind.Int ? DslType.Int : DslType.Decimal);
            case "round":
                if (!CheckArity(syntax, args.Count, 1, 2, scope)) return new BoundErrorExpression();
                if (!args[0].Type.IsNumeric && args[0].Type.Kind != TypeKind.Null) { ReportArgumentType(syntax, 0, args[0].Type,
                    [TypeKind.Int, TypeKind.Decimal], scope); return new BoundErrorExpression(); }
                var places = args.Count == 2 ? args[1] : new BoundLiteral(0L, DslType.Int);
                if (places is not BoundLiteral { Value: long p } || p is < 0 or > 28)
                {
                    Report(TypeErrors.RoundDigitsNotConstant(), scope.File, positional[1].Span);
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
                        Report(TypeErrors.CoalesceArgumentMismatch(args[i].Type, common), scope.File, positional[i].Span);
                        return new BoundErrorExpression();
                    }
                    common = u;
                }
                return new BoundCall(BuiltinFunction.Coalesce, [.. args.Select(a => Convert(a, common))],
                    common.WithNullable(args[^1].Type.IsNullable || args[^1].Type.Kind == TypeKind.Null));
            default:
                return ReportUnknownFunction(syntax, scope);
        }
    }

    private BoundExpression ReportUnknownFunction(CallExpressionSyntax syntax, Scope scope)
    {
        var name = syntax.Function.Text;
        bool? isProfileField = _values.TryGetValue(name, out var value) ? value is ProfileFieldSymbol : null;
        Report(NameErrors.UnknownFunction(name, isProfileField, NameSuggestions.Closest(name,
            Builtins.All.Select(f => f.Name).Concat(_callableFunctions.Keys))), scope.File, syntax.Function.Span);
        return new BoundErrorExpression();
    }

    private bool CheckArity(CallExpressionSyntax syntax, int count, int min, int max, Scope scope)
    {
        if (count >= min && count <= max) return true;
        var signature = Builtins.Find(syntax.Function.Text)?.Signature
            ?? _callableFunctions.GetValueOrDefault(syntax.Function.Text)?.Signature ?? syntax.Function.Text;
        Report(TypeErrors.ArgumentCount(syntax.Function.Text, min, max, count, signature), scope.File, syntax.Span);
        return false;
    }

    private void ReportArgumentType(CallExpressionSyntax syntax, int index, DslType actual, TypeKind[] accepted, Scope scope)
    {
        var span = syntax.Arguments.Where(a => a.Name is null).ElementAtOrDefault(index)?.Span ?? syntax.Span;
        Report(TypeErrors.ArgumentType(syntax.Function.Text, index, [.. accepted.Select(k => new DslType(k))], actual), scope.File, span);
    }

    private BoundExpression BindAggregate(CallExpressionSyntax syntax, AggregateKind kind, List<ExpressionSyntax> positional,
        Dictionary<string, ArgumentSyntax> named, Scope scope)
    {
        var name = syntax.Function.Text;
        var needsField = kind is not (AggregateKind.Count or AggregateKind.Exists);
        var expectedPositional = kind == AggregateKind.Top ? 2 : 1;
        if (scope.Event is not null || scope.InAggregate)
        {
            Report(TypeErrors.NestedAggregate(name), scope.File, syntax.Span);
            return new BoundErrorExpression();
        }
        if (positional.Count != expectedPositional)
        {
            var signature = Builtins.Find(name)!.Signature;
            Report(TypeErrors.AggregateArgumentCount(name, expectedPositional, positional.Count, signature), scope.File, syntax.Span);
            return new BoundErrorExpression();
        }
        foreach (var (argName, argument) in named)
        {
            if (argName is "where" or "within") continue;
            Report(NameErrors.UnknownAggregateArgument(name, argName, NameSuggestions.Closest(argName, ["where", "within"])), scope.File,
                argument.Name!.Span);
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
                    Report(NameErrors.UnknownEventField(e.Name, m.Member.Text, FieldList(e), NameSuggestions.Closest(m.Member.Text,
                        e.Fields.Select(f => f.Name))), scope.File, m.Member.Span);
                    return new BoundErrorExpression();
                }
                break;
        }
        if (ev is null)
        {
            var targetName = target switch { NameExpressionSyntax n => n.Name.Text,
                MemberAccessExpressionSyntax { Target: NameExpressionSyntax n } => n.Name.Text, _ => null };
            var suggestion = targetName is null ? null : NameSuggestions.Closest(targetName, _schema.Events.Select(e => e.Name));
            Report(targetName is not null && !_values.ContainsKey(targetName)
                ? NameErrors.UnknownEvent(targetName, _schema.Events.Select(e => e.Name), suggestion)
                : TypeErrors.AggregateTargetNotEvent(name, needsField), scope.File, target.Span);
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
            Report(TypeErrors.AggregateNeedsField(name, ev.Name, example), scope.File, target.Span);
            return new BoundErrorExpression();
        }
        if (!needsField && field is not null)
        {
            Report(TypeErrors.CountTakesEvent(name, ev.Name), scope.File, target.Span);
            return new BoundErrorExpression();
        }
        var fieldType = field?.Type.NonNullable ?? DslType.Error;
        if (field is not null && !Builtins.AggregateTakesField(name, fieldType))
        {
            Report(kind is AggregateKind.Sum or AggregateKind.Avg
                ? TypeErrors.SumNotNumber(name, ev.Name, field.Name, fieldType)
                : TypeErrors.AggregateNotOrderable(name, ev.Name, field.Name), scope.File, target.Span);
            return new BoundErrorExpression();
        }
        // Over a list field, sum/avg/min/max/distinct/top read its items (BoundAggregate.OverItems).
        if (fieldType.IsList && kind is not (AggregateKind.First or AggregateKind.Last)) fieldType = fieldType.Element ?? DslType.Error;

        var topCount = 0;
        if (kind == AggregateKind.Top)
        {
            var k = BindExpression(positional[1], scope);
            if (k is not BoundLiteral { Value: long count } || count < 1 || count > 1000)
            {
                if (!k.Type.IsError) Report(TypeErrors.TopCountNotConstant(), scope.File, positional[1].Span);
                return new BoundErrorExpression();
            }
            topCount = (int)count;
        }

        BoundExpression? where = null;
        if (named.TryGetValue("where", out var whereArg))
        {
            where = BindCondition(whereArg.Value, scope with { Event = ev, InAggregate = true, Dependencies = scope.Dependencies },
                ConditionPlace.AggregateWhere);
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
                    Report(TypeErrors.NextOutsideModel(), scope.File, withinArg.Value.Span);
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
                Report(TypeErrors.WithinNotDuration(), scope.File, withinArg.Value.Span);
                return new BoundErrorExpression();
            }
            if (window <= 0)
            {
                Report(TypeErrors.WithinNotPositive(), scope.File, withinArg.Value.Span);
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

    private BoundExpression BindQuantileScore(CallExpressionSyntax syntax, List<ExpressionSyntax> positional,
        Dictionary<string, ArgumentSyntax> named, Scope scope)
    {
        if (named.Count > 0)
        {
            var first = named.Values.First();
            Report(NameErrors.NoNamedArguments("quantile_score", first.Name!.Text), scope.File, first.Name.Span);
            return new BoundErrorExpression();
        }
        if (!CheckArity(syntax, positional.Count, 2, 3, scope)) return new BoundErrorExpression();
        if (!scope.AllowPopulation || scope.Event is not null)
        {
            Report(TypeErrors.QuantileScoreMisplaced(), scope.File, syntax.Span);
            return new BoundErrorExpression();
        }
        var value = BindExpression(positional[0], scope);
        if (value.Type.IsError) return new BoundErrorExpression();
        if (!value.Type.IsNumeric && value.Type.Kind is not (TypeKind.Date or TypeKind.DateTime or TypeKind.Duration))
        {
            Report(TypeErrors.QuantileScoreValueType(value.Type), scope.File, positional[0].Span);
            return new BoundErrorExpression();
        }
        var buckets = BindExpression(positional[1], scope);
        if (buckets is not BoundLiteral { Value: long n } || n < 1 || n > 1000)
        {
            if (!buckets.Type.IsError) Report(TypeErrors.QuantileBucketsNotConstant(), scope.File, positional[1].Span);
            return new BoundErrorExpression();
        }
        var descending = false;
        if (positional.Count == 3)
        {
            if (positional[2] is NameExpressionSyntax { Name.Text: "descending" or "ascending" } order) descending = order.Name.Text == "descending";
            else
            {
                Report(TypeErrors.QuantileScoreDirection(NameSuggestions.Closest((positional[2] as NameExpressionSyntax)?.Name.Text ?? "",
                    ["descending", "ascending"])), scope.File, positional[2].Span);
                return new BoundErrorExpression();
            }
        }
        return new BoundQuantileScore(_populationNodes++, value, (int)n, descending);
    }
}
