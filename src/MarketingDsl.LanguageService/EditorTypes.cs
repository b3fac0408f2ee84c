using System.Collections.Immutable;

namespace MarketingDsl.LanguageService;

// Positions are one-based lines and columns counted in UTF-16 code units, as Monaco and
// LinePosition count them; an end position is exclusive.

public sealed record EditorRange(int StartLine, int StartColumn, int EndLine, int EndColumn);

/// <summary>A diagnostic as an editor marker: <see cref="Severity"/> is "error", "warning" or "info".</summary>
public sealed record EditorMarker(EditorRange Range, string Severity, string Code, string Message, string? Suggestion);

/// <summary>One file's markers, for the workspace-wide Problems panel.</summary>
public sealed record FileMarkers(string Path, ImmutableArray<EditorMarker> Markers)
{
    /// <summary>Two lists of files' markers as one (the compiler's and the data-aware warnings), in path order, each file's in position
    /// order.</summary>
    public static ImmutableArray<FileMarkers> Merge(ImmutableArray<FileMarkers> first, ImmutableArray<FileMarkers> second) =>
        second.IsEmpty ? first : [.. first.Concat(second).GroupBy(f => f.Path, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new FileMarkers(g.Key, [.. g.SelectMany(f => f.Markers).OrderBy(m => m.Range.StartLine).ThenBy(m => m.Range.StartColumn)]))];
}

public enum CompletionKind { Keyword, Tag, Segment, Segmentation, ProfileField, EventType, EventField, Model, ModelOutput, Channel, Function,
    NamedArgument, Type, Property, Value }

/// <summary>One completion; <see cref="IsSnippet"/> means <see cref="InsertText"/> uses Monaco snippet syntax (`$0`).</summary>
public sealed record CompletionItem(string Label, CompletionKind Kind, string InsertText, string? Detail = null, string? Documentation = null,
    bool IsSnippet = false);

/// <summary>Completions for a position; <see cref="Range"/> is the word being typed (empty at the cursor when none).</summary>
public sealed record CompletionList(EditorRange Range, ImmutableArray<CompletionItem> Items);

public sealed record SignatureHelp(string Label, string Documentation, ImmutableArray<string> Parameters, int ActiveParameter);

/// <summary>Hover text in Markdown over the range of the word it describes.</summary>
public sealed record HoverInfo(EditorRange Range, string Markdown);

/// <summary>
/// What the model registry says of a trained model, for hovers (the language service stays free of
/// ML.NET: the host reads the registry). <see cref="Metric"/> is "AUC", "R²" or "silhouette";
/// <see cref="State"/> is "trained" or "stale".
/// </summary>
public sealed record TrainedModelSummary(string State, string Metric, double? Value, DateTime TrainedAtUtc, string TrainedBy);

public sealed record SourceLocation(string Path, EditorRange Range);

public sealed record TextEdit(string Path, EditorRange Range, string NewText);

/// <summary>Either edits (every reference and the declaration) or, when the rename is refused, a reason.</summary>
public sealed record RenameResult(ImmutableArray<TextEdit> Edits, string? Error)
{
    public bool Succeeded => Error is null;
}

/// <summary>The formatted text of a file, or the reason it cannot be formatted (syntax errors).</summary>
public sealed record FormatResult(string? Text, string? Error);

/// <summary>A quick fix for one diagnostic, such as "did you mean".</summary>
public sealed record CodeFix(string Title, string DiagnosticCode, EditorRange DiagnosticRange, TextEdit Edit);
