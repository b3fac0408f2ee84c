using System.Text;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using static MarketingDsl.Engine.Tests.Data.DataTestUtil;

namespace MarketingDsl.Engine.Tests.Data;

/// <summary>
/// Profile rows take the scanner path (as event rows do) and fall back to the general
/// Utf8JsonReader path on anything unusual: both must give the same profiles, merges and rejects.
/// </summary>
public class ProfileJsonPathTests
{
    /// <summary>A profile field of every scalar type, and two identity keys.</summary>
    private static SchemaModel Schema() => new(
        [
            new FieldSymbol("user_id", DslType.String, IsKey: true),
            new FieldSymbol("city", DslType.String.WithNullable(true)),
            new FieldSymbol("level", DslType.Int.WithNullable(true)),
            new FieldSymbol("credit", DslType.Decimal.WithNullable(true)),
            new FieldSymbol("vip", DslType.Bool.WithNullable(true)),
            new FieldSymbol("birthday", DslType.Date.WithNullable(true)),
            new FieldSymbol("registered_at", DslType.DateTime.WithNullable(true)),
            new FieldSymbol("tenure", DslType.Duration.WithNullable(true)),
        ],
        ["member_id", "phone"],
        [new EventTypeSymbol("e", [])]);

    private static string Row(int i, string? user = null) =>
        $$"""{"user_id":"{{user ?? $"u{i:D5}"}}","city":"c{{i % 5}}","level":{{i % 4}},"credit":{{i}}.5,"vip":""" +
        $$"""{{(i % 3 == 0 ? "true" : "false")}},"birthday":"1990-01-{{1 + i % 28:00}}","registered_at":"2024-05-06T07:08:""" +
        $$"""{{i % 60:00}}+08:00","tenure":{{i}}}""";

    private static readonly string[] Cases =
    [
        """{"city":"reordered","user_id":"r1","level":1}""",
        """{"user_id":"r2"}""",                                                     // members missing
        """{"user_id":"r3","extra":"é","city":"x"}""",                              // not a field
        """{"user_id":"r4","city":"esc\"aped\\"}""",
        """{"user_id":"r\u0035","city":"escaped id"}""",
        """{"user_id":"r6","city":"x"} """,
        """ {"user_id":"r7", "city" : "x"}""",
        """{"user_id":"r8","level":"1"}""",                                        // wrong types
        """{"user_id":"r9","level":1.5}""",
        """{"user_id":"r10","level":1e2,"credit":1E-1}""",
        """{"user_id":"r11","vip":"true"}""",
        """{"user_id":"r12","birthday":"2024-02-30"}""",
        """{"user_id":"r13","registered_at":1}""",
        """{"user_id":"r14","tenure":"1d 2h"}""",
        """{"user_id":"r15","tenure":1e3}""",
        """{"user_id":7,"city":"x"}""",
        """{"user_id":"","city":"x"}""",
        """{"city":"no id"}""",
        """{"user_id":null}""",
        """{"user_id":"r16","city":null,"level":null,"credit":null,"vip":null,"birthday":null,"registered_at":null,"tenure":null}""",
        """{"user_id":"r17","city":{"a":1}}""",
        """{"user_id":"r18","level":01}""",                                        // malformed
        """{"user_id":"r19","vip":truex}""",
        "{\"user_id\":\"r20\",\"city\":\"x\\\"",                                   // an unterminated string
        """{"user_id":"r21","city":"x"}}""",
        """{"user_id":"r22","city":"x",}""",
        """{"user_id":"r23","city":"a","city":"b"}""",                             // duplicate members
        """{"user_id":"u00001","city":"duplicate id"}""",
        """{"user_id":"m1","member_id":"M1"}""",                                   // identity values
        """{"user_id":"m2","member_id":"M1","city":"merged"}""",
        """{"user_id":"m3","phone":138000}""",
        """{"user_id":"m4","phone":"138000","level":3}""",
        """{"user_id":"r24","city":"ctl""" + "\u0001" + "\"}",
        """[1,2]""",
        """{"user_id":"r25","type":"order","ts":"2025-01-01T00:00:00Z"}""",          // event-like members
    ];

    private static string Profiles()
    {
        var sb = new StringBuilder();
        var i = 0;
        foreach (var c in Cases)
        {
            for (var k = 0; k < 3; k++) sb.Append(Row(i++)).Append('\n');
            sb.Append(c).Append('\n');
        }
        return sb.ToString();
    }

    [Fact]
    public void Every_case_ends_as_on_the_general_reader()
    {
        using var d = Dir(("profiles.jsonl", Profiles()), ("events.jsonl", ""));
        var (general, generalRejects) = LoadWithRejects(Schema(), d.Path, 1, 1 << 20, generalOnly: true);
        var (fast, fastRejects) = LoadWithRejects(Schema(), d.Path, 1, 1 << 20, generalOnly: false);
        ParallelImportTests.AssertSame(general, fast);
        Assert.Equal(generalRejects, fastRejects);
        Assert.Equal(0, general.Report.ScannedJsonProfiles);
        Assert.True(fast.Report.ScannedJsonProfiles > 3 * Cases.Length, $"{fast.Report.ScannedJsonProfiles} scanned rows");

        // The cases say what they test: a sample of values, merges and reasons.
        var city = ((StringColumn)fast.Profiles.Columns[1]!).Values;
        Assert.Contains("esc\"aped\\", city);
        Assert.Contains(fast.Report.Rejects, r => r.Reason == "the property 'city' appears twice");   // duplicate member: rejected
        Assert.Contains("r5", fast.UserIds);
        Assert.DoesNotContain("m2", fast.UserIds);                                 // merged into m1
        Assert.Equal(2, fast.Report.IdentityMerges.Count);
        Assert.Contains(fast.Report.Rejects, r => r.Reason == "field 'level': expected int, got a string");
        Assert.Contains(fast.Report.Rejects, r => r.Reason.StartsWith("duplicate user_id 'u00001'", StringComparison.Ordinal));
        Assert.Contains(fast.Report.Rejects, r => r.Reason.StartsWith("malformed JSON", StringComparison.Ordinal));
    }

    /// <summary>Random damage to compact rows: both paths give the same profiles and rejects.</summary>
    [Fact]
    public void Randomly_damaged_rows_end_as_on_the_general_reader()
    {
        var random = new Random(5);
        string[] values = ["\"x\"", "1", "-2.5", "1e3", "true", "null", "\"1990-02-03\"", "\"2025-01-01T00:00:00Z\"", "\"a\\u0062\"",
            "\"é\"", "{}", "[1]", "\"\""];
        string[] keys = ["user_id", "city", "level", "credit", "vip", "birthday", "registered_at", "tenure", "member_id", "phone", "zz"];
        var sb = new StringBuilder();
        for (var i = 0; i < 4000; i++)
        {
            var row = Row(i);
            row = Damage(random.Next(8), row, random, keys, values, retypeFrom: 1, retypeCount: 7) ?? row;
            sb.Append(row).Append('\n');
        }
        using var d = Dir(("profiles.jsonl", sb.ToString()), ("events.jsonl", ""));
        var (general, generalRejects) = LoadWithRejects(Schema(), d.Path, 1, 1 << 20, generalOnly: true);
        var (fast, fastRejects) = LoadWithRejects(Schema(), d.Path, 1, 1 << 20, generalOnly: false);
        Assert.True(fast.Report.RejectedCount > 100 && fast.Report.ProfilesKept > 2500,
            $"{fast.Report.RejectedCount} rejected, {fast.Report.ProfilesKept} kept");
        Assert.True(fast.Report.ScannedJsonProfiles > 2000, $"{fast.Report.ScannedJsonProfiles} scanned rows");
        ParallelImportTests.AssertSame(general, fast);
        Assert.Equal(generalRejects, fastRejects);
    }
}
