using MarketingDsl.Core.Diagnostics;

namespace MarketingDsl.Core.Binding;

/// <summary>MD2xxx: names that are unknown, declared twice, or used where they do not belong.</summary>
[DiagnosticCatalogue("names")]
public static class NameErrors
{
    public static readonly DiagnosticDescriptor UnknownName = new("MD2001", DiagnosticSeverity.Error, "Unknown name");
    public static readonly DiagnosticDescriptor Duplicate = new("MD2002", DiagnosticSeverity.Error, "Name declared twice");
    public static readonly DiagnosticDescriptor UnknownEvent = new("MD2003", DiagnosticSeverity.Error, "Unknown event type");
    public static readonly DiagnosticDescriptor UnknownField = new("MD2004", DiagnosticSeverity.Error, "Unknown field");
    public static readonly DiagnosticDescriptor UnknownFunction = new("MD2005", DiagnosticSeverity.Error, "Unknown function");
    public static readonly DiagnosticDescriptor UnknownArgument = new("MD2006", DiagnosticSeverity.Error, "Unknown named argument");
    public static readonly DiagnosticDescriptor UnknownChannel = new("MD2007", DiagnosticSeverity.Error, "Unknown channel");
    public static readonly DiagnosticDescriptor UnknownSegment = new("MD2008", DiagnosticSeverity.Error, "Unknown segment");
    public static readonly DiagnosticDescriptor UnknownType = new("MD2009", DiagnosticSeverity.Error, "Unknown type");
    public static readonly DiagnosticDescriptor OutsideEventScope = new("MD2010", DiagnosticSeverity.Error, "Name not available inside where:");
    public static readonly DiagnosticDescriptor EventNotValue = new("MD2011", DiagnosticSeverity.Error, "Event type used as a value");
    public static readonly DiagnosticDescriptor UnknownMember = new("MD2012", DiagnosticSeverity.Error, "Unknown member");
    public static readonly DiagnosticDescriptor Cycle = new("MD2013", DiagnosticSeverity.Error, "Definitions refer to each other in a circle");
    public static readonly DiagnosticDescriptor UnknownSetting = new("MD2014", DiagnosticSeverity.Error, "Unknown setting or property");
    public static readonly DiagnosticDescriptor ReservedName = new("MD2015", DiagnosticSeverity.Error, "Reserved field name");
    public static readonly DiagnosticDescriptor ModelNotValue = new("MD2016", DiagnosticSeverity.Error, "Model used without an output");
}
