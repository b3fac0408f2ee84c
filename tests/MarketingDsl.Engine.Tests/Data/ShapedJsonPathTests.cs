using System.Text;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using static MarketingDsl.Engine.Tests.Data.DataTestUtil;

namespace MarketingDsl.Engine.Tests.Data;

/// <summary>
/// The shaped path predicts a row's members from the last row of its type. Every surprise must
/// fall back and end exactly as on the general Utf8JsonReader path: values, rejects, counts.
/// </summary>
public class ShapedJsonPathTests
{

    private static readonly string Profiles = """{"user_id":"u1","city":"c"}""" + "\n" + """{"user_id":"u2","member_id":"m1"}""" + "\n";

    /// <summary>A compact row as one producer writes it (the shape every case below departs from).</summary>
    private static string Row(int i, string user = "u1") =>
        $$"""{"type":"e","user_id":"{{user}}","ts":"2025-01-02T03:04:{{i % 60:00}}Z","s":"v{{i % 7}}","n":{{i}},"d":{{i}}.25,"b":""" +
        $$"""{{(i % 2 == 0 ? "true" : "false")}},"day":"2024-02-{{1 + i % 28:00}}","at":"2025-01-01T00:00:00.5+01:00","dur":{{i}}.5}""";

    private const string Ts = "\"ts\":\"2025-01-02T03:04:05Z\"";

    /// <summary>Each case follows a few rows of the usual shape (so a shape is predicted when it comes) and is followed by them.</summary>
    private static readonly string[] Cases =
    [
        // reordered
        """{"type":"e","user_id":"u1",""" + Ts + ""","n":1,"s":"swapped","d":1,"b":true,"day":"2024-01-01","at":"2025-01-01T00:00:00Z","dur":1}""",
        // missing member
        """{"type":"e","user_id":"u1",""" + Ts + ""","s":"no d","n":1,"b":true,"day":"2024-01-01","at":"2025-01-01T00:00:00Z","dur":1}""",
        // extra member at the end
        """{"type":"e","user_id":"u1",""" + Ts +
            ""","s":"x","n":1,"d":1,"b":true,"day":"2024-01-01","at":"2025-01-01T00:00:00Z","dur":1,"extra":"y"}""",
        // extra member inside
        """{"type":"e","user_id":"u1",""" + Ts +
            ""","extra":"é","s":"x","n":1,"d":1,"b":true,"day":"2024-01-01","at":"2025-01-01T00:00:00Z","dur":1}""",
        // escapes
        """{"type":"e","user_id":"u1",""" + Ts +
            ""","s":"esc\"aped\\","n":1,"d":1,"b":true,"day":"2024-01-01","at":"2025-01-01T00:00:00Z","dur":1}""",
        // escaped user
        """{"type":"e","user_id":"u\u0031",""" + Ts + ""","s":"x","n":1,"d":1,"b":true,"day":"2024-01-01","at":"2025-01-01T00:00:00Z","dur":1}""",
        // trailing space
        """{"type":"e","user_id":"u1",""" + Ts + ""","s":"x","n":1,"d":1,"b":true,"day":"2024-01-01","at":"2025-01-01T00:00:00Z","dur":1} """,
        // whitespace
        """{"type":"e","user_id":"u1",""" + Ts + """, "s":"x","n":1,"d":1,"b":true,"day":"2024-01-01","at":"2025-01-01T00:00:00Z","dur":1}""",
        """{"type": "e","user_id":"u1",""" + Ts + ""","s":"x","n":1,"d":1,"b":true,"day":"2024-01-01","at":"2025-01-01T00:00:00Z","dur":1}""",
        """ {"type":"e","user_id":"u1",""" + Ts + ""","s":"x","n":1,"d":1,"b":true,"day":"2024-01-01","at":"2025-01-01T00:00:00Z","dur":1}""",
        // wrong value types
        """{"type":"e","user_id":"u1",""" + Ts + ""","s":"x","n":"1","d":1,"b":true,"day":"2024-01-01","at":"2025-01-01T00:00:00Z","dur":1}""",
        """{"type":"e","user_id":"u1",""" + Ts + ""","s":5,"n":1,"d":1,"b":true,"day":"2024-01-01","at":"2025-01-01T00:00:00Z","dur":1}""",
        """{"type":"e","user_id":"u1",""" + Ts + ""","s":"x","n":1.5,"d":1,"b":true,"day":"2024-01-01","at":"2025-01-01T00:00:00Z","dur":1}""",
        """{"type":"e","user_id":"u1",""" + Ts + ""","s":"x","n":1e2,"d":1E-1,"b":"true","day":"2024-01-01","at":"2025-01-01T00:00:00Z","dur":1}""",
        """{"type":"e","user_id":"u1",""" + Ts + ""","s":"x","n":1,"d":1,"b":true,"day":"2024-02-30","at":"2025-01-01T00:00:00Z","dur":1}""",
        """{"type":"e","user_id":"u1",""" + Ts + ""","s":"x","n":1,"d":1,"b":true,"day":"2024-01-01","at":1,"dur":"1d 2h"}""",
        """{"type":"e","user_id":7,""" + Ts + ""","s":"x","n":1,"d":1,"b":true,"day":"2024-01-01","at":"2025-01-01T00:00:00Z","dur":1}""",
        """{"type":"e","user_id":"",""" + Ts + ""","s":"x","n":1,"d":1,"b":true,"day":"2024-01-01","at":"2025-01-01T00:00:00Z","dur":1}""",
        """{"type":"e","user_id":"u1","ts":"no time","s":"x","n":1,"d":1,"b":true,"day":"2024-01-01","at":"2025-01-01T00:00:00Z","dur":1}""",
        // nulls in the shape
        """{"type":"e","user_id":"u1",""" + Ts + ""","s":null,"n":null,"d":null,"b":null,"day":null,"at":null,"dur":null}""",
        // nested
        """{"type":"e","user_id":"u1",""" + Ts + ""","s":{"a":1},"n":1,"d":1,"b":true,"day":"2024-01-01","at":"2025-01-01T00:00:00Z","dur":1}""",
        // malformed
        """{"type":"e","user_id":"u1",""" + Ts + ""","s":"x","n":01,"d":1,"b":true,"day":"2024-01-01","at":"2025-01-01T00:00:00Z","dur":1}""",
        """{"type":"e","user_id":"u1",""" + Ts + ""","s":"x","n":1x,"d":1,"b":true,"day":"2024-01-01","at":"2025-01-01T00:00:00Z","dur":1}""",
        """{"type":"e","user_id":"u1",""" + Ts + ""","s":"x","n":1,"d":1,"b":truex,"day":"2024-01-01","at":"2025-01-01T00:00:00Z","dur":1}""",
        // no closing brace
        """{"type":"e","user_id":"u1",""" + Ts + ""","s":"x","n":1,"d":1,"b":true,"day":"2024-01-01","at":"2025-01-01T00:00:00Z","dur":1""",
        """{"type":"e","user_id":"u1",""" + Ts + ""","s":"x","n":1,"d":1,"b":true,"day":"2024-01-01","at":"2025-01-01T00:00:00Z","dur":1}}""",
        """{"type":"e","user_id":"u1",""" + Ts + ""","s":"x","n":1,"d":1,"b":true,"day":"2024-01-01","at":"2025-01-01T00:00:00Z","dur":1,}""",
        """{"type":"e","user_id":"u1",""" + Ts + ""","s":"x","n":1,"d":1,"b":true,"day":"2024-01-01","at":"2025-01-01T00:00:00Z","dur":""",
        // duplicate members
        """{"type":"e","user_id":"u1",""" + Ts + ""","s":"a","s":"b","n":1,"d":1,"b":true,"day":"2024-01-01","at":"2025-01-01T00:00:00Z","dur":1}""",
        """{"type":"e","user_id":"u1",""" + Ts +
            ""","s":"x","n":1,"d":1,"b":true,"day":"2024-01-01","at":"2025-01-01T00:00:00Z","dur":1,"s":"again"}""",
        """{"type":"e","user_id":"u1",""" + Ts +
            ""","s":"x","n":1,"d":1,"b":true,"day":"2024-01-01","at":"2025-01-01T00:00:00Z","dur":1,"type":"o"}""",
        // a longer key
        """{"type":"e","user_id":"u1",""" + Ts + ""","ss":"x","n":1,"d":1,"b":true,"day":"2024-01-01","at":"2025-01-01T00:00:00Z","dur":1}""",
        // unknown type
        """{"type":"nope","user_id":"u1",""" + Ts + ""","s":"x","n":1,"d":1,"b":true,"day":"2024-01-01","at":"2025-01-01T00:00:00Z","dur":1}""",
        // another type, same members
        """{"type":"ee","user_id":"u1",""" + Ts + ""","s":"x","n":1,"d":1,"b":true,"day":"2024-01-01","at":"2025-01-01T00:00:00Z","dur":1}""",
        // escaped type
        """{"type":"\u0065","user_id":"u1",""" + Ts + ""","s":"x","n":1,"d":1,"b":true,"day":"2024-01-01","at":"2025-01-01T00:00:00Z","dur":1}""",
        """{"type":null,"user_id":"u1",""" + Ts + ""","s":"x","n":1,"d":1,"b":true,"day":"2024-01-01","at":"2025-01-01T00:00:00Z","dur":1}""",
        """{"type":"e","user_id":"ghost",""" + Ts + ""","member_id":"m1","s":"x"}""",   // identity value (then the shape of rows without it)
        """{"type":"e","user_id":"ghost",""" + Ts + ""","member_id":77,"s":"x"}""",
        """{"type":"e","user_id":"u1"}""",                                               // missing ts
        """{"type":"e","user_id":"u1"}""",
        """{"type":"e",""" + Ts + "}",                                                    // missing user
        """{"type":"e"}""",
        """{"type":"e","user_id":"u1",""" + Ts +
            ""","s":"ctl""" + "\u0001" + """x","n":1,"d":1,"b":true,"day":"2024-01-01","at":"2025-01-01T00:00:00Z","dur":1}""",
        """{"type":"o","user_id":"u1",""" + Ts + ""","oid":"a","amount":1.5}""",
        """{"type":"o","user_id":"u1",""" + Ts + ""","oid":"a","amount":2.5}""",          // duplicate unique id, shaped
        """{"type":"o","user_id":"u1",""" + Ts + ""","oid":"\u0061","amount":3.5}""",     // same id, escaped
        """{"type":"o","user_id":"nobody",""" + Ts + ""","oid":"b","amount":1}""",       // orphan
    ];

    private static string Events()
    {
        var sb = new StringBuilder();
        var i = 0;
        foreach (var c in Cases)
        {
            for (var k = 0; k < 3; k++) sb.Append(Row(i++)).Append('\n');
            sb.Append(c).Append('\n');
            sb.Append(c).Append('\n');   // the same surprise twice: the first may have taught its shape
        }
        // A shape change midway: the rest of the file lists the members in another order.
        for (var k = 0; k < 500; k++)
            sb.Append($$"""{"type":"e","user_id":"u2","ts":"2025-03-01T00:00:{{k % 60:00}}Z","n":{{k}},"s":"late{{k % 3}}","b":null}""").Append('\n');
        return sb.ToString();
    }

    [Theory]
    [InlineData(1, 1 << 20)]
    [InlineData(2, 256)]
    [InlineData(2, 4096)]
    public void Every_surprise_ends_as_on_the_general_reader(int parallelism, int blockSize)
    {
        using var d = Dir(("profiles.jsonl", Profiles), ("events.jsonl", Events()));
        var (general, generalRejects) = LoadWithRejects(JsonPathSchema(), d.Path, parallelism, blockSize, generalOnly: true);
        var (fast, fastRejects) = LoadWithRejects(JsonPathSchema(), d.Path, parallelism, blockSize, generalOnly: false);
        ParallelImportTests.AssertSame(general, fast);
        Assert.Equal(generalRejects, fastRejects);
        Assert.Equal(0, general.Report.ShapedJsonRows);
        // Most rows were predicted: the usual rows, the repeated cases and the rows after the shape change.
        Assert.True(fast.Report.ShapedJsonRows > 500, $"{fast.Report.ShapedJsonRows} shaped rows");

        // The cases say what they test: a sample of the values and reasons.
        var e = fast.Events[0]!;
        var s = ((StringColumn)e.Fields[2]!).Values;
        Assert.Contains("esc\"aped\\", s);
        Assert.Contains("late2", s);
        Assert.Contains(fast.Report.Rejects, r => r.Reason == "the property 's' appears twice");   // duplicate member: rejected
        Assert.Contains(fast.Report.Rejects, r => r.Reason == "field 'n': expected int, got a string");
        Assert.Contains(fast.Report.Rejects, r => r.Reason == "missing ts");
        Assert.Contains(fast.Report.Rejects, r => r.Reason.StartsWith("malformed JSON", StringComparison.Ordinal));
        Assert.Equal(6, fast.Report.DuplicatesDropped["o"]);       // six rows with the id "a" (three cases, each twice), the orphan twice
        Assert.Equal(4, fast.Report.UnknownTypeEvents);            // "nope" and null, twice each
    }

    /// <summary>
    /// Random damage to compact rows (members dropped, swapped, added, retyped, escaped, spaced;
    /// bytes cut or inserted) in long runs of one shape: both paths give the same data set and rejects.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Randomly_damaged_rows_end_as_on_the_general_reader(int parallelism)
    {
        var random = new Random(11);
        var sb = new StringBuilder();
        string[] values = ["\"x\"", "1", "-2.5", "1e3", "true", "false", "null", "\"2024-05-06\"", "\"2025-01-01T00:00:00Z\"",
            "\"a\\u0062\"", "\"é\"", "{}", "[1]", "\"\""];
        string[] keys = ["s", "n", "d", "b", "day", "at", "dur", "user_id", "ts", "type", "member_id", "zz"];
        for (var i = 0; i < 6000; i++)
        {
            var row = Row(i, i % 5 == 0 ? "u2" : "u1");
            var kind = random.Next(10);
            switch (kind)
            {
                case < 4:
                    row = Damage(kind, row, random, keys, values, retypeFrom: 0, retypeCount: 7)!;
                    break;
                case 4 when i % 500 < 250:
                    // Runs of another shape: members in another order and some missing.
                    row = $$"""{"type":"e","ts":"2025-02-0{{1 + i % 9}}T00:00:00Z","user_id":"u1","n":{{i}},"s":"other"}""";
                    break;
            }
            sb.Append(row).Append('\n');
        }
        using var d = Dir(("profiles.jsonl", Profiles), ("events.jsonl", sb.ToString()));
        var (general, generalRejects) = LoadWithRejects(JsonPathSchema(), d.Path, parallelism, 2048, generalOnly: true);
        var (fast, fastRejects) = LoadWithRejects(JsonPathSchema(), d.Path, parallelism, 2048, generalOnly: false);
        Assert.True(fast.Report.RejectedCount > 100 && fast.Report.EventsKept > 4000,
            $"{fast.Report.RejectedCount} rejected, {fast.Report.EventsKept} kept");
        Assert.True(fast.Report.ShapedJsonRows > 3000, $"{fast.Report.ShapedJsonRows} shaped rows");
        ParallelImportTests.AssertSame(general, fast);
        Assert.Equal(generalRejects, fastRejects);
    }

    /// <summary>Invalid UTF-8 in a predicted row (a field and a member that is no field) is judged by the general reader.</summary>
    [Fact]
    public void Invalid_utf8_in_a_predicted_row_is_judged_by_the_general_reader()
    {
        using var d = Dir(("profiles.jsonl", Profiles));
        var bytes = new List<byte>();
        void Line(string text) => bytes.AddRange(Encoding.UTF8.GetBytes(text + "\n"));
        void Bad(string before, byte[] bad, string after)
        {
            bytes.AddRange(Encoding.UTF8.GetBytes(before));
            bytes.AddRange(bad);
            bytes.AddRange(Encoding.UTF8.GetBytes(after + "\n"));
        }
        var head = """{"type":"e","user_id":"u1",""" + Ts + ",";
        for (var round = 0; round < 3; round++)
        {
            Line(head + "\"zz\":\"ok\",\"s\":\"ok\"}");
            Line(head + "\"zz\":\"ok\",\"s\":\"ok\"}");
            Bad(head + "\"zz\":\"", [0xFF], "\",\"s\":\"ok\"}");       // invalid in the member that is no field
            Bad(head + "\"zz\":\"ok\",\"s\":\"", [0xC3, 0x28], "\"}");  // invalid in a pooled field
            Bad(head + "\"zz\":\"ok\",\"s\":\"", [0xE2, 0x82, 0xAC], "\"}");   // valid (€)
        }
        File.WriteAllBytes(Path.Combine(d.Path, "events.jsonl"), [.. bytes]);
        var (general, generalRejects) = LoadWithRejects(JsonPathSchema(), d.Path, 1, 1 << 20, generalOnly: true);
        var (fast, fastRejects) = LoadWithRejects(JsonPathSchema(), d.Path, 1, 1 << 20, generalOnly: false);
        ParallelImportTests.AssertSame(general, fast);
        Assert.Equal(generalRejects, fastRejects);
        Assert.Equal(3, fast.Report.RejectedCount);                // the pooled field; the general reader skips a member that is no field unread
        Assert.True(fast.Report.ShapedJsonRows >= 6, $"{fast.Report.ShapedJsonRows} shaped rows");
        Assert.Contains("€", ((StringColumn)fast.Events[0]!.Fields[2]!).Values);
    }

    /// <summary>The generator's rows (one producer, one shape per type) nearly all take the shaped path, with the general reader's result.</summary>
    [Fact]
    public void Generated_retail_rows_take_the_shaped_path()
    {
        using var d = new TempDir();
        RetailDataGenerator.Generate(d.Path, 60, 30, 7);
        var general = DataImporter.Load(RetailSchema(), d.Path, new ImportOptions { Parallelism = 2, BlockSize = 4096,
            GeneralJsonReaderOnly = true });
        var fast = DataImporter.Load(RetailSchema(), d.Path, new ImportOptions { Parallelism = 2, BlockSize = 4096 });
        ParallelImportTests.AssertSame(general, fast);
        Assert.True(fast.Report.ShapedJsonRows > fast.Report.EventsRead * 9 / 10, $"{fast.Report.ShapedJsonRows} of {fast.Report.EventsRead} shaped");
    }
}
