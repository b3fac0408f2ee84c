using System.Text.Json;
using MarketingDsl.Core.Diagnostics.Catalogues;
using MarketingDsl.Engine.Data;
using MarketingDsl.Journeys;

namespace MarketingDsl.Runtime;

/// <summary>Ingest of profiles and the identity merges they cause (as the batch importer merges).</summary>
public sealed partial class LiveRuntime
{
    public IReadOnlyList<IngestResult> IngestProfiles(JsonElement array) => IngestProfiles(RequestItems.Of(array));

    /// <summary>Ingests profiles given as the UTF-8 bytes of each item (<see cref="RequestItems"/>), in one transaction.</summary>
    public IReadOnlyList<IngestResult> IngestProfiles(IReadOnlyList<ReadOnlyMemory<byte>> items)
    {
        var results = new IngestResult[items.Count];
        lock (_gate)
        {
            Transaction(() =>
            {
                _executor.BeginProfileBatch();
                for (var i = 0; i < items.Count; i++)
                {
                    var values = _version.Validation.ParseProfile(items[i].Span, out var key, out var reason, out var identities);
                    if (values is null) { results[i] = IngestResult.RejectedBy(i, reason!); continue; }
                    var json = System.Text.Encoding.UTF8.GetString(items[i].Span);
                    var stored = _store.Profile(key!);
                    if (stored == json) { results[i] = new IngestResult(i, IngestResult.Duplicate); continue; }
                    if (_store.MergedInto(key!) is { } into)
                    {
                        results[i] = IngestResult.RejectedBy(i, RowRejects.ProfileMerged(key!, into));
                        continue;
                    }
                    _executor.RunFirstCheck(key!);
                    _store.SetProfile(key!, json, isNew: stored is null);
                    var survivor = LinkIdentities(key!, identities!, out var merged);
                    _users.Remove(key!);
                    // Unmerged, the stored profile is the row just parsed: cache it rather than read it back.
                    if (merged is null) _users.AddStored(key!, values, hadProfile: stored is not null);
                    _executor.OnProfileStored(survivor);
                    results[i] = new IngestResult(i, IngestResult.Accepted, merged);
                }
                _executor.RunFirstChecks();
            });
        }
        return results;
    }

    /// <summary>The reason of a journey state ended because its user was merged into another.</summary>
    public const string EndMerged = "merged";

    /// <summary>
    /// Records the stored profile's identity values; when one already belongs to another user,
    /// merges the users as the batch importer does (§15.7): the smallest id in code point order
    /// survives; the others' profiles, in the order they were first stored, fill only its null
    /// fields; their events move to it; their journey states end (reason `merged`), their timers
    /// go; the survivor's states continue. Returns the survivor; <paramref name="merged"/> says
    /// what merged (null: nothing).
    /// </summary>
    private string LinkIdentities(string user, string?[] identities, out string? merged)
    {
        merged = null;
        var keys = _version.Model.Schema.IdentityKeys;
        var links = new List<(string Owner, string Key, string Value)>();
        for (var k = 0; k < identities.Length; k++)
        {
            if (identities[k] is not { } value) continue;
            var owner = _store.IdentityOwner(keys[k], value);
            if (owner is null) _store.SetIdentityOwner(keys[k], value, user);
            else if (owner != user && links.All(l => l.Owner != owner)) links.Add((owner, keys[k], value));
        }
        if (links.Count == 0) return user;
        // The merge changes the other users' data: their deferred first evaluations see them as they were.
        foreach (var link in links) _executor.RunFirstCheck(link.Owner);
        var group = links.Select(l => l.Owner).Append(user).ToList();
        var survivor = group.Min(CodePointComparer.Instance)!;
        var at = _store.Counter("clock");
        var notes = new List<string>();
        var profile = System.Text.Json.Nodes.JsonNode.Parse(_store.Profile(survivor)!)!.AsObject();
        foreach (var other in group.Where(g => g != survivor).OrderBy(_store.ProfileSeq).ToList())
        {
            var (key, value) = links.FirstOrDefault(l => l.Owner == other) is { Owner: not null } l ? (l.Key, l.Value)
                : (links[0].Key, links[0].Value);
            var otherProfile = System.Text.Json.Nodes.JsonNode.Parse(_store.Profile(other)!)!.AsObject();
            foreach (var field in _version.Model.Schema.ProfileFields)
            {
                if (field.Name == _version.Model.Schema.KeyField) continue;
                if (profile[field.Name] is null && otherProfile[field.Name] is { } filler) profile[field.Name] = filler.DeepClone();
            }
            var events = _store.EventCount(other);
            var ended = 0;
            foreach (var machine in _version.Machines)
            {
                if (_store.State(machine.Journey.Name, other) is not { Active: true } state) continue;
                state.Active = false;
                state.Position.Clear();
                state.WaitStart = state.WaitUntil = null;
                state.WaitToken = null;
                _store.SetState(machine.Journey.Name, other, state);
                _store.AddEnd(new JourneyEnd(machine.Journey.Name, other, at, EndMerged, $"merged into '{survivor}' by {key} '{value}'"));
                ended++;
            }
            _store.DeleteTimersOf(other);
            _store.DeleteProfile(other);
            _store.RecordMerge(new IdentityMergeRecord(survivor, other, key, value, at, events, ended));
            _users.Remove(other);
            notes.Add($"merged user '{other}' into '{survivor}' by identity key '{key}'");
        }
        _store.SetProfile(survivor, profile.ToJsonString());
        _users.Remove(survivor);
        for (var k = 0; k < identities.Length; k++)
            if (identities[k] is { } value) _store.SetIdentityOwner(keys[k], value, survivor);
        merged = string.Join("; ", notes);
        return survivor;
    }

    /// <summary>
    /// The user an event belongs to, as the batch importer resolves it: its user_id when that user
    /// has a profile, else the owner of its first identity value (in the order of the schema's
    /// identity keys) known from a profile, else its user_id (an orphan until a profile comes).
    /// </summary>
    private (string User, string? By) ResolveUser(ParsedEvent e)
    {
        if (_users.User(e.User).Profile is not null) return (e.User, null);
        if (_store.MergedInto(e.User) is { } survivor) return (survivor, "merged");
        for (var k = 0; k < e.Identities.Length; k++)
            if (e.Identities[k] is { } value && _store.IdentityOwner(_version.Model.Schema.IdentityKeys[k], value) is { } owner)
                return (owner, _version.Model.Schema.IdentityKeys[k]);
        return (e.User, null);
    }
}
