using System.Globalization;
using System.Text.Json;
using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Core.Diagnostics.Catalogues;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;

namespace MarketingDsl.Runtime;

/// <summary>
/// One valid incoming event: its type, user, instant, idempotency id (null: none), the row for
/// <see cref="InMemoryData.Build"/>, and its identity values (aligned with
/// <see cref="SchemaModel.IdentityKeys"/>; null: absent, null or empty).
/// </summary>
public sealed record ParsedEvent(EventTypeSymbol Type, string User, long Ts, string? Id, object?[] Values, string?[] Identities);

/// <summary>
/// Checks incoming JSON objects against the workspace schema and turns them into boxed rows
/// (the representation <see cref="InMemoryData.Build"/> takes). Every problem is a <see cref="RowReject"/> of the row
/// rules the import shares (<see cref="RowRejects"/>: one code per problem on both sides) for the caller's per-item
/// result; nothing throws on bad input. Rows are read from
/// their UTF-8 bytes (<see cref="Utf8JsonRow"/>: no document tree); a JsonElement or a stored
/// string is read through the same bytes, so there is one reading of a row.
/// </summary>
public sealed class Validation(SchemaModel schema)
{
    /// <summary>The property that names the event type, and the optional id used when the type has no `unique` field.</summary>
    public const string TypeProperty = "type";
    public const string IdProperty = "id";
    /// <summary>The id of an event whose `unique` field is null: a null id is one id, as in the batch import (the first such event wins).</summary>
    public const string NullUniqueId = "\u0000null";

    public SchemaModel Schema { get; } = schema;

    private static readonly byte[] TypeUtf8 = "type"u8.ToArray(), UserUtf8 = "user_id"u8.ToArray(), TsUtf8 = "ts"u8.ToArray(),
        IdUtf8 = "id"u8.ToArray();

    /// <summary>Names as UTF-8, made once per name: rows are matched against them byte by byte.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte[]> _utf8Names = new(StringComparer.Ordinal);

    private byte[] Utf8Name(string name) => _utf8Names.GetOrAdd(name, n => System.Text.Encoding.UTF8.GetBytes(n));

    private int Find(in Utf8JsonRow row, string name) => row.Find(name, Utf8Name(name));

    /// <summary>Per event type, the names an event of it may have besides type, user_id, ts and id: its fields and the identity keys.</summary>
    private readonly Dictionary<EventTypeSymbol, (string Name, byte[] Utf8)[]> _fieldNames = schema.Events.ToDictionary(t => t,
        t => WithIdentityKeys(t.Fields.Select(f => f.Name), schema));

    /// <summary>The names a profile may have: its fields and the identity keys.</summary>
    private readonly (string Name, byte[] Utf8)[] _profileNames = WithIdentityKeys(schema.ProfileFields.Select(f => f.Name), schema);

    /// <summary><paramref name="names"/> and the identity keys, once each, with their UTF-8 bytes (rows' names are matched by bytes).</summary>
    private static (string Name, byte[] Utf8)[] WithIdentityKeys(IEnumerable<string> names, SchemaModel schema) =>
        [.. names.Concat(schema.IdentityKeys).Distinct(StringComparer.Ordinal).Select(n => (n, System.Text.Encoding.UTF8.GetBytes(n)))];

    private readonly Dictionary<string, EventTypeSymbol>.AlternateLookup<ReadOnlySpan<char>> _eventsByName =
        schema.Events.ToDictionary(t => t.Name, StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The event type a short unescaped `type` string names, read without making a string; null: look it up by its text.</summary>
    private EventTypeSymbol? KnownEventType(in Utf8JsonRow e, int at)
    {
        if (!e.TryUnescapedUtf8(at, out var utf8) || utf8.Length > 128) return null;
        Span<char> name = stackalloc char[128];
        return System.Text.Encoding.UTF8.TryGetChars(utf8, name, out var length) && _eventsByName.TryGetValue(name[..length], out var type)
            ? type : null;
    }

    public ParsedEvent? ParseEvent(JsonElement e, out RowReject? reason) =>
        ParseEvent(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(e), out reason);

    /// <summary>A stored event's JSON (the store keeps the text the event came with).</summary>
    public ParsedEvent? ParseEvent(string json, out RowReject? reason)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(System.Text.Encoding.UTF8.GetMaxByteCount(json.Length));
        try { return ParseEvent(buffer.AsSpan(0, System.Text.Encoding.UTF8.GetBytes(json, buffer)), out reason); }
        finally { System.Buffers.ArrayPool<byte>.Shared.Return(buffer); }
    }

    public ParsedEvent? ParseEvent(ReadOnlySpan<byte> utf8, out RowReject? reason)
    {
        reason = null;
        var e = new Utf8JsonRow(utf8);
        if (e.Root != JsonTokenType.StartObject) { reason = RowRejects.NotAnObject(); return null; }
        if (e.TextProblem() is { } text) { reason = text; return null; }
        var typeAt = e.Find(TypeProperty, TypeUtf8);
        if (typeAt < 0 || e.Kind(typeAt) == JsonTokenType.Null) { reason = RowRejects.MissingType(); return null; }
        if (e.Kind(typeAt) != JsonTokenType.String) { reason = RowRejects.TypeNotString(JsonRowText.KindName(e.Kind(typeAt))); return null; }
        var type = KnownEventType(e, typeAt);
        if (type is null)
        {
            var typeName = e.String(typeAt);
            type = Schema.FindEvent(typeName);
            if (type is null) { reason = RowRejects.UnknownEventType(typeName); return null; }
        }
        var values = new object?[type.Fields.Length];
        var userAt = e.Find("user_id", UserUtf8);
        if (userAt < 0 || e.Kind(userAt) == JsonTokenType.Null || e.Kind(userAt) == JsonTokenType.String && e.Raw(userAt).Length == 2)
        { reason = RowRejects.MissingRequired("user_id"); return null; }
        if (e.Kind(userAt) != JsonTokenType.String)
        { reason = RowRejects.WrongType("user_id", "string", JsonRowText.KindName(e.Kind(userAt))); return null; }
        var userId = e.String(userAt);
        if (userId.Length == 0) { reason = RowRejects.MissingRequired("user_id"); return null; }
        var tsAt = e.Find("ts", TsUtf8);
        if (tsAt < 0 || e.Kind(tsAt) == JsonTokenType.Null) { reason = RowRejects.MissingRequired("ts"); return null; }
        if (e.Kind(tsAt) != JsonTokenType.String)
        { reason = RowRejects.WrongType("ts", "datetime", JsonRowText.KindName(e.Kind(tsAt))); return null; }
        if (!TryTimestamp(e, tsAt, out var ts)) { reason = RowRejects.InvalidTimestamp($"'{e.String(tsAt)}'"); return null; }
        ts = ValueParsers.TruncateToMicroseconds(ts);
        values[0] = userId;
        values[1] = new DateTime(ts, DateTimeKind.Utc);
        var hasIdField = type.Find(IdProperty) is not null;
        var fieldNames = _fieldNames[type];
        for (var p = 0; p < e.Count; p++)
        {
            // A field of the type or an identity key, found by its bytes (most rows): nothing to check, no name to make.
            if (e.HasName(p, fieldNames)) continue;
            var name = e.NameOf(p);
            if (name is TypeProperty or "user_id" or "ts" || (name == IdProperty && !hasIdField)) continue;
            if (Schema.IdentityKeys.Contains(name)) continue;
            if (type.Find(name) is null) { reason = RowRejects.UnknownField(name, type.Name); return null; }
        }
        for (var i = 2; i < type.Fields.Length; i++)
        {
            var field = type.Fields[i];
            if (!Box(e, Find(e, field.Name), field, out values[i], out reason)) return null;
        }
        if (IdentityValues(e, out reason) is not { } identities) return null;
        string? id = null;
        if (type.UniqueField is { } unique)
            id = values[type.OrdinalOf(unique.Name)] is { } v ? Convert.ToString(v, CultureInfo.InvariantCulture) : NullUniqueId;
        else if (e.Find(IdProperty, IdUtf8) is >= 0 and var idAt)
        {
            if (e.Kind(idAt) is JsonTokenType.String) id = e.String(idAt);
            else if (e.Kind(idAt) is JsonTokenType.Number) id = e.RawText(idAt);
            else if (e.Kind(idAt) is not JsonTokenType.Null)
            { reason = RowRejects.WrongType(IdProperty, "string or number", JsonRowText.KindName(e.Kind(idAt))); return null; }
        }
        return new ParsedEvent(type, userId, ts, id, values, identities);
    }

    /// <summary>A profile row aligned with <see cref="SchemaModel.ProfileFields"/>, and its key.</summary>
    public object?[]? ParseProfile(JsonElement e, out string? key, out RowReject? reason) =>
        ParseProfile(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(e), out key, out reason);

    /// <summary>A stored profile's JSON.</summary>
    public object?[]? ParseProfile(string json, out string? key, out RowReject? reason)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(System.Text.Encoding.UTF8.GetMaxByteCount(json.Length));
        try { return ParseProfile(buffer.AsSpan(0, System.Text.Encoding.UTF8.GetBytes(json, buffer)), out key, out reason); }
        finally { System.Buffers.ArrayPool<byte>.Shared.Return(buffer); }
    }

    /// <summary>A profile row and its key, and its identity values (aligned with <see cref="SchemaModel.IdentityKeys"/>).</summary>
    public object?[]? ParseProfile(ReadOnlySpan<byte> utf8, out string? key, out RowReject? reason) =>
        ParseProfile(utf8, out key, out reason, out _);

    public object?[]? ParseProfile(ReadOnlySpan<byte> utf8, out string? key, out RowReject? reason, out string?[]? identities)
    {
        key = null;
        reason = null;
        identities = null;
        var e = new Utf8JsonRow(utf8);
        if (e.Root != JsonTokenType.StartObject) { reason = RowRejects.NotAnObject(); return null; }
        if (e.TextProblem() is { } text) { reason = text; return null; }
        for (var p = 0; p < e.Count; p++)
        {
            // Known by its bytes (every property of a valid row): no name made, as for events.
            if (e.HasName(p, _profileNames)) continue;
            var name = e.NameOf(p);
            if (Schema.FindProfileField(name) is null && !Schema.IdentityKeys.Contains(name))
            { reason = RowRejects.UnknownField(name, null); return null; }
        }
        var keyAt = Find(e, Schema.KeyField);
        if (keyAt >= 0 && e.Kind(keyAt) is not (JsonTokenType.String or JsonTokenType.Null))
        { reason = RowRejects.WrongType(Schema.KeyField, "string", JsonRowText.KindName(e.Kind(keyAt))); return null; }
        // Empty without making a string (a fan-out parses thousands of profiles): an escaped value is never empty.
        if (keyAt < 0 || e.Kind(keyAt) != JsonTokenType.String || e.TryUnescapedUtf8(keyAt, out var keyUtf8) && keyUtf8.IsEmpty)
        { reason = RowRejects.MissingRequired(Schema.KeyField); return null; }
        var values = new object?[Schema.ProfileFields.Length];
        for (var i = 0; i < values.Length; i++)
        {
            var field = Schema.ProfileFields[i];
            if (!Box(e, Find(e, field.Name), field, out values[i], out reason)) return null;
        }
        var keyOrdinal = Schema.ProfileOrdinalOf(Schema.KeyField);
        if (values[keyOrdinal] is not string { Length: > 0 } k) { reason = RowRejects.MissingRequired(Schema.KeyField); return null; }
        if ((identities = IdentityValues(e, out reason)) is null) return null;
        key = k;
        return values;
    }

    /// <summary>
    /// The row's identity values aligned with <see cref="SchemaModel.IdentityKeys"/>, as the batch
    /// importer reads them: a string (empty = null), null or absent = null, anything else a reject.
    /// </summary>
    public string?[]? IdentityValues(JsonElement e, out RowReject? reason)
    {
        var row = new Utf8JsonRow(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(e));
        return IdentityValues(row, out reason);
    }

    /// <summary>
    /// The row's identity values, aligned with <see cref="SchemaModel.IdentityKeys"/>; read only. A row without any (most events,
    /// and every stored event a fan-out reads back) shares one array of nulls.
    /// </summary>
    private string?[]? IdentityValues(in Utf8JsonRow e, out RowReject? reason)
    {
        reason = null;
        var keys = Schema.IdentityKeys;
        string?[]? values = null;
        for (var k = 0; k < keys.Length; k++)
        {
            var at = Find(e, keys[k]);
            if (at < 0 || e.Kind(at) == JsonTokenType.Null) continue;
            if (e.Kind(at) != JsonTokenType.String)
            { reason = RowRejects.WrongType(keys[k], "string", JsonRowText.KindName(e.Kind(at))); return null; }
            if (e.String(at) is { Length: > 0 } s) (values ??= new string?[keys.Length])[k] = s;
        }
        return values ?? _noIdentities;
    }

    private readonly string?[] _noIdentities = new string?[schema.IdentityKeys.Length];

    /// <summary>An ISO 8601 string value: from its bytes when they are short plain ASCII (what the text parser reads), else from its text.</summary>
    private static bool TryTimestamp(in Utf8JsonRow e, int at, out long ticks)
    {
        if (e.TryUnescapedUtf8(at, out var bytes) && bytes.Length <= 64 && System.Text.Ascii.IsValid(bytes))
            return ValueParsers.TryParseTimestamp(bytes, out ticks);
        return ValueParsers.TryParseTimestamp(e.String(at).AsSpan(), out ticks);
    }

    /// <summary>Values the users of the runtime share (the cache keeps many users' rows; most of their strings repeat).</summary>
    private readonly RecentStrings _strings = new();

    /// <summary>Whether a string value of a row read here is shared with other rows (<see cref="RecentStrings.IsShared"/>).</summary>
    internal Func<string, bool> SharedString => _sharedString ??= _strings.IsShared;
    private Func<string, bool>? _sharedString;

    /// <summary>A string value: an unescaped one through <see cref="_strings"/>.</summary>
    private string StringValue(in Utf8JsonRow e, int at) => e.TryUnescapedUtf8(at, out var utf8) ? _strings.Get(utf8) : e.String(at);

    private bool Box(in Utf8JsonRow e, int at, FieldSymbol field, out object? value, out RowReject? reason)
    {
        value = null;
        reason = null;
        // Missing or null is a null value whatever the schema's `?` says, as in the batch import
        // (LANGUAGE.md §3, §18; Data README "One rule set"): only user_id, ts and the key are required.
        if (at < 0 || e.Kind(at) == JsonTokenType.Null) return true;
        var kind = e.Kind(at);
        if (field.Type.IsList)
        {
            // The batch importer's list rules (ListValues), so a live item and an imported row mean the same.
            using var array = JsonDocument.Parse(e.Raw(at).ToArray());
            if (ListValues.TryFromJson(array.RootElement, field.Name, field.Type.Element!, out var list, out reason)) { value = list; return true; }
            return false;
        }
        var ok = field.Type.Kind switch
        {
            TypeKind.String => kind == JsonTokenType.String && Set(StringValue(e, at), out value),
            TypeKind.Int => kind == JsonTokenType.Number && e.TryGetInt64(at, out var l) && Set(l, out value),
            TypeKind.Decimal => kind == JsonTokenType.Number && e.TryGetDecimal(at, out var d) && Set(d, out value),
            TypeKind.Bool => kind is JsonTokenType.True or JsonTokenType.False && Set(kind == JsonTokenType.True, out value),
            TypeKind.Date => kind == JsonTokenType.String && ValueParsers.TryParseDate(e.String(at).AsSpan(), out var day)
                && Set(DateOnly.FromDayNumber(day), out value),
            TypeKind.DateTime => kind == JsonTokenType.String && TryTimestamp(e, at, out var t)
                && Set(new DateTime(t, DateTimeKind.Utc), out value),
            TypeKind.Duration => kind == JsonTokenType.String && ValueParsers.TryParseDuration(e.String(at).AsSpan(), out var dur)
                && Set(dur, out value),
            _ => false,
        };
        if (!ok)
        {
            // The JSON kind the type is written in (as the import asks it), then the value's own grammar or range.
            var wanted = field.Type.Kind switch
            {
                TypeKind.Int or TypeKind.Decimal => kind == JsonTokenType.Number,
                TypeKind.Bool => kind is JsonTokenType.True or JsonTokenType.False,
                _ => kind == JsonTokenType.String,
            };
            reason = wanted ? RowRejects.InvalidValue(field.Name, e.RawText(at), field.Type.NonNullable.DisplayName)
                : RowRejects.WrongType(field.Name, field.Type.NonNullable.DisplayName, JsonRowText.KindName(kind));
        }
        return ok;

        static bool Set(object? x, out object? value) { value = x; return true; }
    }
}
