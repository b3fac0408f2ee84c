namespace MarketingDsl.Runtime;

/// <summary>
/// The dedupe directories of event ids and outbox keys (<see cref="KeyDirectory"/>): the most
/// recent <c>recentIds</c> of each exactly in memory, older ones as sorted runs in LiteDB
/// (`id_runs`, `outbox_key_runs`) with 2 bytes of a Bloom filter each in memory.
/// </summary>
public sealed partial class LiveStore
{
    /// <summary>How many of the most recent event ids (and outbox keys) the directories hold exactly (by default).</summary>
    public const int DefaultRecentIds = 100_000;

    private KeyDirectory _eventIds = null!;
    private KeyDirectory _outboxKeys = null!;

    private void OpenKeyDirectories(int recentIds)
    {
        _eventIds = new KeyDirectory(_db, "id_runs", recentIds);
        _outboxKeys = new KeyDirectory(_db, "outbox_key_runs", recentIds);
    }

    /// <summary>
    /// Outside any transaction, on the thread that writes (the runtime's committer, between
    /// groups): event ids and outbox keys that left their exact window go to a run, each in a
    /// commit of its own. <paramref name="keep"/>: archive all but that many now (tests).
    /// Returns how many event ids and outbox keys left the windows.
    /// </summary>
    public (int Ids, int Keys) ArchiveOlderKeys(int? keep = null) =>
        (_eventIds.Archive(FlushCommitToDisk, keep), _outboxKeys.Archive(FlushCommitToDisk, keep));

    /// <summary>How many event ids the directory holds exactly, and how many only as filter bits (their pairs in runs).</summary>
    public (int Recent, long Older) IdDirectorySize => _eventIds.Size;

    /// <summary>How many outbox dedupe keys are held exactly and how many only as filter bits, and how many actions are pending.</summary>
    public (int Keys, long Older, int Pending) OutboxMemorySize { get { var (keys, older) = _outboxKeys.Size; lock (_outboxGate) return (keys, older, _outboxPending.Count); } }
}
