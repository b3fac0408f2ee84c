using System.Collections.Immutable;
using System.Text;
using MarketingDsl.Core;
using MarketingDsl.Core.Binding;
using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Core.Formatting;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Core.Syntax;
using MarketingDsl.Core.Text;

namespace MarketingDsl.LanguageService;

/// <summary>
/// Editor features over one <see cref="Compilation"/>: every answer comes from the compiler's
/// syntax trees, semantic model and diagnostics, so the editor shows exactly what `mdsl check`
/// reports. Create one per edit (compiling is cheap); all methods take a workspace-relative path
/// and a one-based line and column.
/// </summary>
public sealed partial class LanguageService
{
    private readonly Dictionary<string, SyntaxIndex> _indexes = new(StringComparer.Ordinal);

    public LanguageService(Compilation compilation)
    {
        Compilation = compilation;
    }

    public Compilation Compilation { get; }

    /// <summary>Compiles the workspace with one file's text replaced by the editor's (unsaved) buffer, or added when new.</summary>
    /// <param name="functions">The workspace's custom functions as the host's loader compiled them (LANGUAGE.md §17).</param>
    public static LanguageService ForBuffer(Workspace workspace, string path, string text, Core.Functions.CustomFunctionSet? functions = null)
    {
        var files = workspace.AllFiles.Where(f => f.Path != path).Append(new SourceText(path, text));
        return new LanguageService(Compilation.Create(new Workspace(files), [], functions));
    }

    // ------------------------------------------------------------------ diagnostics

    /// <summary>The markers of a file, their messages in the UI language (<c>zh-CN</c> → 简体中文; see <see cref="Diagnostic.MessageIn"/>).</summary>
    public ImmutableArray<EditorMarker> Diagnostics(string path, string? language = null) =>
        [.. Compilation.Diagnostics.Where(d => d.FilePath == path).Select(d => ToMarker(d, language))];

    /// <summary>Every file's markers (files without any left out), in path order: the workspace-wide Problems panel.</summary>
    public ImmutableArray<FileMarkers> AllDiagnostics(string? language = null) =>
        [.. Compilation.Diagnostics.Where(d => d.FilePath is not null)
            .GroupBy(d => d.FilePath!, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new FileMarkers(g.Key, [.. g.Select(d => ToMarker(d, language))]))];

    internal static EditorMarker ToMarker(Diagnostic d, string? language)
    {
        var end = d.End;
        // A zero-width marker is invisible in Monaco: show at least one character.
        if (d.Start == d.End) end = d.End with { Column = d.End.Column + 1 };
        return new EditorMarker(new EditorRange(d.Start.Line, d.Start.Column, end.Line, end.Column), d.SeverityText, d.Code,
            d.MessageIn(language), d.Suggestion);
    }

    // ------------------------------------------------------------------ quick fixes

    /// <summary>"Did you mean …" fixes for the diagnostics of a file, optionally only those touching a line range.</summary>
    public ImmutableArray<CodeFix> QuickFixes(string path, int? fromLine = null, int? toLine = null)
    {
        var tree = TreeOf(path);
        if (tree is null) return [];
        var fixes = ImmutableArray.CreateBuilder<CodeFix>();
        foreach (var d in Compilation.Diagnostics.Where(d => d.FilePath == path && d.Suggestion is not null))
        {
            if (fromLine is not null && d.End.Line < fromLine) continue;
            if (toLine is not null && d.Start.Line > toLine) continue;
            // Only a fix that swaps one written name for another: the span must be that one word.
            var written = tree.Text.ToString(d.Span);
            if (written.Length == 0 || !IsIdentifier(written)) continue;
            var range = RangeOf(tree.Text, d.Span);
            fixes.Add(new CodeFix($"Change '{written}' to '{d.Suggestion}'", d.Code, ToMarker(d, null).Range, new TextEdit(path, range,
                d.Suggestion!)));
        }
        return fixes.ToImmutable();
    }

    // ------------------------------------------------------------------ formatting

    public FormatResult Format(string path)
    {
        var tree = TreeOf(path);
        if (tree is null) return new FormatResult(null, $"There is no file '{path}'.");
        return SyntaxFormatter.TryFormat(tree, out var formatted)
            ? new FormatResult(formatted, null)
            : new FormatResult(null, "The file has syntax errors; fix them before formatting.");
    }

    // ------------------------------------------------------------------ hover

    /// <param name="trained">The registry's summary of each trained model by name (a model absent from it is said to be
    /// not trained); null: not known.</param>
    public HoverInfo? Hover(string path, int line, int column, IReadOnlyDictionary<string, TrainedModelSummary>? trained = null)
    {
        if (WordAt(path, line, column) is not { } word) return null;
        var (tree, token) = word;
        var range = RangeOf(tree.Text, token.Span);
        if (SymbolAt(tree, token) is { } symbol)
            return new HoverInfo(range, symbol is ModelSymbol m && trained is not null ? Describe(symbol) + "\n\n"
                + DescribeTraining(m, trained) : Describe(symbol));
        var index = IndexOf(tree);
        foreach (var id in index.IdentifiersAt(token.Span.Start, token.Span.End))
        {
            if (EventFieldOf(index, id) is { } f) return new HoverInfo(range,
                $"```\n(event field) {f.Event.Name}.{f.Field.Name}: {f.Field.Type.DisplayName}\n```");
            if (index.Parent(id) is CallExpressionSyntax call && call.Function == id && Builtins.Find(id.Text) is { } fn)
                return new HoverInfo(range, DescribeFunction(fn));
        }
        return null;
    }

    private static string DescribeTraining(ModelSymbol model, IReadOnlyDictionary<string, TrainedModelSummary> trained)
    {
        if (!trained.TryGetValue(model.Name, out var t)) return "Not trained yet (`mdsl train`, or Train on the Models page): its outputs are null.";
        var quality = t.Value is { } v && double.IsFinite(v) ? $"{t.Metric} " +
            $"{v.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)}" : $"{t.Metric} –";
        var when = $"trained {t.TrainedAtUtc:yyyy-MM-dd HH:mm} UTC" + (t.TrainedBy.Length > 0 ? $" by {t.TrainedBy}" : "");
        return t.State == "stale"
            ? $"**Stale** ({quality}, {when}): the declaration or its features changed since; its outputs are null until it is trained again."
            : $"**{quality}**, {when}.";
    }

    private static string DescribeFunction(Builtins.FunctionInfo fn) =>
        $"```\n(function) {fn.Signature}: {fn.Returns}\n```\n\n{fn.Summary}";

    private string Describe(Symbol symbol)
    {
        var sb = new StringBuilder("```\n");
        switch (symbol)
        {
            case ComputedSymbol c:
                sb.Append($"({KindName(c.Kind)}) {c.Name}{LabelText(c.Label)}: {c.Type.DisplayName}");
                break;
            case ProfileFieldSymbol p:
                sb.Append($"(profile field) {p.Name}: {p.Field.Type.DisplayName}{(p.Field.IsKey ? " key" : "")}");
                break;
            case EventTypeRef e:
                sb.Append($"(event) {e.Name} {{ {string.Join(", ", e.Type.Fields.Select(f => $"{f.Name}: {f.Type.DisplayName}"))} }}");
                break;
            case ModelSymbol m:
                sb.Append(m.IsClusters ? $"(clusters) {m.Name}{LabelText(m.Label)}: .cluster int, .distance decimal"
                    : m.IsRegression ? $"(model) {m.Name}{LabelText(m.Label)}: .value decimal, .percentile int"
                    : $"(model) {m.Name}{LabelText(m.Label)}: .probability decimal, .predicted bool, .percentile int");
                break;
            case ChannelSymbol ch:
                sb.Append($"(channel) {ch.Name}{LabelText(ch.Label)}: cost {ch.Cost}");
                if (ch.CapCount is { } cap) sb.Append($", cap {cap} per {DurationText.Format(ch.CapWindowTicks ?? 0)}");
                break;
            default:
                sb.Append($"({KindName(symbol.Kind)}) {symbol.Name}{LabelText(symbol.Label)}");
                break;
        }
        sb.Append("\n```");
        var doc = symbol.Documentation ?? Declaration(symbol)?.Documentation;
        if (!string.IsNullOrWhiteSpace(doc)) sb.Append("\n\n").Append(doc.Trim());
        return sb.ToString();
    }

    private static string LabelText(string? label) => label is null ? "" : $" \"{label}\"";

    private static string KindName(SymbolKind kind) => kind switch
    {
        SymbolKind.ProfileField => "profile field",
        SymbolKind.EventType => "event",
        _ => kind.ToString().ToLowerInvariant(),
    };

    // ------------------------------------------------------------------ definition and references

    public ImmutableArray<SourceLocation> Definition(string path, int line, int column)
    {
        if (WordAt(path, line, column) is not { } word) return [];
        var (tree, token) = word;
        if (SymbolAt(tree, token) is { } symbol)
            return DeclarationLocation(symbol) is { } location ? [location] : [];
        var index = IndexOf(tree);
        foreach (var id in index.IdentifiersAt(token.Span.Start, token.Span.End))
            if (EventFieldOf(index, id) is { } f && FieldDeclaration(f.Event.Name, f.Field.Name) is { } loc) return [loc];
        return [];
    }

    /// <summary>Every use of the symbol under the cursor and its declaration, in path and position order.</summary>
    public ImmutableArray<SourceLocation> References(string path, int line, int column)
    {
        if (WordAt(path, line, column) is not { } word || SymbolAt(word.Tree, word.Token) is not { } symbol) return [];
        return [.. Occurrences(symbol).Select(o => new SourceLocation(o.Tree.Text.Path, RangeOf(o.Tree.Text, o.Name.Span)))];
    }

    /// <summary>The names that refer to the symbol (its declaration included), across all files.</summary>
    private IEnumerable<(SyntaxTree Tree, IdentifierSyntax Name)> Occurrences(Symbol symbol)
    {
        foreach (var tree in Compilation.SyntaxTrees.OrderBy(t => t.Text.Path, StringComparer.Ordinal))
        {
            var index = IndexOf(tree);
            foreach (var (name, s) in index.References)
            {
                if (!SameSymbol(s, symbol)) continue;
                // A segmentation's rule names resolve to the segmentation, but they are not its name.
                if (index.Parent(name) is SegmentationRuleSyntax) continue;
                yield return (tree, name);
            }
        }
    }

    private static bool SameSymbol(Symbol a, Symbol b) =>
        ReferenceEquals(a, b) || (a is EventTypeRef ea && b is EventTypeRef eb && ReferenceEquals(ea.Type, eb.Type));

    private SourceLocation? DeclarationLocation(Symbol symbol)
    {
        switch (symbol)
        {
            case EventTypeRef e when e.Location is null:
                var declared = Compilation.SyntaxTrees.SelectMany(t => IndexOf(t).References)
                    .Select(r => r.Symbol).OfType<EventTypeRef>().FirstOrDefault(r => r.Location is not null && ReferenceEquals(r.Type, e.Type));
                return declared is null ? null : ToLocation(declared.Location!);
            case ProfileFieldSymbol p:
                return ProfileFieldDeclaration(p.Name);
            default:
                return symbol.Location is null ? null : ToLocation(symbol.Location);
        }
    }

    private static SourceLocation ToLocation(SymbolLocation location) => new(location.File.Path, RangeOf(location.File, location.Span));

    private SourceLocation? ProfileFieldDeclaration(string name)
    {
        foreach (var tree in Compilation.SyntaxTrees)
        foreach (var schema in tree.Root.Declarations.OfType<SchemaDeclarationSyntax>())
        foreach (var profile in schema.Members.OfType<ProfileSchemaSyntax>())
        foreach (var field in profile.Fields)
            if (field.Name.Text == name) return new SourceLocation(tree.Text.Path, RangeOf(tree.Text, field.Name.Span));
        return null;
    }

    private SourceLocation? FieldDeclaration(string eventName, string fieldName)
    {
        foreach (var tree in Compilation.SyntaxTrees)
        foreach (var schema in tree.Root.Declarations.OfType<SchemaDeclarationSyntax>())
        foreach (var ev in schema.Members.OfType<EventSchemaSyntax>().Where(e => e.Name.Text == eventName))
        {
            var field = ev.Fields.FirstOrDefault(f => f.Name.Text == fieldName);
            // user_id and ts are implicit: the event's own name is the best place to land.
            var span = field?.Name.Span ?? ev.Name.Span;
            return new SourceLocation(tree.Text.Path, RangeOf(tree.Text, span));
        }
        return null;
    }

    private NamedDeclarationSyntax? Declaration(Symbol symbol)
    {
        if (symbol.Location is not { } location) return null;
        var tree = TreeOf(location.File.Path);
        return tree?.Root.Declarations.OfType<NamedDeclarationSyntax>().FirstOrDefault(d => d.Name.Span == location.Span);
    }

    // ------------------------------------------------------------------ rename

    /// <summary>
    /// Renames a tag, segment, segmentation, model, channel or journey at its declaration and every
    /// reference. Refused for other symbols (fields and events are data columns), for a name that
    /// is not an identifier, is a keyword, or is already declared.
    /// </summary>
    public RenameResult Rename(string path, int line, int column, string newName)
    {
        if (WordAt(path, line, column) is not { } word || SymbolAt(word.Tree, word.Token) is not { } symbol)
            return new RenameResult([], "There is nothing to rename here; put the cursor on the name of a tag, segment, segmentation, " +
                "model, channel or journey.");
        if (symbol.Kind is not (SymbolKind.Tag or SymbolKind.Segment or SymbolKind.Segmentation or SymbolKind.Model or SymbolKind.Clusters
            or SymbolKind.Channel or SymbolKind.Journey))
            return new RenameResult([], $"A {KindName(symbol.Kind)} cannot be renamed here: it names a column of the imported data.");
        if (!IsIdentifier(newName))
            return new RenameResult([], $"'{newName}' is not a valid name: use letters, digits and _, not starting with a digit.");
        if (Keywords.Contains(newName))
            return new RenameResult([], $"'{newName}' is a keyword of the language and cannot be a name.");
        if (newName == symbol.Name) return new RenameResult([], null);
        if (DeclaredNames().Contains(newName))
            return new RenameResult([], $"'{newName}' is already declared; choose another name.");
        var edits = Occurrences(symbol).Select(o => new TextEdit(o.Tree.Text.Path, RangeOf(o.Tree.Text, o.Name.Span), newName));
        return new RenameResult([.. edits], null);
    }

    private HashSet<string> DeclaredNames()
    {
        var model = Compilation.Model;
        var names = new HashSet<string>(StringComparer.Ordinal);
        names.UnionWith(model.Schema.ProfileFields.Select(f => f.Name));
        names.UnionWith(model.Schema.Events.Select(e => e.Name));
        names.UnionWith(model.Outputs.Select(o => o.Name));
        names.UnionWith(model.Models.Select(m => m.Name));
        names.UnionWith(model.Channels.Select(c => c.Name));
        names.UnionWith(model.Journeys.Select(j => j.Name));
        names.UnionWith(Builtins.All.Select(f => f.Name));
        return names;
    }

    // ------------------------------------------------------------------ helpers

    internal SyntaxTree? TreeOf(string path) => Compilation.SyntaxTrees.FirstOrDefault(t => t.Text.Path == path);

    private SyntaxIndex IndexOf(SyntaxTree tree)
    {
        lock (_indexes)
        {
            if (!_indexes.TryGetValue(tree.Text.Path, out var index))
                _indexes[tree.Text.Path] = index = new SyntaxIndex(tree, Compilation.Model);
            return index;
        }
    }

    /// <summary>The word token under (or just before) the cursor.</summary>
    private (SyntaxTree Tree, SyntaxToken Token)? WordAt(string path, int line, int column)
    {
        var tree = TreeOf(path);
        if (tree is null) return null;
        var offset = tree.Text.GetOffset(new LinePosition(line, column));
        SyntaxToken? best = null;
        foreach (var token in tree.Tokens)
        {
            if (token.IsComment || !IsIdentifier(token.Text)) continue;
            if (token.Span.Start <= offset && offset < token.Span.End) return (tree, token);
            if (token.Span.End == offset) best = token;
            if (token.Span.Start > offset) break;
        }
        return best is { } b ? (tree, b) : null;
    }

    private Symbol? SymbolAt(SyntaxTree tree, SyntaxToken token)
    {
        foreach (var (name, symbol) in IndexOf(tree).References)
            if (name.Span == token.Span) return symbol;
        return null;
    }

    /// <summary>The event field a name stands for: `order.amount` in an aggregate, or `amount` inside `where:` of an order.</summary>
    private (EventTypeSymbol Event, FieldSymbol Field)? EventFieldOf(SyntaxIndex index, IdentifierSyntax id)
    {
        var schema = Compilation.Model.Schema;
        var parent = index.Parent(id);
        if (parent is MemberAccessExpressionSyntax { Target: NameExpressionSyntax target } member && member.Member == id
            && schema.FindEvent(target.Name.Text) is { } ev1 && ev1.Find(id.Text) is { } f1)
            return (ev1, f1);
        if (parent is not NameExpressionSyntax) return null;
        SyntaxNode child = parent;
        foreach (var ancestor in index.Ancestors(parent))
        {
            var eventName = ancestor switch
            {
                ArgumentSyntax { Name.Text: "where" } arg when arg.Value == child && index.Parent(arg) is CallExpressionSyntax call =>
                    AggregateEvent(call),
                EventTriggerSyntax t when t.Where == child => t.Event.Text,
                GoalPropertySyntax g when g.Where == child => g.Event.Text,
                WaitStepSyntax w when w.Where == child => w.UntilEvent?.Text,
                _ => null,
            };
            if (eventName is not null)
                return schema.FindEvent(eventName) is { } ev && ev.Find(id.Text) is { } f ? (ev, f) : null;
            if (ancestor is DeclarationSyntax) break;
            child = ancestor;
        }
        return null;
    }

    private static string? AggregateEvent(CallExpressionSyntax call)
    {
        var first = call.Arguments.FirstOrDefault(a => a.Name is null)?.Value;
        return first switch
        {
            NameExpressionSyntax n => n.Name.Text,
            MemberAccessExpressionSyntax { Target: NameExpressionSyntax n } => n.Name.Text,
            _ => null,
        };
    }

    internal static EditorRange RangeOf(SourceText text, TextSpan span)
    {
        var start = text.GetPosition(span.Start);
        var end = text.GetPosition(span.End);
        return new EditorRange(start.Line, start.Column, end.Line, end.Column);
    }

    internal static bool IsIdentifier(string text)
    {
        if (text.Length == 0 || !(char.IsLetter(text[0]) || text[0] == '_')) return false;
        foreach (var c in text)
            if (!(char.IsLetterOrDigit(c) || c == '_')) return false;
        return true;
    }
}
