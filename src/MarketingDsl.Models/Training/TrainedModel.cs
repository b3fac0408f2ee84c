using MarketingDsl.Core.Semantics;
using MarketingDsl.Core.Text;
using MarketingDsl.Engine.Data;

namespace MarketingDsl.Models.Training;

/// <summary>One trained model as the registry keeps it: the ML.NET zip, what it was trained from, and its report.</summary>
public sealed class TrainedModel
{
    /// <summary>The registry's document id.</summary>
    public int Id { get; set; }
    public string Name { get; set; } = "";
    /// <summary>classifier, regression or clusters.</summary>
    public string Kind { get; set; } = "";
    public string Algorithm { get; set; } = "";
    /// <summary>SHA-256 of the declaration's text: a different one makes the model stale.</summary>
    public string DeclarationHash { get; set; } = "";
    /// <summary>SHA-256 of the declarations the features read: a different one makes the model stale.</summary>
    public string FeatureHash { get; set; } = "";
    public string DataFingerprint { get; set; } = "";
    /// <summary>The as-of instant T of the history trained on.</summary>
    public DateTime AsOfUtc { get; set; }
    /// <summary>The wall-clock instant training finished.</summary>
    public DateTime TrainedAtUtc { get; set; }
    public string TrainedBy { get; set; } = "";
    public byte[] Zip { get; set; } = [];
    /// <summary>Clusters with `scale: standard`: the training population's mean and standard deviation per feature.</summary>
    public double[] Means { get; set; } = [];
    public double[] Deviations { get; set; } = [];
    /// <summary>Clusters: the centroids in cluster-number order (cluster n is Centroids[n − 1]), in the scaled space.</summary>
    public double[][] Centroids { get; set; } = [];
    /// <summary>Clusters: ClusterNumbers[ML.NET label − 1] is the documented cluster number.</summary>
    public int[] ClusterNumbers { get; set; } = [];
    public string ReportJson { get; set; } = "";
    /// <summary>Regression: the smallest and largest label trained on; predictions are kept inside (boosted trees can
    /// overshoot, e.g. below zero spend).</summary>
    public double LabelMin { get; set; }
    public double LabelMax { get; set; }

    public static string DeclarationHashOf(ModelSymbol model) => ContentHasher.OfText(model.DeclarationText);
    public static string FeatureHashOf(ModelSymbol model) =>
        ContentHasher.OfText(string.Join("\n", model.FeatureNames) + "\n" + model.FeatureDefinitionsText());

    /// <summary>Users, events and their time range: enough to tell two histories apart in a report.</summary>
    public static string FingerprintOf(DataSet data)
    {
        long events = 0, checksum = 0;
        foreach (var table in data.Events)
        {
            if (table is null) continue;
            events += table.Ts.Length;
            for (var i = 0; i < table.Ts.Length; i += 97) checksum = unchecked(checksum * 31 + table.Ts[i]);
        }
        return ContentHasher.OfText($"{data.UserCount}|{events}|{data.MaxTimestampTicks}|{checksum}|{string.Join(",", data.UserIds.Take(5))}")[..16];
    }
}
