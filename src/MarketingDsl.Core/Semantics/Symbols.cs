using System.Collections.Immutable;
using MarketingDsl.Core.Syntax;
using MarketingDsl.Core.Text;

namespace MarketingDsl.Core.Semantics;

/// <summary>Where a symbol was declared: file and span of its name.</summary>
public sealed record SymbolLocation(SourceText File, TextSpan Span)
{
    public LinePosition Start => File.GetPosition(Span.Start);
}

public enum SymbolKind { ProfileField, EventType, Tag, Segment, Segmentation, Model, Clusters, Channel, Journey, Test, Recommender }

public abstract class Symbol(string name, SymbolKind kind, SymbolLocation? location)
{
    public string Name { get; } = name;
    public SymbolKind Kind { get; } = kind;
    public SymbolLocation? Location { get; } = location;
    public string? Label { get; init; }
    public string? Documentation { get; init; }
    public override string ToString() => $"{Kind} {Name}";
}

/// <summary>
/// A value computed per user as of T: a tag, a segment (bool, never null) or a segmentation
/// (the chosen group's name). <see cref="Phase"/> orders population functions: a symbol of
/// phase p needs every user's values of phase &lt; p first (for `quantile_score`).
/// </summary>
public abstract class ComputedSymbol(string name, SymbolKind kind, SymbolLocation? location) : Symbol(name, kind, location)
{
    public DslType Type { get; internal set; } = DslType.Error;
    public ImmutableArray<ComputedSymbol> Dependencies { get; internal set; } = [];
    public int Phase { get; internal set; }
    /// <summary>Position in the output (tags.csv column order among all computed symbols).</summary>
    public int OutputIndex { get; internal set; }
    internal DeclarationSyntax? Syntax { get; init; }
}

public sealed class TagSymbol(string name, SymbolLocation? location) : ComputedSymbol(name, SymbolKind.Tag, location)
{
    public BoundExpression Body { get; internal set; } = new BoundErrorExpression();
}

public sealed class SegmentSymbol(string name, SymbolLocation? location) : ComputedSymbol(name, SymbolKind.Segment, location)
{
    public BoundExpression Condition { get; internal set; } = new BoundErrorExpression();
}

public sealed record SegmentationRule(string Name, string? Label, BoundExpression? Condition, SymbolLocation Location)
{
    public bool IsElse => Condition is null;
}

public sealed class SegmentationSymbol(string name, SymbolLocation? location) : ComputedSymbol(name, SymbolKind.Segmentation, location)
{
    public ImmutableArray<SegmentationRule> Rules { get; internal set; } = [];
}

public enum ModelAlgorithm { FastTree, LightGbm, Logistic, KMeans }

/// <summary>A propensity classifier or a regression (`model`), or a k-means++ clustering (`clusters`).</summary>
public sealed class ModelSymbol(string name, SymbolKind kind, SymbolLocation? location) : Symbol(name, kind, location)
{
    public BoundExpression? PredictLabel { get; internal set; }
    public ImmutableArray<BoundExpression> Features { get; internal set; } = [];
    public ImmutableArray<string> FeatureNames { get; internal set; } = [];
    public ModelAlgorithm Algorithm { get; internal set; }
    /// <summary>How far the label looks forward from the training cutoff (the longest `next` window).</summary>
    public long HorizonTicks { get; internal set; }
    public int ClusterCount { get; internal set; }
    public int Seed { get; internal set; }
    /// <summary>Clusters only: features are z-scored with the training population's mean and deviation (`scale: standard`).</summary>
    public bool Standardize { get; internal set; }
    /// <summary>Training needs at least this many users of each label (of a regression: with a value).</summary>
    public int MinimumLabels { get; internal set; } = 100;
    public bool IsClusters => Kind == SymbolKind.Clusters;
    /// <summary>An item-to-item recommender (`recommender`): no features; <see cref="Recommender"/> says what it learns from.</summary>
    public bool IsRecommender => Kind == SymbolKind.Recommender;
    public RecommenderDefinition? Recommender { get; internal set; }
    internal Syntax.NamedDeclarationSyntax? Syntax { get; set; }

    /// <summary>The declaration's source text: a trained model is stale when it changes.</summary>
    public string DeclarationText => Syntax is { } s && Location is { } l ? l.File.ToString(s.Span) : Name;

    /// <summary>
    /// The declarations of every tag, segment and segmentation the features read, directly or
    /// through others, in name order: a trained model is stale when what its features mean changes.
    /// </summary>
    public string FeatureDefinitionsText()
    {
        var seen = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var stack = new Stack<BoundExpression>(Features);
        while (stack.Count > 0)
            foreach (var node in BoundTree.Descendants(stack.Pop()))
                if (node is BoundSymbolReference { Symbol: var symbol } && !seen.ContainsKey(symbol.Name))
                {
                    seen[symbol.Name] = symbol.Syntax is { } syntax && symbol.Location is { } l ? l.File.ToString(syntax.Span) : symbol.Name;
                    foreach (var dependency in symbol.Dependencies)
                        if (!seen.ContainsKey(dependency.Name)) stack.Push(new BoundSymbolReference(dependency));
                    if (symbol is TagSymbol t) stack.Push(t.Body);
                    if (symbol is SegmentSymbol g) stack.Push(g.Condition);
                }
        return string.Join("\n", seen.Values);
    }
    /// <summary>A model whose `predict:` is a number learns a regression (`m.value`); a yes/no one a classifier.</summary>
    public bool IsRegression => !IsClusters && PredictLabel is { Type.IsNumeric: true };
}

/// <summary>One implicit-feedback signal of a recommender: events of a type, each worth <see cref="Weight"/> for the item it names.</summary>
public sealed record RecommenderSignalDefinition(EventTypeSymbol Event, double Weight);

/// <summary>
/// What a `recommender` declaration says (LANGUAGE.md §13): the event and string field that name
/// the item bought (<see cref="ItemEvent"/> is the purchase event; the same field names the item on
/// every signal), an optional category field, the weighted signals, the window of history, k, and
/// whether bought items may be recommended again.
/// </summary>
public sealed record RecommenderDefinition(EventTypeSymbol ItemEvent, string ItemField, string? CategoryField,
    ImmutableArray<RecommenderSignalDefinition> Signals, long WindowTicks, int K, bool Repeat);

public sealed class ChannelSymbol(string name, SymbolLocation? location) : Symbol(name, SymbolKind.Channel, location)
{
    public decimal Cost { get; internal set; }
    public int? CapCount { get; internal set; }
    public long? CapWindowTicks { get; internal set; }
    /// <summary>Quiet window in minutes after local midnight; From &gt; To wraps past midnight.</summary>
    public (int From, int To)? Quiet { get; internal set; }
}

public sealed class EventTypeRef(EventTypeSymbol type, SymbolLocation? location) : Symbol(type.Name, SymbolKind.EventType, location)
{
    public EventTypeSymbol Type { get; } = type;
}

public sealed class TestSymbol(string name, SymbolLocation? location) : Symbol(name, SymbolKind.Test, location)
{
    public ImmutableArray<BoundTestStatement> Statements { get; internal set; } = [];
}

public abstract record BoundTestStatement(SymbolLocation Location);
/// <summary>`given profile {…}` (Event null) or `given EVENT {…}`: field values in the type's field order (null = not given).</summary>
public sealed record BoundGiven(EventTypeSymbol? Event, ImmutableArray<object?> Values, SymbolLocation Location) : BoundTestStatement(Location);
public sealed record BoundAsOf(DateTime Instant, SymbolLocation Location) : BoundTestStatement(Location);
/// <summary>An expectation about the test's subject, the first given profile (ProfileIndex 0).</summary>
public sealed record BoundExpect(BoundExpression Condition, string Text, int ProfileIndex, SymbolLocation Location) : BoundTestStatement(Location);
