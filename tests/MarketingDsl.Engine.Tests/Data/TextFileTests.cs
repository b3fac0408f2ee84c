using System.Text;
using MarketingDsl.Engine.Data;
using static MarketingDsl.Engine.Tests.Data.DataTestUtil;

namespace MarketingDsl.Engine.Tests.Data;

/// <summary>CSV and JSON Lines files that are damaged or written by other tools: one bad row is one reject, with its true line.</summary>
public class TextFileTests
{
    private const string Profile = """{"user_id":"u1","gender":"F","city":"c","member_level":1,"registered_at":"2024-01-01T00:00:00Z"}""";

    private static TempDir Files(params (string Name, byte[] Bytes)[] files)
    {
        var d = Dir(("profiles.jsonl", Profile + "\n"));
        foreach (var (name, bytes) in files) File.WriteAllBytes(Path.Combine(d.Path, name), bytes);
        return d;
    }

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    private static string LoginRows(int from, int count, string end = "\n") =>
        string.Concat(Enumerable.Range(from, count).Select(i => $"u1,2025-01-01T00:{i / 60 % 60:00}:{i % 60:00}Z,p{i}{end}"));

    [Fact]
    public void A_stray_quote_in_a_csv_rejects_its_row_and_the_rest_of_the_file_is_read()
    {
        var text = "user_id,ts,platform\n" + LoginRows(0, 10) + "u1,2025-01-01T01:00:00Z,\"ios\n" + LoginRows(10, 2000);
        using var d = Files(("login.csv", Utf8(text)));
        var ds = DataImporter.Load(RetailSchema(), d.Path);
        var reject = Assert.Single(ds.Report.Rejects);
        Assert.Equal(("login.csv", 12), (reject.File, reject.Line));
        Assert.Contains("quoted cell", reject.Reason);
        Assert.Equal(2010, ds.Report.EventsKept);
    }

    [Fact]
    public void Invalid_utf8_in_a_csv_rejects_its_row_with_its_line()
    {
        var bytes = Utf8("user_id,ts,platform\n" + LoginRows(0, 3)).Concat(Utf8("u1,2025-01-01T02:00:00Z,i")).Concat(new byte[] { 0xC3, 0x28 })
            .Concat(Utf8("os\n" + LoginRows(3, 3))).ToArray();
        using var d = Files(("login.csv", bytes));
        var ds = DataImporter.Load(RetailSchema(), d.Path);
        var reject = Assert.Single(ds.Report.Rejects);
        Assert.Equal(5, reject.Line);
        Assert.Contains("UTF-8", reject.Reason);
        Assert.Equal(6, ds.Report.EventsKept);
        Assert.DoesNotContain(((StringColumn)ds.Events[RetailSchema().Events.ToList().FindIndex(e => e.Name == "login")]!.Fields[2]!).Values,
            v => v is not null && v.Contains('\uFFFD'));
    }

    [Fact]
    public void A_lone_cr_inside_a_csv_cell_does_not_shift_line_numbers()
    {
        var text = "user_id,ts,platform\r\nu1,2025-01-01T00:00:00Z,\"a\rb\"\r\nu1,2025-01-01T00:00:01Z,ok\r\nu1,bad-ts,x\r\n";
        using var d = Files(("login.csv", Utf8(text)));
        var ds = DataImporter.Load(RetailSchema(), d.Path);
        Assert.Equal(4, Assert.Single(ds.Report.Rejects).Line);
        Assert.Equal(2, ds.Report.EventsKept);
    }

    [Theory]
    [InlineData("\n", 1)]
    [InlineData("\r\n", 1)]
    [InlineData("\r", 1)]
    [InlineData("\n", 2)]
    [InlineData("\r\n", 2)]
    [InlineData("\r", 2)]
    public void Json_lines_and_csv_files_with_lf_crlf_or_cr_line_ends_are_read_alike(string end, int parallelism)
    {
        var jsonl = string.Concat(Enumerable.Range(0, 50)
                .Select(i => $$"""{"type":"login","user_id":"u1","ts":"2025-01-02T00:00:{{i:00}}Z"}""" + end))
            + """{"type":"login","user_id":"u1","ts":"nope"}""" + end;
        var csv = "user_id,ts,platform" + end + LoginRows(0, 20, end) + "u1,nope,x" + end;
        using var d = Files(("events.jsonl", Utf8(jsonl)), ("login.csv", Utf8(csv)));
        File.WriteAllText(Path.Combine(d.Path, "profiles.jsonl"), Profile.Replace("\n", end) + end);
        var ds = DataImporter.Load(RetailSchema(), d.Path, new ImportOptions { Parallelism = parallelism, BlockSize = 256 });
        Assert.Equal([("events.jsonl", 51), ("login.csv", 22)], ds.Report.Rejects.Select(r => (r.File, r.Line)));
        Assert.Equal(70, ds.Report.EventsKept);
        Assert.Equal(1, ds.Report.ProfilesKept);
    }
}
