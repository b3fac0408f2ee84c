using Microsoft.CodeAnalysis;

namespace MarketingDsl.Functions.Sandbox;

/// <summary>
/// What a custom function may use from .NET (LANGUAGE.md §17 lists it in words): whole
/// namespaces of in-memory collections and LINQ, and single types of `System` for numbers,
/// text, dates and the tuples and delegates that go with them; minus members that read the
/// clock or reach the type system. Names are metadata names of original definitions
/// (`System.Collections.Generic.List`1`), so an alias, `global::` or `using static` reaches the
/// same entry as the plain name.
/// </summary>
internal static class AllowList
{
    private static readonly HashSet<string> Namespaces =
    [
        "System.Collections.Generic", "System.Collections.Immutable",
    ];

    private static readonly HashSet<string> Types = BuildTypes();

    private static HashSet<string> BuildTypes()
    {
        var types = new HashSet<string>(StringComparer.Ordinal)
        {
            "System.Void", "System.Object", "System.ValueType", "System.Enum", "System.Boolean", "System.Char", "System.SByte", "System.Byte",
            "System.Int16", "System.UInt16", "System.Int32", "System.UInt32", "System.Int64", "System.UInt64", "System.Int128",
            "System.Single", "System.Double", "System.Decimal", "System.String", "System.Math", "System.MathF",
            "System.DateTime", "System.DateOnly", "System.TimeOnly", "System.DateTimeOffset", "System.TimeSpan", "System.DayOfWeek",
            "System.DateTimeKind", "System.MidpointRounding", "System.StringComparison", "System.StringComparer", "System.StringSplitOptions",
            "System.Nullable`1", "System.Index", "System.Range", "System.Span`1", "System.ReadOnlySpan`1", "System.MemoryExtensions",
            "System.IComparable", "System.IComparable`1", "System.IEquatable`1", "System.IFormattable", "System.IFormatProvider",
            "System.Predicate`1", "System.Comparison`1", "System.Converter`2", "System.Array",
            "System.Exception", "System.ArgumentException", "System.ArgumentNullException", "System.ArgumentOutOfRangeException",
            "System.InvalidOperationException", "System.FormatException", "System.OverflowException", "System.DivideByZeroException",
            "System.NotSupportedException", "System.ArithmeticException",
            "System.Globalization.CultureInfo", "System.Globalization.NumberStyles", "System.Globalization.DateTimeStyles",
            "System.Linq.Enumerable", "System.Linq.IGrouping`2", "System.Linq.ILookup`2", "System.Linq.Lookup`2", "System.Linq.IOrderedEnumerable`1",
            "System.Collections.IEnumerable", "System.Collections.IEnumerator", "System.Collections.IComparer",
                "System.Collections.IEqualityComparer",
            "System.Runtime.CompilerServices.DefaultInterpolatedStringHandler", "System.Runtime.CompilerServices.IsExternalInit",
            "System.ValueTuple", "System.Tuple",
        };
        for (var n = 1; n <= 8; n++) { types.Add($"System.ValueTuple`{n}"); types.Add($"System.Tuple`{n}"); }
        types.Add("System.Action");
        for (var n = 1; n <= 16; n++) { types.Add($"System.Func`{n + 1}"); types.Add($"System.Action`{n}"); }
        types.Add("System.Func`1");
        return types;
    }

    /// <summary>Members refused on allowed types, as "Type.Member" (metadata names of the original definition).</summary>
    private static readonly Dictionary<string, (string English, string Chinese)> RefusedMembers = new(StringComparer.Ordinal)
    {
        ["System.Object.GetType"] = Reasons.Reflection,
        ["System.Object.MemberwiseClone"] = Reasons.Reflection,
        ["System.Object.Finalize"] = Reasons.Finalizer,
        ["System.DateTime.Now"] = Reasons.Clock, ["System.DateTime.UtcNow"] = Reasons.Clock, ["System.DateTime.Today"] = Reasons.Clock,
        ["System.DateTimeOffset.Now"] = Reasons.Clock, ["System.DateTimeOffset.UtcNow"] = Reasons.Clock,
        ["System.String.Intern"] = Reasons.Global, ["System.String.IsInterned"] = Reasons.Global,
        ["System.Array.CreateInstance"] = Reasons.Reflection, ["System.Array.CreateInstanceFromArrayType"] = Reasons.Reflection,
        ["System.Array.Resize"] = Reasons.Sized,
        ["System.Globalization.CultureInfo.CurrentCulture"] = Reasons.Global, ["System.Globalization.CultureInfo.CurrentUICulture"] = Reasons.Global,
        ["System.Globalization.CultureInfo.DefaultThreadCurrentCulture"] = Reasons.Global,
        ["System.Globalization.CultureInfo.DefaultThreadCurrentUICulture"] = Reasons.Global,
        ["System.Exception.TargetSite"] = Reasons.Reflection, ["System.Exception.StackTrace"] = Reasons.Reflection,
    };

    public static bool IsAllowedType(INamedTypeSymbol definition)
    {
        var name = MetadataName(definition);
        if (Types.Contains(name)) return true;
        return definition.ContainingType is null && Namespaces.Contains(definition.ContainingNamespace.ToDisplayString())
            || definition.ContainingType is { } outer && IsAllowedType(outer.OriginalDefinition); // nested: List<T>.Enumerator
    }

    public static (string English, string Chinese)? RefusedMember(ISymbol member)
    {
        if (member.ContainingType is not { } type) return null;
        return RefusedMembers.TryGetValue($"{MetadataName(type.OriginalDefinition)}.{member.Name}", out var why) ? why : null;
    }

    public static string MetadataName(INamedTypeSymbol type)
    {
        var outer = type.ContainingType is { } containing ? MetadataName(containing) + "+"
            : type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() + "." : "";
        return outer + type.MetadataName;
    }
}

/// <summary>Why a construct is refused, in English and 简体中文 (for <see cref="Core.Functions.FunctionErrors.NotAllowed"/>).</summary>
internal static class Reasons
{
    public static readonly (string, string) NotListed = ("it is not on the allow-list (numbers, text, dates, in-memory collections, LINQ)",
        "它不在允许列表中（数字、文本、日期、内存集合、LINQ）");
    public static readonly (string, string) Reflection = ("it reaches the type system (reflection)", "它会访问类型系统（反射）");
    public static readonly (string, string) Clock = ("it reads the clock; the time of an evaluation is its as-of instant, pass now() as " +
        "an argument", "它读取系统时钟；评估时间是其截止时刻，请把 now() 作为参数传入");
    public static readonly (string, string) Global = ("it reads or changes state shared by the whole process", "它读取或修改整个进程共享的状态");
    public static readonly (string, string) Sized = ("it allocates outside the memory budget", "它的内存分配不受内存预算约束");
    public static readonly (string, string) Finalizer = ("a finalizer runs outside any call, on the garbage collector's thread",
        "终结器在任何调用之外、在垃圾回收线程上运行");
    public static readonly (string, string) Unsafe = ("unsafe code and pointers can read and write any memory", "不安全代码和指针可以读写任意内存");
    public static readonly (string, string) Stackalloc = ("stack memory is outside the memory budget and can end the process",
        "栈内存不受内存预算约束，可能导致进程终止");
    public static readonly (string, string) Extern = ("it calls native code", "它会调用本机代码");
    public static readonly (string, string) Attribute = ("attributes change how code is loaded and run (DllImport, ModuleInitializer, …)",
        "特性会改变代码的加载和运行方式（DllImport、ModuleInitializer 等）");
    public static readonly (string, string) StaticState = ("a static field keeps state between calls and users; use a const or a local",
        "静态字段会在调用和用户之间保留状态；请使用 const 或局部变量");
    public static readonly (string, string) TopLevel = ("a function file holds methods, types and using directives only; code at the top " +
        "would run when the file loads", "函数文件只能包含方法、类型和 using 指令；顶层代码会在加载文件时运行");
    public static readonly (string, string) Directive = ("a function file cannot load other files or assemblies", "函数文件不能加载其他文件或程序集");
    public static readonly (string, string) Dynamic = ("dynamic binds at run time, past the allow-list", "dynamic 在运行时绑定，会绕过允许列表");
    public static readonly (string, string) Concurrency = ("threads, tasks, locks and async code outlive or escape the call", "线程、任务、锁和异步代码会超出调用的范围");
    public static readonly (string, string) Goto = ("use a loop instead; only loops are charged to the step budget", "请改用循环；只有循环会计入步数预算");
    public static readonly (string, string) Iterator = ("an iterator runs after the call returned, outside its budget; return a list",
        "迭代器在调用返回后才运行，不受预算约束；请返回列表");
    public static readonly (string, string) SystemName = ("a type of your own cannot be named like a .NET namespace", "自定义类型不能与 .NET 命名空间同名");
    public static readonly (string, string) Budget = ("it is the sandbox's own budget", "它是沙箱自身的预算");
}
