using MarketingDsl.Journeys.Measurement;

namespace MarketingDsl.Runtime.Tests;

/// <summary>
/// The measurement log's rows wait in memory until their transaction commits (multi-row INSERTs,
/// LiveStore.Measures.cs): what a transaction logged is read back within it, committed with it
/// in order, forgotten with its rollback, and a send key is taken once.
/// </summary>
public sealed class StoreMeasureLogTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "mdsl-live-tests", "measures-" + Guid.NewGuid().ToString("N"));
    private string Db => Path.Combine(_root, "live.db");

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private static MeasureEvent Sent(int i) => new("j", "u" + (i % 7), 1000 + i, MeasureKind.Sent)
        { Channel = "push", Step = "0", EntryAt = i, Cost = 0.5m };
    private static MeasureEvent Suppressed(int i) => new("j", "u" + (i % 7), 1000 + i, MeasureKind.Suppressed) { Reason = "audience", EntryAt = i };

    [Theory]
    [InlineData(1)]
    [InlineData(85)]    // 64 + 16 + 4 + 1: every statement size once
    [InlineData(203)]
    public void A_transactions_rows_are_committed_in_order_and_read_back_before_the_commit(int rows)
    {
        using (var store = new LiveStore(Db))
        {
            store.Begin();
            for (var i = 0; i < rows; i++) store.AddMeasure(i % 3 == 0 ? Sent(i) : Suppressed(i), i % 3 == 0 ? "k" + (i / 6) : null);
            // Feedback in the same transaction finds a send logged in it.
            Assert.NotNull(store.FeedbackOf("k0"));
            for (var i = 0; i < 5; i++) store.AddMeasure(Suppressed(rows + i), null);
            store.Commit();

            // A rolled-back transaction leaves no row behind.
            store.Begin();
            store.AddMeasure(Suppressed(10_000), null);
            store.Rollback();
        }
        using (var reopened = new LiveStore(Db))
        {
            var log = reopened.Measures(0, long.MaxValue);
            Assert.Equal(rows + 5, log.Count);
            Assert.Equal(Enumerable.Range(0, rows + 5).Select(i => 1000L + i), log.Select(m => m.At));
            Assert.Equal(Enumerable.Range(0, rows + 5).Select(i => i < rows && i % 3 == 0 ? MeasureKind.Sent : MeasureKind.Suppressed),
                log.Select(m => m.Kind));
            // Two sends under one key ("k0" for i = 0 and 3): the first holds it, the second is counted without it.
            if (rows > 3)
            {
                Assert.NotNull(reopened.FeedbackOf("k0"));
                Assert.Equal(1000, reopened.FeedbackOf("k0")!.SentAt);
            }
        }
    }
}
