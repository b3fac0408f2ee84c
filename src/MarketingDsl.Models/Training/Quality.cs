namespace MarketingDsl.Models.Training;

public sealed record CalibrationBin(int Decile, int Users, double MeanPredicted, double ObservedRate);
public sealed record DecileRow(int Decile, int Users, double MeanPredicted, double MeanActual);
public sealed record FeatureImportance(string Feature, double Drop);

/// <summary>Held-out quality of a classifier (validation users).</summary>
public sealed record ClassifierQuality(double Auc, double Accuracy, double F1, double LogLoss, double LiftQuality,
    IReadOnlyList<CalibrationBin> Calibration);

/// <summary>Held-out quality of a regression (validation users).</summary>
public sealed record RegressionQuality(double Rmse, double Mae, double RSquared, IReadOnlyList<DecileRow> Deciles);

/// <summary>k-means result: sizes and centroids in the documented cluster order, mean silhouette of a sample.</summary>
public sealed record ClusterQuality(IReadOnlyList<int> Sizes, IReadOnlyList<double[]> Centroids, double Silhouette);

/// <summary>The same model trained one horizon earlier and scored on the next period (AUC or R²).</summary>
public sealed record Backtest(DateTime AsOfUtc, DateTime CutoffUtc, int Users, double? Auc, double? RSquared);

/// <summary>Metrics over (label, score) pairs; one definition each, used by training, backtest and permutation importance.</summary>
public static class Quality
{
    /// <summary>Area under the ROC curve: the chance a random positive scores above a random negative (ties count half).</summary>
    public static double Auc(IReadOnlyList<bool> labels, IReadOnlyList<double> scores)
    {
        var order = Enumerable.Range(0, scores.Count).OrderBy(i => scores[i]).ToArray();
        double rankSum = 0;
        long positives = 0;
        for (var i = 0; i < order.Length;)
        {
            var j = i;
            while (j < order.Length && scores[order[j]] == scores[order[i]]) j++;
            var rank = (i + 1 + j) / 2.0; // average rank of the tie group (1-based)
            for (var t = i; t < j; t++) if (labels[order[t]]) { rankSum += rank; positives++; }
            i = j;
        }
        var negatives = order.Length - positives;
        if (positives == 0 || negatives == 0) return double.NaN;
        return (rankSum - positives * (positives + 1) / 2.0) / (positives * (double)negatives);
    }

    public static ClassifierQuality Classifier(IReadOnlyList<bool> labels, IReadOnlyList<double> probabilities)
    {
        int tp = 0, fp = 0, fn = 0, correct = 0;
        double logLoss = 0;
        for (var i = 0; i < labels.Count; i++)
        {
            var p = Math.Clamp(probabilities[i], 1e-15, 1 - 1e-15);
            var predicted = probabilities[i] >= 0.5;
            if (predicted == labels[i]) correct++;
            if (predicted && labels[i]) tp++;
            if (predicted && !labels[i]) fp++;
            if (!predicted && labels[i]) fn++;
            logLoss -= labels[i] ? Math.Log(p) : Math.Log(1 - p);
        }
        var n = Math.Max(1, labels.Count);
        var f1 = tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn);
        var calibration = Deciles(probabilities, i => labels[i] ? 1.0 : 0.0)
            .Select(d => new CalibrationBin(d.Decile, d.Users, d.MeanPredicted, d.MeanActual)).ToList();
        return new ClassifierQuality(Auc(labels, probabilities), correct / (double)n, f1, logLoss / n, LiftQuality(labels, probabilities),
            calibration);
    }

    /// <summary>
    /// Lift quality, 0–1: for audience sizes of 1%…99% of users taken by descending score, how much
    /// more of the positives the model captures than a random audience of the same size, as a
    /// share of what a perfect ranking would capture beyond random; averaged over the sizes.
    /// </summary>
    public static double LiftQuality(IReadOnlyList<bool> labels, IReadOnlyList<double> scores)
    {
        var order = Enumerable.Range(0, scores.Count).OrderByDescending(i => scores[i]).ThenBy(i => i).ToArray();
        var positives = labels.Count(l => l);
        if (positives == 0 || positives == labels.Count) return double.NaN;
        var captured = new int[order.Length + 1];
        for (var i = 0; i < order.Length; i++) captured[i + 1] = captured[i] + (labels[order[i]] ? 1 : 0);
        double total = 0;
        var sizes = 0;
        for (var percent = 1; percent <= 99; percent++)
        {
            var size = (int)Math.Round(order.Length * percent / 100.0);
            var random = positives * (size / (double)order.Length);
            var perfect = Math.Min(size, positives);
            if (perfect - random <= 0) continue;
            total += Math.Clamp((captured[size] - random) / (perfect - random), 0, 1);
            sizes++;
        }
        return sizes == 0 ? double.NaN : total / sizes;
    }

    public static RegressionQuality Regression(IReadOnlyList<double> actual, IReadOnlyList<double> predicted)
    {
        double se = 0, ae = 0;
        var mean = actual.Count == 0 ? 0 : actual.Average();
        double total = 0;
        for (var i = 0; i < actual.Count; i++)
        {
            var e = predicted[i] - actual[i];
            se += e * e;
            ae += Math.Abs(e);
            total += (actual[i] - mean) * (actual[i] - mean);
        }
        var n = Math.Max(1, actual.Count);
        return new RegressionQuality(Math.Sqrt(se / n), ae / n, total == 0 ? double.NaN : 1 - se / total, Deciles(predicted, i => actual[i]));
    }

    public static double RSquared(IReadOnlyList<double> actual, IReadOnlyList<double> predicted) => Regression(actual, predicted).RSquared;

    /// <summary>Users in ten groups by ascending prediction (equal counts, ties by position): mean prediction and mean actual of each.</summary>
    public static List<DecileRow> Deciles(IReadOnlyList<double> predicted, Func<int, double> actual)
    {
        var order = Enumerable.Range(0, predicted.Count).OrderBy(i => predicted[i]).ThenBy(i => i).ToArray();
        var rows = new List<DecileRow>();
        for (var d = 0; d < 10; d++)
        {
            var from = order.Length * d / 10;
            var to = order.Length * (d + 1) / 10;
            if (to <= from) continue;
            var members = order[from..to];
            rows.Add(new DecileRow(d + 1, members.Length, members.Average(i => predicted[i]), members.Average(actual)));
        }
        return rows;
    }

    /// <summary>Mean silhouette over the points given (a sample), Euclidean distances.</summary>
    public static double Silhouette(IReadOnlyList<float[]> points, IReadOnlyList<int> clusters, int k)
    {
        if (points.Count < 2) return double.NaN;
        double sum = 0;
        var counted = 0;
        var totals = new double[k];
        var counts = new int[k];
        foreach (var c in clusters) counts[c]++;
        for (var i = 0; i < points.Count; i++)
        {
            Array.Clear(totals);
            for (var j = 0; j < points.Count; j++)
                if (i != j) totals[clusters[j]] += Distance(points[i], points[j]);
            var own = clusters[i];
            if (counts[own] < 2) continue;
            var a = totals[own] / (counts[own] - 1);
            var b = double.MaxValue;
            for (var c = 0; c < k; c++) if (c != own && counts[c] > 0) b = Math.Min(b, totals[c] / counts[c]);
            if (b == double.MaxValue) continue;
            sum += (b - a) / Math.Max(a, b);
            counted++;
        }
        return counted == 0 ? double.NaN : sum / counted;
    }

    private static double Distance(float[] a, float[] b)
    {
        double s = 0;
        for (var i = 0; i < a.Length; i++) s += (a[i] - b[i]) * (double)(a[i] - b[i]);
        return Math.Sqrt(s);
    }

    /// <summary>Adjusted Rand index of two labellings (1 = identical partitions, about 0 = chance).</summary>
    public static double AdjustedRandIndex(IReadOnlyList<int> a, IReadOnlyList<int> b)
    {
        static double Pairs(long n) => n * (n - 1) / 2.0;
        var table = new Dictionary<(int, int), long>();
        var rows = new Dictionary<int, long>();
        var cols = new Dictionary<int, long>();
        for (var i = 0; i < a.Count; i++)
        {
            table[(a[i], b[i])] = table.GetValueOrDefault((a[i], b[i])) + 1;
            rows[a[i]] = rows.GetValueOrDefault(a[i]) + 1;
            cols[b[i]] = cols.GetValueOrDefault(b[i]) + 1;
        }
        var index = table.Values.Sum(Pairs);
        var rowSum = rows.Values.Sum(Pairs);
        var colSum = cols.Values.Sum(Pairs);
        var expected = rowSum * colSum / Pairs(a.Count);
        var max = (rowSum + colSum) / 2;
        return max == expected ? 1 : (index - expected) / (max - expected);
    }
}
