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
/// for the one call running on it. Each rewritten body takes the thread's state once, at its
/// entry (<see cref="Enter"/>), into a local, so a loop's charge is a field decrement on it.
/// Memory is read from the runtime's per-thread allocation counter, so every allocation counts,
/// including those inside the library (LINQ, string methods). Once spent, a budget stays spent
/// for the rest of the call: every later charge throws again, and rewritten `catch` clauses do
/// not catch (<see cref="State.MayCatch"/>), so a function cannot swallow its own end.
/// Public only because the rewritten code calls it; the sandbox walk refuses any use of it in user code.
/// </summary>
public static class SandboxBudget
{
    /// <summary>The budget of the call running on one thread.</summary>
    public sealed class State
    {
        internal long Steps;
        internal int Depth;
        internal int MaxDepth;
        internal long AllocatedLimit;
        internal long Bytes;
        internal long MaxSteps;
        internal string? Spent;

        /// <summary>One iteration of a loop that cannot allocate more than a fixed amount per turn (no call, creation
        /// or string concatenation in it): a step.</summary>
        public void Tick()
        {
            if (--Steps < 0) SpendSteps(this);
        }

        /// <summary>One loop iteration: a step, and a look at the memory counter.</summary>
        public void Step()
        {
            if (--Steps < 0) SpendSteps(this);
            if (GC.GetAllocatedBytesForCurrentThread() > AllocatedLimit) SpendBytes(this);
        }

        public void Exit() => Depth--;

        /// <summary>The filter every rewritten `catch` gets: a spent budget is never caught by the function.</summary>
        public bool MayCatch() => Spent is null;
    }

    [ThreadStatic] private static State? t_state;

    /// <summary>Starts the budget of one call on this thread (calls do not nest: user code cannot reach an invoker).</summary>
    public static void Begin(FunctionLimits limits)
    {
        var state = t_state ??= new State();
        state.Steps = limits.Steps;
        state.MaxSteps = limits.Steps;
        state.Depth = 0;
        state.MaxDepth = limits.Depth;
        state.Bytes = limits.Bytes;
        state.AllocatedLimit = GC.GetAllocatedBytesForCurrentThread() + limits.Bytes;
        state.Spent = null;
    }

    /// <summary>Ends the call: until the next <see cref="Begin"/>, every charge on this thread fails.</summary>
    public static void End()
    {
        var state = t_state!;
        state.Steps = 0;
        state.Spent = "it ran outside a call";
    }

    /// <summary>
    /// A method, local function, lambda, constructor or accessor starts: one level deeper, and a
    /// step. The outermost entry skips the memory look (<see cref="Begin"/> has just taken it);
    /// nested ones do not, since a recursion can grow what it allocates at each level.
    /// </summary>
    public static State Enter()
    {
        var state = t_state ?? throw new SandboxBudgetException("it ran outside a call");
        if (++state.Depth > state.MaxDepth) Spend(state, $"it nested calls deeper than {state.MaxDepth} (endless recursion?)");
        if (--state.Steps < 0) SpendSteps(state);
        if (state.Depth == 1) return state;
        if (!RuntimeHelpers.TryEnsureSufficientExecutionStack()) Spend(state, "it nested calls too deeply for the stack");
        if (GC.GetAllocatedBytesForCurrentThread() > state.AllocatedLimit) SpendBytes(state);
        return state;
    }

    /// <summary>
    /// Before an allocation sized by a number (an array length, `new string(c, n)`, a capacity,
    /// `PadLeft`, `Enumerable.Range`/`Repeat`): refuses one that would pass the memory budget
    /// before it is made, since a single allocation happens between two steps.
    /// </summary>
    public static int Reserve(int count, int bytesEach) => (int)Reserve((long)count, bytesEach);

    public static long Reserve(long count, int bytesEach)
    {
        var state = t_state ?? throw new SandboxBudgetException("it ran outside a call");
        if (count > 0 && (count > state.Bytes || GC.GetAllocatedBytesForCurrentThread() + count * bytesEach > state.AllocatedLimit))
            Spend(state, $"it asked for {Math.Min(count, long.MaxValue / bytesEach) * bytesEach / (1024 * 1024):N0} MB at once, over its " +
                $"budget of {state.Bytes / (1024 * 1024):N0} MB");
        return count;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SpendSteps(State state) => Spend(state, $"it used its budget of {state.MaxSteps:N0} steps (an endless loop?)");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SpendBytes(State state) => Spend(state, $"it allocated more than its budget of {state.Bytes / (1024 * 1024):N0} MB");

    private static void Spend(State state, string why)
    {
        state.Spent ??= why;
        state.Steps = Math.Min(state.Steps, 0);
        throw new SandboxBudgetException(state.Spent);
    }
}
