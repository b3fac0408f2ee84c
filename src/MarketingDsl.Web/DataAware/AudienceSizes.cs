using MarketingDsl.Core;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Engine.Scoring;
using MarketingDsl.Models.Scoring;

namespace MarketingDsl.Web.DataAware;

/// <summary>
/// The size of one audience beside its declaration: a segment, a segmentation group or a boolean
/// tag, placed after its name (one-based line and column of the name's end). <see cref="NotScoredModel"/>
/// names the untrained or stale model it reads, whose outputs are null (so the count is not the real one).
/// </summary>
public sealed record AudienceSize(string Path, int Line, int Column, string Kind, string Name, long Count, double Share, string? NotScoredModel);

/// <summary>Which data the sizes count: the data set's name, its as-of instant, its users and how many of them were evaluated.</summary>
public sealed record AudienceSizeSource(string Name, DateTime AsOfUtc, int Users, int Evaluated, bool Sampled);

/// <summary>
/// Audience sizes of a compiled working copy (the unsaved buffers in place) on a loaded data set:
/// the compiled engine over the data set's sample (every user when it is small), as of its latest
/// event, model tags scored from the registry as the simulation does. Only the declarations an edit
/// changed, and what reads them, are lowered and evaluated again (<see cref="EditorData.Sizes"/>).
/// </summary>
public static class AudienceSizes
{
    public static IReadOnlyList<AudienceSize> Evaluate(Compilation compilation, EditorData data, IModelScorer? scorer,
        IReadOnlyDictionary<string, ModelState>? states) => Evaluate(compilation, data, scorer, states, out _);

    /// <param name="evaluated">How many declarations were computed and how many reused.</param>
    public static IReadOnlyList<AudienceSize> Evaluate(Compilation compilation, EditorData data, IModelScorer? scorer,
        IReadOnlyDictionary<string, ModelState>? states, out IncrementalEvaluation evaluated)
    {
        evaluated = data.Sizes.Evaluate(compilation, scorer);
        var result = evaluated.Result;
        var users = data.Sample.UserCount;
        var sizes = new List<AudienceSize>();
        foreach (var column in result.Columns)
        {
            var symbol = column.Symbol;
            switch (symbol)
            {
                case SegmentSymbol or TagSymbol when symbol.Type.Kind == TypeKind.Bool && symbol.Location is { } at:
                    sizes.Add(Size(at, symbol is SegmentSymbol ? "segment" : "tag", symbol.Name, Count(users, u => column.Get(u) is true), users,
                        NotScored(symbol, states)));
                    break;
                case SegmentationSymbol segmentation:
                    var counts = new Dictionary<string, long>(StringComparer.Ordinal);
                    for (var u = 0; u < users; u++)
                        if (column.Get(u) is string group) counts[group] = counts.GetValueOrDefault(group) + 1;
                    var notScored = NotScored(symbol, states);
                    foreach (var rule in segmentation.Rules)
                        sizes.Add(Size(rule.Location, "group", $"{segmentation.Name}.{rule.Name}",
                            counts.GetValueOrDefault(rule.Name), users, notScored));
                    break;
            }
        }
        return sizes;
    }

    private static AudienceSize Size(SymbolLocation at, string kind, string name, long count, int users, string? notScored)
    {
        var end = at.File.GetPosition(at.Span.End);
        return new AudienceSize(at.File.Path, end.Line, end.Column, kind, name, count, users == 0 ? 0 : (double)count / users, notScored);
    }

    private static long Count(int users, Func<int, bool> member)
    {
        long n = 0;
        for (var u = 0; u < users; u++) if (member(u)) n++;
        return n;
    }

    /// <summary>The first model the symbol reads (itself or through what it reads) that is not trained or is stale.</summary>
    private static string? NotScored(ComputedSymbol symbol, IReadOnlyDictionary<string, ModelState>? states)
    {
        if (states is null || states.Count == 0) return null;
        var seen = new HashSet<ComputedSymbol>();
        var stack = new Stack<ComputedSymbol>([symbol]);
        while (stack.Count > 0)
        {
            var s = stack.Pop();
            if (!seen.Add(s)) continue;
            foreach (var node in BoundTree.RootsOf(s).SelectMany(BoundTree.Descendants))
            {
                if (node is BoundModelOutput o && states.GetValueOrDefault(o.Model.Name) != ModelState.Fresh) return o.Model.Name;
                if (node is BoundSymbolReference r) stack.Push(r.Symbol);
            }
        }
        return null;
    }
}
