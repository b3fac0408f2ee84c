using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Core.Semantics;

namespace MarketingDsl.Engine.Data;

/// <summary>Parsed rows of one event type in one block, in file order (orphans have user -1).</summary>
internal sealed class TypeBatch : IDisposable
{
    public TypeBatch(EventTypeState type)
    {
        var fields = type.Symbol.Fields;
        Fields = new ColumnBuilder?[fields.Length];
        for (var i = 2; i < fields.Length; i++)
            if (type.HasBuilder(i)) Fields[i] = new ColumnBuilder(fields[i].Type, small: true);
    }

    public NativeList<int> User { get; } = new(small: true);
    public NativeList<long> Ts { get; } = new(small: true);
    /// <summary>1-based position of the row among the block's non-blank lines.</summary>
    public NativeList<int> Ordinal { get; } = new(small: true);
    public ColumnBuilder?[] Fields { get; }
    public int Count => Ts.Count;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Add(int user, long ts, int ordinal, RowScratch s)
    {
        User.Add(user);
        Ts.Add(ts);
        Ordinal.Add(ordinal);
        for (var i = 2; i < Fields.Length; i++) Fields[i]?.Add(s, i);
    }

    public void Clear()
    {
        User.Clear();
        Ts.Clear();
        Ordinal.Clear();
        foreach (var f in Fields) f?.Clear();
    }

    public void Dispose()
    {
        User.Dispose();
        Ts.Dispose();
        Ordinal.Dispose();
        foreach (var f in Fields) f?.Dispose();
    }
}

/// <summary>A line-aligned slice of a JSON Lines file: parsed on a worker thread, then committed in file order.</summary>
internal abstract class LineBlock(int capacity) : IDisposable
{
    public byte[] Data = new byte[capacity];
    public int Length;
    public bool FirstOfFile;
    public long EndOffset;
    /// <summary>Physical lines (blank ones included) and non-blank lines of the block.</summary>
    public int PhysicalLines, Lines;
    /// <summary>Rows the parse rejected: physical line in the block, reason, the line's text (empty without a rejects file).</summary>
    public readonly List<(int Line, RowReject Reason, string Raw)> Rejects = [];

    public virtual void Reset()
    {
        Length = 0;
        PhysicalLines = Lines = 0;
        Rejects.Clear();
    }

    public abstract void Dispose();
}

/// <summary>A block of a JSON Lines event file and, once parsed, its rows.</summary>
internal sealed class ParsedBlock(EventTypeState[] types, int capacity) : LineBlock(capacity)
{
    public long ShapedRows;
    public readonly TypeBatch[] Types = [.. types.Select(t => new TypeBatch(t))];
    public readonly GrowList<long> UnknownTs = new();

    public override void Reset()
    {
        base.Reset();
        foreach (var t in Types) t.Clear();
        UnknownTs.Count = 0;
    }

    public override void Dispose()
    {
        foreach (var t in Types) t.Dispose();
    }
}

/// <summary>A block of a JSON Lines profiles file and, once parsed, its rows with an id (duplicates are found at commit).</summary>
internal sealed class ProfileBlock : LineBlock
{
    public ProfileBlock(SchemaModel schema, ColumnBuilder?[] read, int identityKeys, int capacity) : base(capacity)
    {
        Fields = new ColumnBuilder?[read.Length];
        for (var i = 0; i < read.Length; i++)
            if (read[i] is not null) Fields[i] = new ColumnBuilder(schema.ProfileFields[i].Type, small: true);
        Identity = [.. Enumerable.Range(0, identityKeys).Select(_ => new List<string?>())];
    }

    public readonly List<string> Ids = [];
    /// <summary>Per row: its physical line in the block, and where its text lies in <see cref="LineBlock.Data"/> (a duplicate's reject
    /// shows it).</summary>
    public readonly List<(int Line, int Start, int Length)> Rows = [];
    public readonly ColumnBuilder?[] Fields;
    public readonly List<string?>[] Identity;
    public long ScannedRows;

    public override void Reset()
    {
        base.Reset();
        Ids.Clear();
        Rows.Clear();
        foreach (var f in Fields) f?.Clear();
        foreach (var values in Identity) values.Clear();
        ScannedRows = 0;
    }

    public override void Dispose()
    {
        foreach (var f in Fields) f?.Dispose();
    }
}

internal sealed partial class Importer
{
    /// <summary>
    /// Reads a JSON Lines event file in line-aligned blocks parsed on worker threads; blocks are
    /// committed strictly in file order, so lines, de-duplication (first wins), rejects and counts
    /// are exactly those of the sequential reader.
    /// </summary>
    private void ReadEventLinesParallel(string path, string file) =>
        ReadLinesParallel(path, size => new ParsedBlock(_types, size), ParseBlock, (b, physicalBase) => CommitBlock(b, file, physicalBase));

    /// <summary>
    /// Reads a JSON Lines profiles file as the events are read: rows parsed in blocks on worker threads, committed in file
    /// order, so ids, duplicates (the first row of an id wins), rejects and counts are those of the sequential reader.
    /// At 200,000 users the profiles took a sixth of a time-ordered import on one core.
    /// </summary>
    private void ReadProfileLinesParallel(string path, string file) =>
        ReadLinesParallel(path, size => new ProfileBlock(_schema, _profileCols, _profileIdentity.Length, size), ParseProfileBlock,
            (b, physicalBase) => CommitProfileBlock(b, file, physicalBase));

    /// <summary>
    /// A JSON Lines file in line-aligned blocks of <see cref="ImportOptions.BlockSize"/> bytes: <paramref name="parse"/> runs on
    /// worker threads (no shared mutable state), <paramref name="commit"/> on this one, block by block in file order with the
    /// physical lines before the block.
    /// </summary>
    private void ReadLinesParallel<TBlock>(string path, Func<int, TBlock> newBlock, Action<TBlock, ParseState> parse,
        Action<TBlock, int> commit) where TBlock : LineBlock
    {
        var workers = Math.Max(1, _options.Parallelism);
        var blockSize = Math.Max(16, _options.BlockSize);
        var maxInFlight = workers * 2;
        var pending = new Queue<(TBlock Block, Task Task)>();
        var free = new Stack<TBlock>();
        var all = new List<TBlock>();
        var states = new ConcurrentBag<ParseState>();
        var physicalBase = 0;
        var firstOfFile = true;
        long offset = 0;

        TBlock Rent()
        {
            if (free.TryPop(out var b)) return b;
            b = newBlock(blockSize);
            all.Add(b);
            return b;
        }

        void CommitNext()
        {
            var (b, task) = pending.Dequeue();
            task.GetAwaiter().GetResult();
            commit(b, physicalBase);
            physicalBase += b.PhysicalLines;
            b.Reset();
            free.Push(b);
        }

        void Submit(TBlock b)
        {
            b.FirstOfFile = firstOfFile;
            firstOfFile = false;
            b.EndOffset = offset += b.Length;
            pending.Enqueue((b, Task.Run(() =>
            {
                var st = states.TryTake(out var s) ? s : new ParseState(_layouts);
                try { parse(b, st); }
                finally { states.Add(st); }
            })));
            while (pending.Count >= maxInFlight) CommitNext();
        }

        try
        {
            using var fs = TextLines.Open(path);
            var cur = Rent();
            while (true)
            {
                var n = fs.Read(cur.Data, cur.Length, cur.Data.Length - cur.Length);
                if (n == 0)
                {
                    if (cur.Length > 0) Submit(cur);
                    else free.Push(cur);
                    break;
                }
                cur.Length += n;
                if (cur.Length < cur.Data.Length) continue;
                var idx = cur.Data.AsSpan(0, cur.Length).LastIndexOf((byte)'\n');
                if (idx < 0)
                {
                    Array.Resize(ref cur.Data, cur.Data.Length * 2);   // a line longer than the block
                    continue;
                }
                var next = Rent();
                var tail = cur.Length - (idx + 1);
                if (next.Data.Length < Math.Max(tail * 2, blockSize)) next.Data = new byte[Math.Max(tail * 2, blockSize)];
                cur.Data.AsSpan(idx + 1, tail).CopyTo(next.Data);
                next.Length = tail;
                cur.Length = idx + 1;
                Submit(cur);
                cur = next;
            }
            while (pending.Count > 0) CommitNext();
        }
        finally
        {
            foreach (var (_, task) in pending)
                try { task.Wait(); } catch (AggregateException) { }
            foreach (var b in all) b.Dispose();
        }
    }

    /// <summary>Worker side: parses every line of a block (no shared mutable state).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ParseBlock(ParsedBlock b, ParseState st)
    {
        var span = b.Data.AsSpan(0, b.Length);
        var first = b.FirstOfFile;
        int phys = 0, ordinal = 0;
        // Pending ids are block-local: none may survive a block that ended early.
        if (st.PendingCount > 0) st.Recent.Clear();
        st.PendingCount = st.PendingCharCount = 0;
        if (st.LastUserIndex <= -2) st.LastUserLength = -1;
        var shaped = st.ShapedRows;
        while (!span.IsEmpty)
        {
            var idx = span.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line = idx < 0 ? span : span[..idx];
            span = idx < 0 ? [] : span[(idx + 1)..];
            phys++;
            if (!TextLines.Content(ref line, ref first)) continue;
            ordinal++;
            ParseEventLine(line, phys, ordinal, b, st);
        }
        ResolvePending(b, st);
        b.PhysicalLines = phys;
        b.Lines = ordinal;
        b.ShapedRows = st.ShapedRows - shaped;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ParseEventLine(ReadOnlySpan<byte> line, int phys, int ordinal, ParsedBlock b, ParseState st)
    {
        var reason = ParseEventJson(line, st, out var type);
        var layout = type?.Layout ?? _unknownLayout;
        var s = st.Scratch(layout);
        reason ??= EventRowRules(layout, s);
        if (reason is not null)
        {
            b.Rejects.Add((phys, reason, _rejects is null ? "" : Encoding.UTF8.GetString(line)));
            return;
        }
        var ts = s.L[layout.TsSlot];
        if (type is null)
        {
            b.UnknownTs.Add(ts);
            return;
        }
        int user;
        if (HasIdentityValue(layout, s)) user = ResolveUser(layout, s);
        else
        {
            var (utf8, length) = UserUtf8(s, st);
            var fast = s.Utf8UserLength >= 0;
            var key = fast ? s.Utf8UserKey : RecentUsers.KeyOf(utf8, length);
            if (length == st.LastUserLength && (key.Length > 0 ? key.SameAs(st.LastKey)
                    : utf8.AsSpan(0, length).SequenceEqual(st.LastUser.AsSpan(0, length))))
                user = st.LastUserIndex;
            else
            {
                var set = fast ? s.Utf8UserSet : st.Recent.SetOf(key);
                if (!st.Recent.TryGet(key, set, out user))
                {
                    // Looked up with the block's other new ids (ResolvePending); the row holds -2 - k until then.
                    var id = s.User;
                    user = -2 - AddPending(st, id, _userById.HashOf(id), set);
                    st.Recent.Set(key, set, user);
                }
                st.LastUserIndex = user;
                st.LastKey = key;
                if (key.Length == 0)
                {
                    if (st.LastUser.Length < length) st.LastUser = new byte[length * 2];
                    utf8.AsSpan(0, length).CopyTo(st.LastUser);
                }
                st.LastUserLength = length;
            }
        }
        b.Types[type.Index].Add(user, ts, ordinal, s);
    }

    /// <summary>The row's user id as UTF-8 (the bytes the JSON fast paths read, else its characters encoded): a buffer of at
    /// least <see cref="RecentUsers.MaxBytes"/> bytes and the id's length.</summary>
    private static (byte[] Utf8, int Length) UserUtf8(RowScratch s, ParseState st)
    {
        if (s.Utf8UserLength >= 0) return (s.Utf8User, s.Utf8UserLength);
        var id = s.User;
        var n = Encoding.UTF8.GetMaxByteCount(id.Length);
        if (st.Utf8Id.Length < n) st.Utf8Id = new byte[n];
        return (st.Utf8Id, Encoding.UTF8.GetBytes(id, st.Utf8Id));
    }

    /// <summary>A row with an identity value may belong to a user its id does not name: resolved at once, by id, then identity.</summary>
    private bool HasIdentityValue(RowLayout l, RowScratch s)
    {
        // IdentityValue(…) is not null, without formatting a number.
        for (var k = 0; k < _identityToUser.Length; k++)
        {
            var slot = l.IdentitySlots[k];
            if (s.HasValue(slot) && s.S[slot] is not { Length: 0 }) return true;
        }
        return false;
    }

    private static int AddPending(ParseState st, ReadOnlySpan<char> id, int hash, int recentSet)
    {
        var k = st.PendingCount++;
        if (k == st.PendingStart.Length)
        {
            Array.Resize(ref st.PendingStart, k * 2);
            Array.Resize(ref st.PendingLength, k * 2);
            Array.Resize(ref st.PendingUser, k * 2);
            Array.Resize(ref st.PendingHash, k * 2);
            Array.Resize(ref st.PendingRecentSet, k * 2);
        }
        st.PendingHash[k] = hash;
        st.PendingRecentSet[k] = recentSet;
        if (st.PendingCharCount + id.Length > st.PendingChars.Length)
            Array.Resize(ref st.PendingChars, Math.Max(st.PendingChars.Length * 2, st.PendingCharCount + id.Length));
        id.CopyTo(st.PendingChars.AsSpan(st.PendingCharCount));
        st.PendingStart[k] = st.PendingCharCount;
        st.PendingLength[k] = id.Length;
        st.PendingCharCount += id.Length;
        return k;
    }

    /// <summary>
    /// Looks the block's pending ids up and puts their users into the parsed rows (and the thread's recent ids). In time order
    /// most rows name a user the last did not, and each lookup misses the caches: the slots of a group of ids are read
    /// first, so the misses overlap, then the group is probed. An unknown id is an orphan (its row had no identity value).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ResolvePending(ParsedBlock b, ParseState st)
    {
        const int Group = 16;
        var n = st.PendingCount;
        if (n == 0) return;
        var chars = st.PendingChars;
        var hashes = st.PendingHash;
        var touched = 0;
        for (var from = 0; from < n; from += Group)
        {
            var count = Math.Min(Group, n - from);
            for (var k = from; k < from + count; k++) touched |= _userById.Touch(hashes[k]);
            for (var k = from; k < from + count; k++)
            {
                var u = _userById.TryGetValue(chars.AsSpan(st.PendingStart[k], st.PendingLength[k]), hashes[k], out var found) ? found : -1;
                st.PendingUser[k] = u;
                st.Recent.Resolve(st.PendingRecentSet[k], -2 - k, u);
            }
        }
        GC.KeepAlive(touched);
        foreach (var batch in b.Types)
        {
            var users = batch.User;
            for (var r = 0; r < users.Count; r++)
                if (users[r] <= -2) users[r] = st.PendingUser[-2 - users[r]];
        }
        if (st.LastUserIndex <= -2) st.LastUserIndex = st.PendingUser[-2 - st.LastUserIndex];
        st.PendingCount = st.PendingCharCount = 0;
    }

    /// <summary>Main thread, in file order: the order-dependent part of <see cref="CommitEvent"/> for a whole block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void CommitBlock(ParsedBlock b, string file, int physicalBase)
    {
        foreach (var (line, reason, raw) in b.Rejects) Reject(file, physicalBase + line, reason, raw);
        _report.EventsRead += b.Lines;
        _report.ShapedJsonRows += b.ShapedRows;
        var lineBase = _eventLine;
        _eventLine += b.Lines;
        TickMany(b.Lines, b.EndOffset);

        for (var i = 0; i < b.UnknownTs.Count; i++) KeepLoose(b.UnknownTs.Items[i]);
        _report.UnknownTypeEvents += b.UnknownTs.Count;

        List<(int Ordinal, string Type, long Count)>? dups = null;
        foreach (var type in _types)
        {
            var batch = b.Types[type.Index];
            var n = batch.Count;
            if (n == 0) continue;
            var unique = type.UniqueSlot >= 0 ? batch.Fields[type.UniqueSlot] : null;
            int runStart = 0, firstDup = -1;
            long dropped = 0;
            for (var r = 0; r < n; r++)
            {
                if (unique is not null && type.IsDuplicate(unique, r))
                {
                    if (firstDup < 0) firstDup = batch.Ordinal[r];
                    dropped++;
                }
                else
                {
                    _report.EventsKept++;
                    var ts = batch.Ts[r];
                    if (ts > _maxTs) _maxTs = ts;
                    if (batch.User[r] >= 0) continue;
                    _report.OrphanEvents++;
                    _looseTs.Add(ts);
                }
                type.AddRange(batch, runStart, r - runStart, lineBase);
                runStart = r + 1;
            }
            type.AddRange(batch, runStart, n - runStart, lineBase);
            if (dropped > 0) (dups ??= []).Add((firstDup, type.Symbol.Name, dropped));
        }
        if (dups is not null)
            foreach (var (_, name, count) in dups.OrderBy(d => d.Ordinal))
                _report.DuplicatesDropped[name] = (_report.DuplicatesDropped.TryGetValue(name, out var d) ? d : 0) + count;
    }

    /// <summary>Worker side: parses every line of a profiles block into its rows (an id each) or its rejects.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ParseProfileBlock(ProfileBlock b, ParseState st)
    {
        var data = b.Data.AsSpan(0, b.Length);
        var first = b.FirstOfFile;
        var l = _profileLayout;
        int phys = 0, ordinal = 0, at = 0;
        while (at < data.Length)
        {
            var idx = data[at..].IndexOf((byte)'\n');
            var end = idx < 0 ? data.Length : at + idx;
            ReadOnlySpan<byte> line = data[at..end];
            at = end + 1;
            phys++;
            if (!TextLines.Content(ref line, ref first)) continue;
            // Where the line's content begins in the block (after a byte order mark): a duplicate's reject shows it.
            var start = (int)Unsafe.ByteOffset(ref MemoryMarshal.GetReference(data), ref MemoryMarshal.GetReference(line));
            ordinal++;
            var reason = ParseProfileJson(line, st, out var scanned);
            if (scanned) b.ScannedRows++;
            var s = st.Scratch(l);
            string id = "";
            reason ??= ProfileIdRule(s, out id);
            if (reason is not null)
            {
                b.Rejects.Add((phys, reason, _rejects is null ? "" : Encoding.UTF8.GetString(line)));
                continue;
            }
            b.Ids.Add(id);
            b.Rows.Add((phys, start, line.Length));
            for (var i = 0; i < b.Fields.Length; i++) b.Fields[i]?.Add(s, i);
            for (var k = 0; k < b.Identity.Length; k++) b.Identity[k].Add(IdentityValue(s, l.IdentitySlots[k]));
        }
        b.PhysicalLines = phys;
        b.Lines = ordinal;
    }

    /// <summary>
    /// Main thread, in file order: a block's rows join the profiles unless an earlier row had their id (then rejected as the
    /// sequential reader rejects them); every reject goes out in line order.
    /// </summary>
    private void CommitProfileBlock(ProfileBlock b, string file, int physicalBase)
    {
        _report.ProfilesRead += b.Lines;
        _report.ScannedJsonProfiles += b.ScannedRows;
        TickMany(b.Lines, b.EndOffset);
        var parsed = 0;
        void RejectsBefore(int line)
        {
            for (; parsed < b.Rejects.Count && b.Rejects[parsed].Line < line; parsed++)
                Reject(file, physicalBase + b.Rejects[parsed].Line, b.Rejects[parsed].Reason, b.Rejects[parsed].Raw);
        }
        var runStart = 0;
        void AddRun(int end)
        {
            var count = end - runStart;
            if (count <= 0) return;
            for (var i = 0; i < b.Fields.Length; i++) _profileCols[i]?.AddRange(b.Fields[i]!, runStart, count);
            for (var k = 0; k < b.Identity.Length; k++)
                for (var r = runStart; r < end; r++) _profileIdentity[k].Add(b.Identity[k][r]);
            _report.ProfilesKept += count;
        }
        for (var r = 0; r < b.Ids.Count; r++)
        {
            var (line, start, length) = b.Rows[r];
            RejectsBefore(line);
            if (FirstProfileRow(b.Ids[r], file, physicalBase + line) is { } duplicate)
            {
                AddRun(r);
                runStart = r + 1;
                Reject(file, physicalBase + line, duplicate, b.Data.AsSpan(start, length));
                continue;
            }
            _profileIds.Add(b.Ids[r]);
        }
        AddRun(b.Ids.Count);
        RejectsBefore(int.MaxValue);
    }

    private void KeepLoose(long ts)
    {
        _report.EventsKept++;
        if (ts > _maxTs) _maxTs = ts;
        _looseTs.Add(ts);
    }
}
