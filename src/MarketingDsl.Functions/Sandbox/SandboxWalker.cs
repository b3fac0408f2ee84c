using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace MarketingDsl.Functions.Sandbox;

/// <summary>One refused construct: where, what, why.</summary>
internal sealed record SandboxViolation(Microsoft.CodeAnalysis.Text.TextSpan Span, string What, (string English, string Chinese) Why);

/// <summary>
/// The semantic walk of the sandbox: every node of a function file, by its symbols (what an
/// invocation, member access, object creation, type name or attribute binds to), the types of
/// its expressions and their conversions, checked against <see cref="AllowList"/>; plus the
/// constructs refused by their syntax (unsafe, stackalloc, extern, attributes, finalizers,
/// static fields, goto, iterators, async, lock, `#r`/`#load`, code at the top). Symbols, not
/// text: an alias, `global::`, `using static`, `nameof`, a lambda or a local function all bind
/// to the same symbols as the plain code. The first violation per node is reported.
/// </summary>
internal sealed class SandboxWalker(SemanticModel model, IAssemblySymbol ownAssembly)
{
    private readonly List<SandboxViolation> _violations = [];
    private readonly List<Microsoft.CodeAnalysis.Text.TextSpan> _reported = [];

    public static IReadOnlyList<SandboxViolation> Check(SyntaxTree tree, SemanticModel model, IAssemblySymbol ownAssembly)
    {
        var walker = new SandboxWalker(model, ownAssembly);
        walker.Walk((CompilationUnitSyntax)tree.GetRoot());
        return walker._violations;
    }

    private void Refuse(SyntaxNode node, string what, (string, string) why) => Refuse(node.Span, what, why);
    private void Refuse(SyntaxToken token, string what, (string, string) why) => Refuse(token.Span, what, why);

    private void Refuse(Microsoft.CodeAnalysis.Text.TextSpan span, string what, (string, string) why)
    {
        // Parents are walked before their children: one report per construct, not one per node inside it.
        if (_reported.Any(r => r.Contains(span))) return;
        _reported.Add(span);
        _violations.Add(new SandboxViolation(span, what, why));
    }

    private void Walk(CompilationUnitSyntax root)
    {
        foreach (var directive in root.GetReferenceDirectives()) Refuse(directive, "#r", Reasons.Directive);
        foreach (var directive in root.GetLoadDirectives()) Refuse(directive, "#load", Reasons.Directive);
        foreach (var member in root.Members)
            if (member is GlobalStatementSyntax or FieldDeclarationSyntax or EventFieldDeclarationSyntax or PropertyDeclarationSyntax
                or EventDeclarationSyntax)
                Refuse(member, "code at the top of the file", Reasons.TopLevel);
        foreach (var node in root.DescendantNodesAndTokens(descendIntoTrivia: false))
        {
            if (node.IsToken) CheckToken(node.AsToken());
            else CheckNode(node.AsNode()!);
        }
    }

    private void CheckToken(SyntaxToken token)
    {
        switch (token.Kind())
        {
            case SyntaxKind.UnsafeKeyword or SyntaxKind.FixedKeyword: Refuse(token, token.Text, Reasons.Unsafe); break;
            case SyntaxKind.ExternKeyword: Refuse(token, "extern", Reasons.Extern); break;
            case SyntaxKind.AsyncKeyword or SyntaxKind.VolatileKeyword: Refuse(token, token.Text, Reasons.Concurrency); break;
            case SyntaxKind.ArgListKeyword or SyntaxKind.MakeRefKeyword or SyntaxKind.RefTypeKeyword or SyntaxKind.RefValueKeyword:
                Refuse(token, token.Text, Reasons.Unsafe); break;
        }
    }

    private void CheckNode(SyntaxNode node)
    {
        switch (node)
        {
            case AttributeListSyntax: Refuse(node, "an attribute", Reasons.Attribute); return;
            case DestructorDeclarationSyntax d: Refuse(d.Identifier, "a finalizer", Reasons.Finalizer); return;
            case StackAllocArrayCreationExpressionSyntax or ImplicitStackAllocArrayCreationExpressionSyntax: Refuse(node, "stackalloc",
                Reasons.Stackalloc); return;
            case PointerTypeSyntax or FunctionPointerTypeSyntax or FixedStatementSyntax: Refuse(node, "a pointer", Reasons.Unsafe); return;
            case GotoStatementSyntax or LabeledStatementSyntax: Refuse(node, "goto", Reasons.Goto); return;
            case YieldStatementSyntax: Refuse(node, "yield", Reasons.Iterator); return;
            case AwaitExpressionSyntax: Refuse(node, "await", Reasons.Concurrency); return;
            case LockStatementSyntax: Refuse(node, "lock", Reasons.Concurrency); return;
            case FieldDeclarationSyntax f when f.Modifiers.Any(SyntaxKind.StaticKeyword) && !f.Modifiers.Any(SyntaxKind.ConstKeyword):
                Refuse(f.Declaration, "a static field", Reasons.StaticState); return;
            case PropertyDeclarationSyntax p when p.Modifiers.Any(SyntaxKind.StaticKeyword) && p.AccessorList is { } accessors
                                                  && accessors.Accessors.Any(a => a.Body is null && a.ExpressionBody is null):
                Refuse(p.Identifier, "a static auto-property", Reasons.StaticState); return;
            case EventFieldDeclarationSyntax or EventDeclarationSyntax: Refuse(node, "an event", Reasons.StaticState); return;
            case BaseTypeDeclarationSyntax t when t.Identifier.ValueText is "System" or "Microsoft" or "MarketingDsl":
                Refuse(t.Identifier, t.Identifier.ValueText, Reasons.SystemName); return;
        }

        // Declarations: the types of what is declared (parameters, locals, return types, fields).
        if (node is VariableDeclaratorSyntax or ParameterSyntax or SingleVariableDesignationSyntax or MethodDeclarationSyntax
            or LocalFunctionStatementSyntax
            && model.GetDeclaredSymbol(node) is { } declared)
        {
            var type = declared switch
            {
                ILocalSymbol l => l.Type,
                IParameterSymbol p => p.Type,
                IFieldSymbol f => f.Type,
                IMethodSymbol m => m.ReturnType,
                _ => null,
            };
            if (type is not null && Refusal(type) is { } t) { Refuse(node, t.What, t.Why); return; }
        }

        if (node is ForEachStatementSyntax or ForEachVariableStatementSyntax)
        {
            var info = model.GetForEachStatementInfo((CommonForEachStatementSyntax)node);
            foreach (var symbol in new ISymbol?[] { info.GetEnumeratorMethod, info.MoveNextMethod, info.CurrentProperty })
                if (symbol is not null && Refusal(symbol) is { } s) { Refuse(node, s.What, s.Why); return; }
        }

        var symbolInfo = model.GetSymbolInfo(node);
        foreach (var symbol in symbolInfo.CandidateSymbols.Prepend(symbolInfo.Symbol))
            if (symbol is not null && Refusal(symbol) is { } r) { Refuse(node, r.What, r.Why); return; }

        if (node is ExpressionSyntax expression)
        {
            var typeInfo = model.GetTypeInfo(expression);
            foreach (var type in new[] { typeInfo.Type, typeInfo.ConvertedType })
                if (type is not null && Refusal(type) is { } r) { Refuse(node, r.What, r.Why); return; }
            if (model.GetConversion(expression).MethodSymbol is { } conversion && Refusal(conversion) is { } c) { Refuse(node, c.What,
                c.Why); return; }
        }
    }

    private (string What, (string, string) Why)? Refusal(ISymbol symbol)
    {
        switch (symbol)
        {
            case ITypeSymbol type: return Refusal(type);
            case INamespaceSymbol or ILocalSymbol or IParameterSymbol or IRangeVariableSymbol or ILabelSymbol or IDiscardSymbol or IAliasSymbol:
                return null;
            case IMethodSymbol { MethodKind: MethodKind.LocalFunction or MethodKind.AnonymousFunction } m:
                return m.IsExtern ? (m.Name, Reasons.Extern) : null;
        }
        if (symbol is IMethodSymbol { IsExtern: true }) return (symbol.Name, Reasons.Extern);
        var member = symbol is IMethodSymbol method ? (method.ReducedFrom ?? method).OriginalDefinition : symbol.OriginalDefinition;
        if (member.ContainingType is { } containing)
        {
            if (Refusal(containing) is { } r) return (Describe(symbol), r.Why);
            if (AllowList.RefusedMember(member) is { } why) return (Describe(symbol), why);
        }
        if (symbol is IMethodSymbol { IsGenericMethod: true } generic)
            foreach (var argument in generic.TypeArguments)
                if (Refusal(argument) is { } r) return r;
        return null;
    }

    private (string What, (string, string) Why)? Refusal(ITypeSymbol type)
    {
        switch (type)
        {
            case IErrorTypeSymbol or ITypeParameterSymbol: return null;
            case IDynamicTypeSymbol: return ("dynamic", Reasons.Dynamic);
            case IPointerTypeSymbol or IFunctionPointerTypeSymbol: return (type.ToDisplayString(), Reasons.Unsafe);
            case IArrayTypeSymbol array: return Refusal(array.ElementType);
            case INamedTypeSymbol named:
                if (SymbolEqualityComparer.Default.Equals(named.ContainingAssembly, ownAssembly))
                {
                    foreach (var argument in named.TypeArguments) if (Refusal(argument) is { } r) return r;
                    return null;
                }
                var definition = named.OriginalDefinition;
                if (AllowList.MetadataName(definition).StartsWith("MarketingDsl.",
                    StringComparison.Ordinal)) return (named.ToDisplayString(), Reasons.Budget);
                if (!AllowList.IsAllowedType(definition)) return (named.ToDisplayString(), WhyNotListed(definition));
                foreach (var argument in named.TypeArguments) if (Refusal(argument) is { } r2) return r2;
                return null;
            default: return (type.ToDisplayString(), Reasons.NotListed);
        }
    }

    /// <summary>The most telling reason for a type off the list (reflection, threads, …), else "not on the list".</summary>
    private static (string, string) WhyNotListed(INamedTypeSymbol definition)
    {
        var ns = definition.ContainingNamespace?.ToDisplayString() ?? "";
        var name = AllowList.MetadataName(definition);
        if (ns.StartsWith("System.Reflection", StringComparison.Ordinal)
            || name is "System.Type" or "System.Activator" or "System.AppDomain") return Reasons.Reflection;
        if (ns.StartsWith("System.Threading", StringComparison.Ordinal) ) return Reasons.Concurrency;
        if (ns.StartsWith("System.Runtime.InteropServices", StringComparison.Ordinal)) return Reasons.Extern;
        if (name is "System.Environment" or "System.GC") return Reasons.Global;
        return Reasons.NotListed;
    }

    private static string Describe(ISymbol symbol) => symbol.ContainingType is { } type ? $"{type.ToDisplayString()}.{symbol.Name}"
        : symbol.ToDisplayString();
}
