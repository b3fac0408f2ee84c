using System.Security.Cryptography;
using System.Text;
using MarketingDsl.Core.Semantics;
using MarketingDsl.Core.Text;

namespace MarketingDsl.Engine.Data;

/// <summary>One input file of an import as a snapshot remembers it.</summary>
/// <param name="File">The name in the data directory.</param>
/// <param name="Sample">SHA-256 (hex) of the sampled bytes (<see cref="DataFingerprint.SampleHash"/>).</param>
public sealed record InputFile(string File, long Size, long LastWriteTicks, string Sample);

/// <summary>
/// What an import depends on, as comparable text: the schema's shape (what the importer reads by)
/// and the input files. A snapshot or a cached data set is reused only while both are unchanged.
/// </summary>
public static class DataFingerprint
{
    /// <summary>Bytes hashed at each sampled offset of a file.</summary>
    public const int SampleBlock = 1 << 20;

    /// <summary>Offsets sampled per file: the first and last block and evenly spaced blocks between.</summary>
    public const int SampleBlocks = 16;

    /// <summary>
    /// The schema as the importer reads it: key field, time zone, identity keys, profile fields and
    /// event types with each field's name, type, key and unique marks.
    /// </summary>
    public static string SchemaShape(SchemaModel schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var key = new StringBuilder();
        key.Append("key=").Append(schema.KeyField).Append(";tz=").Append(schema.TimeZone).Append(";ids=").AppendJoin(',',
            schema.IdentityKeys).Append('\n');
        foreach (var f in schema.ProfileFields) key.Append("p ").Append(Field(f)).Append('\n');
        foreach (var e in schema.Events)
        {
            key.Append("e ").Append(e.Name);
            foreach (var f in e.Fields) key.Append(' ').Append(Field(f));
            key.Append('\n');
        }
        return key.ToString();
    }

    private static string Field(FieldSymbol f) => $"{f.Name}:{f.Type.DisplayName}{(f.IsKey ? ":key" : "")}{(f.IsUnique ? ":unique" : "")}";

    /// <summary><see cref="ContentHasher.OfText"/> of a text such as <see cref="SchemaShape"/>.</summary>
    public static string Hash(string text) => ContentHasher.OfText(text);

    /// <summary>
    /// The files of a data directory the importer reads (every file, in ordinal name order: which
    /// of them are read depends only on their names). Each file is known by its name, size, last
    /// write time and <see cref="SampleHash"/>.
    /// </summary>
    public static IReadOnlyList<InputFile> Inputs(string directory) =>
        [.. new DirectoryInfo(directory).EnumerateFiles().OrderBy(f => f.Name, StringComparer.Ordinal)
            .Select(f => new InputFile(f.Name, f.Length, f.LastWriteTimeUtc.Ticks, SampleHash(f.FullName, f.Length)))];

    /// <summary>
    /// SHA-256 of the file's size and <see cref="SampleBlocks"/> blocks of <see cref="SampleBlock"/>
    /// bytes (the first, the last and evenly spaced ones; the whole file when it is at most that
    /// long). Size and write time catch an ordinary rewrite; the sample catches a copy that kept
    /// both (e.g. <c>cp -p</c> of another export). An edit that keeps size and write time and
    /// touches no sampled byte is not seen: hashing whole files would cost as much reading as
    /// the parse a snapshot saves.
    /// </summary>
    public static string SampleHash(string path, long size)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(BitConverter.GetBytes(size));
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.RandomAccess);
        var buffer = new byte[SampleBlock];
        if (size <= (long)SampleBlock * SampleBlocks)
        {
            int n;
            while ((n = fs.Read(buffer)) > 0) hash.AppendData(buffer, 0, n);
        }
        else
        {
            var last = size - SampleBlock;
            for (var i = 0; i < SampleBlocks; i++)
            {
                fs.Position = last * i / (SampleBlocks - 1);
                var n = fs.ReadAtLeast(buffer, SampleBlock, throwOnEndOfStream: false);
                hash.AppendData(buffer, 0, n);
            }
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
