namespace MarketingDsl.Web.Storage;

/// <summary>How many journey states (or deferred sends) of one journey a publication ended, for one reason.</summary>
public sealed class PublicationEnds
{
    public string Journey { get; set; } = "";
    public string Reason { get; set; } = "";
    public int Count { get; set; }
}

/// <summary>
/// One publication of the saved workspace to the live runtime, from the editor or the admin API
/// (author `api token`, refused reloads included): who, when, the
/// SHA-256 of the workspace files (paths and texts) that were compiled and installed, and what the
/// reload did to the journeys (the individual ends are in the runtime's store, `GET /api/journey-ends`).
/// </summary>
public sealed class Publication
{
    public int Id { get; set; }
    public string Author { get; set; } = "";
    public DateTime PublishedUtc { get; set; }
    public string Hash { get; set; } = "";
    public int Files { get; set; }
    public int Journeys { get; set; }
    public int Continued { get; set; }
    public int Ended { get; set; }
    public List<string> Added { get; set; } = [];
    public List<string> Removed { get; set; } = [];
    public List<string> StepsChanged { get; set; } = [];
    public List<PublicationEnds> Ends { get; set; } = [];
    /// <summary>What happened: empty or `published` when the version was installed; else why not (`refused: …`), for an API reload that
    /// failed.</summary>
    public string Result { get; set; } = "";
    public bool Installed => Result is "" or "published";
    /// <summary>The journeys whose users in flight the publisher chose to end (the others continued at the equivalent step).</summary>
    public List<string> EndedJourneys { get; set; } = [];
    /// <summary>The earlier publication this one installed again (a rollback), or null.</summary>
    public int? RolledBackTo { get; set; }
}

/// <summary>One file of a published workspace, as installed.</summary>
public sealed class PublishedFile
{
    public string Path { get; set; } = "";
    public string Text { get; set; } = "";
}

/// <summary>The files of a published workspace, by its content hash: what a rollback installs again.</summary>
public sealed class PublishedWorkspace
{
    public string Id { get; set; } = "";
    public List<PublishedFile> Files { get; set; } = [];
}

public sealed partial class EditorStore
{
    private LiteDB.ILiteCollection<Publication> Publications => _db.GetCollection<Publication>("publications");

    public Publication AddPublication(Publication publication)
    {
        Publications.Insert(publication);
        return publication;
    }

    private LiteDB.ILiteCollection<PublishedWorkspace> PublishedWorkspaces => _db.GetCollection<PublishedWorkspace>("published_workspaces");

    public Publication? FindPublication(int id) => Publications.FindById(id);

    /// <summary>
    /// Keeps the files of an installed workspace under its hash (once per content). False when it
    /// cannot be kept (over LiteDB's document limit): that publication cannot be rolled back to.
    /// </summary>
    public bool KeepPublishedWorkspace(string hash, IEnumerable<(string Path, string Text)> files)
    {
        if (hash.Length == 0 || PublishedWorkspaces.FindById(hash) is not null) return hash.Length > 0;
        try
        {
            var kept = files.Select(f => new PublishedFile { Path = f.Path, Text = f.Text });
            PublishedWorkspaces.Insert(new PublishedWorkspace { Id = hash, Files = [.. kept] });
            return true;
        }
        catch (LiteDB.LiteException)
        {
            return false;
        }
    }

    public PublishedWorkspace? FindPublishedWorkspace(string hash) => hash.Length == 0 ? null : PublishedWorkspaces.FindById(hash);

    /// <summary>The hashes whose files are kept (the publications that can be rolled back to).</summary>
    public HashSet<string> KeptWorkspaceHashes() => [.. PublishedWorkspaces.Query().Select(w => w.Id).ToEnumerable()];

    /// <summary>Publications newest first.</summary>
    public IReadOnlyList<Publication> PublicationHistory(int limit = 200) =>
        Publications.Query().OrderByDescending(p => p.Id).Limit(limit).ToList();
}
