using System.Collections.Immutable;
using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Core.Diagnostics.Catalogues;
using MarketingDsl.Core.Functions;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Core.Syntax;

namespace MarketingDsl.Core.Binding;

/// <summary>Calls of custom C# functions (LANGUAGE.md §17), checked like built-ins.</summary>
internal sealed partial class Binder
{
    private static readonly HashSet<string> LanguageWords = ["quantile_score", "descending", "ascending", "true", "false", "null"];

    /// <summary>
    /// A function is callable unless its name is a built-in, a tag or other value, or another
    /// function's: then the name stays with the first owner and the function gets a diagnostic in
    /// its `.csx` file (a name never silently changes meaning).
    /// </summary>
    private void DeclareCustomFunctions()
    {
        foreach (var function in _functions.Functions)
        {
            (string, string)? takenBy =
                Builtins.Find(function.Name) is not null || Aggregates.ContainsKey(function.Name) || LanguageWords.Contains(function.Name)
                    ? ("a built-in function or word of the language", "内置函数或语言关键字")
                : _values.TryGetValue(function.Name, out var value)
                    ? ($"the {(value is ProfileFieldSymbol ? "profile field" : "declaration")} '{function.Name}'",
                        $"{(value is ProfileFieldSymbol ? "档案字段" : "声明")} '{function.Name}'")
                : _callableFunctions.TryGetValue(function.Name, out var first)
                    ? ($"also a function in {first.File.Path} (overloads are not supported)", $"{first.File.Path} 中的另一个函数（不支持重载）")
                : null;
            if (takenBy is { } taken) Report(FunctionErrors.NameTaken(function.Name, taken), function.File, function.Span);
            else _callableFunctions[function.Name] = function;
        }
    }

    private BoundExpression BindCustomCall(CallExpressionSyntax syntax, CustomFunctionSymbol function, List<ExpressionSyntax> positional,
        Dictionary<string, ArgumentSyntax> named, Scope scope)
    {
        if (named.Count > 0)
        {
            var first = named.Values.First();
            Report(NameErrors.NoNamedArguments(function.Name, first.Name!.Text), scope.File, first.Name.Span);
            return new BoundErrorExpression();
        }
        var args = positional.Select(p => BindExpression(p, scope)).ToList();
        if (args.Any(a => a.Type.IsError)) return new BoundErrorExpression();
        var count = function.Parameters.Length;
        if (!CheckArity(syntax, args.Count, count, count, scope)) return new BoundErrorExpression();
        var converted = ImmutableArray.CreateBuilder<BoundExpression>(count);
        for (var i = 0; i < count; i++)
        {
            var wanted = function.Parameters[i].Type;
            var actual = args[i].Type;
            if (actual.Kind == TypeKind.Null) converted.Add(new BoundLiteral(null, wanted.WithNullable(true)));
            else if (actual.SameAs(wanted)) converted.Add(args[i]);
            else if (actual.Kind == TypeKind.Int && wanted.Kind == TypeKind.Decimal) converted.Add(Convert(args[i], DslType.Decimal));
            else
            {
                var span = positional[i].Span;
                Report(TypeErrors.ArgumentType(function.Name, i, [wanted], actual), scope.File, span);
                return new BoundErrorExpression();
            }
        }
        return new BoundCustomCall(function, converted.MoveToImmutable()) { Syntax = syntax };
    }
}
