using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace MarketingDsl.Runtime;

/// <summary>
/// Checkpoints of the write-ahead log (sqlite.org/wal.html): copying committed pages from NAME-wal
/// into the database so the log can start over. While commits come, a thread of the store copies
/// them from a second connection (PASSIVE: it neither waits for the writer nor blocks it, so a
/// commit never waits for a checkpoint); the writer starts the log over at the first transaction
/// after a checkpoint that copied everything (sqlite.org/wal.html, "Avoiding Excessively Large
/// WAL Files"), which a commit landing during the checkpoint prevents: a log grown past
/// <see cref="ChaseCheckpointFrames"/> is then checkpointed again at once, each time with less to
/// copy, until one finds no commit after it. SQLite's own checkpoint in the writer's COMMIT stays
/// as the bound behind that. Once ingest pauses, the writer empties the log's file (TRUNCATE).
/// </summary>
public sealed partial class LiveStore
{
    /// <summary>
    /// SQLite's own automatic checkpoint in the writer's COMMIT (pages of the log): only reached
    /// when the log has not started over for this long; it copies what the background left.
    /// </summary>
    public const int BackstopCheckpointPages = 4_000;
    /// <summary>A log of this many frames (pages) or more after a background checkpoint: the next one runs at once.</summary>
    public const int ChaseCheckpointFrames = 1_000;
    /// <summary>Background checkpoints run back to back at most this many times before waiting for the interval again.</summary>
    private const int ChaseRounds = 3;
    /// <summary>Log file size from which the writer empties it once ingest has paused.</summary>
    public const long IdleCheckpointBytes = 1L << 20;
    /// <summary>How often, at most, the background checkpoint runs while commits come: each copies what they added since.</summary>
    public static readonly TimeSpan BackgroundCheckpointEvery = TimeSpan.FromMilliseconds(100);

    /// <summary>The size of the write-ahead log's file (NAME-wal), 0 when there is none: what the store holds beside the database.</summary>
    public long LogBytes => new FileInfo(Path + "-wal") is { Exists: true } wal ? wal.Length : 0;

    /// <summary>
    /// Outside any transaction, once ingest has paused: copies the log into the database and
    /// truncates its file when it has reached <see cref="IdleCheckpointBytes"/>. Returns whether it ran to the end.
    /// A reader holding the log (or the background checkpoint) makes it answer busy at once, never
    /// wait: the committer runs it, and requests queue meanwhile; the caller tries again later.
    /// </summary>
    public bool TruncateLogIfDue()
    {
        if (LogBytes < IdleCheckpointBytes) return false;
        Execute("PRAGMA busy_timeout=0");
        try
        {
            // Columns: busy (1 when a reader or writer blocked it), log frames, frames checkpointed.
            var busy = Rows("PRAGMA wal_checkpoint(TRUNCATE)", r => r.GetInt64(0)).FirstOrDefault();
            return busy == 0;
        }
        finally
        {
            Execute($"PRAGMA busy_timeout={_connection.DefaultTimeout * 1000}");
        }
    }

    /// <summary>What one checkpoint found and did: the log's frames (pages) when it began, those copied into the database, its wall time.</summary>
    public readonly record struct LogCheckpoint(long LogFrames, long CopiedFrames, TimeSpan Took);

    private BackgroundCheckpoints? _background;

    /// <summary>
    /// Starts the store's checkpointing thread (once): from now on every <see cref="Commit"/>
    /// wakes it; <paramref name="done"/> hears of every checkpoint it ran.
    /// </summary>
    public void StartBackgroundCheckpoints(Action<LogCheckpoint>? done = null, TimeSpan? every = null)
    {
        if (_background is not null) return;
        _background = new BackgroundCheckpoints(Path, every ?? BackgroundCheckpointEvery, done);
    }

    /// <summary>One checkpoint beside the writer, now, on a connection of its own (PASSIVE): what the background thread runs.</summary>
    public LogCheckpoint CheckpointBeside()
    {
        using var connection = BackgroundCheckpoints.Open(Path);
        return BackgroundCheckpoints.Passive(connection);
    }

    /// <summary>
    /// The checkpointing thread and its connection. A thread of its own, not the thread pool: a
    /// checkpoint blocks on the disk (the copy and an fsync of the database).
    /// </summary>
    private sealed class BackgroundCheckpoints : IDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly SemaphoreSlim _wake = new(0, 1);
        private readonly Thread _thread;
        private readonly TimeSpan _every;
        private readonly Action<LogCheckpoint>? _done;
        private readonly ManualResetEventSlim _stopping = new();
        private volatile bool _stop;

        public BackgroundCheckpoints(string path, TimeSpan every, Action<LogCheckpoint>? done)
        {
            _connection = Open(path);
            _every = every;
            _done = done;
            _thread = new Thread(Run) { IsBackground = true, Name = "mdsl checkpoints" };
            _thread.Start();
        }

        public static SqliteConnection Open(string path)
        {
            var connection = new SqliteConnection(ConnectionString(path, SqliteOpenMode.ReadWrite));
            try
            {
                connection.Open();
                using var command = connection.CreateCommand();
                // The checkpoint fsyncs the database before the log may start over (synchronous FULL, as the writer).
                command.CommandText = "PRAGMA synchronous=FULL";
                command.ExecuteNonQuery();
                return connection;
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }

        public static LogCheckpoint Passive(SqliteConnection connection)
        {
            var start = Stopwatch.GetTimestamp();
            using var command = connection.CreateCommand();
            // PASSIVE: copies the frames no reader still needs, without waiting for the writer
            // (sqlite.org/c3ref/wal_checkpoint_v2.html); the writer continues meanwhile.
            command.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
            using var reader = command.ExecuteReader();
            reader.Read();
            return new LogCheckpoint(reader.GetInt64(1), reader.GetInt64(2), Stopwatch.GetElapsedTime(start));
        }

        /// <summary>Called by every commit: under load most find the thread woken already (checkpointing, or waiting out its
        /// interval), and are done without throwing (each had been an exception thrown and caught on the committer, 30–110 a
        /// second).</summary>
        public void Wake()
        {
            if (_wake.CurrentCount > 0) return;
            try { _wake.Release(); }
            catch (SemaphoreFullException) { }   // woken by another caller since the check
        }

        private void Run()
        {
            var last = 0L;
            while (true)
            {
                _wake.Wait();
                if (_stop) return;
                // At most one checkpoint per interval: each copies what the commits of the interval added.
                var wait = _every - Stopwatch.GetElapsedTime(last);
                if (last != 0 && wait > TimeSpan.Zero && _stopping.Wait(wait)) return;
                last = Stopwatch.GetTimestamp();
                try
                {
                    // A long log that did not start over: chase it while commits land during each checkpoint
                    // (the log grew meanwhile); one that copied the whole log with none after it lets the next transaction start over.
                    var before = -1L;
                    for (var round = 0; round < ChaseRounds && !_stop; round++)
                    {
                        var checkpoint = Passive(_connection);
                        _done?.Invoke(checkpoint);
                        if (checkpoint.LogFrames < ChaseCheckpointFrames || checkpoint.LogFrames == before) break;
                        before = checkpoint.LogFrames;
                    }
                }
                // A failed checkpoint loses nothing (the log still holds every commit); the next commit wakes it again.
                catch (Exception ex) when (ex is IOException or SqliteException) { }
            }
        }

        public void Dispose()
        {
            _stop = true;
            _stopping.Set();
            Wake();
            _thread.Join();
            _connection.Dispose();
            _wake.Dispose();
            _stopping.Dispose();
        }
    }
}
