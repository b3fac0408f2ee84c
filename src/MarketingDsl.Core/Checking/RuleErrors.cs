using MarketingDsl.Core.Diagnostics;

namespace MarketingDsl.Core.Checking;

/// <summary>MD4xxx: declarations that are well typed but break a rule of their kind.</summary>
[DiagnosticCatalogue("rules")]
public static class RuleErrors
{
    public static readonly DiagnosticDescriptor MissingElse = new("MD4001", DiagnosticSeverity.Error, "Segmentation without else");
    public static readonly DiagnosticDescriptor ElseNotLast = new("MD4002", DiagnosticSeverity.Error, "Rules after else");
    public static readonly DiagnosticDescriptor UnreachableRule = new("MD4003", DiagnosticSeverity.Warning, "Rule can never be chosen");
    public static readonly DiagnosticDescriptor DuplicateRuleName = new("MD4004", DiagnosticSeverity.Error, "Group name used twice");
    public static readonly DiagnosticDescriptor SplitShares = new("MD4005", DiagnosticSeverity.Error, "Split shares do not add up to 100%");
    public static readonly DiagnosticDescriptor UnreachableStep = new("MD4006", DiagnosticSeverity.Warning, "Step can never run");
    public static readonly DiagnosticDescriptor MissingProperty = new("MD4007", DiagnosticSeverity.Error, "Required property missing");
    public static readonly DiagnosticDescriptor DuplicateProperty = new("MD4008", DiagnosticSeverity.Error, "Property given twice");
    public static readonly DiagnosticDescriptor FeatureType = new("MD4009", DiagnosticSeverity.Error, "Model feature is not a number or yes/no");
    public static readonly DiagnosticDescriptor BadOption = new("MD4010", DiagnosticSeverity.Error, "Invalid property value");
    public static readonly DiagnosticDescriptor SchemaRule = new("MD4011", DiagnosticSeverity.Error, "Invalid schema");
    public static readonly DiagnosticDescriptor TestRule = new("MD4012", DiagnosticSeverity.Error, "Invalid test");
    public static readonly DiagnosticDescriptor EmptyBlock = new("MD4013", DiagnosticSeverity.Warning, "Nothing happens here");
    public static readonly DiagnosticDescriptor LabelWithoutForward = new("MD4014", DiagnosticSeverity.Error, "Model label does not look forward");

    // Codes with a factory method (DiagnosticMessage): the call site passes facts, the wording lives here.
    private static readonly DiagnosticDescriptor s_horizonNotDuration = new("MD4015", DiagnosticSeverity.Error, "Horizon is not a duration");
    public static DiagnosticMessage HorizonNotDuration(string written) => new(s_horizonNotDuration,
        $"horizon: takes a duration such as 90d, not {written}.",
        $"horizon: 需要一个时长，例如 90d，而不是 {written}。");
}

/// <summary>MD5xxx: warnings about declarations nobody uses.</summary>
[DiagnosticCatalogue("usage")]
public static class UsageWarnings
{
    public static readonly DiagnosticDescriptor UnusedChannel = new("MD5001", DiagnosticSeverity.Warning, "Channel never used");
    public static readonly DiagnosticDescriptor UnusedModel = new("MD5002", DiagnosticSeverity.Warning, "Model never used");
    public static readonly DiagnosticDescriptor DuplicateIdentityKey = new("MD5003", DiagnosticSeverity.Warning, "Identity key declared twice");
    public static readonly DiagnosticDescriptor JourneyWithoutSteps = new("MD5004", DiagnosticSeverity.Warning, "Journey has no steps");
}
