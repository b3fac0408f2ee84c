using System.Text;

namespace MarketingDsl.Engine.Evaluation;

/// <summary>
/// Typed per-user arrays (results, population scores, model outputs: the element types of
/// <c>ClrTypes.NewArray</c>) written to a file and read back as the same values: decimals keep
/// their scale, instants their kind, lists their elements. A partitioned evaluation keeps a
/// partition's values here between phases instead of every user's in memory.
/// </summary>
internal static class UserValueFile
{
    /// <summary>Writes <paramref name="arrays"/> (each of the same length) to <paramref name="path"/>, replacing it.</summary>
    public static void Write(string path, IReadOnlyList<Array> arrays)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        using var writer = new BinaryWriter(stream, Encoding.UTF8);
        writer.Write(arrays.Count);
        foreach (var array in arrays)
        {
            writer.Write(array.Length);
            switch (array)
            {
                case bool?[] a: foreach (var v in a) WriteNullable(writer, v, static (w, x) => w.Write(x)); break;
                case long?[] a: foreach (var v in a) WriteNullable(writer, v, static (w, x) => w.Write(x)); break;
                case decimal?[] a: foreach (var v in a) WriteNullable(writer, v, static (w, x) => w.Write(x)); break;
                case DateOnly?[] a: foreach (var v in a) WriteNullable(writer, v, static (w, x) => w.Write(x.DayNumber)); break;
                case DateTime?[] a: foreach (var v in a) WriteNullable(writer, v, static (w, x) => w.Write(x.ToBinary())); break;
                case TimeSpan?[] a: foreach (var v in a) WriteNullable(writer, v, static (w, x) => w.Write(x.Ticks)); break;
                case float[] a: foreach (var v in a) writer.Write(v); break;
                case object?[] a: foreach (var v in a) WriteBoxed(writer, v); break;   // strings, lists (object?[]?[]) and boxed values
                default: throw new InvalidOperationException($"no file form for {array.GetType().Name}");
            }
        }
    }

    /// <summary>
    /// Reads the arrays of <paramref name="path"/>; <paramref name="shapes"/> gives an empty array of
    /// each one's type (<c>ClrTypes.NewArray(type, 0)</c>), in the order they were written.
    /// </summary>
    public static Array[] Read(string path, IReadOnlyList<Array> shapes)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using var reader = new BinaryReader(stream, Encoding.UTF8);
        var count = reader.ReadInt32();
        if (count != shapes.Count) throw new InvalidDataException($"{path}: {count} arrays, {shapes.Count} expected");
        var arrays = new Array[count];
        for (var i = 0; i < count; i++)
        {
            var n = reader.ReadInt32();
            var array = Array.CreateInstance(shapes[i].GetType().GetElementType()!, n);
            switch (array)
            {
                case bool?[] a: for (var u = 0; u < n; u++) a[u] = reader.ReadBoolean() ? reader.ReadBoolean() : null; break;
                case long?[] a: for (var u = 0; u < n; u++) a[u] = reader.ReadBoolean() ? reader.ReadInt64() : null; break;
                case decimal?[] a: for (var u = 0; u < n; u++) a[u] = reader.ReadBoolean() ? reader.ReadDecimal() : null; break;
                case DateOnly?[] a:
                    for (var u = 0; u < n; u++) a[u] = reader.ReadBoolean() ? DateOnly.FromDayNumber(reader.ReadInt32()) : null;
                    break;
                case DateTime?[] a: for (var u = 0; u < n; u++) a[u] = reader.ReadBoolean() ? DateTime.FromBinary(reader.ReadInt64()) : null; break;
                case TimeSpan?[] a: for (var u = 0; u < n; u++) a[u] = reader.ReadBoolean() ? new TimeSpan(reader.ReadInt64()) : null; break;
                case float[] a: for (var u = 0; u < n; u++) a[u] = reader.ReadSingle(); break;
                case object?[] a: for (var u = 0; u < n; u++) a[u] = ReadBoxed(reader); break;
                default: throw new InvalidOperationException($"no file form for {array.GetType().Name}");
            }
            arrays[i] = array;
        }
        return arrays;
    }

    private static void WriteNullable<T>(BinaryWriter writer, T? value, Action<BinaryWriter, T> write) where T : struct
    {
        writer.Write(value.HasValue);
        if (value is { } v) write(writer, v);
    }

    // Tags of boxed values: the representation of BoundLiteral (ResultColumn's remarks).
    private const byte Null = 0, Bool = 1, Int = 2, Decimal = 3, Text = 4, Date = 5, Instant = 6, Duration = 7, List = 8;

    private static void WriteBoxed(BinaryWriter writer, object? value)
    {
        switch (value)
        {
            case null: writer.Write(Null); break;
            case bool b: writer.Write(Bool); writer.Write(b); break;
            case long l: writer.Write(Int); writer.Write(l); break;
            case decimal d: writer.Write(Decimal); writer.Write(d); break;
            case string s: writer.Write(Text); writer.Write(s); break;
            case DateOnly d: writer.Write(Date); writer.Write(d.DayNumber); break;
            case DateTime t: writer.Write(Instant); writer.Write(t.ToBinary()); break;
            case TimeSpan t: writer.Write(Duration); writer.Write(t.Ticks); break;
            case object?[] list:
                writer.Write(List);
                writer.Write(list.Length);
                foreach (var item in list) WriteBoxed(writer, item);
                break;
            default: throw new InvalidOperationException($"no file form for a value of {value.GetType().Name}");
        }
    }

    private static object? ReadBoxed(BinaryReader reader)
    {
        switch (reader.ReadByte())
        {
            case Null: return null;
            case Bool: return reader.ReadBoolean();
            case Int: return reader.ReadInt64();
            case Decimal: return reader.ReadDecimal();
            case Text: return reader.ReadString();
            case Date: return DateOnly.FromDayNumber(reader.ReadInt32());
            case Instant: return DateTime.FromBinary(reader.ReadInt64());
            case Duration: return new TimeSpan(reader.ReadInt64());
            case List:
                var list = new object?[reader.ReadInt32()];
                for (var i = 0; i < list.Length; i++) list[i] = ReadBoxed(reader);
                return list;
            default: throw new InvalidDataException("an unknown value tag");
        }
    }
}
