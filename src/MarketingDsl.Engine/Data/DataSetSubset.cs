namespace MarketingDsl.Engine.Data;

/// <summary>
/// Some users of a data set as a data set of their own: their profiles and events, the same
/// schema, import report and default as-of instant (the whole data set's latest event), so an
/// evaluation of the subset gives each of its users the values of the whole run — except
/// population functions (`quantile_score`, model percentiles), which rank within the subset.
/// </summary>
public static class DataSetSubset
{
    /// <summary>The users at <paramref name="users"/> (indices into <see cref="DataSet.UserIds"/>, ascending, no repeats).</summary>
    public static DataSet Of(DataSet data, int[] users)
    {
        for (var i = 1; i < users.Length; i++)
            if (users[i] <= users[i - 1]) throw new ArgumentException("user indices must ascend without repeats", nameof(users));
        var ids = users.Select(u => data.UserIds[u]).ToArray();
        var profiles = new ColumnTable([.. data.Profiles.Columns.Select(c => c is null ? null : ColumnSlice.Gather(c, users))], users.Length);
        var events = data.Events.Select(t => t is null ? null : Events(t, users)).ToArray();
        return new DataSet(data.Schema, ids, profiles, events, data.Report, data.MaxTimestampTicks, data.LooseTsSorted);
    }

    private static EventTable Events(EventTable table, int[] users)
    {
        var starts = new int[users.Length + 1];
        var rows = new List<int>();
        for (var i = 0; i < users.Length; i++)
        {
            starts[i] = rows.Count;
            for (var r = table.UserStart[users[i]]; r < table.UserStart[users[i] + 1]; r++) rows.Add(r);
        }
        starts[users.Length] = rows.Count;
        var perm = rows.ToArray();
        var ts = perm.Select(r => table.Ts[r]).ToArray();
        var line = perm.Select(r => table.Line[r]).ToArray();
        return new EventTable(table.Type, starts, ts, line, [.. table.Fields.Select(c => c is null ? null : ColumnSlice.Gather(c, perm))]);
    }

    /// <summary>
    /// A stable sample of at most <paramref name="size"/> users: those whose id hashes lowest
    /// (FNV-1a over its UTF-16 code units, then a 64-bit finaliser), so the same data set gives the same sample at every load and a
    /// user's membership does not depend on the order or number of the others' ids.
    /// Ascending indices; every user when there are no more than <paramref name="size"/>.
    /// </summary>
    public static int[] Sample(DataSet data, int size)
    {
        var count = data.UserCount;
        if (count <= size) return [.. Enumerable.Range(0, count)];
        var keys = new ulong[count];
        var order = new int[count];
        for (var u = 0; u < count; u++)
        {
            keys[u] = Hash(data.UserIds[u]);
            order[u] = u;
        }
        Array.Sort(keys, order);
        var picked = order[..size];
        Array.Sort(picked);
        return picked;
    }

    private static ulong Hash(string id)
    {
        var h = 14695981039346656037UL;
        foreach (var c in id) h = (h ^ c) * 1099511628211UL;
        // FNV's low bits mix poorly for ids that differ in their last characters: finalise (SplitMix64).
        h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9UL;
        h = (h ^ (h >> 27)) * 0x94d049bb133111ebUL;
        return h ^ (h >> 31);
    }
}
