using MarketingDsl.Core.Functions;

namespace MarketingDsl.Functions.Tests;

/// <summary>
/// Functions that try to leave the sandbox (LANGUAGE.md §17). Each is either refused by the
/// check, with an error in the `.csx` file at a line and column, or stopped at run time with a
/// clear reason naming the function; the process goes on (the next case runs in it).
/// </summary>
public sealed class HostileFunctionTests
{
    /// <summary>Refused when checked: (case, source of functions/f.csx).</summary>
    public static TheoryData<string, string> Refused => new()
    {
        { "file write", """public static long F() { System.IO.File.WriteAllText("/tmp/mdsl-hostile", "x"); return 1; }""" },
        { "file read", """public static long F() => System.IO.File.ReadAllText("/etc/passwd").Length;""" },
        { "directory listing", """public static long F() => System.IO.Directory.GetFiles("/").Length;""" },
        { "file stream", """public static long F() { using var s = new System.IO.FileStream("/etc/passwd", System.IO.FileMode.Open); """ +
            """return s.Length; }""" },
        { "process start", """public static long F() { System.Diagnostics.Process.Start("sh"); return 1; }""" },
        { "socket", """public static long F() { """ +
            """var s = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp); return 1; }""" },
        { "http client", """public static long F() { var c = new System.Net.Http.HttpClient(); return 1; }""" },
        { "reflection", """public static long F() => typeof(string).GetMethods().Length;""" },
        { "GetType", """public static long F() => "x".GetType().Name.Length;""" },
        { "Type.GetType", """public static long F() => System.Type.GetType("System.IO.File")!.Name.Length;""" },
        { "Type.GetType built with nameof", """public static long F() => System.Type.GetType(nameof(System) + ".IO.File") is null ? 0 : 1;""" },
        { "Activator", """public static long F() => System.Activator.CreateInstance<System.Text.StringBuilder>().Length;""" },
        { "dynamic", """public static long F() { dynamic d = "x"; return d.Length; }""" },
        { "Environment read", """public static long F() => System.Environment.GetEnvironmentVariable("HOME")!.Length;""" },
        { "Environment.Exit", """public static long F() { System.Environment.Exit(3); return 0; }""" },
        { "Environment.FailFast", """public static long F() { System.Environment.FailFast("bye"); return 0; }""" },
        { "AppDomain", """public static long F() => System.AppDomain.CurrentDomain.GetAssemblies().Length;""" },
        { "DllImport", "[System.Runtime.InteropServices.DllImport(\"libc\")] static extern int getpid();\npublic static long F() => getpid();" },
        { "extern without attribute", "static extern int getpid();\npublic static long F() => getpid();" },
        { "unsafe pointer", """public static unsafe long F() { long x = 1; long* p = &x; return *(p + 100000); }""" },
        { "stackalloc bomb", """public static long F() { Span<byte> b = stackalloc byte[100_000_000]; return b.Length; }""" },
        { "Marshal", """public static long F() => System.Runtime.InteropServices.Marshal.AllocHGlobal(1 << 30).ToInt64();""" },
        { "Unsafe.As", """public static long F() => System.Runtime.CompilerServices.Unsafe.SizeOf<long>();""" },
        { "Thread.Sleep", """public static long F() { System.Threading.Thread.Sleep(1_000_000); return 0; }""" },
        { "new Thread", """public static long F() { new System.Threading.Thread(() => { while (true) { } }).Start(); return 0; }""" },
        { "Task.Run", """public static long F() => System.Threading.Tasks.Task.Run(() => 1L).Result;""" },
        { "Timer", """public static long F() { var t = new System.Threading.Timer(_ => { }, null, 0, 1); return 0; }""" },
        { "async", """public static async System.Threading.Tasks.Task<long> F() { await System.Threading.Tasks.Task.Yield(); return 1; }""" },
        { "lock", """public static long F() { lock (new object()) { return 1; } }""" },
        { "finalizer", "class C { ~C() { while (true) { } } }\npublic static long F() { new C(); return 1; }" },
        { "static counter at the top", "static long calls;\npublic static long F() => ++calls;" },
        { "static counter in a class", "static class Counter { public static long Calls; }\npublic static long F() => ++Counter.Calls;" },
        { "static readonly array",
            "static class Memo { public static readonly long[] Cache = new long[10]; }\npublic static long F() => ++Memo.Cache[0];" },
        { "static auto-property", "static class Counter { public static long Calls { get; set; } }\npublic static long F() => ++Counter.Calls;" },
        { "GC.Collect", """public static long F() { GC.Collect(); return 0; }""" },
        { "GC memory", """public static long F() => GC.GetTotalMemory(false);""" },
        { "alias", "using IO = System.IO;\npublic static long F() => IO.File.ReadAllText(\"/etc/passwd\").Length;" },
        { "type alias", "using Env = System.Environment;\npublic static long F() => Env.ProcessorCount;" },
        { "global::", """public static long F() => global::System.IO.File.Exists("/etc/passwd") ? 1 : 0;""" },
        { "using static", "using static System.IO.File;\npublic static long F() => Exists(\"/etc/passwd\") ? 1 : 0;" },
        { "using static Environment", "using static System.Environment;\npublic static long F() { Exit(4); return 0; }" },
        { "typeof game", """public static long F() { typeof(System.IO.File).GetMethod("Delete")!.Invoke(null, new object[] { "/tmp/x" }); """ +
            """return 1; }""" },
        { "nameof game", """public static long F() => nameof(System.IO.File.Delete).Length;""" },
        { "lambda doing IO", """public static long F() { Func<string> read = () => System.IO.File.ReadAllText("/etc/passwd"); """ +
            """return read().Length; }""" },
        { "local function doing IO", """public static long F() { long Count() => System.IO.Directory.GetFiles("/").Length; return Count(); }""" },
        { "local function exiting", """public static long F() { void Bye() => System.Environment.Exit(5); Bye(); return 0; }""" },
        { "expression tree compiled at run time", """public static long F() => """ +
            """System.Linq.Expressions.Expression.Lambda<Func<long>>(System.Linq.Expressions.Expression.Constant(1L)).Compile()();""" },
        { "clock", """public static long F() => DateTime.Now.Ticks;""" },
        { "random", """public static long F() => new Random().Next();""" },
        { "console", """public static long F() { System.Console.WriteLine("hello"); return 0; }""" },
        { "#r directive", "#r \"System.IO.dll\"\npublic static long F() => 1;" },
        { "#load directive", "#load \"other.csx\"\npublic static long F() => 1;" },
        { "code at the top", "System.Environment.Exit(6);\npublic static long F() => 1;" },
        { "module initializer",
            "class Boot { [System.Runtime.CompilerServices.ModuleInitializer] internal static void Init() { } }\npublic static long F() => 1;" },
        { "goto loop", """public static long F() { again: goto again; }""" },
        { "iterator", """public static IReadOnlyList<long> F() => G().ToList(); static IEnumerable<long> G() { while (true) yield return 1; }""" },
        { "user type named System", "class System { }\npublic static long F() => 1;" },
        { "the sandbox's own budget", """public static long F() { MarketingDsl.Functions.Budget.SandboxBudget.Exit(); return 1; }""" },
        { "exception reflection", """public static long F() => new Exception().TargetSite is null ? 0 : 1;""" },
        { "makeref", """public static long F() { long x = 1; var r = __makeref(x); return 1; }""" },
        { "volatile", "class C { volatile int x; }\npublic static long F() => 1;" },
        { "object creation of a forbidden type via target-typed new", """public static long F() { System.IO.FileInfo f = new("/etc/passwd"); """ +
            """return f.Length; }""" },
        { "unsupported parameter type", """public static long F(int x) => x;""" },
        { "unsupported return type", """public static DateTime F() => new DateTime(2025, 1, 1);""" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void Refused_by_check_with_an_error_in_the_function_file(string name, string source)
    {
        var compilation = FunctionWorkspace.Compile(source, "tag t = F()");
        var errors = compilation.Diagnostics.Where(d => d.IsError && d.FilePath == "functions/f.csx").ToList();
        Assert.True(errors.Count > 0, $"{name}: no error in functions/f.csx; diagnostics: {string.Join("; ", compilation.Diagnostics)}");
        Assert.All(errors, e => Assert.StartsWith("MD7", e.Code));
        Assert.All(errors, e => Assert.True(e.Start.Line >= 1 && e.Start.Column >= 1));
        Assert.Null(compilation.Functions.Find("F"));
    }

    /// <summary>Stopped at run time: (case, source, a word the reason must contain).</summary>
    public static TheoryData<string, string, string> Stopped => new()
    {
        { "endless while", """public static long F() { while (true) { } }""", "steps" },
        { "endless for", """public static long F() { for (;;) ; }""", "steps" },
        { "endless do", """public static long F() { long i = 0; do { i++; } while (i > 0 || true); return i; }""", "steps" },
        { "endless foreach over a huge range", """public static long F() { long n = 0; """ +
            """foreach (var i in Enumerable.Range(0, 100_000_000)) n += i; return n; }""", "MB" },
        { "endless recursion", "static long G(long n) => G(n + 1) + 1;\npublic static long F() => G(0);", "deeper" },
        { "endless recursion of a lambda", """public static long F() { Func<long, long>? f = null; """ +
            """f = n => f!(n + 1) + 1; return f(0); }""", "deeper" },
        { "endless recursion of a local function", """public static long F() { long G(long n) => G(n + 1) + 1; return G(0); }""", "deeper" },
        { "mutual recursion", "static long A(long n) => B(n) + 1;\nstatic long B(long n) => A(n) + 1;\npublic static long F() => A(0);", "deeper" },
        { "string doubling", """public static long F() { var s = "x"; while (true) s += s; }""", "MB" },
        { "string.Concat doubling", """public static long F() { var s = "ab"; for (var i = 0; i < 40; i++) s = string.Concat(s, s); """ +
            """return s.Length; }""", "MB" },
        { "1 GB array", """public static long F() { var a = new byte[1_000_000_000]; return a.Length; }""", "MB" },
        { "1 GB string", """public static long F() => new string('x', 1_000_000_000).Length;""", "MB" },
        { "PadLeft bomb", """public static long F() => "x".PadLeft(int.MaxValue).Length;""", "MB" },
        { "Repeat bomb", """public static long F() => Enumerable.Repeat(1L, 500_000_000).ToArray().Length;""", "MB" },
        { "List doubling", """public static long F() { var l = new List<long> { 1 }; while (true) l.AddRange(l); }""", "MB" },
        { "ImmutableArray doubling", """public static long F() { var a = ImmutableArray.Create(1L); """ +
            """for (var i = 0; i < 60; i++) a = a.AddRange(a); return a.Length; }""", "MB" },
        { "catch swallowing the end", """public static long F() { while (true) { try { while (true) { } } catch { } } }""", "steps" },
        { "catch with a filter", """public static long F() { try { while (true) { } } catch (Exception e) when (e.Message.Length > 0) { """ +
            """return 1; } }""", "steps" },
        { "finally looping", """public static long F() { try { while (true) { } } finally { while (true) { } } }""", "steps" },
        { "LINQ lambda looping", """public static long F() => """ +
            """Enumerable.Range(0, 10).Select(i => { while (i >= 0) { } return (long)i; }).Sum();""", "steps" },
        { "user exception", """public static long F() => throw new InvalidOperationException("boom");""", "boom" },
        { "division by zero", """public static long F() { long zero = 0; return 1 / zero; }""", "DivideByZeroException" },
        { "index out of range", """public static long F() => (new long[1])[5];""", "IndexOutOfRangeException" },
    };

    [Theory]
    [MemberData(nameof(Stopped))]
    public void Stopped_at_run_time_with_a_reason_naming_the_function(string name, string source, string reason)
    {
        var compilation = FunctionWorkspace.Compile(source, "tag t = F()");
        Assert.False(compilation.HasErrors, $"{name}: {string.Join("; ", compilation.Diagnostics)}");
        var failure = Assert.Throws<CustomFunctionException>(() => FunctionWorkspace.Call(compilation, "F"));
        Assert.Equal("F", failure.Function);
        Assert.Contains(reason, failure.Reason);
        Assert.StartsWith("F() failed: ", failure.Message);
    }
}
