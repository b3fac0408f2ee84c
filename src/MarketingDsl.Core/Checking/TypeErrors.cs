using MarketingDsl.Core.Diagnostics;

namespace MarketingDsl.Core.Checking;

/// <summary>MD3xxx: values of the wrong type, wrong arguments, misplaced windows.</summary>
[DiagnosticCatalogue("types")]
public static class TypeErrors
{
    public static readonly DiagnosticDescriptor Mismatch = new("MD3001", DiagnosticSeverity.Error, "Values of different types");
    public static readonly DiagnosticDescriptor NotBool = new("MD3002", DiagnosticSeverity.Error, "Condition is not yes/no");
    public static readonly DiagnosticDescriptor NotNumeric = new("MD3003", DiagnosticSeverity.Error, "Not a number");
    public static readonly DiagnosticDescriptor ArgumentCount = new("MD3004", DiagnosticSeverity.Error, "Wrong number of arguments");
    public static readonly DiagnosticDescriptor ArgumentType = new("MD3005", DiagnosticSeverity.Error, "Argument of the wrong type");
    public static readonly DiagnosticDescriptor AggregateTarget = new("MD3006", DiagnosticSeverity.Error, "Aggregate needs an event or event field");
    public static readonly DiagnosticDescriptor NextOutsideModel = new("MD3007", DiagnosticSeverity.Error, "`next` window outside a model label");
    public static readonly DiagnosticDescriptor NotConstant = new("MD3008", DiagnosticSeverity.Error, "Value must be written out");
    public static readonly DiagnosticDescriptor NotComparable = new("MD3009", DiagnosticSeverity.Error, "Values cannot be ordered");
    public static readonly DiagnosticDescriptor NotList = new("MD3010", DiagnosticSeverity.Error, "Not a list");
    public static readonly DiagnosticDescriptor NestedAggregate = new("MD3011", DiagnosticSeverity.Error, "Aggregate inside where:");
    public static readonly DiagnosticDescriptor PopulationMisplaced = new("MD3012", DiagnosticSeverity.Error, "Population function not allowed here");
    public static readonly DiagnosticDescriptor NamedArgumentOrder = new("MD3013", DiagnosticSeverity.Error, "Positional argument after a named one");
    public static readonly DiagnosticDescriptor DuplicateArgument = new("MD3014", DiagnosticSeverity.Error, "Argument given twice");
    public static readonly DiagnosticDescriptor BadValue = new("MD3015", DiagnosticSeverity.Error, "Value out of range");
    public static readonly DiagnosticDescriptor NullLiteralUse = new("MD3016", DiagnosticSeverity.Error, "Comparison with null");
}
