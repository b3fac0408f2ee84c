using System.Collections.Immutable;
using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Core.Text;

namespace MarketingDsl.Core.Functions;

// Core binds calls against signatures only and stays free of Roslyn: a host-side loader
// (MarketingDsl.Functions) compiles the workspace's `functions/*.csx`, checks them in its sandbox
// and hands the result to Compilation as a CustomFunctionSet. Core never runs user C#; the engine
// calls the symbol's Invoker, a typed delegate built once by the loader.

/// <summary>One parameter of a custom function, in DSL terms.</summary>
/// <param name="AcceptsNull">The C# parameter is nullable: a null argument is passed in; otherwise a null argument
/// makes the result null without a call.</param>
public sealed record CustomFunctionParameter(string Name, DslType Type, bool AcceptsNull);

/// <summary>
/// A `public static` method of a `.csx` file, callable from expressions like a built-in.
/// <see cref="Invoker"/> takes and returns the engine's representation of each type (see the
/// engine's ClrTypes: <c>long?</c>, <c>decimal?</c>, <c>string</c>, <c>DateOnly?</c>, <c>DateTime?</c>
/// (UTC), <c>TimeSpan?</c>, <c>object?[]</c>); it charges the sandbox budget, skips the call on a
/// null for a non-nullable parameter, and turns every failure into a <see cref="CustomFunctionException"/>.
/// </summary>
public sealed class CustomFunctionSymbol(string name, ImmutableArray<CustomFunctionParameter> parameters, DslType returns, SourceText file,
    TextSpan span, Delegate invoker)
{
    public string Name { get; } = name;
    public ImmutableArray<CustomFunctionParameter> Parameters { get; } = parameters;
    public DslType Returns { get; } = returns;
    public SourceText File { get; } = file;
    /// <summary>The method's name in its `.csx` file.</summary>
    public TextSpan Span { get; } = span;
    public Delegate Invoker { get; } = invoker;

    public string Signature => $"{Name}({string.Join(", ", Parameters.Select(p => $"{p.Name}: {p.Type}{(p.AcceptsNull ? "?" : "")}"))}) → {Returns}";

    public override string ToString() => Signature;
}

/// <summary>
/// What a loader made of a workspace's function files: the callable functions (by name) and the
/// diagnostics in the `.csx` files (compile errors, sandbox violations, unsupported types).
/// </summary>
public sealed class CustomFunctionSet(ImmutableArray<CustomFunctionSymbol> functions, ImmutableArray<Diagnostic> diagnostics,
    ImmutableArray<string> withErrors = default)
{
    public static readonly CustomFunctionSet Empty = new([], []);

    public ImmutableArray<CustomFunctionSymbol> Functions { get; } = functions;
    public ImmutableArray<Diagnostic> Diagnostics { get; } = diagnostics;

    /// <summary>
    /// Names of `public static` methods in files with errors: not callable, but a call to one is
    /// not reported again as an unknown function (the error is in the `.csx` file).
    /// </summary>
    public ImmutableArray<string> WithErrors { get; } = withErrors.IsDefault ? [] : withErrors;

    public CustomFunctionSymbol? Find(string name) => Functions.FirstOrDefault(f => f.Name == name);
}

/// <summary>
/// A custom function call that did not return: a spent budget (steps, depth, memory) or an
/// exception of the function. Thrown only by an invoker; the engines catch it at the call, make
/// the value null and record a <see cref="CustomFunctionFailure"/>, and go on with the next user.
/// </summary>
public sealed class CustomFunctionException(string function, string reason, Exception? inner = null)
    : Exception($"{function}() failed: {reason}", inner)
{
    public string Function { get; } = function;
    public string Reason { get; } = reason;
}

/// <summary>One failed call during an evaluation: the function, the user and why.</summary>
public sealed record CustomFunctionFailure(string Function, string UserId, string Reason)
{
    public string Message => $"{Function}() failed for user {UserId}: {Reason}; the value is null.";
}
