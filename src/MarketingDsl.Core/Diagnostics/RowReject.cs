namespace MarketingDsl.Core.Diagnostics;

/// <summary>
/// Why one data row is rejected, by the import (`mdsl import`, `simulate`, the editor's data sets) or by the live
/// runtime (`POST /api/events`, `/api/profiles`): the row rule it breaks, as its code's message in every UI language,
/// and where in the row (<see cref="Field"/>: a field or property path; null for the row as a whole). The file and
/// line (import) or the item's index (live) are the caller's. Only the factories of
/// <see cref="Catalogues.RowRejects"/> build one, so the import and the live runtime give one code and one wording
/// per problem.
/// </summary>
public sealed record RowReject(DiagnosticMessage Message, string? Field = null)
{
    public string Code => Message.Code;

    /// <summary>The English message: the <c>reason</c> of rejects files, import reports and live answers.</summary>
    public string Reason => Message.English;

    /// <summary>The message in a UI language (<c>zh</c>/<c>zh-CN</c> → 简体中文, otherwise English).</summary>
    public string MessageIn(string? language) =>
        language is not null && language.StartsWith("zh", StringComparison.OrdinalIgnoreCase) ? Message.Chinese : Message.English;

    public override string ToString() => $"{Code}: {Reason}";
}
