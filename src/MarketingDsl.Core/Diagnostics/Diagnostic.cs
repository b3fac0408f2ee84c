using MarketingDsl.Core.Text;

namespace MarketingDsl.Core.Diagnostics;

public enum DiagnosticSeverity { Error, Warning, Info }

/// <summary>The fixed part of a diagnostic: its stable code, severity and a short title.</summary>
public sealed record DiagnosticDescriptor(string Code, DiagnosticSeverity Severity, string Title);

/// <summary>
/// A problem found in user input, as data: stable code, severity, file and span, a message a
/// marketer understands and, where one exists, a fix (for example the name to use instead).
/// </summary>
public sealed record Diagnostic(
    string Code,
    DiagnosticSeverity Severity,
    string FilePath,
    TextSpan Span,
    LinePosition Start,
    LinePosition End,
    string Message,
    string? Suggestion = null)
{
    public bool IsError => Severity == DiagnosticSeverity.Error;

    /// <summary>The message in 简体中文 where the code's factory gave one (see <see cref="DiagnosticMessage"/>).</summary>
    public string? ChineseMessage { get; init; }

    /// <summary>The message in a UI language (<c>zh</c>/<c>zh-CN</c> → Chinese where there is one, otherwise English).</summary>
    public string MessageIn(string? language) =>
        language is not null && language.StartsWith("zh", StringComparison.OrdinalIgnoreCase) && ChineseMessage is not null
            ? ChineseMessage : Message;

    public static Diagnostic Create(DiagnosticMessage message, SourceText source, TextSpan span) =>
        new(message.Descriptor.Code, message.Descriptor.Severity, source.Path, span, source.GetPosition(span.Start), source.GetPosition(span.End),
            message.English, message.Suggestion) { ChineseMessage = message.Chinese };

    /// <summary>A diagnostic about a file as a whole or at a line and column of a file that is not a <see
    /// cref="SourceText"/> (a <c>.csx</c> file, data).</summary>
    public static Diagnostic AtFile(DiagnosticMessage message, string filePath, int line = 1, int column = 1, int endLine = 0, int endColumn = 0) =>
        new(message.Descriptor.Code, message.Descriptor.Severity, filePath, new TextSpan(0, 0), new LinePosition(line, column),
            new LinePosition(endLine > 0 ? endLine : line, endLine > 0 ? endColumn : column), message.English, message.Suggestion)
        { ChineseMessage = message.Chinese };


    public string SeverityText => Severity switch
    {
        DiagnosticSeverity.Error => "error",
        DiagnosticSeverity.Warning => "warning",
        _ => "info",
    };

    public override string ToString() => $"{FilePath}:{Start.Line}:{Start.Column}: {SeverityText} {Code}: {Message}";
}

/// <summary>Sorts diagnostics by file, position and code, so every host prints them in one order.</summary>
public static class DiagnosticOrder
{
    public static IEnumerable<Diagnostic> Sort(IEnumerable<Diagnostic> diagnostics) =>
        diagnostics.OrderBy(d => d.FilePath, StringComparer.Ordinal)
                   .ThenBy(d => d.Span.Start).ThenBy(d => d.Span.End)
                   .ThenBy(d => d.Code, StringComparer.Ordinal)
                   .ThenBy(d => d.Message, StringComparer.Ordinal);
}
