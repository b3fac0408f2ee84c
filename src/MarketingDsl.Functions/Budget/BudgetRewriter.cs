using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace MarketingDsl.Functions.Budget;

/// <summary>
/// Rewrites a sandbox-checked function file so every call charges <see cref="SandboxBudget"/>:
/// each loop body starts with a step; each method, local function, lambda, constructor and
/// accessor body enters and exits a level (a step too); sized allocations reserve their bytes
/// first; each `catch` lets a spent budget through. Runs on the original tree with its semantic
/// model (the sandbox walk has passed, so only allowed constructs are left); the rewritten tree is
/// compiled for loading, the original one for diagnostics.
/// </summary>
internal sealed class BudgetRewriter(SemanticModel model) : CSharpSyntaxRewriter
{
    private const string Budget = "global::MarketingDsl.Functions.Budget.SandboxBudget";

    /// <summary>Members whose int argument sizes an allocation or a sequence: (method name, parameter name).</summary>
    private static readonly HashSet<(string, string)> SizedArguments =
    [
        (".ctor", "count"), (".ctor", "capacity"), ("PadLeft", "totalWidth"), ("PadRight", "totalWidth"),
        ("Repeat", "count"), ("Range", "count"), ("CreateBuilder", "initialCapacity"), ("EnsureCapacity", "capacity"),
    ];

    /// <summary>The local each rewritten body keeps the thread's budget in (a name user code cannot have used: it would not have compiled).</summary>
    private const string Local = "__mdsl_budget";

    private static StatementSyntax Call(string method) => ParseStatement($"{Local}.{method}();");

    public static SyntaxTree Rewrite(SyntaxTree tree, SemanticModel model) =>
        tree.WithRootAndOptions(new BudgetRewriter(model).Visit(tree.GetRoot()), tree.Options);

    // ------------------------------------------------------------------ loops

    /// <summary>
    /// The charge at the top of a loop body: a full step (steps and the memory counter) when the
    /// loop may allocate an amount that grows from turn to turn (it calls, creates, concatenates
    /// strings, slices); else only a step, since a turn then allocates at most a fixed amount
    /// (boxing, a closure) and the step budget bounds the total. Reading the allocation counter
    /// is the dearest part of a step.
    /// </summary>
    private StatementSyntax Charged(StatementSyntax body, StatementSyntax originalLoop)
    {
        var charge = Call(MayAllocate(originalLoop) ? "Step" : "Tick");
        return body is BlockSyntax block ? block.WithStatements(block.Statements.Insert(0, charge)) : Block(charge, body);
    }

    private bool MayAllocate(SyntaxNode loop) => loop.DescendantNodesAndSelf().Any(n => n switch
    {
        InvocationExpressionSyntax or BaseObjectCreationExpressionSyntax or ArrayCreationExpressionSyntax or ImplicitArrayCreationExpressionSyntax
            or CollectionExpressionSyntax or InterpolatedStringExpressionSyntax or WithExpressionSyntax or AnonymousObjectCreationExpressionSyntax
            or RangeExpressionSyntax or AnonymousFunctionExpressionSyntax or QueryExpressionSyntax or ElementAccessExpressionSyntax => true,
        BinaryExpressionSyntax { RawKind: (int)SyntaxKind.AddExpression }
            or AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.AddAssignmentExpression }
            => model.GetTypeInfo(n is AssignmentExpressionSyntax a ? a.Left : n).Type?.SpecialType
                is not (SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_Decimal or SpecialType.System_Double
                    or SpecialType.System_Single or SpecialType.System_Int16 or SpecialType.System_Byte or SpecialType.System_Char
                    or SpecialType.System_UInt32 or SpecialType.System_UInt64),
        _ => false,
    });

    public override SyntaxNode? VisitForStatement(ForStatementSyntax node)
    {
        var n = (ForStatementSyntax)base.VisitForStatement(node)!;
        return n.WithStatement(Charged(n.Statement, node));
    }

    public override SyntaxNode? VisitWhileStatement(WhileStatementSyntax node)
    {
        var n = (WhileStatementSyntax)base.VisitWhileStatement(node)!;
        return n.WithStatement(Charged(n.Statement, node));
    }

    public override SyntaxNode? VisitDoStatement(DoStatementSyntax node)
    {
        var n = (DoStatementSyntax)base.VisitDoStatement(node)!;
        return n.WithStatement(Charged(n.Statement, node));
    }

    public override SyntaxNode? VisitForEachStatement(ForEachStatementSyntax node)
    {
        var n = (ForEachStatementSyntax)base.VisitForEachStatement(node)!;
        return n.WithStatement(Charged(n.Statement, node));
    }

    public override SyntaxNode? VisitForEachVariableStatement(ForEachVariableStatementSyntax node)
    {
        var n = (ForEachVariableStatementSyntax)base.VisitForEachVariableStatement(node)!;
        return n.WithStatement(Charged(n.Statement, node));
    }

    // ------------------------------------------------------------------ entries (depth)

    /// <summary>`{ Enter(); try { body } finally { Exit(); } }`; an expression body becomes `return e;` (or `e;` when void).</summary>
    private static BlockSyntax Entered(BlockSyntax? body, ExpressionSyntax? expression, bool returnsVoid)
    {
        var inner = body ?? Block(expression switch
        {
            ThrowExpressionSyntax thrown => ThrowStatement(thrown.Expression),
            _ when returnsVoid => ExpressionStatement(expression!),
            _ => ReturnStatement(expression!),
        });
        return Block(ParseStatement($"var {Local} = {Budget}.Enter();"), TryStatement(inner, default, FinallyClause(Block(Call("Exit")))));
    }

    private bool ReturnsVoid(SyntaxNode original) => model.GetDeclaredSymbol(original) switch
    {
        IMethodSymbol m => m.ReturnsVoid,
        _ => model.GetSymbolInfo(original).Symbol is IMethodSymbol { ReturnsVoid: true },
    };

    public override SyntaxNode? VisitMethodDeclaration(MethodDeclarationSyntax node)
    {
        var n = (MethodDeclarationSyntax)base.VisitMethodDeclaration(node)!;
        if (n.Body is null && n.ExpressionBody is null) return n;
        return n.WithBody(Entered(n.Body, n.ExpressionBody?.Expression, ReturnsVoid(node))).WithExpressionBody(null).WithSemicolonToken(default);
    }

    public override SyntaxNode? VisitLocalFunctionStatement(LocalFunctionStatementSyntax node)
    {
        var n = (LocalFunctionStatementSyntax)base.VisitLocalFunctionStatement(node)!;
        if (n.Body is null && n.ExpressionBody is null) return n;
        return n.WithBody(Entered(n.Body, n.ExpressionBody?.Expression, ReturnsVoid(node))).WithExpressionBody(null).WithSemicolonToken(default);
    }

    public override SyntaxNode? VisitConstructorDeclaration(ConstructorDeclarationSyntax node)
    {
        var n = (ConstructorDeclarationSyntax)base.VisitConstructorDeclaration(node)!;
        if (n.Body is null && n.ExpressionBody is null) return n;
        return n.WithBody(Entered(n.Body, n.ExpressionBody?.Expression, true)).WithExpressionBody(null).WithSemicolonToken(default);
    }

    public override SyntaxNode? VisitOperatorDeclaration(OperatorDeclarationSyntax node)
    {
        var n = (OperatorDeclarationSyntax)base.VisitOperatorDeclaration(node)!;
        if (n.Body is null && n.ExpressionBody is null) return n;
        return n.WithBody(Entered(n.Body, n.ExpressionBody?.Expression, false)).WithExpressionBody(null).WithSemicolonToken(default);
    }

    public override SyntaxNode? VisitConversionOperatorDeclaration(ConversionOperatorDeclarationSyntax node)
    {
        var n = (ConversionOperatorDeclarationSyntax)base.VisitConversionOperatorDeclaration(node)!;
        if (n.Body is null && n.ExpressionBody is null) return n;
        return n.WithBody(Entered(n.Body, n.ExpressionBody?.Expression, false)).WithExpressionBody(null).WithSemicolonToken(default);
    }

    public override SyntaxNode? VisitAccessorDeclaration(AccessorDeclarationSyntax node)
    {
        var n = (AccessorDeclarationSyntax)base.VisitAccessorDeclaration(node)!;
        if (n.Body is null && n.ExpressionBody is null) return n;
        var isVoid = !n.Keyword.IsKind(SyntaxKind.GetKeyword);
        return n.WithBody(Entered(n.Body, n.ExpressionBody?.Expression, isVoid)).WithExpressionBody(null).WithSemicolonToken(default);
    }

    public override SyntaxNode? VisitPropertyDeclaration(PropertyDeclarationSyntax node)
    {
        var n = (PropertyDeclarationSyntax)base.VisitPropertyDeclaration(node)!;
        if (n.ExpressionBody is null) return n;
        var getter = AccessorDeclaration(SyntaxKind.GetAccessorDeclaration, Entered(null, n.ExpressionBody.Expression, false));
        return n.WithExpressionBody(null).WithSemicolonToken(default).WithAccessorList(AccessorList(SingletonList(getter)));
    }

    public override SyntaxNode? VisitParenthesizedLambdaExpression(ParenthesizedLambdaExpressionSyntax node)
    {
        var n = (ParenthesizedLambdaExpressionSyntax)base.VisitParenthesizedLambdaExpression(node)!;
        return n.WithBlock(Entered(n.Block, n.ExpressionBody, ReturnsVoid(node))).WithExpressionBody(null);
    }

    public override SyntaxNode? VisitSimpleLambdaExpression(SimpleLambdaExpressionSyntax node)
    {
        var n = (SimpleLambdaExpressionSyntax)base.VisitSimpleLambdaExpression(node)!;
        return n.WithBlock(Entered(n.Block, n.ExpressionBody, ReturnsVoid(node))).WithExpressionBody(null);
    }

    public override SyntaxNode? VisitAnonymousMethodExpression(AnonymousMethodExpressionSyntax node)
    {
        var n = (AnonymousMethodExpressionSyntax)base.VisitAnonymousMethodExpression(node)!;
        return n.WithBlock(Entered(n.Block, null, true));
    }

    // ------------------------------------------------------------------ catch

    public override SyntaxNode? VisitCatchClause(CatchClauseSyntax node)
    {
        var n = (CatchClauseSyntax)base.VisitCatchClause(node)!;
        var mayCatch = ParseExpression($"{Local}.MayCatch()");
        var condition = n.Filter is null ? mayCatch : BinaryExpression(SyntaxKind.LogicalAndExpression, mayCatch,
            ParenthesizedExpression(n.Filter.FilterExpression));
        return n.WithFilter(CatchFilterClause(condition));
    }

    // ------------------------------------------------------------------ sized allocations

    public override SyntaxNode? VisitArrayRankSpecifier(ArrayRankSpecifierSyntax node)
    {
        var n = (ArrayRankSpecifierSyntax)base.VisitArrayRankSpecifier(node)!;
        if (node.Parent is not ArrayTypeSyntax { Parent: ArrayCreationExpressionSyntax creation }) return n;
        var element = (model.GetTypeInfo(creation).Type as IArrayTypeSymbol)?.ElementType;
        var bytes = SizeOf(element);
        return n.WithSizes(SeparatedList(n.Sizes.Select(size => size is OmittedArraySizeExpressionSyntax ? size : Reserve(size, bytes))));
    }

    public override SyntaxNode? VisitArgument(ArgumentSyntax node)
    {
        var n = (ArgumentSyntax)base.VisitArgument(node)!;
        if (node.Parent?.Parent is not { } call || model.GetSymbolInfo(call).Symbol is not IMethodSymbol method) return n;
        var parameter = Parameter(method, node);
        if (parameter is null || !SizedArguments.Contains((method.Name, parameter.Name))) return n;
        if (parameter.Type.SpecialType is not (SpecialType.System_Int32 or SpecialType.System_Int64)) return n;
        var bytes = method.Name is "PadLeft" or "PadRight" || method.ContainingType.SpecialType == SpecialType.System_String ? 2 : 16;
        return n.WithExpression(Reserve(n.Expression, bytes));
    }

    private static IParameterSymbol? Parameter(IMethodSymbol method, ArgumentSyntax argument)
    {
        if (argument.NameColon is { } name) return method.Parameters.FirstOrDefault(p => p.Name == name.Name.Identifier.ValueText);
        if (argument.Parent is not BaseArgumentListSyntax list) return null;
        var index = list.Arguments.IndexOf(argument);
        return index < method.Parameters.Length ? method.Parameters[index] : null;
    }

    private static ExpressionSyntax Reserve(ExpressionSyntax size, int bytes) =>
        InvocationExpression(ParseExpression($"{Budget}.Reserve"),
            ArgumentList(SeparatedList([Argument(ParenthesizedExpression(size)),
                Argument(LiteralExpression(SyntaxKind.NumericLiteralExpression, Literal(bytes)))])));

    private static int SizeOf(ITypeSymbol? type) => type?.SpecialType switch
    {
        SpecialType.System_Boolean or SpecialType.System_Byte or SpecialType.System_SByte => 1,
        SpecialType.System_Char or SpecialType.System_Int16 or SpecialType.System_UInt16 => 2,
        SpecialType.System_Int32 or SpecialType.System_UInt32 or SpecialType.System_Single => 4,
        SpecialType.System_Decimal => 16,
        _ => type is { IsValueType: true } ? 16 : 8,
    };
}
