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
    /// <summary>What happened: empty or `published` when the version was installed; else why not (`refused: …`), for an API reload that failed.</summary>
    public string Result { get; set; } = "";
    public bool Installed => Result is "" or "published";
}

public sealed partial class EditorStore
{
    private LiteDB.ILiteCollection<Publication> Publications => _db.GetCollection<Publication>("publications");

    public Publication AddPublication(Publication publication)
    {
        Publications.Insert(publication);
        return publication;
    }

    /// <summary>Publications newest first.</summary>
    public IReadOnlyList<Publication> PublicationHistory(int limit = 200) =>
        Publications.Query().OrderByDescending(p => p.Id).Limit(limit).ToList();
}
