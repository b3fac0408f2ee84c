using MarketingDsl.Core;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Lowering;
using MarketingDsl.Engine.Scoring;

namespace MarketingDsl.Engine.Evaluation;

/// <summary>What one incremental evaluation did: its result, and how many symbols it computed and how many it reused.</summary>
public sealed record IncrementalEvaluation(EvaluationResult Result, int Computed, int Reused);

/// <summary>
/// Evaluates successive compilations of a workspace (an editor's working copy, one edit apart) on
/// one data set as of one instant, keeping each symbol's evaluated column by its
/// <see cref="DeclarationKeys"/> key: a request computes only the symbols whose key is new (the
/// edited declaration and what reads it), with a plan lowered for those alone
/// (<see cref="PlanCompiler.Compile(SemanticModel, IReadOnlySet{ComputedSymbol})"/>), and reads the
/// rest from the kept columns. The values are the compiled engine's over the whole plan: a key
/// covers everything a column depends on but the data, the instant and the models' scorer, which
/// are this evaluator's (a different scorer instance drops every kept column). Kept columns are
/// bounded in bytes and dropped least recently used first. One evaluation at a time.
/// </summary>
public sealed class IncrementalEvaluator(DataSet data, DateTime asOfUtc, long maxBytes = IncrementalEvaluator.DefaultMaxBytes)
{
    /// <summary>Columns kept by default: a few hundred columns of a 5,000-user sample.</summary>
    public const long DefaultMaxBytes = 64L << 20;

    private readonly Lock _lock = new();
    private readonly LinkedList<(string Key, Array Values, long Bytes)> _order = new();
    private readonly Dictionary<string, LinkedListNode<(string Key, Array Values, long Bytes)>> _byKey = new(StringComparer.Ordinal);
    private long _bytes;
    private IModelScorer? _scorer;

    public DataSet Data { get; } = data;
    public DateTime AsOfUtc { get; } = asOfUtc;

    /// <summary>Columns kept now, and their approximate size.</summary>
    public (int Columns, long Bytes) Kept
    {
        get { lock (_lock) return (_byKey.Count, _bytes); }
    }

    /// <summary>Every tag, segment and segmentation of a compilation without errors, as <see cref="CompiledEngine"/> evaluates them.</summary>
    /// <remarks>The result's columns may be shared with later results: read them, never write them.</remarks>
    public IncrementalEvaluation Evaluate(Compilation compilation, IModelScorer? scorer = null)
    {
        lock (_lock)
        {
            if (!ReferenceEquals(scorer, _scorer))
            {
                // Model outputs (and all that reads them) come from the scorer: what was kept may be stale.
                _order.Clear();
                _byKey.Clear();
                _bytes = 0;
                _scorer = scorer;
            }
            var model = compilation.Model;
            var keys = compilation.DeclarationKeys;
            var outputs = model.Outputs;
            var known = new Array?[outputs.Length];
            var dirty = new HashSet<ComputedSymbol>(ReferenceEqualityComparer.Instance);
            for (var i = 0; i < outputs.Length; i++)
            {
                if (_byKey.TryGetValue(keys[outputs[i]], out var node))
                {
                    known[i] = node.Value.Values;
                    _order.Remove(node);
                    _order.AddFirst(node);
                }
                else
                {
                    dirty.Add(outputs[i]);
                }
            }
            if (dirty.Count == 0)
            {
                var kept = new EvaluationResult(model, Data, AsOfUtc, CompiledEngine.ResultColumns(model, known!));
                return new IncrementalEvaluation(kept, 0, outputs.Length);
            }

            // Nothing kept (the first request): the whole plan, shared by content hash with other hosts of the same text.
            var plan = dirty.Count == outputs.Length ? CompiledEngine.PlanFor(compilation) : PlanCompiler.Compile(model, dirty);
            var result = CompiledEngine.Evaluate(plan, Data, AsOfUtc, null, scorer, known);
            for (var i = 0; i < outputs.Length; i++)
                if (known[i] is null && result.Columns[i].Typed is { } values) Keep(keys[outputs[i]], values);
            return new IncrementalEvaluation(result, dirty.Count, outputs.Length - dirty.Count);
        }
    }

    private void Keep(string key, Array values)
    {
        if (_byKey.ContainsKey(key)) return;
        var bytes = 32 + (long)values.Length * BytesPerValue(values);
        _byKey[key] = _order.AddFirst((key, values, bytes));
        _bytes += bytes;
        while (_bytes > maxBytes && _order.Last is { } oldest)
        {
            _order.RemoveLast();
            _byKey.Remove(oldest.Value.Key);
            _bytes -= oldest.Value.Bytes;
        }
    }

    /// <summary>About what one value takes: the nullable struct, or a reference and a small object behind it.</summary>
    private static int BytesPerValue(Array values) => values switch
    {
        bool?[] => 2,
        long?[] or DateOnly?[] => 16,
        decimal?[] => 24,
        DateTime?[] or TimeSpan?[] => 16,
        _ => 40,
    };
}
