using System.Collections.Immutable;
using System.Globalization;
using MarketingDsl.Core.Semantics;

namespace MarketingDsl.Journeys;

/// <summary>
/// The stable name of a step inside its journey: its index, then per nested block the selector
/// (an `if`: 0 then, 1 else — an `else if` is the one step of the else block; a split: the branch)
/// and the index in that block: `2`, `3.1.0`. Outbox keys, per-step replay counts and the canvas
/// all name steps this way.
/// </summary>
public static class StepPath
{
    /// <summary>
    /// Every step of a step tree with its path and the innermost split branch it lies in, in source
    /// order (a step before the steps inside it).
    /// </summary>
    public static IEnumerable<(string Path, BoundStep Step, (string Split, int Branch)? Branch)> Walk(
        ImmutableArray<BoundStep> steps, string prefix = "", (string Split, int Branch)? branch = null)
    {
        for (var i = 0; i < steps.Length; i++)
        {
            var path = prefix + i.ToString(CultureInfo.InvariantCulture);
            yield return (path, steps[i], branch);
            var inner = steps[i] switch
            {
                BoundIf x => Walk(x.Then, path + ".0.", branch).Concat(Walk(x.Else, path + ".1.", branch)),
                BoundSplit s => s.Branches.SelectMany((b, n) =>
                    Walk(b.Steps, path + "." + n.ToString(CultureInfo.InvariantCulture) + ".", (s.Name, n))),
                _ => [],
            };
            foreach (var item in inner) yield return item;
        }
    }
}
