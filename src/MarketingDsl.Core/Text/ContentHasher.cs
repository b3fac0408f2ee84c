using System.Security.Cryptography;
using System.Text;

namespace MarketingDsl.Core.Text;

/// <summary>
/// The one way MarketingDsl hashes source content: SHA-256 over parts, each prefixed by its UTF-8
/// length so no two sequences of parts share a stream; lower-case hex. The workspace's
/// <see cref="Compilation.ContentHash"/> and the keys of <see cref="Semantics.DeclarationKeys"/> are built with it.
/// </summary>
public sealed class ContentHasher : IDisposable
{
    private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public ContentHasher Add(string part)
    {
        Span<byte> length = stackalloc byte[8];
        var bytes = Encoding.UTF8.GetBytes(part);
        BitConverter.TryWriteBytes(length, (long)bytes.Length);
        _sha.AppendData(length);
        _sha.AppendData(bytes);
        return this;
    }

    /// <summary>The hash of the parts added so far (and starts again empty).</summary>
    public string Finish() => Convert.ToHexStringLower(_sha.GetHashAndReset());

    public void Dispose() => _sha.Dispose();

    /// <summary>SHA-256 of one text's UTF-8 bytes, lower-case hex: the key of a cache entry or a stored model's inputs.</summary>
    public static string OfText(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
