using System.Globalization;
using System.Text.Json;
using MarketingDsl.Core.Diagnostics;
using MarketingDsl.Core.Diagnostics.Catalogues;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;

namespace MarketingDsl.Runtime.Tests;

/// <summary>
/// The live runtime's row validation as it was written over a parsed document (JsonElement), kept
/// as the oracle of <see cref="Utf8RowDecoderTests"/>: the reader of UTF-8 rows must give the same
/// rows and the same rejects (the row rules' factories, so codes and wording are compared too).
/// </summary>
internal sealed class DomValidationOracle(SchemaModel schema)
{
    /// <summary>The property that names the event type, and the optional id used when the type has no `unique` field.</summary>
    private const string TypeProperty = "type";
    private const string IdProperty = "id";
    /// <summary>The id of an event whose `unique` field is null: a null id is one id, as in the batch import (the first such event wins).</summary>
    private const string NullUniqueId = "\u0000null";

    public SchemaModel Schema { get; } = schema;

    public ParsedEvent? ParseEvent(JsonElement e, out RowReject? reason)
    {
        reason = null;
        if (e.ValueKind != JsonValueKind.Object) { reason = RowRejects.NotAnObject(); return null; }
        if (JsonRowText.Problem(e) is { } text) { reason = text; return null; }
        if (!e.TryGetProperty(TypeProperty, out var typeElement) || typeElement.ValueKind == JsonValueKind.Null)
        { reason = RowRejects.MissingType(); return null; }
        if (typeElement.ValueKind != JsonValueKind.String)
        { reason = RowRejects.TypeNotString(JsonRowText.KindName(typeElement.ValueKind)); return null; }
        var type = Schema.FindEvent(typeElement.GetString()!);
        if (type is null) { reason = RowRejects.UnknownEventType(typeElement.GetString()!); return null; }
        var values = new object?[type.Fields.Length];
        if (!e.TryGetProperty("user_id", out var user) || user.ValueKind == JsonValueKind.Null || user.ValueKind == JsonValueKind.String
            && user.GetString() is { Length: 0 })
        { reason = RowRejects.MissingRequired("user_id"); return null; }
        if (user.ValueKind != JsonValueKind.String)
        { reason = RowRejects.WrongType("user_id", "string", JsonRowText.KindName(user.ValueKind)); return null; }
        var userId = user.GetString()!;
        if (!e.TryGetProperty("ts", out var tsElement) || tsElement.ValueKind == JsonValueKind.Null)
        { reason = RowRejects.MissingRequired("ts"); return null; }
        if (tsElement.ValueKind != JsonValueKind.String)
        {
            reason = RowRejects.WrongType("ts", "datetime", JsonRowText.KindName(tsElement.ValueKind));
            return null;
        }
        if (!ValueParsers.TryParseTimestamp(tsElement.GetString().AsSpan(), out var ts))
        { reason = RowRejects.InvalidTimestamp($"'{tsElement.GetString()}'"); return null; }
        ts = ValueParsers.TruncateToMicroseconds(ts);
        values[0] = userId;
        values[1] = new DateTime(ts, DateTimeKind.Utc);
        foreach (var p in e.EnumerateObject())
        {
            if (p.Name is TypeProperty or "user_id" or "ts" || (p.Name == IdProperty && type.Find(IdProperty) is null)) continue;
            if (Schema.IdentityKeys.Contains(p.Name)) continue;
            if (type.Find(p.Name) is null) { reason = RowRejects.UnknownField(p.Name, type.Name); return null; }
        }
        for (var i = 2; i < type.Fields.Length; i++)
        {
            var field = type.Fields[i];
            if (!Box(e, field, out values[i], out reason)) return null;
        }
        if (IdentityValues(e, out reason) is not { } identities) return null;
        string? id = null;
        if (type.UniqueField is { } unique)
            id = values[type.OrdinalOf(unique.Name)] is { } v ? Convert.ToString(v, CultureInfo.InvariantCulture) : NullUniqueId;
        else if (e.TryGetProperty(IdProperty, out var idElement))
        {
            if (idElement.ValueKind is JsonValueKind.String) id = idElement.GetString();
            else if (idElement.ValueKind is JsonValueKind.Number) id = idElement.GetRawText();
            else if (idElement.ValueKind is not JsonValueKind.Null)
            { reason = RowRejects.WrongType(IdProperty, "string or number", JsonRowText.KindName(idElement.ValueKind)); return null; }
        }
        return new ParsedEvent(type, userId, ts, id, values, identities);
    }

    /// <summary>A profile row aligned with <see cref="SchemaModel.ProfileFields"/>, and its key.</summary>
    public object?[]? ParseProfile(JsonElement e, out string? key, out RowReject? reason)
    {
        key = null;
        reason = null;
        if (e.ValueKind != JsonValueKind.Object) { reason = RowRejects.NotAnObject(); return null; }
        if (JsonRowText.Problem(e) is { } text) { reason = text; return null; }
        foreach (var p in e.EnumerateObject())
            if (Schema.FindProfileField(p.Name) is null && !Schema.IdentityKeys.Contains(p.Name))
            { reason = RowRejects.UnknownField(p.Name, null); return null; }
        if (e.TryGetProperty(Schema.KeyField, out var written) && written.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
        { reason = RowRejects.WrongType(Schema.KeyField, "string", JsonRowText.KindName(written.ValueKind)); return null; }
        if (!e.TryGetProperty(Schema.KeyField, out var keyElement) || keyElement.ValueKind != JsonValueKind.String
            || keyElement.GetString() is not { Length: > 0 })
        { reason = RowRejects.MissingRequired(Schema.KeyField); return null; }
        var values = new object?[Schema.ProfileFields.Length];
        for (var i = 0; i < values.Length; i++)
            if (!Box(e, Schema.ProfileFields[i], out values[i], out reason)) return null;
        var keyOrdinal = Schema.ProfileOrdinalOf(Schema.KeyField);
        if (values[keyOrdinal] is not string { Length: > 0 } k) { reason = RowRejects.MissingRequired(Schema.KeyField); return null; }
        if (IdentityValues(e, out reason) is null) return null;
        key = k;
        return values;
    }

    /// <summary>
    /// The row's identity values aligned with <see cref="SchemaModel.IdentityKeys"/>, as the batch
    /// importer reads them: a string (empty = null), null or absent = null, anything else a reject.
    /// </summary>
    public string?[]? IdentityValues(JsonElement e, out RowReject? reason)
    {
        reason = null;
        var keys = Schema.IdentityKeys;
        var values = new string?[keys.Length];
        for (var k = 0; k < keys.Length; k++)
        {
            if (!e.TryGetProperty(keys[k], out var v) || v.ValueKind == JsonValueKind.Null) continue;
            if (v.ValueKind != JsonValueKind.String)
            { reason = RowRejects.WrongType(keys[k], "string", JsonRowText.KindName(v.ValueKind)); return null; }
            values[k] = v.GetString() is { Length: > 0 } s ? s : null;
        }
        return values;
    }

    private static bool Box(JsonElement e, FieldSymbol field, out object? value, out RowReject? reason)
    {
        value = null;
        reason = null;
        // Missing or null is a null value whatever the schema's `?` says, as in the batch import
        // (LANGUAGE.md §3, §18; Data README "One rule set"): only user_id, ts and the key are required.
        if (!e.TryGetProperty(field.Name, out var v) || v.ValueKind == JsonValueKind.Null) return true;
        if (field.Type.IsList)
        {
            // The batch importer's list rules (ListValues), so a live item and an imported row mean the same.
            if (ListValues.TryFromJson(v, field.Name, field.Type.Element!, out var list, out reason)) { value = list; return true; }
            return false;
        }
        var ok = field.Type.Kind switch
        {
            TypeKind.String => v.ValueKind == JsonValueKind.String && Set(v.GetString(), out value),
            TypeKind.Int => v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var l) && Set(l, out value),
            TypeKind.Decimal => v.ValueKind == JsonValueKind.Number && v.TryGetDecimal(out var d) && Set(d, out value),
            TypeKind.Bool => v.ValueKind is JsonValueKind.True or JsonValueKind.False && Set(v.GetBoolean(), out value),
            TypeKind.Date => v.ValueKind == JsonValueKind.String && ValueParsers.TryParseDate(v.GetString().AsSpan(), out var day)
                && Set(DateOnly.FromDayNumber(day), out value),
            TypeKind.DateTime => v.ValueKind == JsonValueKind.String && ValueParsers.TryParseTimestamp(v.GetString().AsSpan(), out var t)
                && Set(new DateTime(t, DateTimeKind.Utc), out value),
            TypeKind.Duration => v.ValueKind == JsonValueKind.String && ValueParsers.TryParseDuration(v.GetString().AsSpan(), out var dur)
                && Set(dur, out value),
            _ => false,
        };
        if (!ok)
        {
            var wanted = field.Type.Kind switch
            {
                TypeKind.Int or TypeKind.Decimal => v.ValueKind == JsonValueKind.Number,
                TypeKind.Bool => v.ValueKind is JsonValueKind.True or JsonValueKind.False,
                _ => v.ValueKind == JsonValueKind.String,
            };
            reason = wanted ? RowRejects.InvalidValue(field.Name, v.GetRawText(), field.Type.NonNullable.DisplayName)
                : RowRejects.WrongType(field.Name, field.Type.NonNullable.DisplayName, JsonRowText.KindName(v.ValueKind));
        }
        return ok;

        static bool Set(object? x, out object? value) { value = x; return true; }
    }
}
