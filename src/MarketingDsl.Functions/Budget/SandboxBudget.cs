using System.Runtime.CompilerServices;

namespace MarketingDsl.Functions.Budget;

/// <summary>The per-call limits of a custom function (LANGUAGE.md §17).</summary>
/// <param name="Steps">Loop iterations plus method, local function and lambda entries.</param>
/// <param name="Depth">Nested method, local function and lambda calls (recursion).</param>
/// <param name="Bytes">Bytes the call's thread may allocate, and the size of one array or string it may ask for.</param>
public sealed record FunctionLimits(long Steps = 1_000_000, int Depth = 200, long Bytes = 32L * 1024 * 1024)
{
    public static readonly FunctionLimits Default = new();
}

/// <summary>A custom function call that spent its budget. Only the invoker sees it; user code cannot catch it (see the rewriter).</summary>
public sealed class SandboxBudgetException(string message) : Exception(message);

/// <summary>
/// The budget a rewritten function charges (see <see cref="BudgetRewriter"/>), kept per thread
/// for the one call running on it. Every charge is a few instructions on thread-static fields;
/// memory is read from the runtime's per-thread allocation counter, so every allocation counts,
/// including those inside the library (LINQ, string methods). Once spent, a budget stays spent
/// for the rest of the call: every later charge throws again, and rewritten `catch` clauses do
/// not catch (<see cref="MayCatch"/>), so a function cannot swallow its own end.
/// Public only because the rewritten code calls it; the sandbox walk refuses any use of it in user code.
/// </summary>
public static class SandboxBudget
{
    [ThreadStatic] private static long t_steps;
    [ThreadStatic] private static int t_depth;
    [ThreadStatic] private static int t_maxDepth;
    [ThreadStatic] private static long t_allocatedLimit;
    [ThreadStatic] private static long t_bytes;
    [ThreadStatic] private static long t_maxSteps;
    [ThreadStatic] private static string? t_spent;

    /// <summary>What <see cref="Begin"/> saved, for <see cref="End"/>.</summary>
    public readonly record struct Saved(long Steps, int Depth, int MaxDepth, long AllocatedLimit, long Bytes, long MaxSteps, string? Spent);

    public static Saved Begin(FunctionLimits limits)
    {
        var saved = new Saved(t_steps, t_depth, t_maxDepth, t_allocatedLimit, t_bytes, t_maxSteps, t_spent);
        t_steps = limits.Steps;
        t_maxSteps = limits.Steps;
        t_depth = 0;
        t_maxDepth = limits.Depth;
        t_bytes = limits.Bytes;
        t_allocatedLimit = GC.GetAllocatedBytesForCurrentThread() + limits.Bytes;
        t_spent = null;
        return saved;
    }

    public static void End(Saved saved) =>
        (t_steps, t_depth, t_maxDepth, t_allocatedLimit, t_bytes, t_maxSteps, t_spent) =
        (saved.Steps, saved.Depth, saved.MaxDepth, saved.AllocatedLimit, saved.Bytes, saved.MaxSteps, saved.Spent);

    /// <summary>One loop iteration: a step, and a look at the memory counter.</summary>
    public static void Step()
    {
        if (--t_steps < 0) Spend($"it used its budget of {t_maxSteps:N0} steps (an endless loop?)");
        if (GC.GetAllocatedBytesForCurrentThread() > t_allocatedLimit) Spend($"it allocated more than its budget of {t_bytes / (1024 * 1024):N0} MB");
    }

    /// <summary>A method, local function or lambda starts: one level deeper, and a step.</summary>
    public static void Enter()
    {
        if (++t_depth > t_maxDepth) Spend($"it nested calls deeper than {t_maxDepth} (endless recursion?)");
        if (!RuntimeHelpers.TryEnsureSufficientExecutionStack()) Spend("it nested calls too deeply for the stack");
        Step();
    }

    public static void Exit() => t_depth--;

    /// <summary>
    /// Before an allocation sized by a number (an array length, `new string(c, n)`, a capacity,
    /// `PadLeft`, `Enumerable.Range`/`Repeat`): refuses one that would pass the memory budget
    /// before it is made, since a single allocation happens between two steps.
    /// </summary>
    public static int Reserve(int count, int bytesEach)
    {
        if (count > 0 && GC.GetAllocatedBytesForCurrentThread() + (long)count * bytesEach > t_allocatedLimit)
            Spend($"it asked for {(long)count * bytesEach / (1024 * 1024):N0} MB at once, over its budget of {t_bytes / (1024 * 1024):N0} MB");
        return count;
    }

    public static long Reserve(long count, int bytesEach)
    {
        if (count > 0 && (count > t_bytes || GC.GetAllocatedBytesForCurrentThread() + count * bytesEach > t_allocatedLimit))
            Spend($"it asked for more memory at once than its budget of {t_bytes / (1024 * 1024):N0} MB");
        return count;
    }

    /// <summary>The filter every rewritten `catch` gets: a spent budget is never caught by the function.</summary>
    public static bool MayCatch() => t_spent is null;

    private static void Spend(string why)
    {
        t_spent ??= why;
        throw new SandboxBudgetException(t_spent);
    }
}
