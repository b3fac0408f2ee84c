namespace MarketingDsl.Runtime;

/// <summary>
/// A file LiteDB reads and writes through the stream the live store hands it, so that the store,
/// not LiteDB, decides when it reaches the disk.
/// </summary>
/// <remarks>
/// LiteDB 5.0.20 fsyncs its log file after every commit from inside <c>Commit</c> (its writer
/// queue ends each run with <c>FlushToDisk</c>, which fsyncs a <see cref="FileStream"/> and merely
/// flushes any other stream): perf showed the committer thread waiting on that fsync for most of
/// LiteDB's commit time, so the next group could not start. Given as a plain <see cref="Stream"/>,
/// the log is only flushed to the OS there, and the store's flusher thread fsyncs it
/// (<see cref="LiveStore.FlushLog"/>) before any request of the commit is answered. The data file
/// is written only by checkpoints, which must reach the disk before LiteDB empties the log: its
/// flush is an fsync.
/// </remarks>
internal sealed class LiteDbFile(FileStream file, bool fsyncOnFlush) : Stream
{
    public FileStream File => file;
    public override bool CanRead => file.CanRead;
    public override bool CanSeek => file.CanSeek;
    public override bool CanWrite => file.CanWrite;
    public override long Length => file.Length;
    public override long Position { get => file.Position; set => file.Position = value; }
    public override void Flush() => file.Flush(fsyncOnFlush);
    public override int Read(byte[] buffer, int offset, int count) => file.Read(buffer, offset, count);
    public override int Read(Span<byte> buffer) => file.Read(buffer);
    public override long Seek(long offset, SeekOrigin origin) => file.Seek(offset, origin);
    public override void SetLength(long value) => file.SetLength(value);
    public override void Write(byte[] buffer, int offset, int count) => file.Write(buffer, offset, count);
    public override void Write(ReadOnlySpan<byte> buffer) => file.Write(buffer);

    protected override void Dispose(bool disposing)
    {
        if (disposing) file.Dispose();
        base.Dispose(disposing);
    }
}
