using System.Runtime.CompilerServices;
using MarketingDsl.Core;
using MarketingDsl.Functions.Budget;
using MarketingDsl.Functions.Loading;

namespace MarketingDsl.Functions.Tests;

/// <summary>Calls are checked like built-ins; names never change meaning; loading is once per content and unloadable.</summary>
public sealed class CallSiteTests
{
    private const string Source = "public static string SkuLine(string sku) => sku.Length >= 3 ? sku.Substring(0, 3) : sku;";

    [Theory]
    [InlineData("tag t = SkuLine()", "MD3004", "main.mdsl")]
    [InlineData("tag t = SkuLine(\"a\", \"b\")", "MD3004", "main.mdsl")]
    [InlineData("tag t = SkuLine(1)", "MD3005", "main.mdsl")]
    [InlineData("tag t = SkuLine(sku: \"a\")", "MD2028", "main.mdsl")]
    [InlineData("tag t = SkuLin(\"a\")", "MD2005", "main.mdsl")]
    public void Call_errors_are_at_the_call(string mdsl, string code, string file)
    {
        var compilation = FunctionWorkspace.Compile(Source, mdsl);
        var error = Assert.Single(compilation.Diagnostics, d => d.IsError);
        Assert.Equal(code, error.Code);
        Assert.Equal(file, error.FilePath);
        Assert.Equal(1, error.Start.Line);
    }

    [Fact]
    public void A_misspelt_call_suggests_the_function()
    {
        var compilation = FunctionWorkspace.Compile(Source, "tag t = SkuLin(\"a\")");
        Assert.Equal("SkuLine", Assert.Single(compilation.Diagnostics).Suggestion);
    }

    [Theory]
    [InlineData("public static string lower(string s) => s;", "tag t = lower(\"A\")", "lower", "a built-in")]
    [InlineData("public static string city(string s) => s;", "tag t = 1", "city", "profile field")]
    [InlineData("public static long t2(long x) => x;", "tag t = 1 tag t2 = 2", "t2", "declaration 't2'")]
    public void A_name_clash_is_an_error_at_the_method_and_the_name_keeps_its_meaning(string csx, string mdsl, string name, string takenBy)
    {
        var compilation = FunctionWorkspace.Compile(csx, mdsl);
        var error = Assert.Single(compilation.Diagnostics, d => d.IsError);
        Assert.Equal("MD7004", error.Code);
        Assert.Equal("functions/f.csx", error.FilePath);
        Assert.Equal((1, csx.IndexOf(name + "(", StringComparison.Ordinal) + 1), (error.Start.Line, error.Start.Column));
        Assert.Contains(takenBy, error.Message);
        Assert.NotNull(error.ChineseMessage);
    }

    [Fact]
    public void Compile_errors_have_the_line_and_column_of_the_csx_file()
    {
        var compilation = FunctionWorkspace.Compile("public static long F() => 1;\npublic static long G() => undefined_thing;", "tag t = F()");
        var error = Assert.Single(compilation.Diagnostics, d => d.IsError);
        Assert.Equal("MD7001", error.Code);
        Assert.Equal(("functions/f.csx", 2, 27), (error.FilePath, error.Start.Line, error.Start.Column));
        Assert.Contains("CS0103", error.Message);
    }

    [Fact]
    public void Nullable_parameters_receive_null_and_others_skip_the_call()
    {
        var compilation = FunctionWorkspace.Compile("public static string Show(string? s) => s ?? \"none\";\npublic static string " +
            "Keep(string s) => s + \"!\";", "tag t = 1");
        Assert.Equal("none", FunctionWorkspace.Call(compilation, "Show", [null]));
        Assert.Null(FunctionWorkspace.Call(compilation, "Keep", [null]));
        Assert.Equal("a!", FunctionWorkspace.Call(compilation, "Keep", "a"));
    }

    [Fact]
    public void A_file_is_compiled_once_per_content()
    {
        var loader = new FunctionLoader();
        var first = FunctionWorkspace.Compile(Source, "tag t = SkuLine(\"abcd\")", loader);
        var second = FunctionWorkspace.Compile(Source, "tag t = SkuLine(\"abcdef\")", loader);
        Assert.Same(first.Functions.Functions[0].Invoker, second.Functions.Functions[0].Invoker);
        var changed = FunctionWorkspace.Compile(Source + "\n", "tag t = SkuLine(\"abcdef\")", loader);
        Assert.NotSame(first.Functions.Functions[0].Invoker, changed.Functions.Functions[0].Invoker);
    }

    [Fact]
    public void A_reload_lets_the_old_code_be_collected()
    {
        var loader = new FunctionLoader(capacity: 1);
        var context = LoadAndForget(loader, Source);
        FunctionWorkspace.Compile(Source + "\n// v2", "tag t = SkuLine(\"a\")", loader); // the reload pushes v1 out
        for (var i = 0; i < 20 && context.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Assert.False(context.IsAlive, "the load context of the replaced file was not collected");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference LoadAndForget(FunctionLoader loader, string source)
    {
        var compilation = FunctionWorkspace.Compile(source, "tag t = SkuLine(\"abcd\")", loader);
        Assert.Equal("abc", FunctionWorkspace.Call(compilation, "SkuLine", "abcd"));
        return new WeakReference(Assert.Single(loader.Contexts));
    }

    [Fact]
    public void An_uninstrumented_build_gives_the_same_values()
    {
        var plain = FunctionWorkspace.Compile(Source, "tag t = 1", new FunctionLoader(instrument: false));
        Assert.Equal("abc", FunctionWorkspace.Call(plain, "SkuLine", "abcdef"));
        Assert.Equal(FunctionLimits.Default, new FunctionLimits());
    }
}
