namespace MarketingDsl.Models.Training;

/// <summary>The one place features are put on the clusters' scale and distances are measured.</summary>
public static class ClusterScoring
{
    public static float[] Scale(float[] row, double[] means, double[] deviations)
    {
        if (means.Length == 0) return row;
        var scaled = new float[row.Length];
        for (var f = 0; f < row.Length; f++) scaled[f] = (float)((row[f] - means[f]) / deviations[f]);
        return scaled;
    }

    public static double Distance(float[] row, double[] centroid)
    {
        double s = 0;
        for (var f = 0; f < row.Length; f++) s += (row[f] - centroid[f]) * (row[f] - centroid[f]);
        return Math.Sqrt(s);
    }
}
