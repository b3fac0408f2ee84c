using Microsoft.Data.Sqlite;

namespace MarketingDsl.Runtime.Tests;

/// <summary>
/// The store's reads of a user's events, one user or many (a schedule's fan-out), of every type or of some: the same rows,
/// found through the index on (user, type, ts), the times alone from that index; a store an older version wrote, with the index on
/// user alone, gets it when opened.
/// </summary>
public sealed class StoreEventReadTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "mdsl-live-tests", "reads-" + Guid.NewGuid().ToString("N"));
    private string Db => Path.Combine(_root, "live.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private static readonly string[] Types = ["order", "login", "view"];

    /// <summary>Events of 6 users, types and users interleaved as a time-ordered export has them.</summary>
    private static List<(string User, string Type, long Ts)> History()
    {
        var random = new Random(7);
        return [.. Enumerable.Range(0, 120).Select(i => ("u" + random.Next(6), Types[random.Next(Types.Length)], 1_000L + i))];
    }

    private List<string> Indexes()
    {
        using var connection = new SqliteConnection($"Data Source={Db};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' AND name LIKE 'events_by_user%'";
        using var reader = command.ExecuteReader();
        var names = new List<string>();
        while (reader.Read()) names.Add(reader.GetString(0));
        return names;
    }

    [Fact]
    public void Reads_of_some_types_give_the_rows_of_those_types_and_an_older_store_gets_the_index_on_user_type_and_time()
    {
        var history = History();
        using (var store = new LiveStore(Db))
        {
            store.Begin();
            foreach (var (user, type, ts) in history)
                store.AddEvent(type, null, user, ts, $$"""{"type":"{{type}}","user_id":"{{user}}","n":{{ts}}}""");
            store.Commit();
        }
        // As a version before the index on (user, type) left the file.
        using (var connection = new SqliteConnection($"Data Source={Db};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "DROP INDEX events_by_user_type_ts; CREATE INDEX events_by_user ON events (user);";
            command.ExecuteNonQuery();
        }
        Assert.Equal(["events_by_user"], Indexes());

        using (var store = new LiveStore(Db))
        {
            string[] users = ["u1", "u3", "u4"];
            foreach (var types in new string[]?[] { null, [], ["order"], ["login", "order"] })
            {
                var read = new List<string>();
                store.ForEachEventOf(users, types, (u, seq, json) => read.Add($"{users[u]} {seq} {System.Text.Encoding.UTF8.GetString(json)}"));
                var expected = history.Select((e, i) => (e, Seq: i + 1L))
                    .Where(x => users.Contains(x.e.User) && (types is null || types.Contains(x.e.Type)))
                    .Select(x => $$"""{{x.e.User}} {{x.Seq}} {"type":"{{x.e.Type}}","user_id":"{{x.e.User}}","n":{{x.e.Ts}}}""");
                Assert.Equal(expected.Order(StringComparer.Ordinal), read.Order(StringComparer.Ordinal));
                // The same events' times alone, as a fan-out reads the types its journey needs no field of.
                if (types is { Length: > 0 })
                {
                    var times = new List<string>();
                    store.ForEachEventTimeOf(users, types, (u, seq, type, ts) => times.Add($"{users[u]} {seq} {types[type]} {ts}"));
                    Assert.Equal(history.Select((e, i) => (e, Seq: i + 1L)).Where(x => users.Contains(x.e.User) && types.Contains(x.e.Type))
                        .Select(x => $"{x.e.User} {x.Seq} {x.e.Type} {x.e.Ts}").Order(StringComparer.Ordinal), times.Order(StringComparer.Ordinal));
                }
                // One user's read of the same types, as a cache miss loads the types an evaluation reads.
                var own = new List<string>();
                store.ForEachEventOf("u3", types, (seq, json) => own.Add($"u3 {seq} {System.Text.Encoding.UTF8.GetString(json)}"));
                Assert.Equal(expected.Where(e => e.StartsWith("u3 ", StringComparison.Ordinal)).Order(StringComparer.Ordinal),
                    own.Order(StringComparer.Ordinal));
            }
            // One user's events: each type's in arrival order (the history's tables need no more).
            var one = new List<(long Seq, string Type)>();
            store.ForEachEventOf("u1", null, (seq, json) => one.Add((seq, history[(int)seq - 1].Type)));
            Assert.Equal(history.Count(e => e.User == "u1"), one.Count);
            foreach (var type in Types)
            {
                var seqs = one.Where(e => e.Type == type).Select(e => e.Seq).ToList();
                Assert.Equal(seqs.Order(), seqs);
            }
        }
        Assert.Equal(["events_by_user_type_ts"], Indexes());
    }
}
