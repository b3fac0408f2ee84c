namespace MarketingDsl.Runtime;

/// <summary>The result of one item of an ingest request.</summary>
public sealed record IngestResult(int Index, string Status, string? Reason = null)
{
    public const string Accepted = "accepted";
    public const string Duplicate = "duplicate";
    public const string Rejected = "rejected";
}
