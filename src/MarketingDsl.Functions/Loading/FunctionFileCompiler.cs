using System.Collections.Immutable;
using System.Linq.Expressions;
using System.Reflection;
using System.Runtime.Loader;
using MarketingDsl.Core.Diagnostics;
using Diagnostic = MarketingDsl.Core.Diagnostics.Diagnostic;
using DiagnosticSeverity = Microsoft.CodeAnalysis.DiagnosticSeverity;
using MarketingDsl.Core.Functions;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Lowering;
using MarketingDsl.Functions.Budget;
using MarketingDsl.Functions.Sandbox;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using CoreText = MarketingDsl.Core.Text;
using E = System.Linq.Expressions.Expression;

namespace MarketingDsl.Functions.Loading;

/// <summary>One compiled function file: its diagnostics, its functions, and the load context holding its code (null when it has errors).</summary>
internal sealed record LoadedFunctionFile(ImmutableArray<Diagnostic> Diagnostics, ImmutableArray<CustomFunctionSymbol> Functions,
    AssemblyLoadContext? Context,
    ImmutableArray<string> WithErrors = default);

/// <summary>
/// Compiles one `functions/*.csx` file, in stages: (1) parse as a C# script (Roslyn's script
/// options); (2) compile against a minimal reference set and report C# errors; (3) the sandbox
/// walk (<see cref="SandboxWalker"/>); (4) map the signatures of the top-level `public static`
/// methods to language types; (5) rewrite for the budget (<see cref="BudgetRewriter"/>), emit to
/// a stream and load it into a new collectible <see cref="AssemblyLoadContext"/> (Roslyn
/// scripting's own loader never unloads); (6) build one typed invoker per function.
/// Stages 1–4 work on the file as written, so every position is the user's.
/// </summary>
internal static class FunctionFileCompiler
{
    private static readonly CSharpParseOptions ParseOptions =
        CSharpParseOptions.Default.WithKind(SourceCodeKind.Script).WithLanguageVersion(LanguageVersion.Latest);

    private static readonly string[] Usings = ["System", "System.Linq", "System.Collections.Generic", "System.Collections.Immutable"];

    /// <summary>The minimal reference set: the core library, LINQ, collections, and the budget (for the rewritten code only).</summary>
    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    [
        .. new[]
        {
            typeof(object).Assembly, Assembly.Load("System.Runtime"), typeof(Enumerable).Assembly, typeof(HashSet<>).Assembly,
            typeof(SortedSet<>).Assembly, typeof(ImmutableArray).Assembly, typeof(SandboxBudget).Assembly,
        }.Distinct().Select(a => (MetadataReference)MetadataReference.CreateFromFile(a.Location)),
    ]);

    private static int s_counter;

    public static LoadedFunctionFile Compile(CoreText.SourceText file, FunctionLimits limits, bool instrument)
    {
        var diagnostics = ImmutableArray.CreateBuilder<Diagnostic>();
        void Report(DiagnosticMessage message, Microsoft.CodeAnalysis.Text.TextSpan span) =>
            diagnostics.Add(Diagnostic.Create(message, file, new CoreText.TextSpan(span.Start, span.Length)));

        var tree = CSharpSyntaxTree.ParseText(file.Text, ParseOptions, file.Path);
        var name = $"mdsl_functions_{Interlocked.Increment(ref s_counter)}";
        var options = new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, usings: Usings, optimizationLevel: OptimizationLevel.Release,
            nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: false, metadataReferenceResolver: null,
                sourceReferenceResolver: null);
        var compilation = CSharpCompilation.CreateScriptCompilation(name, tree, References.Value, options);

        foreach (var error in compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error))
            Report(FunctionErrors.CompileError(error.Id, error.GetMessage(System.Globalization.CultureInfo.InvariantCulture)),
                error.Location.SourceSpan);
        var model = compilation.GetSemanticModel(tree);
        foreach (var violation in SandboxWalker.Check(tree, model, compilation.Assembly))
            Report(FunctionErrors.NotAllowed(violation.What, violation.Why), violation.Span);

        var exported = ((CompilationUnitSyntax)tree.GetRoot()).Members.OfType<MethodDeclarationSyntax>()
            .Where(m => m.Modifiers.Any(SyntaxKind.PublicKeyword) && m.Modifiers.Any(SyntaxKind.StaticKeyword))
            .Select(m => (Syntax: m, Symbol: model.GetDeclaredSymbol(m)))
            .Where(m => m.Symbol is not null)
            .ToList();
        var signatures = new List<(MethodDeclarationSyntax Syntax, IMethodSymbol Symbol,
            ImmutableArray<CustomFunctionParameter> Parameters, DslType Returns)>();
        foreach (var (syntax, symbol) in exported)
        {
            var returns = LanguageType(symbol!.ReturnType);
            if (returns is null) { Report(FunctionErrors.UnsupportedType(symbol.Name, null, symbol.ReturnType.ToDisplayString()),
                syntax.ReturnType.Span); continue; }
            var parameters = ImmutableArray.CreateBuilder<CustomFunctionParameter>();
            foreach (var (parameter, parameterSyntax) in symbol.Parameters.Zip(syntax.ParameterList.Parameters))
            {
                var type = parameter.RefKind == RefKind.None && !parameter.IsParams && !symbol.IsGenericMethod ? LanguageType(parameter.Type) : null;
                if (type is null) { Report(FunctionErrors.UnsupportedType(symbol.Name, parameter.Name,
                    parameter.ToDisplayString()), parameterSyntax.Span); continue; }
                parameters.Add(new CustomFunctionParameter(parameter.Name, type, AcceptsNull(parameter.Type, parameter.NullableAnnotation)));
            }
            if (parameters.Count == symbol.Parameters.Length) signatures.Add((syntax, symbol, parameters.ToImmutable(), returns));
        }
        if (exported.Count == 0 && diagnostics.Count == 0)
            diagnostics.Add(Diagnostic.AtFile(FunctionErrors.NoFunctions(), file.Path));
        ImmutableArray<string> names = [.. exported.Select(m => m.Symbol!.Name)];
        if (diagnostics.Any(d => d.IsError)) return new LoadedFunctionFile(diagnostics.ToImmutable(), [], null, names);

        // Stage 5: the budget, then load.
        var loaded = instrument ? compilation.ReplaceSyntaxTree(tree, BudgetRewriter.Rewrite(tree, model)) : compilation;
        using var image = new MemoryStream();
        var emitted = loaded.Emit(image);
        if (!emitted.Success)
        {
            var first = emitted.Diagnostics.First(d => d.Severity == DiagnosticSeverity.Error);
            diagnostics.Add(Diagnostic.AtFile(FunctionErrors.CompileError(first.Id,
                first.GetMessage(System.Globalization.CultureInfo.InvariantCulture), instrumented: true), file.Path));
            return new LoadedFunctionFile(diagnostics.ToImmutable(), [], null, names);
        }
        image.Position = 0;
        var context = new AssemblyLoadContext($"mdsl-functions:{file.Path}", isCollectible: true);
        var assembly = context.LoadFromStream(image);
        var scriptType = assembly.GetType(compilation.ScriptClass!.MetadataName, throwOnError: true)!;
        var functions = ImmutableArray.CreateBuilder<CustomFunctionSymbol>();
        foreach (var (syntax, symbol, parameters, returns) in signatures)
        {
            var method = scriptType.GetMethod(symbol.Name, BindingFlags.Public | BindingFlags.Static,
                [.. symbol.Parameters.Select(p => ClrParameterType(p.Type, scriptType))])
                ?? throw new InvalidOperationException($"compiled function {symbol.Name} not found");
            var invoker = Invoker(method, symbol.Name, parameters, returns, limits);
            functions.Add(new CustomFunctionSymbol(symbol.Name, parameters, returns, file,
                new CoreText.TextSpan(syntax.Identifier.SpanStart, syntax.Identifier.Span.Length), invoker));
        }
        return new LoadedFunctionFile(diagnostics.ToImmutable(), functions.ToImmutable(), context);
    }

    // ------------------------------------------------------------------ the type map of LANGUAGE.md §17

    private static DslType? LanguageType(ITypeSymbol type)
    {
        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable) type = nullable.TypeArguments[0];
        switch (type.SpecialType)
        {
            case SpecialType.System_Boolean: return DslType.Bool;
            case SpecialType.System_Int64: return DslType.Int;
            case SpecialType.System_Decimal: return DslType.Decimal;
            case SpecialType.System_String: return DslType.String;
        }
        if (type is not INamedTypeSymbol named) return null;
        var name = AllowList.MetadataName(named.OriginalDefinition);
        return name switch
        {
            "System.DateOnly" => DslType.Date,
            "System.DateTimeOffset" => DslType.DateTime,
            "System.TimeSpan" => DslType.Duration,
            "System.Collections.Generic.IReadOnlyList`1"
                when LanguageType(named.TypeArguments[0]) is { Kind: not Core.Semantics.TypeKind.List } element => DslType.ListOf(element),
            _ => null,
        };
    }

    private static bool AcceptsNull(ITypeSymbol type, NullableAnnotation annotation) =>
        type.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T || (!type.IsValueType && annotation == NullableAnnotation.Annotated);

    /// <summary>The CLR type of a parameter as compiled (value types may be Nullable&lt;T&gt;).</summary>
    private static Type ClrParameterType(ITypeSymbol type, Type scriptType)
    {
        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
            return typeof(Nullable<>).MakeGenericType(ClrParameterType(nullable.TypeArguments[0], scriptType));
        return type.SpecialType switch
        {
            SpecialType.System_Boolean => typeof(bool),
            SpecialType.System_Int64 => typeof(long),
            SpecialType.System_Decimal => typeof(decimal),
            SpecialType.System_String => typeof(string),
            _ => AllowList.MetadataName(((INamedTypeSymbol)type).OriginalDefinition) switch
            {
                "System.DateOnly" => typeof(DateOnly),
                "System.DateTimeOffset" => typeof(DateTimeOffset),
                "System.TimeSpan" => typeof(TimeSpan),
                _ => typeof(IReadOnlyList<>).MakeGenericType(ClrParameterType(((INamedTypeSymbol)type).TypeArguments[0], scriptType)),
            },
        };
    }

    // ------------------------------------------------------------------ the invoker

    /// <summary>
    /// A delegate over engine representations, compiled once: a null argument for a
    /// non-nullable parameter returns null without a call; otherwise the budget begins, the
    /// arguments are converted, the method runs, the result is converted back, and any exception
    /// becomes a <see cref="CustomFunctionException"/> naming the function.
    /// </summary>
    private static Delegate Invoker(MethodInfo method, string name, ImmutableArray<CustomFunctionParameter> parameters, DslType returns,
        FunctionLimits limits)
    {
        var engineParameters = parameters.Select(p => E.Parameter(ClrTypes.Of(p.Type), p.Name)).ToArray();
        var resultType = ClrTypes.Of(returns);
        var methodParameters = method.GetParameters();
        var failure = E.Parameter(typeof(Exception), "failure");

        var args = engineParameters.Select((p, i) => ToClr(p, methodParameters[i].ParameterType)).ToArray();
        var call = FromClr(E.Call(method, args), resultType);
        var guarded = E.Block(resultType,
            E.Call(typeof(SandboxBudget).GetMethod(nameof(SandboxBudget.Begin))!, E.Constant(limits)),
            E.TryCatchFinally(
                call,
                E.Call(typeof(SandboxBudget).GetMethod(nameof(SandboxBudget.End))!),
                E.Catch(failure, E.Throw(E.Call(typeof(FunctionFileCompiler).GetMethod(nameof(Failure),
                    BindingFlags.NonPublic | BindingFlags.Static)!,
                    E.Constant(name), failure), resultType))));

        E body = guarded;
        var skip = parameters.Select((p, i) => (p, i)).Where(x => !x.p.AcceptsNull && engineParameters[x.i].Type is var t
            && (!t.IsValueType || Nullable.GetUnderlyingType(t) is not null))
            .Select(x => (E)E.Equal(engineParameters[x.i], E.Constant(null, engineParameters[x.i].Type)))
            .Aggregate((E?)null, (acc, test) => acc is null ? test : E.OrElse(acc, test));
        if (skip is not null) body = E.Condition(skip, E.Constant(null, resultType), guarded);
        var delegateType = E.GetFuncType([.. engineParameters.Select(p => p.Type), resultType]);
        return E.Lambda(delegateType, body, name, engineParameters).Compile();
    }

    private static E ToClr(ParameterExpression value, Type target)
    {
        if (value.Type == target) return value;
        if (target == typeof(DateTimeOffset) || target == typeof(DateTimeOffset?))
        {
            var offset = E.Call(ValueMarshal.Method(nameof(ValueMarshal.ToOffset)), E.Property(value, "Value"));
            return target == typeof(DateTimeOffset) ? offset : E.Condition(E.Property(value, "HasValue"), E.Convert(offset, target),
                E.Constant(null, target));
        }
        if (target.IsGenericType && target.GetGenericTypeDefinition() == typeof(IReadOnlyList<>))
        {
            var convert = E.Call(ValueMarshal.Method(nameof(ValueMarshal.ToList)).MakeGenericMethod(target.GetGenericArguments()[0]), value);
            return E.Condition(E.Equal(value, E.Constant(null, value.Type)), E.Constant(null, target), convert);
        }
        if (Nullable.GetUnderlyingType(value.Type) == target) return E.Property(value, "Value");
        return E.Convert(value, target);
    }

    private static E FromClr(E value, Type target)
    {
        if (value.Type == target) return value;
        if (value.Type == typeof(DateTimeOffset)) return E.Convert(E.Call(ValueMarshal.Method(nameof(ValueMarshal.FromOffset)), value), target);
        if (value.Type == typeof(DateTimeOffset?))
        {
            var temp = E.Variable(value.Type, "offset");
            return E.Block(target, [temp], E.Assign(temp, value),
                E.Condition(E.Property(temp, "HasValue"), E.Convert(E.Call(ValueMarshal.Method(nameof(ValueMarshal.FromOffset)),
                    E.Property(temp, "Value")), target), E.Constant(null, target)));
        }
        if (value.Type.IsGenericType && value.Type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>))
            return E.Call(ValueMarshal.Method(nameof(ValueMarshal.FromList)).MakeGenericMethod(value.Type.GetGenericArguments()[0]), value);
        return E.Convert(value, target);
    }

    private static CustomFunctionException Failure(string name, Exception failure) => failure switch
    {
        CustomFunctionException already => already,
        SandboxBudgetException spent => new CustomFunctionException(name, spent.Message, spent),
        OutOfMemoryException => new CustomFunctionException(name, "it ran out of memory", failure),
        InsufficientExecutionStackException => new CustomFunctionException(name, "it nested calls too deeply for the stack", failure),
        _ => new CustomFunctionException(name, $"it threw {failure.GetType().Name}: {failure.Message}", failure),
    };
}
