using MarketingDsl.Core;
using MarketingDsl.Core.Functions;
using MarketingDsl.Functions.Loading;

namespace MarketingDsl.Functions.Tests;

/// <summary>A small workspace with one function file, compiled through the loader every host uses.</summary>
internal static class FunctionWorkspace
{
    public const string Schema = """
        schema {
          profile { user_id: string key, city: string?, level: int? }
          event order { order_id: string unique, amount: decimal, sku: string }
        }
        """;

    public static Compilation Compile(string csx, string mdsl = "", FunctionLoader? loader = null) =>
        FunctionCompilation.Create(Workspace.FromFiles(("schema.mdsl", Schema), ("main.mdsl", mdsl), ("functions/f.csx", csx)), loader: loader);

    /// <summary>Calls a function of a file directly through its invoker (engine representation in and out).</summary>
    public static object? Call(Compilation compilation, string name, params object?[] args)
    {
        var function = compilation.Functions.Find(name) ?? throw new InvalidOperationException($"no function {name}: " +
            $"{string.Join("; ", compilation.Diagnostics)}");
        try
        {
            return function.Invoker.DynamicInvoke(args);
        }
        catch (System.Reflection.TargetInvocationException e) when (e.InnerException is CustomFunctionException failure)
        {
            throw failure;
        }
    }
}
