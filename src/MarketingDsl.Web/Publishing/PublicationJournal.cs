using MarketingDsl.Core;
using MarketingDsl.Runtime;
using MarketingDsl.Web.Storage;

namespace MarketingDsl.Web.Publishing;

/// <summary>
/// Records the runtime's API reloads (`POST /api/workspace/reload` with the admin token) as
/// publications, refused ones included, so the Publications page lists every change of the live
/// version whoever made it, with the same hash as a publication from the editor.
/// </summary>
public sealed class PublicationJournal(EditorStore store) : IReloadJournal
{
    public void Record(ReloadRecord record)
    {
        var hash = record.Workspace.Files.Count == 0 ? "" : Compilation.ContentHashOf(record.Workspace);
        if (record.Report is not null) store.KeepPublishedWorkspace(hash, record.Workspace.AllFiles.Select(f => (f.Path, f.Text)));
        store.AddPublication(new Publication
        {
            Author = record.Who,
            PublishedUtc = record.AtUtc,
            Hash = hash,
            Files = record.Workspace.Files.Count,
            Result = record.Result,
            Journeys = record.Report?.Journeys ?? 0,
            Continued = record.Report?.Continued ?? 0,
            Ended = record.Report?.Ended.Count ?? 0,
            Added = [.. record.Preview?.Added ?? []],
            Removed = [.. record.Preview?.Removed ?? []],
            StepsChanged = [.. record.Preview?.StepsChanged ?? []],
            Ends = record.Report is null ? [] : Publisher.Summarise(record.Report.Ended),
            EndedJourneys = [.. record.EndInFlight ?? []],
        });
    }
}
