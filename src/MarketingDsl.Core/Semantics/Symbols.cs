using System.Collections.Immutable;
using MarketingDsl.Core.Syntax;
using MarketingDsl.Core.Text;

namespace MarketingDsl.Core.Semantics;

/// <summary>Where a symbol was declared: file and span of its name.</summary>
public sealed record SymbolLocation(SourceText File, TextSpan Span)
{
    public LinePosition Start => File.GetPosition(Span.Start);
}

public enum SymbolKind { ProfileField, EventType, Tag, Segment, Segmentation, Model, Clusters, Channel, Journey, Test }

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

/// <summary>A propensity classifier (`model`) or a k-means++ clustering (`clusters`).</summary>
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
    public bool IsClusters => Kind == SymbolKind.Clusters;
}

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
