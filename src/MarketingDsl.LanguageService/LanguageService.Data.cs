using System.Collections.Immutable;
using System.Globalization;
using MarketingDsl.Core.Binding;
using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Core.Diagnostics.Catalogues;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Core.Syntax;
using MarketingDsl.Core.Text;
using MarketingDsl.LanguageService.DataAware;
using L = MarketingDsl.Core.Syntax.Generated.MarketingDslLexer;

namespace MarketingDsl.LanguageService;

/// <summary>A declaration as written: its file, the line of its name (one-based) and its source text.</summary>
public sealed record DeclarationSource(string Path, int Line, int Column, string Text);

/// <summary>
/// Data-aware editing: the values a data set holds complete string literals compared with a field,
/// and a literal that never occurs in its field is a warning (MD5050). Both read a
/// <see cref="DataValueIndex"/> the host computed once per data set; without one they answer nothing.
/// </summary>
public sealed partial class LanguageService
{
    // ------------------------------------------------------------------ MD5050

    /// <summary>MD5050 warnings of one file against the data set's values, their messages in the UI language.</summary>
    public ImmutableArray<EditorMarker> DataDiagnostics(string path, DataValueIndex values, string? language = null) =>
        [.. DataWarningsOf(values, path).Select(d => ToMarker(d, language))];

    /// <summary>MD5050 warnings of every file (files without any left out), for the Problems panel.</summary>
    public ImmutableArray<FileMarkers> AllDataDiagnostics(DataValueIndex values, string? language = null) =>
        [.. DataWarningsOf(values).GroupBy(d => d.FilePath!, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new FileMarkers(g.Key, [.. g.Select(d => ToMarker(d, language))]))];

    /// <param name="path">Only this file's warnings (the markers after each keystroke walk no other file's trees), or every file's.</param>
    private IEnumerable<Diagnostic> DataWarningsOf(DataValueIndex values, string? path = null)
    {
        foreach (var (file, root) in CheckedExpressions())
        {
            if (path is not null && !string.Equals(file.Path, path, StringComparison.Ordinal)) continue;
            foreach (var warning in DataWarningsIn(file, root, values)) yield return warning;
        }
    }

    private static IEnumerable<Diagnostic> DataWarningsIn(SourceText file, BoundExpression root, DataValueIndex values)
    {
        foreach (var node in BoundTree.Descendants(root))
        {
            var (field, literals) = node switch
            {
                BoundBinary { Operator: BoundBinaryOperator.Equal or BoundBinaryOperator.NotEqual } b
                    when StringLiteral(b.Right) is { } r => (b.Left, [r]),
                BoundBinary { Operator: BoundBinaryOperator.Equal or BoundBinaryOperator.NotEqual } b
                    when StringLiteral(b.Left) is { } l => (b.Right, [l]),
                BoundIn i when i.List is BoundList list => (i.Value, list.Items.Select(StringLiteral).OfType<(string, TextSpan)>().ToList()),
                // `"tv" in fav_categories`: a literal looked up in a list of a field's values.
                BoundIn i when StringLiteral(i.Value) is { } item => (i.List, [item]),
                _ => ((BoundExpression?)null, new List<(string Value, TextSpan Span)>()),
            };
            if (field is null || literals.Count == 0 || FieldValuesOf(field, values) is not { All: { } all } known) continue;
            foreach (var (value, span) in literals)
            {
                // An empty literal is a value being typed (the quotes close as they open), not a claim about the data.
                if (value.Length == 0 || all.Contains(value)) continue;
                var common = known.Top.Take(5).Select(v => v.Value).ToList();
                var closest = NameSuggestions.Closest(value, all) ??
                    all.FirstOrDefault(v => string.Equals(v, value, StringComparison.OrdinalIgnoreCase));
                yield return Diagnostic.Create(DataWarnings.ValueNeverOccurs(value, known.DisplayName, values.Name, common, closest), file, span);
            }
        }
    }

    /// <summary>A string literal's value and span (the quotes included).</summary>
    private static (string Value, TextSpan Span)? StringLiteral(BoundExpression e) =>
        e is BoundLiteral { Value: string s, Syntax: { } syntax } ? (s, syntax.Span) : null;

    /// <summary>
    /// The data field whose values an expression takes: a profile field, an event field (in
    /// `where:`), or a tag that is `top`, `first`, `last`, `min` or `max` of an event field.
    /// </summary>
    private static FieldValues? FieldValuesOf(BoundExpression e, DataValueIndex values) => e switch
    {
        BoundProfileField p => values.Find(null, p.Field.Name),
        BoundEventField f => values.Find(f.Event.Name, f.Field.Name),
        BoundSymbolReference { Symbol: TagSymbol { Body: BoundAggregate { Field: { } field } a } }
            when a.Kind is AggregateKind.Top or AggregateKind.First or AggregateKind.Last or AggregateKind.Min or AggregateKind.Max
            => values.Find(a.Event.Name, field.Name),
        _ => null,
    };

    /// <summary>Every checked expression of the workspace with the file it is written in.</summary>
    private IEnumerable<(SourceText File, BoundExpression Root)> CheckedExpressions()
    {
        var model = Compilation.Model;
        foreach (var tag in model.Tags)
            if (tag.Location is { } l) yield return (l.File, tag.Body);
        foreach (var segment in model.Segments)
            if (segment.Location is { } l) yield return (l.File, segment.Condition);
        foreach (var segmentation in model.Segmentations)
        foreach (var rule in segmentation.Rules)
            if (rule.Condition is { } c) yield return (rule.Location.File, c);
        foreach (var m in model.Models)
        {
            if (m.Location is not { } l) continue;
            if (m.PredictLabel is { } label) yield return (l.File, label);
            foreach (var feature in m.Features) yield return (l.File, feature);
        }
        foreach (var journey in model.Journeys)
        {
            if (journey.Location is not { } l) continue;
            if (journey.Trigger is BoundEventTrigger { Where: { } where }) yield return (l.File, where);
            if (journey.Audience is { } audience) yield return (l.File, audience);
            if (journey.Goal?.Where is { } goal) yield return (l.File, goal);
            foreach (var e in StepExpressions(journey.Steps)) yield return (l.File, e);
        }
    }

    private static IEnumerable<BoundExpression> StepExpressions(ImmutableArray<BoundStep> steps)
    {
        foreach (var step in steps)
        {
            switch (step)
            {
                case BoundWait { UntilWhere: { } where }:
                    yield return where;
                    break;
                case BoundIf i:
                    yield return i.Condition;
                    foreach (var e in StepExpressions(i.Then).Concat(StepExpressions(i.Else))) yield return e;
                    break;
                case BoundSplit s:
                    foreach (var e in s.Branches.SelectMany(b => StepExpressions(b.Steps))) yield return e;
                    break;
            }
        }
    }

    // ------------------------------------------------------------------ value completion

    /// <summary>
    /// Inside a string literal compared with a field (`platform == "|"`, `city in ["北京", "|"]`,
    /// `where: category == "|"`), the field's values in the data, most common first, each with its
    /// share; null when the literal is not compared with a known field.
    /// </summary>
    private CompletionList? ValueCompletions(SyntaxTree tree, List<SyntaxToken> before, SyntaxToken literal, int offset, DataValueIndex values)
    {
        if (FieldBeforeLiteral(before) is not { } name) return null;
        FieldValues? known = null;
        if (OpenCall(before) is { Current: [{ Type: L.WHERE }, { Type: L.COLON }, ..], Event: { } callEvent })
            known = values.Find(callEvent, name);
        else if (OpenWhere(before) is { } whereIndex)
            known = values.Find(before[whereIndex - 1].Text, name);
        else if (Compilation.Model.Schema.ProfileFields.Any(f => f.Name == name))
            known = values.Find(null, name);
        else if (Compilation.Model.Tags.FirstOrDefault(t => t.Name == name) is { } tag)
            known = FieldValuesOf(new BoundSymbolReference(tag), values);
        if (known is null) return null;
        // The text between the quotes is replaced: from after the opening quote to the closing one (or the cursor).
        var start = literal.Span.Start + 1;
        var end = literal.Type == L.STRING ? Math.Max(start, literal.Span.End - 1) : offset;
        var range = RangeOf(tree.Text, new TextSpan(start, end - start));
        var items = known.Top.Select(v => new CompletionItem(v.Value, CompletionKind.Value, Escape(v.Value),
            $"{Percent(known.ShareOf(v.Count))} of {known.DisplayName} · {values.Name}",
            $"{v.Count:N0} of {known.Rows:N0} {(known.Event is null ? "profiles" : "events")} with a value in '{values.Name}'"
            + (values.AsOfUtc is { } asOf ? $" (as of {asOf:yyyy-MM-dd HH:mm} UTC)" : "") + "."));
        return new CompletionList(range, [.. items]);
    }

    /// <summary>The name compared with the literal being written: `NAME ==`, `NAME !=`, or `NAME [not] in [ …,`.</summary>
    private static string? FieldBeforeLiteral(List<SyntaxToken> before)
    {
        var i = before.Count - 1;
        if (i >= 1 && before[i].Type is L.EQ or L.NEQ && IsIdentifier(before[i - 1].Text)) return before[i - 1].Text;
        // Inside a list: back over `"…",` items to its `[`, then `in` (or `not in`) and the name.
        while (i >= 1 && before[i].Type == L.COMMA && before[i - 1].Type == L.STRING) i -= 2;
        if (i < 0 || before[i].Type != L.LBRACK) return null;
        i--;
        if (i < 0 || before[i].Type != L.IN) return null;
        i--;
        if (i >= 0 && before[i].Type == L.NOT) i--;
        return i >= 0 && IsIdentifier(before[i].Text) ? before[i].Text : null;
    }

    private static string Percent(double share) =>
        share >= 0.1 || share == 0 ? share.ToString("0%", CultureInfo.InvariantCulture) : share.ToString("0.0%", CultureInfo.InvariantCulture);

    /// <summary>A value as it is written between quotes (LANGUAGE.md §2: `\"`, `\\`, `\n`, `\t`).</summary>
    private static string Escape(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)
            .Replace("\n", "\\n", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal);

    // ------------------------------------------------------------------ declarations

    /// <summary>The source of a tag, segment or segmentation as declared (for the user page), or null.</summary>
    public DeclarationSource? DeclarationOf(Symbol symbol)
    {
        if (Declaration(symbol) is not { } declaration || symbol.Location is not { } location) return null;
        var start = location.File.GetPosition(location.Span.Start);
        return new DeclarationSource(location.File.Path, start.Line, start.Column, location.File.ToString(declaration.Span));
    }
}
