using System.Collections.Immutable;

namespace MarketingDsl.Core.Semantics;

/// <summary>A profile or event field as declared in the schema.</summary>
public sealed record FieldSymbol(string Name, DslType Type, bool IsKey = false, bool IsUnique = false, bool IsImplicit = false);

/// <summary>
/// An event type. Every event also has the implicit fields `user_id: string` and `ts: datetime`,
/// which come first in <see cref="Fields"/>.
/// </summary>
public sealed class EventTypeSymbol
{
    private readonly Dictionary<string, int> _ordinals;

    public EventTypeSymbol(string name, IEnumerable<FieldSymbol> declaredFields)
    {
        Name = name;
        var fields = ImmutableArray.CreateBuilder<FieldSymbol>();
        fields.Add(new FieldSymbol("user_id", DslType.String, IsImplicit: true));
        fields.Add(new FieldSymbol("ts", DslType.DateTime, IsImplicit: true));
        foreach (var f in declaredFields)
            if (f.Name is not ("user_id" or "ts")) fields.Add(f);
        Fields = fields.ToImmutable();
        _ordinals = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < Fields.Length; i++) _ordinals.TryAdd(Fields[i].Name, i);
    }

    public string Name { get; }
    public ImmutableArray<FieldSymbol> Fields { get; }

    /// <summary>The declared field with `unique` (duplicate values are dropped on import), if any.</summary>
    public FieldSymbol? UniqueField => Fields.FirstOrDefault(f => f.IsUnique);

    public int OrdinalOf(string field) => _ordinals.TryGetValue(field, out var i) ? i : -1;
    public FieldSymbol? Find(string field) => _ordinals.TryGetValue(field, out var i) ? Fields[i] : null;
}

/// <summary>
/// The workspace schema: profile fields (one is the `key`, normally `user_id`), identity keys
/// (optional string fields on any profile or event row; rows sharing a value are one person),
/// and event types.
/// </summary>
public sealed class SchemaModel
{
    private readonly Dictionary<string, FieldSymbol> _profile;
    private readonly Dictionary<string, EventTypeSymbol> _events;

    public SchemaModel(IEnumerable<FieldSymbol> profileFields, IEnumerable<string> identityKeys, IEnumerable<EventTypeSymbol> events,
        string? timeZone = null)
    {
        ProfileFields = [.. profileFields];
        IdentityKeys = [.. identityKeys];
        Events = [.. events];
        TimeZone = timeZone;
        _profile = new Dictionary<string, FieldSymbol>(StringComparer.Ordinal);
        foreach (var f in ProfileFields) _profile.TryAdd(f.Name, f);
        _events = new Dictionary<string, EventTypeSymbol>(StringComparer.Ordinal);
        foreach (var e in Events) _events.TryAdd(e.Name, e);
    }

    public ImmutableArray<FieldSymbol> ProfileFields { get; }
    public ImmutableArray<string> IdentityKeys { get; }
    public ImmutableArray<EventTypeSymbol> Events { get; }

    /// <summary>IANA zone id from `settings { timezone: ... }`; null means UTC.</summary>
    public string? TimeZone { get; }

    /// <summary>The profile field marked `key` (the user id); `user_id` when none is marked.</summary>
    public string KeyField => ProfileFields.FirstOrDefault(f => f.IsKey)?.Name ?? "user_id";

    public FieldSymbol? FindProfileField(string name) => _profile.TryGetValue(name, out var f) ? f : null;
    public EventTypeSymbol? FindEvent(string name) => _events.TryGetValue(name, out var e) ? e : null;
    public int ProfileOrdinalOf(string name)
    {
        for (var i = 0; i < ProfileFields.Length; i++) if (ProfileFields[i].Name == name) return i;
        return -1;
    }
}
