using System.Runtime.CompilerServices;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Scoring;

namespace MarketingDsl.Runtime;

public sealed partial class LiveOptions
{
    /// <summary>
    /// The scorer of trained models for a compiled workspace (the CLI's model registry), asked once
    /// per semantic model (a reload gets its own); null, or a null scorer: model tags are empty.
    /// </summary>
    public Func<SemanticModel, IModelScorer?>? ModelScorer { get; init; }
}

public sealed partial class LiveRuntime
{
    private readonly ConditionalWeakTable<SemanticModel, StrongBox<IModelScorer?>> _scorers = new();

    /// <summary>Live tags score models through the same engine path as batch: the user's features, then the model.</summary>
    private IModelScorer? ScorerOf(SemanticModel model) =>
        _options.ModelScorer is { } factory ? _scorers.GetValue(model, m => new StrongBox<IModelScorer?>(factory(m))).Value : null;
}
