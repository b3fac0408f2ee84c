using System.Text;
using System.Text.Json;
using MarketingDsl.Core.Semantics;

namespace MarketingDsl.Engine.Data;

internal sealed partial class Importer
{
    private void ProfileJsonLine(ReadOnlySpan<byte> line, string file, int lineNo)
    {
        _report.ProfilesRead++;
        var reason = ParseJsonObject(line, _profileLayout, _mainState) ?? CommitProfile(file, lineNo);
        if (reason is not null) Reject(file, lineNo, reason, line);
    }

    private void EventJsonLine(ReadOnlySpan<byte> line, string file, int lineNo)
    {
        _report.EventsRead++;
        var lineOrdinal = ++_eventLine;
        string? reason;
        EventTypeState? type = null;
        try
        {
            reason = FindType(line, out type);
        }
        catch (JsonException e)
        {
            reason = Malformed(e);
        }
        if (reason is null)
        {
            var layout = type?.Layout ?? _unknownLayout;
            reason = ParseJsonObject(line, layout, _mainState) ?? CommitEvent(type, layout, lineOrdinal);
        }
        if (reason is not null) Reject(file, lineNo, reason, line);
    }

    private static string Malformed(JsonException e) => $"malformed JSON: {e.Message.Split(" Path:")[0].Split(" LineNumber:")[0]}";

    /// <summary>Finds the top-level <c>type</c> (null when missing or JSON null = unknown type).</summary>
    private string? FindType(ReadOnlySpan<byte> line, out EventTypeState? type)
    {
        type = null;
        var r = new Utf8JsonReader(line);
        if (!r.Read() || r.TokenType != JsonTokenType.StartObject) return "not a JSON object";
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (!r.ValueTextEquals("type"u8))
            {
                r.Skip();
                continue;
            }
            r.Read();
            if (r.TokenType == JsonTokenType.Null) return null;
            if (r.TokenType != JsonTokenType.String) return $"type must be a string, got {TokenName(r.TokenType)}";
            foreach (var t in _types)
                if (r.ValueTextEquals(t.Utf8Name)) { type = t; return null; }
            return null;
        }
        return null;
    }

    /// <summary>Parses one JSON object into the layout's scratch; returns a reject reason or null.</summary>
    private static string? ParseJsonObject(ReadOnlySpan<byte> line, RowLayout l, ParseState st)
    {
        var s = st.Scratch(l);
        var pools = st.Pools(l);
        s.Reset();
        try
        {
            var r = new Utf8JsonReader(line);
            if (!r.Read() || r.TokenType != JsonTokenType.StartObject) return "not a JSON object";
            string? reason = null;
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
                r.Read();
                if (reason is null && !ReadJsonValue(ref r, l, slot, s, pools, st, out reason)) { }
                if (r.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray) r.Skip();
            }
            if (r.Read()) return "trailing content after the JSON object";
            return reason;
        }
        catch (JsonException e)
        {
            return Malformed(e);
        }
        catch (InvalidOperationException e)
        {
            return $"malformed JSON: {e.Message}";
        }
    }

    private static string TokenName(JsonTokenType t) => t switch
    {
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.Null => "null",
        _ => t.ToString(),
    };

    private static ReadOnlySpan<char> CopyChars(ref Utf8JsonReader r, ParseState st)
    {
        var max = r.ValueSpan.Length;
        if (st.Chars.Length < max) st.Chars = new char[Math.Max(max, st.Chars.Length * 2)];
        var n = r.CopyString(st.Chars);
        return st.Chars.AsSpan(0, n);
    }

    private static bool ReadJsonValue(ref Utf8JsonReader r, RowLayout l, int slot, RowScratch s, StringPool?[] pools, ParseState st, out string? reason)
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
        if (slot == l.UserSlot && l.Tag is not ProfileTag)
        {
            if (tok != JsonTokenType.String) ok = false;
            else s.SetUser(CopyChars(ref r, st));
        }
        else if (l.IsIdentityOnly.Contains(slot))
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
                    var chars = CopyChars(ref r, st);
                    s.S[slot] = pools[slot] is { } pool ? pool.Get(chars) : chars.ToString();
                    break;
                case TypeKind.Int:
                    if (tok != JsonTokenType.Number) { ok = false; break; }
                    if (!r.TryGetInt64(out s.L[slot]))
                    {
                        if (r.TryGetDecimal(out var d) && d == decimal.Truncate(d) && d >= long.MinValue && d <= long.MaxValue) s.L[slot] = (long)d;
                        else { reason = $"field '{l.Names[slot]}': {Encoding.UTF8.GetString(r.ValueSpan)} is not an integer"; return false; }
                    }
                    break;
                case TypeKind.Decimal:
                    if (tok != JsonTokenType.Number) { ok = false; break; }
                    if (!r.TryGetDecimal(out s.D[slot])) { reason = $"field '{l.Names[slot]}': {Encoding.UTF8.GetString(r.ValueSpan)} is out of decimal range"; return false; }
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
                        parsed = r.ValueIsEscaped ? ValueParsers.TryParseDate(CopyChars(ref r, st), out var day) : ValueParsers.TryParseDate(r.ValueSpan, out day);
                        s.L[slot] = day;
                    }
                    else
                        parsed = r.ValueIsEscaped ? ValueParsers.TryParseTimestamp(CopyChars(ref r, st), out s.L[slot]) : ValueParsers.TryParseTimestamp(r.ValueSpan, out s.L[slot]);
                    if (!parsed)
                    {
                        var text = Clip(r.GetString() ?? "");
                        reason = slot == l.TsSlot ? $"invalid ts '{text}'" : $"field '{l.Names[slot]}': '{text}' is not a valid {t.NonNullable.DisplayName}";
                        return false;
                    }
                    break;
                }
                case TypeKind.Duration:
                    if (tok == JsonTokenType.Number && r.TryGetDecimal(out var secs) && Math.Abs(secs) < 900_000_000_000m)
                        s.L[slot] = (long)decimal.Truncate(secs * TimeSpan.TicksPerSecond);
                    else if (tok == JsonTokenType.String && ValueParsers.TryParseDuration(CopyChars(ref r, st), out s.L[slot])) { }
                    else { reason = $"field '{l.Names[slot]}': not a valid duration"; return false; }
                    break;
                default:
                    ok = false;
                    break;
            }
        }
        if (!ok)
        {
            var name = l.Names[slot];
            var expected = slot == l.UserSlot || l.IsIdentityOnly.Contains(slot) ? "string" : t.NonNullable.DisplayName;
            reason = $"field '{name}': expected {expected}, got {TokenName(tok)}";
            return false;
        }
        s.State[slot] = RowScratch.Value;
        return true;
    }
}
