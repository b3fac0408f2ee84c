// Custom functions of the retail workspace (LANGUAGE.md §17): C# called from expressions.

/// The product line of a SKU: "sku_air_conditioner_012" → "air_conditioner" (the prefix "sku_"
/// and the trailing number dropped). A SKU of another shape is its own line: "B2" → "B2".
public static string SkuLine(string sku)
{
    var parts = sku.Split('_');
    var start = parts.Length > 1 && parts[0].Equals("sku", StringComparison.OrdinalIgnoreCase) ? 1 : 0;
    var end = parts.Length - start > 1 && parts[^1].Length > 0 && parts[^1].All(char.IsAsciiDigit) ? parts.Length - 1 : parts.Length;
    return string.Join("_", parts.Skip(start).Take(end - start));
}
