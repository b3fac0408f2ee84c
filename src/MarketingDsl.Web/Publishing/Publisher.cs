using MarketingDsl.Core;
using MarketingDsl.Core.Text;
using MarketingDsl.Functions.Loading;
using MarketingDsl.Runtime;
using MarketingDsl.Web.Storage;
using Microsoft.Extensions.Options;

namespace MarketingDsl.Web.Publishing;

/// <summary>The workspace as compiled for publishing, with the hash that names its content (the saved files, or an earlier publication's).</summary>
public sealed record SavedWorkspace(Compilation Compilation, string Hash, int Files);

/// <summary>
/// What a publisher asks for: the previewed hash, the journeys whose users in flight end, the ends
/// they confirmed, and a rollback's publication.
/// </summary>
public sealed record PublishChoice(string Hash, IReadOnlyList<string> EndInFlight, int? ConfirmedEnds, int? RollbackTo);

/// <summary>
/// The outcome of <see cref="Publisher.Publish"/>: installed, or why not (the preview is out of
/// date, or the ends need a second confirmation).
/// </summary>
public abstract record PublishOutcome
{
    public sealed record Done(Publication Publication, ReloadReport Report) : PublishOutcome;
    public sealed record Changed : PublishOutcome;
    public sealed record NeedsConfirmation(int Ends, int Threshold) : PublishOutcome;
}

/// <summary>A rollback that cannot be done: no such publication, or its files were not kept.</summary>
public sealed class RollbackException(string message) : Exception(message);

/// <summary>
/// Publishes to the live runtime hosted in this process (`mdsl serve`): the saved workspace (the
/// same compile as the runtime's own reload: the files on disk, never the page's unsaved buffers)
/// or, for a rollback, the files of an earlier publication (kept in the store under their hash);
/// a preview from <see cref="LiveRuntime.Preview"/> with the publisher's choice per journey
/// (continue at the equivalent step, or end, <see cref="InFlightPolicy"/>), a second confirmation
/// when more than <see cref="EditorSettings.PublishConfirmEnds"/> users in flight would end, then
/// <see cref="LiveRuntime.Reload"/> and a <see cref="Publication"/> in the editor's store. A
/// rollback also writes the earlier files back to the workspace (each change recorded as a saved
/// version), so what runs live is what is saved, and a restart of `mdsl serve` installs the same.
/// Under `mdsl web` there is no runtime (<see cref="Runtime"/> is null) and nothing can be published.
/// </summary>
public sealed class Publisher(
    WorkspaceFolder folder, EditorStore store, TimeProvider time, IServiceProvider services, IOptions<EditorSettings> settings)
{
    public const string NoRuntimeMessage = "There is no live runtime in this process (mdsl web); use mdsl serve to publish.";

    // One publication at a time: the hash checked is the version installed, and publications are recorded in order.
    private readonly Lock _gate = new();

    public LiveRuntime? Runtime => services.GetService<LiveRuntime>();

    /// <summary>More ends than this need a second confirmation.</summary>
    public int ConfirmEndsAbove => Math.Max(0, settings.Value.PublishConfirmEnds);

    /// <summary>Loads and compiles the workspace files on disk (throws <see cref="WorkspaceException"/> or an I/O exception when they cannot be
    /// read).</summary>
    public SavedWorkspace CompileSaved()
    {
        var compilation = FunctionCompilation.Create(Workspace.Load(folder.Root));
        // The hash a publisher confirms is the workspace's one identity (the plan cache and simulations use it too).
        return new SavedWorkspace(compilation, compilation.ContentHash, compilation.Workspace.Files.Count);
    }

    /// <summary>The saved workspace, or with <paramref name="rollbackTo"/> the files publication #N installed.</summary>
    /// <exception cref="RollbackException">No such publication, it was not installed, or its files were not kept.</exception>
    public SavedWorkspace Compile(int? rollbackTo)
    {
        if (rollbackTo is not { } id) return CompileSaved();
        var publication = store.FindPublication(id) ?? throw new RollbackException($"There is no publication #{id}.");
        if (!publication.Installed) throw new RollbackException($"Publication #{id} was refused, so there is nothing to roll back to.");
        var kept = store.FindPublishedWorkspace(publication.Hash)
            ?? throw new RollbackException(
                $"The files of publication #{id} were not kept (published before rollbacks were possible), so it cannot be installed again.");
        var compilation = FunctionCompilation.Create(new Workspace(kept.Files.Select(f => new SourceText(f.Path, f.Text))));
        return new SavedWorkspace(compilation, compilation.ContentHash, compilation.Workspace.Files.Count);
    }

    /// <summary>
    /// Installs the chosen workspace (compiled without errors) when its hash is still the one the
    /// publisher previewed, and the ends are confirmed when there are more than the threshold.
    /// </summary>
    public PublishOutcome Publish(LiveRuntime runtime, PublishChoice choice, string author)
    {
        lock (_gate)
        {
            var chosen = Compile(choice.RollbackTo);
            if (!string.Equals(chosen.Hash, choice.Hash, StringComparison.Ordinal)) return new PublishOutcome.Changed();
            // The previewed content compiled without errors (the preview refuses errors), so this is a caller's bug.
            if (chosen.Compilation.HasErrors) throw new InvalidOperationException("Publish needs a workspace without errors; preview it first.");
            var journeys = runtime.Preview(chosen.Compilation.Model, choice.EndInFlight);
            // Events between this preview and the reload can end a few more; the confirmation is for the figure shown.
            if (journeys.Ended.Count > ConfirmEndsAbove && (choice.ConfirmedEnds ?? -1) < journeys.Ended.Count)
                return new PublishOutcome.NeedsConfirmation(journeys.Ended.Count, ConfirmEndsAbove);
            var report = runtime.Reload(chosen.Compilation.Model, choice.EndInFlight);
            var now = time.GetUtcNow().UtcDateTime;
            store.KeepPublishedWorkspace(chosen.Hash, chosen.Compilation.Workspace.AllFiles.Select(f => (f.Path, f.Text)));
            if (choice.RollbackTo is not null) WriteBack(chosen.Compilation.Workspace, author, now);
            var publication = store.AddPublication(new Publication
            {
                Author = author,
                PublishedUtc = now,
                Hash = chosen.Hash,
                Files = chosen.Files,
                Journeys = report.Journeys,
                Continued = report.Continued,
                Ended = report.Ended.Count,
                Added = [.. journeys.Added],
                Removed = [.. journeys.Removed],
                StepsChanged = [.. journeys.StepsChanged],
                Ends = Summarise(report.Ended),
                EndedJourneys = [.. choice.EndInFlight],
                RolledBackTo = choice.RollbackTo,
            });
            return new PublishOutcome.Done(publication, report);
        }
    }

    /// <summary>
    /// A rollback makes the workspace folder the installed files again: each file that differs is
    /// written and recorded as a version; a file the publication did not have is recorded as a
    /// version (its text stays in History) and removed.
    /// </summary>
    private void WriteBack(Workspace installed, string author, DateTime now)
    {
        var wanted = installed.AllFiles.ToDictionary(f => f.Path, f => f.Text, StringComparer.Ordinal);
        foreach (var path in folder.ListFiles())
        {
            if (wanted.ContainsKey(path)) continue;
            store.AddVersion(path, folder.Read(path), author, now);
            File.Delete(folder.Resolve(path));
        }
        foreach (var (path, text) in wanted)
        {
            if (folder.Exists(path) && folder.Read(path) == text) continue;
            folder.Write(path, text);
            store.AddVersion(path, text, author, now);
        }
    }

    /// <summary>Ends counted per journey and reason, in journey then reason order.</summary>
    public static List<PublicationEnds> Summarise(IEnumerable<JourneyEnd> ends) =>
        [.. ends.GroupBy(e => (e.Journey, e.Reason))
            .OrderBy(g => g.Key.Journey, StringComparer.Ordinal).ThenBy(g => g.Key.Reason, StringComparer.Ordinal)
            .Select(g => new PublicationEnds { Journey = g.Key.Journey, Reason = g.Key.Reason, Count = g.Count() })];
}
