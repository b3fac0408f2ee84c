using System.Collections.Concurrent;
using MarketingDsl.Core.Functions;

namespace MarketingDsl.Engine.Evaluation;

/// <summary>
/// The custom function calls of one evaluation that did not return (LANGUAGE.md §17): each left
/// its value null. Counts every failure per function and keeps the first few with their user, so
/// a function failing for every user costs a counter, not a list as long as the population.
/// Written from the evaluation's threads.
/// </summary>
public sealed class FunctionFailureLog
{
    public const int KeptSamples = 20;

    private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<CustomFunctionFailure> _samples = new();
    private int _total;

    public int Count => Volatile.Read(ref _total);

    /// <summary>Failures per function name, in name order.</summary>
    public IReadOnlyList<KeyValuePair<string, int>> ByFunction => [.. _counts.OrderBy(c => c.Key, StringComparer.Ordinal)];

    /// <summary>The first failures (at most <see cref="KeptSamples"/>), with user and reason.</summary>
    public IReadOnlyList<CustomFunctionFailure> Samples => [.. _samples];

    /// <summary>Adds the failures of another log (an evaluation done in parts).</summary>
    public void Add(FunctionFailureLog other)
    {
        foreach (var (function, count) in other._counts) _counts.AddOrUpdate(function, count, (_, n) => n + count);
        foreach (var sample in other._samples)
            if (Interlocked.Increment(ref _total) <= KeptSamples) _samples.Enqueue(sample);
        Interlocked.Add(ref _total, other.Count - other._samples.Count);
    }

    public void Record(CustomFunctionException failure, string userId)
    {
        _counts.AddOrUpdate(failure.Function, 1, (_, n) => n + 1);
        if (Interlocked.Increment(ref _total) <= KeptSamples) _samples.Enqueue(new CustomFunctionFailure(failure.Function, userId, failure.Reason));
    }
}
