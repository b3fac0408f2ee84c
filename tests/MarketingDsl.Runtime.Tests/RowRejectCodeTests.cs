using System.Text;
using MarketingDsl.Engine.Data;

namespace MarketingDsl.Runtime.Tests;

/// <summary>
/// One code per row problem (RowRejects, MD95xx): bad profile and event rows, each with one fault, are rejected with the
/// same code by the batch import (rejects of profiles.jsonl and events.jsonl, sequential and parallel) and by a live
/// runtime (the per-item results of its ingest calls), including a ts in the future under the same limit.
/// </summary>
public sealed class RowRejectCodeTests : IDisposable
{
    private const string Schema = """
        schema {
          profile { user_id: string key  level: int? }
          identity { member_id, phone }
          event order {
            channel: string, amount: decimal, n: int, paid: bool, day: date, at: datetime, wait: duration, tags: list<string>
          }
        }
        """;

    private const string Ts = "\"ts\":\"1999-06-01T10:00:00Z\"";
    private const string Order = "\"type\":\"order\",\"user_id\":\"u1\"," + Ts;

    /// <summary>Each bad event row and the code both sides must give it.</summary>
    private static readonly (string Code, byte[] Row)[] Events =
    [
        ("MD9501", Utf8("[1,2]")),
        ("MD9501", Utf8("\"just text\"")),
        ("MD9504", Utf8("{" + Order + ",\"user_id\":\"u2\"}")),
        ("MD9504", Utf8("{\"type\":\"order\",\"type\":\"order\",\"user_id\":\"u1\"," + Ts + "}")),
        ("MD9505", Utf8("{" + Order + ",\"channel\":\"x\\ud800\"}")),
        ("MD9505", [.. Utf8("{" + Order + ",\"channel\":\"x"), 0xFF, .. Utf8("\"}")]),
        ("MD9511", Utf8("{\"type\":5,\"user_id\":\"u1\"," + Ts + "}")),
        ("MD9520", Utf8("{\"type\":\"order\"," + Ts + "}")),
        ("MD9520", Utf8("{\"type\":\"order\",\"user_id\":\"\"," + Ts + "}")),
        ("MD9520", Utf8("{\"type\":\"order\",\"user_id\":null," + Ts + "}")),
        ("MD9520", Utf8("{\"type\":\"order\",\"user_id\":\"u1\"}")),
        ("MD9520", Utf8("{\"type\":\"order\",\"user_id\":\"u1\",\"ts\":null}")),
        ("MD9521", Utf8("{\"type\":\"order\",\"user_id\":\"u1\",\"ts\":\"yesterday\"}")),
        ("MD9530", Utf8("{\"type\":\"order\",\"user_id\":\"u1\",\"ts\":946684800}")),
        ("MD9530", Utf8("{\"type\":\"order\",\"user_id\":7," + Ts + "}")),
        ("MD9530", Utf8("{" + Order + ",\"amount\":\"10\"}")),
        ("MD9530", Utf8("{" + Order + ",\"paid\":\"yes\"}")),
        ("MD9530", Utf8("{" + Order + ",\"day\":20250101}")),
        ("MD9530", Utf8("{" + Order + ",\"wait\":true}")),
        ("MD9530", Utf8("{" + Order + ",\"tags\":\"a\"}")),
        ("MD9530", Utf8("{" + Order + ",\"phone\":true}")),
        ("MD9531", Utf8("{" + Order + ",\"n\":1.5}")),
        ("MD9531", Utf8("{" + Order + ",\"n\":99999999999999999999}")),
        ("MD9531", Utf8("{" + Order + ",\"amount\":1e400}")),
        ("MD9531", Utf8("{" + Order + ",\"day\":\"2025-13-01\"}")),
        ("MD9531", Utf8("{" + Order + ",\"at\":\"soon\"}")),
        ("MD9531", Utf8("{" + Order + ",\"wait\":\"forever\"}")),
        ("MD9532", Utf8("{" + Order + ",\"tags\":[" + string.Join(",", Enumerable.Repeat("\"t\"", ListValues.MaxItems + 1)) + "]}")),
        ("MD9533", Utf8("{" + Order + ",\"tags\":[\"a\",5]}")),
        ("MD9541", Utf8("{\"type\":\"order\",\"user_id\":\"u1\",\"ts\":\"2030-01-01T00:00:00Z\"}")),
    ];

    /// <summary>Each bad profile row (after a good profile u1) and its code.</summary>
    private static readonly (string Code, byte[] Row)[] Profiles =
    [
        ("MD9501", Utf8("[1]")),
        ("MD9504", Utf8("{\"user_id\":\"p1\",\"level\":1,\"level\":2}")),
        ("MD9505", Utf8("{\"user_id\":\"p2\\udc00\"}")),
        ("MD9520", Utf8("{\"level\":1}")),
        ("MD9520", Utf8("{\"user_id\":\"\"}")),
        ("MD9530", Utf8("{\"user_id\":5}")),
        ("MD9530", Utf8("{\"user_id\":\"p3\",\"level\":\"high\"}")),
        ("MD9530", Utf8("{\"user_id\":\"p4\",\"member_id\":{\"a\":1}}")),
        ("MD9531", Utf8("{\"user_id\":\"p5\",\"level\":2.5}")),
    ];

    private readonly LiveFixture _f = new(Schema, "tag orders = count(order)\n");
    public void Dispose() => _f.Dispose();

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public async Task Import_and_live_reject_each_bad_row_with_the_same_code()
    {
        // Live: the runtime's own ingest, its wall clock and the default skew.
        var options = new LiveOptions { DbPath = _f.Db, OutboxDir = _f.Outbox, Clock = _f.WallClock, MaxFutureSkew = FutureEvents.DefaultMaxSkew };
        List<IngestResult> liveProfiles, liveEvents;
        using (var live = new LiveRuntime(_f.Compilation.Model, options))
        {
            liveProfiles = [.. live.IngestProfiles([Utf8("{\"user_id\":\"u1\"}"), .. Profiles.Select(p => (ReadOnlyMemory<byte>)p.Row)])];
            liveEvents = [.. await live.IngestEventsAsync([.. Events.Select(e => (ReadOnlyMemory<byte>)e.Row)])];
        }
        Assert.Equal("accepted", liveProfiles[0].Status);

        // Import: the same rows as files, the same limit for a future ts.
        var dir = Path.Combine(_f.Root, "data");
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, "profiles.jsonl"), Lines([Utf8("{\"user_id\":\"u1\"}"), .. Profiles.Select(p => p.Row)]));
        File.WriteAllBytes(Path.Combine(dir, "events.jsonl"), Lines([.. Events.Select(e => e.Row)]));
        foreach (var parallelism in new[] { 1, 2 })
        {
            var data = DataImporter.Load(_f.Compilation.Model.Schema, dir, new ImportOptions
            {
                Parallelism = parallelism, BlockSize = 256, MaxRejectsInMemory = 1000,
                LatestEventTicks = FutureEvents.Limit(_f.WallClock.GetUtcNow(), FutureEvents.DefaultMaxSkew),
            });
            var failures = new List<string>();
            Compare("profiles.jsonl", Profiles, 2, liveProfiles.Skip(1).ToList());
            Compare("events.jsonl", Events, 1, liveEvents);
            Assert.True(failures.Count == 0, $"parallelism {parallelism}:\n" + string.Join("\n", failures));
            Assert.Equal(Profiles.Length + Events.Length, data.Report.RejectedCount);
            Assert.Equal(1, data.Report.FutureRejects);

            void Compare(string file, (string Code, byte[] Row)[] rows, int firstLine, List<IngestResult> live)
            {
                for (var i = 0; i < rows.Length; i++)
                {
                    var imported = data.Report.Rejects.SingleOrDefault(r => r.File == file && r.Line == firstLine + i);
                    var text = Encoding.UTF8.GetString(rows[i].Row);
                    if (text.Length > 120) text = text[..120] + "…";
                    if (imported?.Code != rows[i].Code || live[i].Code != rows[i].Code || live[i].Status != IngestResult.Rejected)
                        failures.Add($"{file}:{firstLine + i} {text}: expected {rows[i].Code}; import {imported?.Code ?? "kept"} " +
                            $"({imported?.Reason}), live {live[i].Status} {live[i].Code} ({live[i].Reason})");
                }
            }
        }
    }

    private static byte[] Lines(IEnumerable<byte[]> rows) => [.. rows.SelectMany(r => r.Append((byte)'\n'))];
}
