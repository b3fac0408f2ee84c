using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;

namespace MarketingDsl.Engine.Evaluation;

/// <summary>
/// What compiled code reads and writes during one evaluation: the data, the as-of instant,
/// one typed result array per computed symbol, and the population arrays of `quantile_score`.
/// Missing columns and event tables the compiled code reads are replaced by empty ones so it never checks.
/// </summary>
public sealed class EvalContext
{
    /// <param name="reads">The columns the compiled code reads (<see cref="Lowering.CompiledPlan.Columns"/>); a missing field it
    /// does not read stays null instead of an all-null column as long as its table. Null: every field may be read.</param>
    public EvalContext(SemanticModel model, DataSet data, DateTime asOfUtc, Func<DslType, int, Array> newResultArray, DataColumns? reads = null)
    {
        _reads = reads;
        Data = data;
        AsOf = asOfUtc.Ticks;
        Zone = model.Schema.TimeZone is { } z ? TimeZoneInfo.FindSystemTimeZoneById(z) : null;
        Results = [.. model.Outputs.Select(s => newResultArray(s.Type, data.UserCount))];
        PopulationInputs = new decimal?[model.PopulationNodeCount][];
        PopulationScores = new long?[model.PopulationNodeCount][];
        for (var i = 0; i < model.PopulationNodeCount; i++) PopulationInputs[i] = new decimal?[data.UserCount];
        ModelFeatures = new float[model.Models.Length][][];
        ModelOutputs = new Array[model.Models.Length][];

        ProfileColumns = new Column?[model.Schema.ProfileFields.Length];
        Events = new EventTable[model.Schema.Events.Length];
        _schema = model.Schema;
        Bind(data);
    }

    private readonly SchemaModel _schema;
    private readonly DataColumns? _reads;

    /// <summary>
    /// Points the context at another data set of as many users (the arrays sized by users are
    /// kept): one context serves one user's growing history, or many one-user histories in turn,
    /// without the arrays and dictionaries a new context costs. What results hold is overwritten
    /// by the next evaluation.
    /// </summary>
    public void Rebind(DataSet data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.UserCount != Data.UserCount)
            throw new ArgumentException($"a context of {Data.UserCount} users cannot read a data set of {data.UserCount}", nameof(data));
        Bind(data);
    }

    private void Bind(DataSet data)
    {
        Data = data;
        for (var i = 0; i < ProfileColumns.Length; i++)
            ProfileColumns[i] = (i < data.Profiles.Columns.Length ? data.Profiles.Columns[i] : null)
                ?? (_reads is null || _reads.ReadsProfile(i) ? EmptyColumn(_schema.ProfileFields[i].Type, data.UserCount) : null);

        for (var e = 0; e < Events.Length; e++)
        {
            var type = _schema.Events[e];
            var table = e < data.Events.Length ? data.Events[e] : null;
            // A table with every field (a live user's history always has them) is read as it is.
            if (table is not null && ReferenceEquals(table.Type, type) && HasEveryField(table))
            {
                Events[e] = table;
                continue;
            }
            if (table is null)
            {
                table = new EventTable(type, new int[data.UserCount + 1], [], [], new Column?[type.Fields.Length]);
            }
            var fields = new Column?[type.Fields.Length];
            for (var f = 2; f < fields.Length; f++)
                fields[f] = (f < table.Fields.Length ? table.Fields[f] : null)
                    ?? (_reads is null || _reads.ReadsField(e, f) ? EmptyColumn(type.Fields[f].Type, table.Ts.Length) : null);
            Events[e] = new EventTable(type, table.UserStart, table.Ts, table.Line, fields);
        }
    }

    private static bool HasEveryField(EventTable table)
    {
        if (table.Fields.Length != table.Type.Fields.Length) return false;
        for (var f = 2; f < table.Fields.Length; f++)
            if (table.Fields[f] is null) return false;
        return true;
    }

    public DataSet Data { get; private set; }
    /// <summary>The instant T (UTC ticks). Settable so one context serves journey conditions at many instants (ConditionEvaluator).</summary>
    public long AsOf { get; set; }
    /// <summary>Where a condition program (ConditionCompiler) writes its results.</summary>
    public bool[] ConditionResults { get; set; } = [];
    public TimeZoneInfo? Zone { get; }
    /// <summary>Answers recommenders' members (null: they are null).</summary>
    public Scoring.IRecommenderScorer? Recommenders { get; set; }
    public Array[] Results { get; }
    public decimal?[][] PopulationInputs { get; }
    /// <summary>[model][feature][user]: a scored model's feature values (FeatureValue), allocated by the engine for the models of the plan.</summary>
    public float[][][] ModelFeatures { get; }
    /// <summary>[model][(int)ModelOutput]: the typed output arrays (ModelOutputColumns.ByOutput) compiled code reads.</summary>
    public Array[][] ModelOutputs { get; }
    public long?[][] PopulationScores { get; }
    /// <summary>By ordinal; null only where the context was told the code does not read the field.</summary>
    public Column?[] ProfileColumns { get; }
    public EventTable[] Events { get; }

    /// <summary>Custom function calls that failed; their values are null.</summary>
    public FunctionFailureLog FunctionFailures { get; } = new();

    /// <summary>Called by compiled code where a custom function call failed (the value becomes null).</summary>
    public void RecordFunctionFailure(Core.Functions.CustomFunctionException failure, int user) =>
        FunctionFailures.Record(failure, Data.UserIds[user]);

    private static Column EmptyColumn(DslType type, int rows) => Column.Allocate(type, Enumerable.Repeat(true, rows).ToArray());
}

/// <summary>Per-thread reusable collections for `distinct` and `top`, cleared per user.</summary>
public sealed class EvalScratch(int aggregates)
{
    public HashSet<object>[] Sets { get; } = [.. Enumerable.Range(0, aggregates).Select(_ => new HashSet<object>())];
    public TopCounter[] Counts { get; } = [.. Enumerable.Range(0, aggregates).Select(_ => new TopCounter())];
}

/// <summary>A typed result column; boxes only when read through <see cref="ResultColumn.Get"/>.</summary>
public sealed class TypedResultColumn<T>(ComputedSymbol symbol, T[] values) : ResultColumn(symbol)
{
    public T[] Values { get; } = values;
    internal override Array Typed => Values;
    public override object? Get(int user) => Values[user] switch
    {
        object?[] list => list,
        var v => v,
    };
}
