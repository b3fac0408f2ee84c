namespace MarketingDsl.Core.Diagnostics;

/// <summary>
/// What one diagnostic says, in every UI language, with its fix hint. Only the factory method of
/// its code builds one (a method per distinct problem in the stage's catalogue, next to the code's
/// <see cref="DiagnosticDescriptor"/>), so a code's wording lives in one place and a call site
/// passes only the facts:
/// <code>
/// [DiagnosticCatalogue("rules")]
/// public static class RuleErrors
/// {
///     private static readonly DiagnosticDescriptor s_horizonNotDuration = new("MD4015", DiagnosticSeverity.Error, "Horizon is not a duration");
///     public static DiagnosticMessage HorizonNotDuration(string written) => new(s_horizonNotDuration,
///         $"horizon: takes a duration such as 90d, not {written}.",
///         $"horizon: 需要一个时长，例如 90d，而不是 {written}。");
/// }
/// </code>
/// </summary>
public sealed record DiagnosticMessage(DiagnosticDescriptor Descriptor, string English, string Chinese, string? Suggestion = null)
{
    public string Code => Descriptor.Code;
}
