using MarketingDsl.Core;
using MarketingDsl.Functions.Loading;
using MarketingDsl.Runtime;
using MarketingDsl.Web.Storage;

namespace MarketingDsl.Web.Publishing;

/// <summary>The saved workspace as compiled for publishing, with the hash that names its content.</summary>
public sealed record SavedWorkspace(Compilation Compilation, string Hash, int Files);

/// <summary>
/// Publishes the saved workspace to the live runtime hosted in this process (`mdsl serve`): the
/// same compile as the runtime's own reload (the files on disk, never the page's unsaved buffers),
/// a preview from <see cref="LiveRuntime.Preview"/>, then <see cref="LiveRuntime.Reload"/> and a
/// <see cref="Publication"/> in the editor's store. Under `mdsl web` there is no runtime
/// (<see cref="Runtime"/> is null) and nothing can be published.
/// </summary>
public sealed class Publisher(WorkspaceFolder folder, EditorStore store, TimeProvider time, IServiceProvider services)
{
    public const string NoRuntimeMessage = "There is no live runtime in this process (mdsl web); use mdsl serve to publish.";

    // One publication at a time: the hash checked is the version installed, and publications are recorded in order.
    private readonly Lock _gate = new();

    public LiveRuntime? Runtime => services.GetService<LiveRuntime>();

    /// <summary>Loads and compiles the workspace files on disk (throws <see cref="WorkspaceException"/> or an I/O exception when they cannot be read).</summary>
    public SavedWorkspace CompileSaved()
    {
        var compilation = FunctionCompilation.Create(Workspace.Load(folder.Root));
        // The hash a publisher confirms is the workspace's one identity (the plan cache and simulations use it too).
        return new SavedWorkspace(compilation, compilation.ContentHash, compilation.Workspace.Files.Count);
    }

    /// <summary>
    /// Installs <paramref name="saved"/> (compiled without errors) when its hash is still
    /// <paramref name="expectedHash"/> (the preview the publisher confirmed); null when the saved
    /// workspace changed since.
    /// </summary>
    public (Publication Publication, ReloadReport Report)? Publish(LiveRuntime runtime, string expectedHash, string author)
    {
        lock (_gate)
        {
            var saved = CompileSaved();
            if (!string.Equals(saved.Hash, expectedHash, StringComparison.Ordinal)) return null;
            // The previewed content compiled without errors (the preview refuses errors), so this is a caller's bug.
            if (saved.Compilation.HasErrors) throw new InvalidOperationException("Publish needs a workspace without errors; preview it first.");
            var journeys = runtime.Preview(saved.Compilation.Model);
            var report = runtime.Reload(saved.Compilation.Model);
            var publication = store.AddPublication(new Publication
            {
                Author = author,
                PublishedUtc = time.GetUtcNow().UtcDateTime,
                Hash = saved.Hash,
                Files = saved.Files,
                Journeys = report.Journeys,
                Continued = report.Continued,
                Ended = report.Ended.Count,
                Added = [.. journeys.Added],
                Removed = [.. journeys.Removed],
                StepsChanged = [.. journeys.StepsChanged],
                Ends = Summarise(report.Ended),
            });
            return (publication, report);
        }
    }

    /// <summary>Ends counted per journey and reason, in journey then reason order.</summary>
    public static List<PublicationEnds> Summarise(IEnumerable<JourneyEnd> ends) =>
        [.. ends.GroupBy(e => (e.Journey, e.Reason))
            .OrderBy(g => g.Key.Journey, StringComparer.Ordinal).ThenBy(g => g.Key.Reason, StringComparer.Ordinal)
            .Select(g => new PublicationEnds { Journey = g.Key.Journey, Reason = g.Key.Reason, Count = g.Count() })];
}
