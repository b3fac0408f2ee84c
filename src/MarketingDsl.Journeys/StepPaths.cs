using System.Collections.Immutable;
using MarketingDsl.Core.Semantics;

namespace MarketingDsl.Journeys;

/// <summary>
/// Stable names for the steps of one journey, so stored data can point at steps: a send's path
/// (`2`, `3.1.0`: step index, then selector and index per nested block) goes into outbox dedupe
/// keys, deferred-send timers and results by step; a <see cref="UserJourneyState.Position"/> resolves back to its step.
/// </summary>
public sealed class StepPaths
{
    private readonly Dictionary<BoundSend, string> _pathOf = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, BoundSend> _sendAt = new(StringComparer.Ordinal);
    private readonly Dictionary<BoundSend, (string Split, int Branch)> _branchOf = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<BoundStep, string> _stepPath = new(ReferenceEqualityComparer.Instance);

    public StepPaths(JourneySymbol journey)
    {
        Journey = journey;
        foreach (var (path, step, branch) in StepPath.Walk(journey.Steps))
        {
            _stepPath[step] = path;
            if (step is not BoundSend send) continue;
            _pathOf[send] = path;
            _sendAt[path] = send;
            if (branch is { } inside) _branchOf[send] = inside;
        }
    }

    public JourneySymbol Journey { get; }

    public string PathOf(BoundSend send) => _pathOf[send];
    /// <summary>The path of any step of the journey.</summary>
    public string PathOf(BoundStep step) => _stepPath[step];
    public BoundSend? SendAt(string path) => _sendAt.GetValueOrDefault(path);
    /// <summary>The innermost split branch a send lies in, if any.</summary>
    public (string Split, int Branch)? BranchOf(BoundSend send) => _branchOf.TryGetValue(send, out var b) ? b : null;
    /// <summary>Every send with its path, in source order.</summary>
    public IEnumerable<(string Path, BoundSend Send)> Sends => _sendAt.Select(kv => (kv.Key, kv.Value));

    /// <summary>The step a position points at (the last frame's step), or null when it points past a block.</summary>
    public BoundStep? StepAt(IReadOnlyList<StepFrame> position)
    {
        var block = Journey.Steps;
        for (var depth = 0; depth < position.Count; depth++)
        {
            var index = position[depth].Index;
            if (index < 0 || index >= block.Length) return null;
            if (depth == position.Count - 1) return block[index];
            var selector = position[depth + 1].Selector;
            block = block[index] switch
            {
                BoundIf i => selector == 0 ? i.Then : i.Else,
                BoundSplit s when selector >= 0 && selector < s.Branches.Length => s.Branches[selector].Steps,
                _ => ImmutableArray<BoundStep>.Empty,
            };
        }
        return null;
    }
}
