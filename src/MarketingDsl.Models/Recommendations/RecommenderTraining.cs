using System.Text;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Scoring;
using MarketingDsl.Models.Training;

namespace MarketingDsl.Models.Recommendations;

/// <summary>
/// `mdsl train` for a `recommender` declaration (LANGUAGE.md §13): the item neighbourhoods learned
/// from the window (T − within, T], saved in the registry (<see cref="RecommenderFile"/>), and the
/// offline evaluation (<see cref="RecommenderEvaluation"/>) with the last <see cref="EvaluationHorizon"/>
/// held out, against the popularity and category-bestseller baselines of the same split.
/// </summary>
public static class RecommenderTraining
{
    /// <summary>The test period of the offline evaluation: the recommender learns as of T − 30d and is judged on the purchases after.</summary>
    public static readonly TimeSpan EvaluationHorizon = TimeSpan.FromDays(30);

    public static RecommenderSettings SettingsOf(RecommenderDefinition d) => new(
        [.. d.Signals.Select(s => new RecommenderSignal(s.Event.Name, s.Weight))], d.ItemField, d.ItemEvent.Name,
        d.CategoryField, d.WindowTicks, d.K, d.Repeat);

    public static (TrainedModel Model, ModelReport Report) Train(ModelSymbol recommender, DataSet data, DateTime asOfUtc, int parallelism)
    {
        var definition = recommender.Recommender ?? throw new ArgumentException($"'{recommender.Name}' is not a bound recommender");
        var settings = SettingsOf(definition);
        var interactions = Interactions.Build(data, settings, asOfUtc.Ticks - settings.WindowTicks, asOfUtc.Ticks);
        var model = ItemToItemModel.Train(interactions, settings, parallelism);
        var quality = RecommenderEvaluation.Run(data, settings, asOfUtc.Ticks, EvaluationHorizon.Ticks, recommender.Name, parallelism);
        var users = 0;
        for (var u = 0; u < interactions.UserCount; u++) if (interactions.ItemsOf(u).Length > 0 || interactions.BoughtBy(u).Length > 0) users++;
        var notes = new List<string>();
        if (model.Neighbourhoods.Popular.Length == 0)
            notes.Add($"no '{definition.ItemEvent.Name}' with a {definition.ItemField} in the window: every list is empty");
        if (quality[0].Users == 0)
            notes.Add($"no user bought a new item in the last {EvaluationHorizon.TotalDays:0} days: the evaluation has no test users");
        var report = new ModelReport(recommender.Name, "recommender", "item-to-item cosine", asOfUtc, asOfUtc - EvaluationHorizon,
            users, quality[0].Users,
            null, null, null, null, null, null, [], notes)
        {
            Recommendations = quality,
            Items = interactions.ItemCount,
        };
        var entry = new TrainedModel
        {
            Name = recommender.Name,
            Kind = "recommender",
            Algorithm = report.Algorithm,
            DeclarationHash = TrainedModel.DeclarationHashOf(recommender),
            FeatureHash = TrainedModel.FeatureHashOf(recommender),
            AsOfUtc = asOfUtc,
            TrainedAtUtc = DateTime.UtcNow,
            Zip = RecommenderFile.Write(model.Neighbourhoods),
        };
        return (entry, report);
    }
}

/// <summary>
/// A trained recommender's bytes in the registry (the entry's model bytes): a version tag, the
/// catalogue with categories, the neighbour lists and the popularity order. Little-endian
/// <see cref="BinaryWriter"/> encoding; a file of another version or a damaged one cannot be read
/// (the registry then warns, MD6011).
/// </summary>
public static class RecommenderFile
{
    private const string Magic = "mdsl-recommender-1";

    public static byte[] Write(ItemNeighbourhoods model)
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(model.ItemCount);
            for (var i = 0; i < model.ItemCount; i++)
            {
                w.Write(model.Items[i]);
                w.Write(model.Categories[i] is not null);
                if (model.Categories[i] is { } c) w.Write(c);
            }
            WriteInts(w, model.NeighbourStart);
            WriteInts(w, model.Neighbours);
            w.Write(model.Similarities.Length);
            foreach (var s in model.Similarities) w.Write(s);
            WriteInts(w, model.Popular);
        }
        return stream.ToArray();
    }

    /// <exception cref="InvalidDataException">The bytes are not a recommender of this version, or are damaged.</exception>
    public static TrainedRecommender Read(byte[] bytes, RecommenderDefinition definition) => new(definition, Read(bytes));

    /// <exception cref="InvalidDataException">The bytes are not a recommender of this version, or are damaged.</exception>
    public static ItemNeighbourhoods Read(byte[] bytes)
    {
        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes), Encoding.UTF8);
            if (r.ReadString() != Magic) throw new InvalidDataException("not a recommender of this version");
            var n = Count(r, bytes.Length);
            var items = new string[n];
            var categories = new string?[n];
            for (var i = 0; i < n; i++)
            {
                items[i] = r.ReadString();
                categories[i] = r.ReadBoolean() ? r.ReadString() : null;
            }
            var start = ReadInts(r, bytes.Length);
            var neighbours = ReadInts(r, bytes.Length);
            var sims = new float[Count(r, bytes.Length)];
            for (var i = 0; i < sims.Length; i++) sims[i] = r.ReadSingle();
            var popular = ReadInts(r, bytes.Length);
            if (start.Length != n + 1 || start[n] != neighbours.Length || sims.Length != neighbours.Length
                || neighbours.Any(j => (uint)j >= (uint)n) || popular.Any(j => (uint)j >= (uint)n)
                || start.Zip(start.Skip(1)).Any(p => p.First > p.Second) || (n > 0 && start[0] != 0))
                throw new InvalidDataException("inconsistent neighbour lists");
            return new ItemNeighbourhoods(items, categories, start, neighbours, sims, popular);
        }
        catch (EndOfStreamException ex) { throw new InvalidDataException("truncated", ex); }
    }

    private static int Count(BinaryReader r, int limit)
    {
        var n = r.ReadInt32();
        return n < 0 || n > limit ? throw new InvalidDataException("bad length") : n;
    }

    private static void WriteInts(BinaryWriter w, int[] values)
    {
        w.Write(values.Length);
        foreach (var v in values) w.Write(v);
    }

    private static int[] ReadInts(BinaryReader r, int limit)
    {
        var values = new int[Count(r, limit)];
        for (var i = 0; i < values.Length; i++) values[i] = r.ReadInt32();
        return values;
    }
}
