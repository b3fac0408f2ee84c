using System.Text;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using static MarketingDsl.Engine.Tests.Data.DataTestUtil;

namespace MarketingDsl.Engine.Tests.Data;

/// <summary>
/// The JSON Lines fast path (<c>JsonLineScanner</c>) must give exactly what the general
/// Utf8JsonReader path gives, row by row: values, rejects (file, line, reason) and counts.
/// </summary>
public class FastJsonPathTests
{

    private const string Head = """{"type":"e","user_id":"u1","ts":"2025-01-02T03:04:05Z",""";

    /// <summary>Each line is one case; most are in the fast subset, the others must fall back with the general reason.</summary>
    private static readonly string[] Lines =
    [
        Head + """ "s":"plain","n":42,"d":12.50,"b":true,"day":"2024-02-29","at":"2025-01-01T00:00:00.1234567+08:00","dur":90}""",
        Head + """ "s":"tab\tquote\"slash\\uni\u00e9\ud83d\ude00","n":-7,"d":-0.5,"b":false}""",           // escapes
        Head + """ "s":"北京 ünïcödé 😀","d":1e3}""",                                                      // raw UTF-8, exponent
        Head + """ "d":1.5E-2,"n":1.0,"dur":2.5}""",                                                       // int as 1.0, fractional duration
        Head + """ "n":12345678901234567890}""",                                                          // int overflow: reject
        Head + """ "d":-0,"n":-0,"dur":"1d 2h"}""",
        """  { "ts" : "2025-01-02T03:04:05Z" , "user_id":"u1" ,"type" : "e" , "s" : "spaces" }  """,       // whitespace, field order
        """{"user_id":"u1","ts":"2025-01-02T03:04:05Z","s":"dup","s":"second","type":"e"}""",              // duplicate key
        """{"type":"e","type":"o","user_id":"u1","ts":"2025-01-02T03:04:05Z"}""",                         // duplicate type
        Head + """ "s":null,"n":null,"d":null,"b":null,"day":null,"at":null,"dur":null}""",                 // nulls
        Head + """ "n":"5"}""",                                                                            // wrong JSON type
        Head + """ "s":5}""",
        Head + """ "b":"true"}""",
        Head + """ "day":"2024-02-30"}""",                                                                 // invalid date
        Head + """ "at":20250101}""",
        Head + """ "dur":true}""",
        Head + """ "extra":{"nested":[1,2,{"x":null}]},"s":"after nested"}""",                             // nested unknown field
        Head + """ "extra":[1,2],"s":"x"}""",
        Head + """ "n":01}""",                                                                             // malformed number
        Head + """ "n":1.}""",
        Head + """ "n":-}""",
        Head + """ "s":"x",}""",                                                                           // trailing comma
        Head + """ "s":"x"} trailing""",
        Head + """ "s":"x"}}""",
        Head + """ "s":"unterminated}""",
        Head + """ "s":tru}""",
        """{"type":5,"user_id":"u1","ts":"2025-01-02T03:04:05Z"}""",                                      // type not a string
        """{"type":null,"user_id":"u1","ts":"2025-01-02T03:04:05Z"}""",                                   // null type = unknown
        """{"type":"nope","user_id":"u1","ts":"2025-01-02T03:04:05Z"}""",
        """{"type":"e","user_id":"","ts":"2025-01-02T03:04:05Z"}""",                                      // empty user
        """{"type":"e","user_id":7,"ts":"2025-01-02T03:04:05Z"}""",
        """{"type":"e","user_id":"u1"}""",                                                                // missing ts
        """{"type":"e","user_id":"u1","ts":"not a time"}""",
        """{"type":"e","user_id":"ghost","ts":"2025-01-02T03:04:05Z","member_id":"m1"}""",                // identity value
        """{"type":"e","user_id":"ghost","ts":"2025-01-02T03:04:05Z","member_id":77}""",                  // numeric identity value
        """{"type":"e","user_id":"u\u0031","ts":"2025-01-02T03:04:05Z"}""",                               // escaped user id
        """{"type":"o","user_id":"u1","ts":"2025-01-02T03:04:05Z","oid":"a"}""",
        """{"type":"o","user_id":"u1","ts":"2025-01-02T03:04:05Z","oid":"a"}""",                          // duplicate unique id
        """{"type":"o","user_id":"u1","ts":"2025-01-02T03:04:05Z","oid":"\u0061"}""",                     // same id, escaped
        """{}""",
        """[]""",
        """ "just a string" """,
        """{"type":"e","user_id":"u1","ts":"2025-01-02T03:04:05Z","s":"x"}""" + "\r",                     // CRLF
        Head + "\"s\":\"" + new string('y', 100_000) + "\"}",                                             // a very long line
        Head + "\"s\":\"ctl\u0001char\"}",                                                                 // raw control character
        Head + """ "n":1.5}""",                                                                            // fractional int: reject
    ];

    private static readonly string Profiles = """{"user_id":"u1","city":"c"}""" + "\n" + """{"user_id":"u2","member_id":"m1"}""" + "\n";

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Fast_path_equals_the_general_reader(int parallelism)
    {
        var events = "\uFEFF" + string.Join("\n", Lines) + "\n";
        using var d = Dir(("profiles.jsonl", Profiles), ("events.jsonl", events));
        var (general, generalRejects) = LoadWithRejects(JsonPathSchema(), d.Path, parallelism, 256, generalOnly: true);
        var (fast, fastRejects) = LoadWithRejects(JsonPathSchema(), d.Path, parallelism, 256, generalOnly: false);
        ParallelImportTests.AssertSame(general, fast);
        Assert.Equal(generalRejects, fastRejects);

        // The cases say what they test: a sample of the values and reasons.
        var e = fast.Events[0]!;
        var s = ((StringColumn)e.Fields[2]!).Values;
        Assert.Contains("tab\tquote\"slash\\uni\u00e9\U0001F600", s);
        Assert.Contains("北京 ünïcödé 😀", s);
        Assert.DoesNotContain("second", s);                          // a duplicate key rejects the row (the live rule)
        Assert.Contains(fast.Report.Rejects, r => r.Reason == "the property 's' appears twice");
        Assert.Contains(fast.Report.Rejects, r => r.Reason == "the property 'type' appears twice");
        Assert.Contains(new string('y', 100_000), s);
        Assert.Contains(1000m, ((DecimalColumn)e.Fields[4]!).Values);
        Assert.Contains(0.015m, ((DecimalColumn)e.Fields[4]!).Values);
        Assert.Contains(-7L, ((IntColumn)e.Fields[3]!).Values);
        Assert.Contains(1L, ((IntColumn)e.Fields[3]!).Values);
        Assert.Equal(2, fast.Report.DuplicatesDropped["o"]);       // "a" twice more (plain and escaped)
        Assert.Contains(fast.Report.Rejects, r => r.Line == 5 && r.Reason.Contains("is not a valid int"));
        Assert.Contains(fast.Report.Rejects, r => r.Line == 11 && r.Reason == "field 'n': expected int, got a string");
        Assert.Contains(fast.Report.Rejects, r => r.Line == 27 && r.Reason == "type must be a string, got a number");
        Assert.Contains(fast.Report.Rejects, r => r.Line == 30 && r.Reason == "missing user_id");
        Assert.Contains(fast.Report.Rejects, r => r.Line == 19 && r.Reason.StartsWith("malformed JSON", StringComparison.Ordinal));
        Assert.Equal(2, fast.Report.UnknownTypeEvents);            // null type and "nope"
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Invalid_utf8_is_judged_by_the_general_reader(int parallelism)
    {
        using var d = Dir(("profiles.jsonl", Profiles));
        var bytes = new List<byte>();
        void Line(string before, byte[] bad, string after)
        {
            bytes.AddRange(Encoding.UTF8.GetBytes(before));
            bytes.AddRange(bad);
            bytes.AddRange(Encoding.UTF8.GetBytes(after + "\n"));
        }
        Line(Head + "\"s\":\"", [0xC3, 0x28], "\"}");            // invalid in a pooled field
        Line(Head + "\"x\":\"", [0xFF], "\"}");                  // invalid in an unknown field
        Line("{\"type\":\"e\",\"user_id\":\"u", [0xE2, 0x82], "\",\"ts\":\"2025-01-02T03:04:05Z\"}");
        Line(Head + "\"s\":\"", [0xE2, 0x82, 0xAC], "\"}");      // valid (€)
        File.WriteAllBytes(Path.Combine(d.Path, "events.jsonl"), [.. bytes]);
        var (general, generalRejects) = LoadWithRejects(JsonPathSchema(), d.Path, parallelism, 256, generalOnly: true);
        var (fast, fastRejects) = LoadWithRejects(JsonPathSchema(), d.Path, parallelism, 256, generalOnly: false);
        ParallelImportTests.AssertSame(general, fast);
        Assert.Equal(generalRejects, fastRejects);
        Assert.Contains("€", ((StringColumn)fast.Events[0]!.Fields[2]!).Values);
    }

    [Fact]
    public void Generated_retail_data_is_the_same_through_both_paths()
    {
        using var d = new TempDir();
        RetailDataGenerator.Generate(d.Path, 60, 30, 7);
        var general = DataImporter.Load(RetailSchema(), d.Path, new ImportOptions { Parallelism = 2, BlockSize = 4096,
            GeneralJsonReaderOnly = true });
        var fast = DataImporter.Load(RetailSchema(), d.Path, new ImportOptions { Parallelism = 2, BlockSize = 4096 });
        Assert.True(fast.Report.EventsKept > 1000);
        ParallelImportTests.AssertSame(general, fast);
    }

    /// <summary>
    /// Strings of every length up to 40 bytes with a quote, an escape, a control character, a
    /// non-ASCII or an invalid UTF-8 byte at every position (the scanner reads 16 bytes at a time
    /// while they fit, then byte by byte), and thousands of distinct values of a pooled column
    /// repeated in shuffled order (the pool's table grows): both paths give the same data set.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Strings_at_every_position_and_many_pooled_values_equal_the_general_reader(int parallelism)
    {
        using var d = Dir(("profiles.jsonl", Profiles));
        var bytes = new List<byte>();
        void Line(byte[] value, string after = "")
        {
            bytes.AddRange(Encoding.UTF8.GetBytes(Head + "\"s\":\""));
            bytes.AddRange(value);
            bytes.AddRange(Encoding.UTF8.GetBytes("\"" + after + "}\n"));
        }
        byte[][] specials = [[(byte)'\\', (byte)'n'], [0x01], [0x1F], [0x7F], [0xC3, 0xA9], [0xF0, 0x9F, 0x98, 0x80], [0xC3], [0xFF], [0x80]];
        for (var length = 0; length <= 40; length++)
        {
            var plain = Encoding.ASCII.GetBytes(new string('a', length));
            Line(plain);
            Line(plain, ",\"n\":1");
            foreach (var special in specials)
                for (var at = 0; at <= length; at++)
                    Line([.. plain.AsSpan(0, at), .. special, .. plain.AsSpan(at)], at % 2 == 0 ? "" : ",\"b\":true");
        }
        var random = new Random(5);
        for (var i = 0; i < 30_000; i++)
            Line(Encoding.UTF8.GetBytes($"value-{random.Next(6_000)}-{new string('z', random.Next(30))}"));
        File.WriteAllBytes(Path.Combine(d.Path, "events.jsonl"), [.. bytes]);
        var (general, generalRejects) = LoadWithRejects(JsonPathSchema(), d.Path, parallelism, 256, generalOnly: true);
        var (fast, fastRejects) = LoadWithRejects(JsonPathSchema(), d.Path, parallelism, 256, generalOnly: false);
        Assert.True(fast.Report.RejectedCount > 0 && fast.Report.EventsKept > 30_000);
        ParallelImportTests.AssertSame(general, fast);
        Assert.Equal(generalRejects, fastRejects);
    }

    /// <summary>An event field named <c>type</c> takes the row's type member on both paths.</summary>
    [Fact]
    public void A_field_named_type_is_read_on_both_paths()
    {
        var schema = new SchemaModel(
            [new FieldSymbol("user_id", DslType.String, IsKey: true)], [],
            [new EventTypeSymbol("t", [new FieldSymbol("type", DslType.String.WithNullable(true)),
                new FieldSymbol("s", DslType.String.WithNullable(true))])]);
        using var d = Dir(("profiles.jsonl", Profiles), ("events.jsonl", """
            {"type":"t","user_id":"u1","ts":"2025-01-02T03:04:05Z","s":"x"}
            {"user_id":"u1","ts":"2025-01-02T03:04:06Z","type":"t"}
            """ + "\n"));
        DataSet LoadWith(bool generalOnly) => DataImporter.Load(schema, d.Path, new ImportOptions { Parallelism = 2, BlockSize = 64,
            GeneralJsonReaderOnly = generalOnly });
        var fast = LoadWith(false);
        ParallelImportTests.AssertSame(LoadWith(true), fast);
        Assert.Equal("t,t", string.Join(",", ((StringColumn)fast.Events[0]!.Fields[2]!).Values));
    }
}
