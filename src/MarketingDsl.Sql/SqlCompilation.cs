using System.Collections.Immutable;
using System.Text;
using MarketingDsl.Core;
using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Core.Targets;
using MarketingDsl.Sql.Dialects;
using MarketingDsl.Sql.Lowering;

namespace MarketingDsl.Sql;

/// <summary>
/// The front door of the SQL target: a checked <see cref="Compilation"/> lowered to one query
/// that computes every tag, segment and segmentation as of a parameter instant from the input
/// tables (<see cref="InputTablesDdl"/>). Stages: (1) find what SQL cannot compute (custom C#
/// functions, model outputs, names differing only in case) and report each
/// at its span — or, with <paramref name="excludeUnsupported"/>, leave out each output that needs
/// it, with a warning naming it; (2) lower the rest (<see cref="SqlLowering"/>). Never throws on
/// user input.
/// </summary>
public sealed class SqlCompilation
{
    private SqlCompilation(Compilation source, SqlDialect dialect, ImmutableArray<ComputedSymbol> outputs, ImmutableArray<Diagnostic> diagnostics,
        string? query)
    {
        Source = source;
        Dialect = dialect;
        Outputs = outputs;
        Diagnostics = diagnostics;
        Query = query;
    }

    public Compilation Source { get; }
    public SqlDialect Dialect { get; }
    public SqlTarget Target => Dialect.Target;

    /// <summary>The columns of the result after <c>user_id</c>, in tags.csv order.</summary>
    public ImmutableArray<ComputedSymbol> Outputs { get; }
    public ImmutableArray<Diagnostic> Diagnostics { get; }
    public bool HasErrors => Diagnostics.Any(d => d.IsError);

    /// <summary>The SELECT (null when there are errors); its one parameter is the as-of instant (<see cref="SqlDialect.AsOfParameter"/>).</summary>
    public string? Query { get; }

    /// <summary>The statements to run before <see cref="Query"/> (a macro in DuckDB, the session time zone in Spark).</summary>
    public IReadOnlyList<string> Preamble => Dialect.Preamble;

    /// <summary>The whole script: preamble statements, then the query, each ended by a semicolon.</summary>
    public string Script => Query is null ? "" : string.Concat(Preamble.Select(s => s + ";\n\n")) + Query + ";\n";

    public static SqlCompilation Create(Compilation compilation, SqlTarget target, bool excludeUnsupported = false)
    {
        ArgumentNullException.ThrowIfNull(compilation);
        var dialect = SqlDialect.For(target);
        var diagnostics = new List<Diagnostic>();
        if (compilation.HasErrors) return new(compilation, dialect, [], [.. compilation.Diagnostics.Where(d => d.IsError)], null);
        var model = compilation.Model;

        var blocked = UnsupportedConstructs(model, dialect);
        var included = new HashSet<ComputedSymbol>();
        foreach (var symbol in model.EvaluationOrder)
        {
            var own = blocked.GetValueOrDefault(symbol);
            var blockedDependency = symbol.Dependencies.FirstOrDefault(d => !included.Contains(d));
            if (own is null && blockedDependency is null) { included.Add(symbol); continue; }
            if (!excludeUnsupported)
            {
                if (own is not null) diagnostics.AddRange(own.Select(o => o.Diagnostic));
                continue;
            }
            var construct = own is not null ? own[0].Construct : TargetErrors.DependsOnLeftOut(blockedDependency!.Name);
            if (symbol.Location is { } at) diagnostics.Add(Diagnostic.Create(TargetErrors.LeftOut(symbol.Name, construct), at.File, at.Span));
        }
        diagnostics.AddRange(CaseCollisions(model, dialect, included));
        var sorted = DiagnosticOrder.Sort(diagnostics).ToImmutableArray();
        var outputs = model.Outputs.Where(included.Contains).ToImmutableArray();
        if (sorted.Any(d => d.IsError)) return new(compilation, dialect, outputs, sorted, null);
        var query = new SqlLowering(model, dialect, included).Lower();
        return new(compilation, dialect, outputs, sorted, query);
    }

    private sealed record Unsupported((string English, string Chinese) Construct, Diagnostic Diagnostic);

    private static string Member(BoundModelOutput output) => $"{output.Model.Name}.{output.Output.ToString().ToLowerInvariant()}";

    /// <summary>Per computed symbol, the constructs in its own body SQL cannot compute.</summary>
    private static Dictionary<ComputedSymbol, List<Unsupported>> UnsupportedConstructs(SemanticModel model, SqlDialect dialect)
    {
        var result = new Dictionary<ComputedSymbol, List<Unsupported>>();
        foreach (var symbol in model.Outputs)
        {
            if (symbol.Location is not { } location) continue;
            var bodies = symbol switch
            {
                TagSymbol t => [t.Body],
                SegmentSymbol s => [s.Condition],
                SegmentationSymbol s => s.Rules.Where(r => r.Condition is not null).Select(r => r.Condition!),
                _ => Enumerable.Empty<BoundExpression>(),
            };
            foreach (var node in bodies.SelectMany(BoundTree.Descendants))
            {
                ((string English, string Chinese) Construct, DiagnosticMessage Message)? problem = node switch
                {
                    BoundCustomCall c => (TargetErrors.UsesCustomFunction(c.Function.Name), TargetErrors.CustomFunction(c.Function.Name,
                        dialect.DisplayName)),
                    BoundModelOutput { IsRecommendation: true } r => (TargetErrors.UsesRecommenderMember(Member(r)),
                        TargetErrors.RecommenderMember(Member(r), dialect.DisplayName)),
                    BoundModelOutput m => (TargetErrors.UsesModelOutput(Member(m)), TargetErrors.ModelOutput(Member(m), dialect.DisplayName)),
                    BoundAggregate { LooksForward: true } => (TargetErrors.UsesForwardWindow(), TargetErrors.ForwardWindow(dialect.DisplayName)),
                    _ => null,
                };
                if (problem is not { } p) continue;
                var span = node.Syntax?.Span ?? location.Span;
                if (!result.TryGetValue(symbol, out var list)) result[symbol] = list = [];
                list.Add(new(p.Construct, Diagnostic.Create(p.Message, location.File, span)));
            }
        }
        return result;
    }

    /// <summary>DuckDB and Spark SQL match column and table names without case: two names that differ only in case are one column.</summary>
    private static IEnumerable<Diagnostic> CaseCollisions(SemanticModel model, SqlDialect dialect, HashSet<ComputedSymbol> included)
    {
        var firstFile = model.Outputs.Select(o => o.Location?.File).FirstOrDefault(f => f is not null);
        IEnumerable<Diagnostic> Check(IEnumerable<(string Name, SymbolLocation? At)> names)
        {
            var seen = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var (name, at) in names)
            {
                if (seen.TryGetValue(name, out var other) && other != name)
                {
                    var message = TargetErrors.NamesDifferInCase(name, other, dialect.DisplayName);
                    if (at is not null) yield return Diagnostic.Create(message, at.File, at.Span);
                    else if (firstFile is not null) yield return Diagnostic.Create(message, firstFile, new Core.Text.TextSpan(0, 0));
                }
                else seen.TryAdd(name, name);
            }
        }
        var columns = model.Outputs.Where(included.Contains).Select(o => (o.Name, o.Location));
        var outputs = Check(new[] { ("user_id", (SymbolLocation?)null) }.Concat(columns));
        var profile = Check(model.Schema.ProfileFields.Select(f => (f.Name, (SymbolLocation?)null)));
        var tables = Check(model.Schema.Events.Select(e => (SqlLowering.TableOf(e), (SymbolLocation?)null)));
        var fields = model.Schema.Events.SelectMany(e => Check(e.Fields.Select(f => (f.Name, (SymbolLocation?)null))));
        return outputs.Concat(profile).Concat(tables).Concat(fields).ToList();
    }

    /// <summary>
    /// The input tables the query reads, as CREATE TABLE statements of the dialect: <c>profiles</c>
    /// (one row per person, identities already merged) and <c>events_NAME</c> per event type with
    /// <c>user_id</c>, <c>ts</c> (UTC), the declared fields and <c>event_seq</c>, the row's position
    /// in the input (file order), which breaks ties of ts and picks the first of duplicate ids.
    /// </summary>
    public string InputTablesDdl()
    {
        var schema = Source.Model.Schema;
        var text = new StringBuilder();
        var spark = Target == SqlTarget.SparkSql;
        text.Append($"-- Input tables of the mdsl query (see docs/scaling.md). Times are UTC instants.\n");
        text.Append($"CREATE TABLE IF NOT EXISTS {Dialect.Identifier(SqlLowering.ProfileTable)} (\n");
        text.Append(string.Join(",\n", schema.ProfileFields.Select(f => $"  {Dialect.Identifier(f.Name)} {Dialect.TypeName(f.Type)}")));
        text.Append(spark ? "\n) USING parquet;\n" : "\n);\n");
        foreach (var e in schema.Events)
        {
            text.Append($"\nCREATE TABLE IF NOT EXISTS {Dialect.Identifier(SqlLowering.TableOf(e))} (\n");
            text.Append(string.Join(",\n", e.Fields.Select(f => $"  {Dialect.Identifier(f.Name)} {Dialect.TypeName(f.Type)}")
                .Append($"  {SqlLowering.SequenceColumn} BIGINT")));
            text.Append(spark ? "\n) USING parquet;\n" : "\n);\n");
        }
        return text.ToString();
    }
}
