using System.Text;
using System.Runtime.InteropServices;
using System.Text.Json;
using CsCheck;
using MarketingDsl.Core;

namespace MarketingDsl.Runtime.Tests;

/// <summary>
/// The live runtime reads rows straight from their UTF-8 bytes (<see cref="Utf8JsonRow"/>,
/// <see cref="RequestItems"/>). Oracle: the same validation written over a parsed document
/// (<see cref="DomValidationOracle"/>, the code it replaced), on generated rows full of what a
/// careless or hostile client sends — invalid UTF-8, lone surrogate escapes, escaped and repeated
/// names, nulls, huge and odd numbers, nested objects and arrays, wrong types: the same rows
/// accepted with the same values, the same reasons for the rest; and request bodies split exactly
/// when a document parse accepts them (deep nesting, trailing content, a byte order mark).
/// </summary>
public sealed class Utf8RowDecoderTests
{
    private const string Schema = """
        schema {
          profile { user_id: string key, city: string, level: int, born: date?, joined: datetime, vip: bool }
          identity { member_id, phone }
          event order { order_id: string unique, channel: string, amount: decimal, n: int, paid: bool, day: date, at: datetime,
                        wait: duration, note: string?, skus: list<string> }
          event view { sku: string, secs: int }
        }
        """;

    private static readonly Core.Semantics.SchemaModel Model = Compilation.Create(Workspace.FromFiles(("schema.mdsl", Schema))).Model.Schema;

    // Stand-ins for bytes a JSON text cannot carry as escapes: replaced by raw invalid UTF-8 after encoding.
    private const string BadByte = "~FF~", BadPair = "~C328~", EncodedSurrogate = "~EDA080~", Truncated = "~E282~";

    private static readonly string[] Names =
    [
        "type", "user_id", "ts", "order_id", "channel", "amount", "n", "paid", "day", "at", "wait", "note", "skus", "id", "sku", "secs",
        "member_id", "phone", "city", "level", "born", "joined", "vip", "bogus", "t\\u0079pe", "user\\u005fid", "ch\\u0061nnel",
        "\\ud800x", "na" + BadByte + "me", "\\u6e20\\u9053", "",
    ];

    private static readonly string[] Scalars =
    [
        "null", "true", "false", "0", "-0", "7", "-1", "12.5", "1.0", "1e2", "1E400", "-1e-400", "9223372036854775807", "9223372036854775808",
        "-9223372036854775809", "79228162514264337593543950335", "79228162514264337593543950336", "0.0000000000000000000000000001",
        "123456789012345678901234567890.5", "\"order\"", "\"view\"", "\"click\"", "\"u1\"", "\"U1\"", "\"\"", "\"app\"",
        "\"2025-03-01T10:00:00Z\"", "\"2025-03-02T00:00:00+08:00\"", "\"2025-03-01T10:00:00.1234567891Z\"", "\"2025-13-01T10:00:00Z\"",
        "\"2025-03-01\"", "\"2025-02-30\"", "\"1d 2h\"", "\"00:30:00\"", "\"2w\"", "\"x\\ud800\"", "\"\\udc00y\"", "\"\\ud83d\\ude00\"",
        "\"\\u0032025-03-01T10:00:00Z\"", "\"\\u0000\"", "\"a\\\"b\\\\c\\n\"", "\"" + BadByte + "\"", "\"ok" + BadPair + "\"",
        "\"" + EncodedSurrogate + "\"", "\"" + Truncated + "\"", "\"\u6e20\u9053\"", "\"2025-03-01T10:00:00\u00a0Z\"",
        "\"" + new string('9', 70) + "\"", "\"2025-03-01T10:00:00." + new string('1', 60) + "Z\"",
    ];

    private static readonly Gen<string> Scalar = Gen.OneOf(Scalars);

    /// <summary>Values: scalars, arrays of them (lists), objects and deeper nesting.</summary>
    private static readonly Gen<string> Value = Gen.Frequency(
        (12, Scalar),
        (2, Scalar.Array[0, 4].Select(items => "[" + string.Join(",", items) + "]")),
        (1, Gen.Select(Gen.OneOf(Names), Scalar).Array[0, 3]
            .Select(members => "{" + string.Join(",", members.Select(m => $"\"{m.Item1}\":{m.Item2}")) + "}")),
        (1, Gen.Int[1, 70].Select(depth => new string('[', depth) + "1" + new string(']', depth))));

    /// <summary>A row: mostly the shape of a real event (so most get past the first checks), with extra, repeated or broken members.</summary>
    private static readonly Gen<string> Row = Gen.Frequency(
        (8, Gen.Select(Gen.OneOf("order", "view", "click"), Gen.Select(Gen.OneOf(Names), Value).Array[0, 8], Gen.Bool)
            .Select((type, extra, tsFirst) =>
            {
                var members = new List<string> { $"\"type\":\"{type}\"", "\"user_id\":\"u1\"", "\"ts\":\"2025-03-01T10:00:00Z\"" };
                if (tsFirst) members.Reverse();
                members.AddRange(extra.Select(m => $"\"{m.Item1}\":{m.Item2}"));
                return "{" + string.Join(",", members) + "}";
            })),
        (4, Gen.Select(Gen.OneOf(Names), Value).Array[0, 12]
            .Select(members => "{" + string.Join(",", members.Select(m => $"\"{m.Item1}\":{m.Item2}")) + "}")),
        (1, Value));

    private static byte[] Bytes(string text)
    {
        var bytes = new List<byte>(Encoding.UTF8.GetBytes(text));
        Replace(bytes, BadByte, [0xFF]);
        Replace(bytes, BadPair, [0xC3, 0x28]);
        Replace(bytes, EncodedSurrogate, [0xED, 0xA0, 0x80]);
        Replace(bytes, Truncated, [0xE2, 0x82]);
        return [.. bytes];
    }

    private static void Replace(List<byte> bytes, string marker, byte[] with)
    {
        var m = Encoding.ASCII.GetBytes(marker);
        for (var i = 0; i <= bytes.Count - m.Length; i++)
        {
            if (!bytes.Skip(i).Take(m.Length).SequenceEqual(m)) continue;
            bytes.RemoveRange(i, m.Length);
            bytes.InsertRange(i, with);
        }
    }

    [Fact]
    public void Events_read_from_utf8_are_the_rows_and_reasons_of_the_document_reader()
    {
        var validation = new Validation(Model);
        var oracle = new DomValidationOracle(Model);
        var compared = 0;
        Row.Sample(text =>
        {
            var bytes = Bytes(text);
            JsonDocument document;
            try { document = JsonDocument.Parse(bytes); }
            catch (JsonException) { return; }   // not JSON: the request is refused whole (below)
            using (document)
            {
                var expected = oracle.ParseEvent(document.RootElement, out var expectedReason);
                var actual = validation.ParseEvent(bytes, out var reason);
                Assert.True(expectedReason == reason, $"{text}\n  document: {expectedReason}\n  utf-8:    {reason}");
                Assert.Equal(expected is null, actual is null);
                if (expected is not null) AssertSameEvent(expected, actual!, text);
                compared++;
            }
        }, iter: 20_000);
        Assert.True(compared > 10_000, $"only {compared} rows were JSON");
    }

    [Fact]
    public void Profiles_read_from_utf8_are_the_rows_and_reasons_of_the_document_reader()
    {
        var validation = new Validation(Model);
        var oracle = new DomValidationOracle(Model);
        var profile = Gen.Select(Gen.Select(Gen.OneOf(Names), Value).Array[0, 8], Gen.Bool).Select((extra, keyed) =>
        {
            var members = keyed ? new List<string> { "\"user_id\":\"u1\"" } : [];
            members.AddRange(extra.Select(m => $"\"{m.Item1}\":{m.Item2}"));
            return "{" + string.Join(",", members) + "}";
        });
        profile.Sample(text =>
        {
            var bytes = Bytes(text);
            JsonDocument document;
            try { document = JsonDocument.Parse(bytes); }
            catch (JsonException) { return; }
            using (document)
            {
                var expected = oracle.ParseProfile(document.RootElement, out var expectedKey, out var expectedReason);
                var actual = validation.ParseProfile(bytes, out var key, out var reason, out var identities);
                Assert.True(expectedReason == reason, $"{text}\n  document: {expectedReason}\n  utf-8:    {reason}");
                Assert.Equal(expectedKey, key);
                Assert.Equal(expected is null, actual is null);
                if (expected is null) return;
                Assert.Equal(expected, actual!);
                Assert.Equal(oracle.IdentityValues(document.RootElement, out _), identities);
            }
        }, iter: 10_000);
    }

    private static void AssertSameEvent(ParsedEvent expected, ParsedEvent actual, string text)
    {
        Assert.Same(expected.Type, actual.Type);
        Assert.Equal(expected.User, actual.User);
        Assert.Equal(expected.Ts, actual.Ts);
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.Identities, actual.Identities);
        Assert.Equal(expected.Values.Length, actual.Values.Length);
        for (var i = 0; i < expected.Values.Length; i++)
        {
            var (a, b) = (expected.Values[i], actual.Values[i]);
            if (a is object?[] listA && b is object?[] listB) Assert.Equal(listA, listB);
            else Assert.True(Equals(a, b), $"{text}: field {i}: {a} against {b}");
        }
    }

    /// <summary>Bodies: split into items exactly when a document parse takes them, each item the bytes of its element.</summary>
    [Fact]
    public void Bodies_split_exactly_when_a_document_parse_takes_them()
    {
        var body = Gen.Frequency(
            (6, Row.Array[0, 5].Select(rows => "[" + string.Join(",", rows) + "]")),
            (1, Gen.OneOf("", " ", "[", "]", "[1,]", "[1] x", "[1][2]", "{\"a\":1}", "5", "\"x\"", "null", "[1 2]", "[/*c*/1]",
                "\uFEFF[1]", " [ {\"type\":\"order\"} ] ", new string('[', 65) + new string(']', 65), new string('[', 64) + new string(']', 64))));
        body.Sample(text =>
        {
            var bytes = Bytes(text);
            var items = RequestItems.Split(bytes, out var error);
            JsonDocument? document = null;
            try { document = JsonDocument.Parse(bytes.AsSpan().StartsWith("\uFEFF"u8) ? bytes[3..] : bytes); }
            catch (JsonException) { }
            using (document)
            {
                if (document is null) { Assert.Null(items); Assert.StartsWith("the body is not JSON: ", error); return; }
                if (document.RootElement.ValueKind != JsonValueKind.Array)
                {
                    Assert.Null(items);
                    Assert.Equal("the body must be a JSON array", error);
                    return;
                }
                Assert.NotNull(items);
                // Bytes, not text: an item may hold invalid UTF-8 (its own rejection, later).
                Assert.Equal(
                    document.RootElement.EnumerateArray().Select(e => Convert.ToHexString(JsonMarshal.GetRawUtf8Value(e))),
                    items!.Select(i => Convert.ToHexString(i.Span)));
            }
        }, iter: 5_000);
    }

    /// <summary>A body whose items include hostile ones: split into its items, each bad one has its own reason, the others are rows.</summary>
    [Fact]
    public void Each_hostile_item_of_a_body_has_its_own_reason_and_the_rest_are_rows()
    {
        var items = new[]
        {
            "{\"type\":\"view\",\"user_id\":\"u1\",\"ts\":\"2025-03-01T10:00:00Z\",\"sku\":\"a\\u00e9\",\"secs\":3}",
            "{\"type\":\"view\",\"user_id\":\"u1\",\"ts\":\"2025-03-01T10:00:01Z\",\"sku\":\"" + BadByte + "\"}",
            "{\"type\":\"view\",\"user_id\":\"u1\",\"ts\":\"2025-03-01T10:00:02Z\",\"sku\":\"\\ud800\"}",
            "{\"type\":\"view\",\"user_id\":\"u1\",\"user_id\":\"u2\",\"ts\":\"2025-03-01T10:00:03Z\"}",
            "{\"type\":\"view\",\"user_id\":\"u1\",\"ts\":\"2025-03-01T10:00:04Z\",\"secs\":99999999999999999999}",
            "{\"type\":\"view\",\"user_id\":\"u1\",\"ts\":\"2025-03-01T10:00:05Z\",\"sku\":\"\u6e20\u9053\",\"secs\":null}",
        };
        var body = Bytes("[" + string.Join(",\n", items) + "]");
        var split = RequestItems.Split(body, out _)!;
        var validation = new Validation(Model);
        var reasons = split.Select(i => { validation.ParseEvent(i.Span, out var r); return r?.Reason; }).ToList();
        Assert.Null(reasons[0]);
        Assert.Equal("'sku': the string is not valid Unicode (an invalid UTF-8 byte or a lone surrogate escape)", reasons[1]);
        Assert.Equal("'sku': the string is not valid Unicode (an invalid UTF-8 byte or a lone surrogate escape)", reasons[2]);
        Assert.Equal("the property 'user_id' appears twice", reasons[3]);
        Assert.Equal("field 'secs': 99999999999999999999 is not a valid int", reasons[4]);
        Assert.Null(reasons[5]);
        Assert.Equal("\u6e20\u9053", validation.ParseEvent(split[5].Span, out _)!.Values[2]);
    }
}
