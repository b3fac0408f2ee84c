using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Engine.Simulation;

namespace MarketingDsl.Web.Simulations;

/// <summary>Users who joined and left one segment or one segmentation group between two workspaces.</summary>
public sealed record AudienceChange(string Name, string? Label, long Before, long After, long Added, long Removed,
    IReadOnlyList<string> AddedSample, IReadOnlyList<string> RemovedSample, string Presence);

public sealed record SegmentationChange(string Name, string? Label, string Presence, IReadOnlyList<AudienceChange> Groups);

/// <summary>How many users' value of a tag differs (a tag only on one side differs for every user with a value there).</summary>
public sealed record TagChange(string Name, string? Label, long Changed, string Presence);

public sealed record AudienceDiffResult(
    string Before, string After, string Folder, DateTime AsOfUtc, int Users,
    IReadOnlyList<AudienceChange> Segments, IReadOnlyList<SegmentationChange> Segmentations, IReadOnlyList<TagChange> Tags);

/// <summary>
/// Compares two evaluations of the same data folder as of the same instant, user by user (by
/// user id, so two schemas that load the data differently still line up). `Presence` says whether
/// a symbol is in `both` workspaces, only `after` (added) or only `before` (removed).
/// </summary>
public static class AudienceDiff
{
    public const int SampleIds = 10;

    public static AudienceDiffResult Compare(EvaluationResult before, EvaluationResult after, string beforeName, string afterName, string folder)
    {
        var pairs = Pair(before.Data.UserIds, after.Data.UserIds);
        var ids = pairs.Select(p => p.Id).ToArray();

        var segments = new List<AudienceChange>();
        foreach (var name in Names<SegmentSymbol>(before, after))
        {
            var (b, a, symbol, presence) = Columns<SegmentSymbol>(before, after, name);
            segments.Add(Change(name, symbol.Label, presence, pairs, ids, u => b?.Get(u) is true, u => a?.Get(u) is true));
        }

        var segmentations = new List<SegmentationChange>();
        foreach (var name in Names<SegmentationSymbol>(before, after))
        {
            var (b, a, symbol, presence) = Columns<SegmentationSymbol>(before, after, name);
            var rules = ((SegmentationSymbol?)a?.Symbol)?.Rules.Select(r => (r.Name, r.Label)).ToList() ?? [];
            foreach (var rule in ((SegmentationSymbol?)b?.Symbol)?.Rules ?? [])
                if (!rules.Any(r => r.Name == rule.Name)) rules.Add((rule.Name, rule.Label));
            var groups = rules.Select(rule => Change(rule.Name, rule.Label, GroupPresence(b, a, rule.Name), pairs, ids,
                u => b?.Get(u) is string g && g == rule.Name, u => a?.Get(u) is string g && g == rule.Name)).ToList();
            segmentations.Add(new SegmentationChange(name, symbol.Label, presence, groups));
        }

        var tags = new List<TagChange>();
        foreach (var name in Names<TagSymbol>(before, after))
        {
            var (b, a, symbol, presence) = Columns<TagSymbol>(before, after, name);
            long changed = 0;
            foreach (var (_, ib, ia) in pairs)
            {
                var valueBefore = b is null || ib < 0 ? "" : ValueFormatter.Format(b.Get(ib));
                var valueAfter = a is null || ia < 0 ? "" : ValueFormatter.Format(a.Get(ia));
                if (!string.Equals(valueBefore, valueAfter, StringComparison.Ordinal)) changed++;
            }
            tags.Add(new TagChange(name, symbol.Label, changed, presence));
        }
        return new AudienceDiffResult(beforeName, afterName, folder, after.AsOfUtc, pairs.Count, segments, segmentations, tags);
    }

    private static string GroupPresence(ResultColumn? before, ResultColumn? after, string group)
    {
        var inBefore = ((SegmentationSymbol?)before?.Symbol)?.Rules.Any(r => r.Name == group) == true;
        var inAfter = ((SegmentationSymbol?)after?.Symbol)?.Rules.Any(r => r.Name == group) == true;
        return inBefore && inAfter ? "both" : inAfter ? "after" : "before";
    }

    private static AudienceChange Change(string name, string? label, string presence, List<(string Id, int Before, int After)> pairs,
        string[] ids, Func<int, bool> inBefore, Func<int, bool> inAfter)
    {
        long countBefore = 0, countAfter = 0, added = 0, removed = 0;
        var addedSample = new List<string>();
        var removedSample = new List<string>();
        for (var i = 0; i < pairs.Count; i++)
        {
            var (_, ib, ia) = pairs[i];
            var was = ib >= 0 && inBefore(ib);
            var now = ia >= 0 && inAfter(ia);
            if (was) countBefore++;
            if (now) countAfter++;
            if (now && !was)
            {
                added++;
                if (addedSample.Count < SampleIds) addedSample.Add(ids[i]);
            }
            else if (was && !now)
            {
                removed++;
                if (removedSample.Count < SampleIds) removedSample.Add(ids[i]);
            }
        }
        return new AudienceChange(name, label, countBefore, countAfter, added, removed, addedSample, removedSample, presence);
    }

    /// <summary>Names of one kind of symbol: the after side's in declaration order, then those only before.</summary>
    private static List<string> Names<T>(EvaluationResult before, EvaluationResult after) where T : ComputedSymbol
    {
        var names = after.Columns.Where(c => c.Symbol is T).Select(c => c.Symbol.Name).ToList();
        names.AddRange(before.Columns.Where(c => c.Symbol is T).Select(c => c.Symbol.Name).Where(n => !names.Contains(n)));
        return names;
    }

    /// <summary>A name that changed kind (a tag that became a segment) is compared only on the side of that kind.</summary>
    private static (ResultColumn? Before, ResultColumn? After, ComputedSymbol Symbol, string Presence) Columns<T>(EvaluationResult before,
        EvaluationResult after, string name) where T : ComputedSymbol
    {
        var b = before.Columns.FirstOrDefault(c => c.Symbol.Name == name && c.Symbol is T);
        var a = after.Columns.FirstOrDefault(c => c.Symbol.Name == name && c.Symbol is T);
        return (b, a, (a ?? b)!.Symbol, b is not null && a is not null ? "both" : a is not null ? "after" : "before");
    }

    /// <summary>The union of two sorted user-id lists, with each id's index on either side (-1 when absent).</summary>
    private static List<(string Id, int Before, int After)> Pair(string[] before, string[] after)
    {
        var pairs = new List<(string, int, int)>(Math.Max(before.Length, after.Length));
        if (ReferenceEquals(before, after))
        {
            for (var i = 0; i < before.Length; i++) pairs.Add((before[i], i, i));
            return pairs;
        }
        int x = 0, y = 0;
        while (x < before.Length || y < after.Length)
        {
            var order = x == before.Length ? 1 : y == after.Length ? -1 : CodePointComparer.Instance.Compare(before[x], after[y]);
            if (order == 0) pairs.Add((before[x], x++, y++));
            else if (order < 0) pairs.Add((before[x], x++, -1));
            else pairs.Add((after[y], -1, y++));
        }
        return pairs;
    }
}
