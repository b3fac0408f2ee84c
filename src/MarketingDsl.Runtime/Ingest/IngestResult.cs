namespace MarketingDsl.Runtime;

/// <summary>
/// The result of one item of an ingest request. <see cref="Reason"/> is a note of an accepted item or, of a rejected
/// one, the English message of its row rule; <see cref="Reject"/> then carries the rule itself (its code, the field at
/// fault, the message in every UI language), built by the row rules the import shares (<c>RowRejects</c>).
/// </summary>
public sealed record IngestResult(int Index, string Status, string? Reason = null)
{
    public MarketingDsl.Core.Diagnostics.RowReject? Reject { get; init; }

    /// <summary>Its code (MD95xx) when the item was rejected by a row rule.</summary>
    public string? Code => Reject?.Code;

    /// <summary>A rejected item.</summary>
    public static IngestResult RejectedBy(int index, MarketingDsl.Core.Diagnostics.RowReject reject) =>
        new(index, Rejected, reject.Reason) { Reject = reject };

    public const string Accepted = "accepted";
    public const string Duplicate = "duplicate";
    public const string Rejected = "rejected";
}
