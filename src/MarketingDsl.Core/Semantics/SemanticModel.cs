using System.Collections.Immutable;

namespace MarketingDsl.Core.Semantics;

/// <summary>
/// The checked workspace: schema, every declaration as a symbol with bound (typed, resolved)
/// bodies, and the order to evaluate computed symbols in. Built only by the binder.
/// </summary>
public sealed class SemanticModel
{
    internal SemanticModel(
        SchemaModel schema,
        ImmutableArray<TagSymbol> tags,
        ImmutableArray<SegmentSymbol> segments,
        ImmutableArray<SegmentationSymbol> segmentations,
        ImmutableArray<ModelSymbol> models,
        ImmutableArray<ChannelSymbol> channels,
        ImmutableArray<JourneySymbol> journeys,
        ImmutableArray<TestSymbol> tests,
        ImmutableArray<ComputedSymbol> evaluationOrder,
        int populationNodeCount,
        ImmutableDictionary<Syntax.SyntaxNode, Symbol> references)
    {
        Schema = schema;
        Tags = tags;
        Segments = segments;
        Segmentations = segmentations;
        Models = models;
        Channels = channels;
        Journeys = journeys;
        Tests = tests;
        EvaluationOrder = evaluationOrder;
        PopulationNodeCount = populationNodeCount;
        References = references;
        Outputs = [.. tags.Cast<ComputedSymbol>(), .. segments, .. segmentations];
    }

    public SchemaModel Schema { get; }
    public ImmutableArray<TagSymbol> Tags { get; }
    public ImmutableArray<SegmentSymbol> Segments { get; }
    public ImmutableArray<SegmentationSymbol> Segmentations { get; }
    public ImmutableArray<ModelSymbol> Models { get; }
    public ImmutableArray<ChannelSymbol> Channels { get; }
    public ImmutableArray<JourneySymbol> Journeys { get; }
    public ImmutableArray<TestSymbol> Tests { get; }

    /// <summary>All tags, then segments, then segmentations, each in file then declaration order: the columns of tags.csv.</summary>
    public ImmutableArray<ComputedSymbol> Outputs { get; }

    /// <summary>Computed symbols ordered so every dependency comes first (phases ascending).</summary>
    public ImmutableArray<ComputedSymbol> EvaluationOrder { get; }

    /// <summary>Number of <see cref="BoundQuantileScore"/> nodes (their ids are 0..n-1).</summary>
    public int PopulationNodeCount { get; }

    /// <summary>For the editor: which symbol each name in the source refers to.</summary>
    public ImmutableDictionary<Syntax.SyntaxNode, Symbol> References { get; }

    public ComputedSymbol? FindComputed(string name) => Outputs.FirstOrDefault(s => s.Name == name);
}
