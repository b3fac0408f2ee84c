using MarketingDsl.Core.Diagnostics;

namespace MarketingDsl.Core.Syntax;

/// <summary>MD1xxx: the text is not a well-formed MarketingDsl file.</summary>
[DiagnosticCatalogue("syntax")]
public static class SyntaxErrors
{
    public static readonly DiagnosticDescriptor UnexpectedInput = new("MD1000", DiagnosticSeverity.Error, "Unexpected input");
    public static readonly DiagnosticDescriptor BadCharacter = new("MD1001", DiagnosticSeverity.Error, "Character not allowed here");
    public static readonly DiagnosticDescriptor UnterminatedString = new("MD1002", DiagnosticSeverity.Error, "String not closed");
    public static readonly DiagnosticDescriptor TooDeep = new("MD1003", DiagnosticSeverity.Error, "Nesting too deep");
    public static readonly DiagnosticDescriptor NumberOutOfRange = new("MD1004", DiagnosticSeverity.Error, "Number out of range");
    public static readonly DiagnosticDescriptor BadEscape = new("MD1005", DiagnosticSeverity.Error, "Unknown escape in a string");
    public static readonly DiagnosticDescriptor BadDate = new("MD1006", DiagnosticSeverity.Error, "Not a valid date or time");
    public static readonly DiagnosticDescriptor BadTimeOfDay = new("MD1007", DiagnosticSeverity.Error, "Not a valid time of day");
    public static readonly DiagnosticDescriptor BadDuration = new("MD1008", DiagnosticSeverity.Error, "Not a valid duration");
    public static readonly DiagnosticDescriptor BadPercent = new("MD1009", DiagnosticSeverity.Error, "Not a valid percentage");
    public static readonly DiagnosticDescriptor MissingToken = new("MD1010", DiagnosticSeverity.Error, "Something is missing");
    public static readonly DiagnosticDescriptor FileTooLarge = new("MD1011", DiagnosticSeverity.Error, "File too large");
}
