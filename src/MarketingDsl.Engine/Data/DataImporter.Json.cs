using System.Buffers;
using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Core.Diagnostics.Catalogues;
using MarketingDsl.Core.Semantics;

namespace MarketingDsl.Engine.Data;

internal sealed partial class Importer
{
    private void ProfileJsonLine(ReadOnlySpan<byte> line, string file, int lineNo)
    {
        _report.ProfilesRead++;
        var reason = ParseProfileJson(line, _mainState, out var scanned) ?? CommitProfile(file, lineNo);
        if (scanned) _report.ScannedJsonProfiles++;
        if (reason is not null) Reject(file, lineNo, reason, line);
    }

    /// <summary>
    /// A profile row into the profile layout's scratch: the scanner path as for events (a flat
    /// object with plain values, each converted straight from its bytes), any other row to the
    /// general reader, which gives the reject reason (<paramref name="scanned"/>: the scanner path took it).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private RowReject? ParseProfileJson(ReadOnlySpan<byte> line, ParseState st, out bool scanned)
    {
        scanned = false;
        if (!_options.GeneralJsonReaderOnly)
        {
            var fields = st.Fields.AsSpan();
            if (JsonLineScanner.TryScan(line, fields, out var n) && FillScratch(line, fields[..n], _profileLayout, st, skip: -1))
            {
                scanned = true;
                return null;
            }
        }
        return ParseJsonObject(line, _profileLayout, st);
    }

    private void EventJsonLine(ReadOnlySpan<byte> line, string file, int lineNo)
    {
        _report.EventsRead++;
        var lineOrdinal = ++_eventLine;
        var shaped = _mainState.ShapedRows;
        var reason = ParseEventJson(line, _mainState, out var type);
        _report.ShapedJsonRows += _mainState.ShapedRows - shaped;
        reason ??= CommitEvent(type, type?.Layout ?? _unknownLayout, lineOrdinal);
        if (reason is not null) Reject(file, lineNo, reason, line);
    }

    /// <summary>
    /// Parses an event row into its layout's scratch (type null = unknown type); returns a reject
    /// reason or null. The common row takes the fast path; any other goes to the general reader.
    /// </summary>
    private RowReject? ParseEventJson(ReadOnlySpan<byte> line, ParseState st, out EventTypeState? type)
    {
        if (!_options.GeneralJsonReaderOnly)
        {
            if (TryShapedEventRow(line, st, out type))
            {
                st.ShapedRows++;
                return null;
            }
            if (TryFastEventRow(line, st, out type)) return null;
        }
        RowReject? reason;
        type = null;
        try
        {
            reason = FindType(line, out type);
        }
        catch (JsonException e)
        {
            reason = Malformed(e);
        }
        return reason ?? ParseJsonObject(line, type?.Layout ?? _unknownLayout, st);
    }

    /// <summary>
    /// The fast path (<see cref="JsonLineScanner"/>): true when the row was parsed completely and
    /// without any problem. False leaves nothing decided: the general path parses the row again
    /// and gives the reject reason, if any.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool TryFastEventRow(ReadOnlySpan<byte> line, ParseState st, out EventTypeState? type)
    {
        type = null;
        var fields = st.Fields.AsSpan();
        if (!JsonLineScanner.TryScan(line, fields, out var n)) return false;
        fields = fields[..n];
        var typeAt = -1;
        for (var i = 0; i < fields.Length; i++)
        {
            if (!JsonLineScanner.IsTypeKey(line.Slice(fields[i].KeyStart, fields[i].KeyLength))) continue;
            if (typeAt >= 0) return false;
            typeAt = i;
        }
        if (typeAt >= 0)
        {
            ref readonly var tf = ref fields[typeAt];
            if (tf.Kind == ScannedKind.String)
            {
                var name = line.Slice(tf.ValueStart, tf.ValueLength);
                foreach (var t in _types)
                    if (name.SequenceEqual(t.Utf8Name)) { type = t; break; }
            }
            else if (tf.Kind != ScannedKind.Null) return false;
        }
        var layout = type?.Layout ?? _unknownLayout;
        // The type member was read above; only an unknown type name still needs its UTF-8 checked.
        var skip = typeAt >= 0 && !layout.HasTypeSlot && (type is not null || fields[typeAt].Kind == ScannedKind.Null) ? typeAt : -1;
        if (!FillScratch(line, fields, layout, st, skip)) return false;
        if (type is not null && skip == 0) LearnShape(line, fields, layout, st);
        return true;
    }

    /// <summary>Bytes every shaped row starts with: the type is its first member.</summary>
    private static ReadOnlySpan<byte> TypeFirst => "{\"type\":\""u8;

    /// <summary>
    /// Remembers the member sequence of a row the scanner path parsed (type first, its member read
    /// above and skipped), so that the next rows of its type take <see cref="TryShapedEventRow"/>.
    /// A row with whitespace between its tokens leaves the shape as it was: its members could not
    /// be matched byte for byte.
    /// </summary>
    private static void LearnShape(ReadOnlySpan<byte> line, ReadOnlySpan<ScannedField> fields, RowLayout l, ParseState st)
    {
        if (!line.StartsWith(TypeFirst) || fields[0].ValueStart != TypeFirst.Length) return;
        var members = fields.Length - 1;
        if (st.Shapes.Length <= l.Id) Array.Resize(ref st.Shapes, l.Id + 1);
        var old = st.Shapes[l.Id];
        if (old is not null && old.Slots.Length == members)
        {
            var same = true;
            for (var m = 0; m < members && same; m++)
                same = old.Slots[m] == st.FieldSlots[m + 1] && MemberBytes(line, fields, m + 1).SequenceEqual(old.Prefixes[m]);
            if (same) return;   // the row left the shaped path for one of its values, not for its shape
        }
        var prefixes = new byte[members][];
        var slots = new int[members];
        for (var m = 0; m < members; m++)
        {
            var prefix = MemberBytes(line, fields, m + 1);
            // Whitespace between the tokens: not a shape to predict.
            if (prefix.Length != fields[m + 1].KeyLength + 4) return;
            prefixes[m] = prefix.ToArray();
            slots[m] = st.FieldSlots[m + 1];
        }
        st.Shapes[l.Id] = new RowShape(prefixes, slots);
    }

    /// <summary>The bytes from the end of member i - 1's value to the start of member i's value: <c>,"name":</c> in a compact row.</summary>
    private static ReadOnlySpan<byte> MemberBytes(ReadOnlySpan<byte> line, ReadOnlySpan<ScannedField> fields, int i)
    {
        ref readonly var before = ref fields[i - 1];
        // A string value's range excludes its quotes.
        var from = before.ValueStart + before.ValueLength + (before.Kind == ScannedKind.String ? 1 : 0);
        var to = fields[i].ValueStart - (fields[i].Kind == ScannedKind.String ? 1 : 0);
        return line[from..to];
    }

    /// <summary>
    /// The shaped path: a row of a known type whose members are exactly those of the last row of
    /// its type (<see cref="RowShape"/>), in the same order and written alike, is parsed by
    /// checking each member's bytes and converting its value straight into its slot; no member
    /// tokens, no name lookups. It accepts a subset of what <see cref="TryFastEventRow"/> accepts,
    /// with the same values (the same scanners and <see cref="FillSlot"/>); false on any surprise
    /// leaves the row to that path, which may learn the row's shape.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool TryShapedEventRow(ReadOnlySpan<byte> line, ParseState st, out EventTypeState? type)
    {
        type = null;
        if (!line.StartsWith(TypeFirst)) return false;
        // Type names are identifiers (no backslash, no quote): the name's bytes and a quote are
        // the whole string value, unescaped. Runs of one type are common (a session's views):
        // the last row's type first.
        var t = st.LastShapedType is { } last && BytesAt(line, TypeFirst.Length, last.Utf8NameQuoted) ? last : null;
        if (t is null)
        {
            foreach (var candidate in _types)
                if (BytesAt(line, TypeFirst.Length, candidate.Utf8NameQuoted)) { t = candidate; break; }
            if (t is null) return false;
            st.LastShapedType = t;
        }
        var l = t.Layout;
        if (l.Id >= st.Shapes.Length || st.Shapes[l.Id] is not { } shape) return false;
        var s = st.Scratch(l);
        var pools = st.Pools(l);
        s.Reset();
        var prefixes = shape.Prefixes;
        var slots = shape.Slots;
        var i = TypeFirst.Length + t.Utf8NameQuoted.Length;
        for (var m = 0; m < slots.Length; m++)
        {
            var prefix = prefixes[m];
            if (!BytesAt(line, i, prefix)) return false;
            i += prefix.Length;
            if (i >= line.Length) return false;
            ScannedField f = default;
            int start = i, end;
            var c = line[i];
            if (c == '"')
            {
                end = JsonLineScanner.ScanString(line, i + 1, out f.NonAscii);
                if (end < 0) return false;
                f.Kind = ScannedKind.String;
                start = i + 1;
                i = end + 1;
            }
            else if (c == '-' || (uint)(c - '0') <= 9)
            {
                end = i = JsonLineScanner.ScanNumber(line, i, out f.Fraction, out f.Exponent);
                if (end < 0) return false;
                f.Kind = ScannedKind.Number;
            }
            else if (line[i..].StartsWith("true"u8)) { f.Kind = ScannedKind.True; end = i += 4; }
            else if (line[i..].StartsWith("false"u8)) { f.Kind = ScannedKind.False; end = i += 5; }
            else if (line[i..].StartsWith("null"u8)) { f.Kind = ScannedKind.Null; end = i += 4; }
            else return false;
            var slot = slots[m];
            var value = line[start..end];
            if (slot < 0)
            {
                // Not a field: as in FillScratch, its text is only checked.
                if (f.NonAscii && !Utf8.IsValid(value)) return false;
            }
            else if (f.Kind == ScannedKind.Null) s.State[slot] = RowScratch.Null;
            else
            {
                if (!FillSlot(value, in f, l, slot, s, pools, st)) return false;
                s.State[slot] = RowScratch.Value;
            }
        }
        // The object ends the line (trailing whitespace goes to the scanner path).
        if (i != line.Length - 1 || line[i] != '}') return false;
        type = t;
        return true;
    }

    /// <summary>
    /// True when the line holds these bytes at i. Member prefixes and type names (with their
    /// closing quote) are mostly 4 to 16 bytes long: two overlapping loads of 4 or 8 bytes compare
    /// them, instead of a call per member.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool BytesAt(ReadOnlySpan<byte> line, int i, byte[] bytes)
    {
        var n = bytes.Length;
        if ((uint)i > (uint)line.Length || n > line.Length - i) return false;
        ref var at = ref Unsafe.Add(ref MemoryMarshal.GetReference(line), i);
        ref var b = ref MemoryMarshal.GetArrayDataReference(bytes);
        if (n is >= 8 and <= 16)
            return Unsafe.ReadUnaligned<ulong>(ref at) == Unsafe.ReadUnaligned<ulong>(ref b)
                && Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref at, n - 8)) == Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref b, n - 8));
        if (n is >= 4 and < 8)
            return Unsafe.ReadUnaligned<uint>(ref at) == Unsafe.ReadUnaligned<uint>(ref b)
                && Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref at, n - 4)) == Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref b, n - 4));
        return line.Slice(i, n).SequenceEqual(bytes);
    }

    /// <summary>Converts scanned members into the layout's scratch; false on anything the general path must judge.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool FillScratch(ReadOnlySpan<byte> line, ReadOnlySpan<ScannedField> fields, RowLayout l, ParseState st, int skip)
    {
        var s = st.Scratch(l);
        var pools = st.Pools(l);
        s.Reset();
        var names = l.Utf8Names;
        var expected = 0;
        var fieldSlots = st.FieldSlots;
        for (var i = 0; i < fields.Length; i++)
        {
            fieldSlots[i] = -2;
            if (i == skip) continue;
            ref readonly var f = ref fields[i];
            var key = line.Slice(f.KeyStart, f.KeyLength);
            var value = line.Slice(f.ValueStart, f.ValueLength);
            var slot = -1;
            // Rows usually list the fields in schema order: try the next slot first.
            if (expected < names.Length && key.Length == names[expected].Length && key.SequenceEqual(names[expected])) slot = expected;
            else
                for (var k = 0; k < names.Length; k++)
                    if (key.Length == names[k].Length && key.SequenceEqual(names[k])) { slot = k; break; }
            fieldSlots[i] = slot;
            if (slot < 0)
            {
                // Not a field (e.g. type). The general reader skips it unread; checking its text
                // here only sends a doubtful row to that reader.
                if (f.NonAscii && !Utf8.IsValid(value)) return false;
                continue;
            }
            expected = slot + 1;
            if (s.State[slot] != RowScratch.Missing) return false;   // a duplicate key: left to the general reader
            if (f.Kind == ScannedKind.Null)
            {
                s.State[slot] = RowScratch.Null;
                continue;
            }
            if (!FillSlot(value, in f, l, slot, s, pools, st)) return false;
            s.State[slot] = RowScratch.Value;
        }
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool FillSlot(ReadOnlySpan<byte> value, in ScannedField f, RowLayout l, int slot, RowScratch s, StringPool?[] pools, ParseState st)
    {
        var kind = f.Kind;
        if (slot == l.UserSlot && !l.IsProfile)
        {
            if (kind != ScannedKind.String) return false;
            // Rows of one user come together: the characters of the last user id are still there.
            if (s.Utf8UserLength == value.Length && value.SequenceEqual(s.Utf8User.AsSpan(0, value.Length)))
            {
                s.UserLength = s.Utf8UserChars;
                return true;
            }
            s.Utf8UserLength = -1;
            if (s.UserChars.Length < value.Length) s.UserChars = new char[Math.Max(value.Length, s.UserChars.Length * 2)];
            int written;
            if (f.NonAscii)
            {
                if (Utf8.ToUtf16(value, s.UserChars, out _, out written, replaceInvalidSequences: false) != OperationStatus.Done) return false;
                s.UserCharsPending = false;
            }
            else
            {
                written = value.Length;
                s.UserCharsPending = true;   // widened when asked for (RowScratch.User)
            }
            s.UserLength = written;
            if (s.Utf8User.Length < value.Length) s.Utf8User = new byte[Math.Max(value.Length, s.Utf8User.Length * 2)];
            value.CopyTo(s.Utf8User);
            s.Utf8UserLength = value.Length;
            s.Utf8UserChars = written;
            s.Utf8UserKey = RecentUsers.KeyOf(s.Utf8User, value.Length);
            st.Recent.Prefetch(s.Utf8UserSet = st.Recent.SetOf(s.Utf8UserKey));
            return true;
        }
        if (l.IsIdentityOnly[slot])
        {
            if (kind == ScannedKind.Number) { s.S[slot] = Encoding.UTF8.GetString(value); return true; }
            if (kind != ScannedKind.String || !TryChars(value, st, out var id)) return false;
            s.S[slot] = id.ToString();
            return true;
        }
        switch (l.Types[slot].Kind)
        {
            case TypeKind.String:
                if (kind != ScannedKind.String) return false;
                // Unread: only what decides a reject (its JSON type, valid UTF-8), no string made.
                if (l.Unread[slot]) return !f.NonAscii || Utf8.IsValid(value);
                if (pools[slot] is { } pool) return (s.S[slot] = pool.GetUtf8(value, f.NonAscii)) is not null;
                if (!TryChars(value, st, out var chars)) return false;
                s.S[slot] = chars.ToString();
                return true;
            case TypeKind.Int:
                // Utf8JsonReader.TryGetInt64 and TryGetDecimal use these same parsers; a fraction or an exponent goes to the general reader.
                return kind == ScannedKind.Number && !f.Fraction && !f.Exponent
                    && Utf8Parser.TryParse(value, out s.L[slot], out var used) && used == value.Length;
            case TypeKind.Decimal:
                return kind == ScannedKind.Number && !f.Exponent
                    && Utf8Parser.TryParse(value, out s.D[slot], out var usedD) && usedD == value.Length;
            case TypeKind.Bool:
                if (kind == ScannedKind.True) s.L[slot] = 1;
                else if (kind == ScannedKind.False) s.L[slot] = 0;
                else return false;
                return true;
            case TypeKind.Date:
            {
                if (kind != ScannedKind.String || !ValueParsers.TryParseDate(value, out var day)) return false;
                s.L[slot] = day;
                return true;
            }
            case TypeKind.DateTime:
                return kind == ScannedKind.String && ValueParsers.TryParseTimestamp(value, out s.L[slot]);
            case TypeKind.Duration:
            {
                if (kind != ScannedKind.Number || f.Exponent || !Utf8Parser.TryParse(value, out decimal secs, out var usedS)
                    || usedS != value.Length || Math.Abs(secs) >= 900_000_000_000m) return false;
                s.L[slot] = (long)decimal.Truncate(secs * TimeSpan.TicksPerSecond);
                return true;
            }
            default:
                return false;
        }
    }

    private static bool TryChars(ReadOnlySpan<byte> value, ParseState st, out ReadOnlySpan<char> chars)
    {
        if (st.Chars.Length < value.Length) st.Chars = new char[Math.Max(value.Length, st.Chars.Length * 2)];
        if (Utf8.ToUtf16(value, st.Chars, out _, out var written, replaceInvalidSequences: false) != OperationStatus.Done)
        {
            chars = default;
            return false;
        }
        chars = st.Chars.AsSpan(0, written);
        return true;
    }

    private static RowReject Malformed(JsonException e) => RowRejects.MalformedJson(e.Message.Split(" Path:")[0].Split(" LineNumber:")[0]);

    /// <summary>Finds the top-level <c>type</c> (null when missing or JSON null = unknown type).</summary>
    private RowReject? FindType(ReadOnlySpan<byte> line, out EventTypeState? type)
    {
        type = null;
        var r = new Utf8JsonReader(line);
        if (!r.Read() || r.TokenType != JsonTokenType.StartObject) return RowRejects.NotAnObject();
        var found = false;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (!r.ValueTextEquals("type"u8))
            {
                r.Skip();
                continue;
            }
            if (found) return RowRejects.PropertyTwice("type", "");
            found = true;
            r.Read();
            if (r.TokenType == JsonTokenType.Null) continue;
            if (r.TokenType != JsonTokenType.String) return RowRejects.TypeNotString(TokenName(r.TokenType));
            foreach (var t in _types)
                if (r.ValueTextEquals(t.Utf8Name)) { type = t; break; }
        }
        return null;
    }

    /// <summary>Parses one JSON object into the layout's scratch; returns a reject reason or null.</summary>
    private static RowReject? ParseJsonObject(ReadOnlySpan<byte> line, RowLayout l, ParseState st)
    {
        var s = st.Scratch(l);
        var pools = st.Pools(l);
        s.Reset();
        try
        {
            var r = new Utf8JsonReader(line);
            if (!r.Read() || r.TokenType != JsonTokenType.StartObject) return RowRejects.NotAnObject();
            RowReject? reason = null;
            while (true)
            {
                r.Read();
                if (r.TokenType == JsonTokenType.EndObject) break;
                var slot = -1;
                var names = l.Utf8Names;
                for (var i = 0; i < names.Length; i++)
                    if (r.ValueTextEquals(names[i])) { slot = i; break; }
                if (slot < 0)
                {
                    r.Skip();
                    continue;
                }
                // Last-wins would let a row change its user or values silently (JsonRowText, the live rule).
                if (s.State[slot] != RowScratch.Missing) return RowRejects.PropertyTwice(l.Names[slot], "");
                r.Read();
                if (reason is null && !ReadJsonValue(ref r, l, slot, s, pools, st, out reason)) { }
                if (r.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray) r.Skip();
            }
            if (r.Read()) return RowRejects.TrailingContent();
            return reason;
        }
        catch (JsonException e)
        {
            return Malformed(e);
        }
        catch (InvalidOperationException)
        {
            // Reading a string that is not valid Unicode (an invalid UTF-8 byte, a lone surrogate escape): the reader parses it
            // and throws only when the text is decoded.
            return RowRejects.NotUnicode(null, propertyName: false);
        }
    }

    private static string TokenName(JsonTokenType t) => JsonRowText.KindName(t);

    private static ReadOnlySpan<char> CopyChars(ref Utf8JsonReader r, ParseState st)
    {
        var max = r.ValueSpan.Length;
        if (st.Chars.Length < max) st.Chars = new char[Math.Max(max, st.Chars.Length * 2)];
        var n = r.CopyString(st.Chars);
        return st.Chars.AsSpan(0, n);
    }

    private static bool ReadJsonValue(ref Utf8JsonReader r, RowLayout l, int slot, RowScratch s, StringPool?[] pools, ParseState st,
        out RowReject? reason)
    {
        reason = null;
        var tok = r.TokenType;
        if (tok == JsonTokenType.Null)
        {
            s.State[slot] = RowScratch.Null;
            return true;
        }
        var t = l.Types[slot];
        var ok = true;
        if (slot == l.UserSlot && !l.IsProfile)
        {
            if (tok != JsonTokenType.String) ok = false;
            else s.SetUser(CopyChars(ref r, st));
        }
        else if (l.IsIdentityOnly[slot])
        {
            if (tok == JsonTokenType.String) s.S[slot] = r.GetString();
            else if (tok == JsonTokenType.Number) s.S[slot] = Encoding.UTF8.GetString(r.ValueSpan);
            else ok = false;
        }
        else
        {
            switch (t.Kind)
            {
                case TypeKind.String:
                    if (tok != JsonTokenType.String) { ok = false; break; }
                    var chars = CopyChars(ref r, st);   // decoding is what rejects invalid text, read or not
                    s.S[slot] = l.Unread[slot] ? null : pools[slot] is { } pool ? pool.Get(chars) : chars.ToString();
                    break;
                case TypeKind.Int:
                    if (tok != JsonTokenType.Number) { ok = false; break; }
                    if (!r.TryGetInt64(out s.L[slot]))
                    {
                        if (r.TryGetDecimal(out var d) && d == decimal.Truncate(d) && d >= long.MinValue && d <= long.MaxValue) s.L[slot] = (long)d;
                        else { reason = RowRejects.InvalidValue(l.Names[slot], Encoding.UTF8.GetString(r.ValueSpan), "int"); return false; }
                    }
                    break;
                case TypeKind.Decimal:
                    if (tok != JsonTokenType.Number) { ok = false; break; }
                    if (!r.TryGetDecimal(out s.D[slot])) { reason = RowRejects.InvalidValue(l.Names[slot], Encoding.UTF8.GetString(r.ValueSpan),
                        "decimal"); return false; }
                    break;
                case TypeKind.Bool:
                    if (tok == JsonTokenType.True) s.L[slot] = 1;
                    else if (tok == JsonTokenType.False) s.L[slot] = 0;
                    else ok = false;
                    break;
                case TypeKind.Date:
                case TypeKind.DateTime:
                {
                    if (tok != JsonTokenType.String) { ok = false; break; }
                    bool parsed;
                    if (t.Kind == TypeKind.Date)
                    {
                        parsed = r.ValueIsEscaped ? ValueParsers.TryParseDate(CopyChars(ref r, st), out var day)
                            : ValueParsers.TryParseDate(r.ValueSpan, out day);
                        s.L[slot] = day;
                    }
                    else
                        parsed = r.ValueIsEscaped ? ValueParsers.TryParseTimestamp(CopyChars(ref r, st), out s.L[slot])
                            : ValueParsers.TryParseTimestamp(r.ValueSpan, out s.L[slot]);
                    if (!parsed)
                    {
                        var text = Clip(r.GetString() ?? "");
                        reason = slot == l.TsSlot ? RowRejects.InvalidTimestamp($"'{text}'")
                            : RowRejects.InvalidValue(l.Names[slot], $"'{text}'", t.NonNullable.DisplayName);
                        return false;
                    }
                    break;
                }
                case TypeKind.List:
                {
                    if (tok != JsonTokenType.StartArray) { ok = false; break; }
                    // Arrays never take the scanner paths: the general reader hands the whole array to the list rules.
                    var array = JsonElement.ParseValue(ref r);
                    if (!ListValues.TryFromJson(array, l.Names[slot], t.Element!, out var list, out reason)) return false;
                    s.SetList(slot, list);
                    break;
                }
                case TypeKind.Duration:
                    if (tok == JsonTokenType.Number && r.TryGetDecimal(out var secs) && Math.Abs(secs) < 900_000_000_000m)
                        s.L[slot] = (long)decimal.Truncate(secs * TimeSpan.TicksPerSecond);
                    else if (tok == JsonTokenType.String && ValueParsers.TryParseDuration(CopyChars(ref r, st), out s.L[slot])) { }
                    else if (tok is not (JsonTokenType.Number or JsonTokenType.String)) ok = false;
                    else
                    {
                        var written = tok == JsonTokenType.String ? $"'{Clip(r.GetString() ?? "")}'" : Encoding.UTF8.GetString(r.ValueSpan);
                        reason = RowRejects.InvalidValue(l.Names[slot], written, "duration");
                        return false;
                    }
                    break;
                default:
                    ok = false;
                    break;
            }
        }
        if (!ok)
        {
            var name = l.Names[slot];
            var expected = slot == l.UserSlot || l.IsIdentityOnly[slot] ? "string" : t.NonNullable.DisplayName;
            reason = RowRejects.WrongType(name, expected, TokenName(tok));
            return false;
        }
        s.State[slot] = RowScratch.Value;
        return true;
    }
}
