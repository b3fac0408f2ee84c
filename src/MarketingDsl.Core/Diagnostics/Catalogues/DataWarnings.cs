using MarketingDsl.Core.Diagnostics;

namespace MarketingDsl.Core.Diagnostics.Catalogues;

/// <summary>
/// MD5050–MD5059: warnings that need a data set, so only the editor gives them (with a data set
/// chosen), never `mdsl check`: the same workspace is right or wrong only against some data.
/// One factory per code; see <see cref="DiagnosticMessage"/>.
/// </summary>
[DiagnosticCatalogue("usage")]
public static class DataWarnings
{
    private static readonly DiagnosticDescriptor s_valueNeverOccurs = new("MD5050", DiagnosticSeverity.Warning, "Value never occurs in the data");

    /// <param name="field">The field as written for a marketer: <c>login.platform</c> or <c>city</c>.</param>
    /// <param name="dataSet">The data set's name (its folder).</param>
    /// <param name="common">The field's most common values, most common first (a few).</param>
    /// <param name="closest">A value of the field close to the one written (a typo), or null.</param>
    public static DiagnosticMessage ValueNeverOccurs(string value, string field, string dataSet, IReadOnlyList<string> common, string? closest)
    {
        var english = $"\"{value}\" never occurs in {field} in the data set '{dataSet}', so this comparison never matches there"
            + (closest is not null ? $"; did you mean \"{closest}\"?" : ".")
            + (common.Count > 0 ? $" Values that occur: {string.Join(", ", common.Select(v => $"\"{v}\""))}." : "");
        var chinese = $"在数据集 '{dataSet}' 中，{field} 从未出现值 \"{value}\"，因此该比较在这份数据上永远不成立"
            + (closest is not null ? $"；是否想写 \"{closest}\"？" : "。")
            + (common.Count > 0 ? $"出现过的值：{string.Join("、", common.Select(v => $"\"{v}\""))}。" : "");
        return new DiagnosticMessage(s_valueNeverOccurs, english, chinese, closest);
    }
}
