using System.Text;

namespace MarketingDsl.Engine.Data;

/// <summary>
/// Line ends of the text files of a data directory (JSON Lines and CSV): LF and CRLF everywhere;
/// a file whose first line end is a lone CR (an old Mac export) uses CR. Lines are counted by those
/// ends only, so a lone CR inside a CRLF or LF file is part of its line and never shifts the line
/// numbers of rejects.
/// </summary>
internal static class TextLines
{
    /// <summary>
    /// The content of one JSON Lines line as the readers take it: without the byte order mark of
    /// the file's first line and without the CR of a CRLF end; false for a blank line (spaces and
    /// tabs only), which is no row. Shared by the sequential and the parallel reader, so both count
    /// and skip the same lines.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static bool Content(ref ReadOnlySpan<byte> line, ref bool first)
    {
        if (first)
        {
            first = false;
            if (line.StartsWith("\uFEFF"u8)) line = line[3..];
        }
        if (line.Length > 0 && line[^1] == '\r') line = line[..^1];
        return !line.Trim(" \t"u8).IsEmpty;
    }

    /// <summary>The file, read sequentially; a CR-only file reads as if its line ends were LF.</summary>
    public static Stream Open(string path)
    {
        var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        if (!IsCrOnly(fs)) return fs;
        return new CrAsLfStream(fs);
    }

    private static bool IsCrOnly(FileStream fs)
    {
        var buffer = new byte[1 << 16];
        try
        {
            while (true)
            {
                var n = fs.Read(buffer, 0, buffer.Length);
                if (n == 0) return false;
                var i = buffer.AsSpan(0, n).IndexOfAny((byte)'\r', (byte)'\n');
                if (i < 0) continue;
                if (buffer[i] == '\n') return false;
                if (i + 1 < n) return buffer[i + 1] != '\n';
                return fs.Read(buffer, 0, 1) == 1 && buffer[0] != '\n';
            }
        }
        finally
        {
            fs.Position = 0;
        }
    }

    /// <summary>A read-only stream that turns every CR into LF.</summary>
    private sealed class CrAsLfStream(Stream inner) : Stream
    {
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = inner.Read(buffer, offset, count);
            buffer.AsSpan(offset, n).Replace((byte)'\r', (byte)'\n');
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}

/// <summary>
/// Physical lines of a text file as strings, split at LF (a CR before it dropped), each decoded
/// strictly: a line with bytes that are not UTF-8 is reported as such (its text decoded with
/// U+FFFD only for the rejects file), never kept silently altered.
/// </summary>
internal sealed class Utf8Lines(Stream stream) : IDisposable
{
    private static readonly UTF8Encoding Strict = new(false, throwOnInvalidBytes: true);
    private byte[] _buffer = new byte[1 << 16];
    private int _start, _end;
    private bool _eof, _first = true;

    /// <summary>Bytes of the file consumed so far.</summary>
    public long Position { get; private set; }

    public bool Read(out string line, out bool validUtf8)
    {
        while (true)
        {
            var i = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (i >= 0) { Emit(_start, i, i + 1, out line, out validUtf8); return true; }
            if (_eof)
            {
                if (_end > _start) { Emit(_start, _end - _start, _end - _start, out line, out validUtf8); return true; }
                line = "";
                validUtf8 = true;
                return false;
            }
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            if (_end == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
            var n = stream.Read(_buffer, _end, _buffer.Length - _end);
            if (n == 0) _eof = true;
            _end += n;
        }
    }

    private void Emit(int start, int length, int consumed, out string line, out bool validUtf8)
    {
        var bytes = _buffer.AsSpan(start, length);
        if (_first)
        {
            _first = false;
            if (bytes.StartsWith("\uFEFF"u8)) bytes = bytes[3..];
        }
        if (bytes.Length > 0 && bytes[^1] == '\r') bytes = bytes[..^1];
        validUtf8 = System.Text.Unicode.Utf8.IsValid(bytes);
        line = validUtf8 ? Strict.GetString(bytes) : Encoding.UTF8.GetString(bytes);
        _start += consumed;
        Position += consumed;
    }

    public void Dispose() => stream.Dispose();
}
