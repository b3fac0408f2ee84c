using System.Text;
using MarketingDsl.Engine.Data;

namespace MarketingDsl.Engine.Tests.Data;

/// <summary>The UTF-8 string pool of the JSON fast path: same text as a plain decode, one instance per distinct value up to the cap.</summary>
public class StringPoolTests
{
    [Fact]
    public void Repeated_values_are_one_instance_and_every_value_decodes_as_utf8()
    {
        var pool = new StringPool();
        var random = new Random(3);
        var values = Enumerable.Range(0, 5_000)
            .Select(i => new string('k', i % 40) + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + (i % 7 == 0 ? "é" : ""))
            .Append("").ToArray();
        var first = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var round = 0; round < 4; round++)
            foreach (var v in values.OrderBy(_ => random.Next()))
            {
                var bytes = Encoding.UTF8.GetBytes(v);
                var s = pool.GetUtf8(bytes, nonAscii: bytes.Any(b => b >= 0x80));
                Assert.Equal(v, s);
                if (!first.TryAdd(v, s!)) Assert.Same(first[v], s);   // interned: the table grew several times
                Assert.Same(s, pool.GetUtf8(bytes, nonAscii: true));   // the last value again
            }
    }

    [Fact]
    public void Values_beyond_the_cap_are_decoded_but_not_kept()
    {
        var pool = new StringPool(cap: 100);
        for (var i = 0; i < 100; i++) pool.GetUtf8(Encoding.UTF8.GetBytes($"v{i}"), nonAscii: false);
        var a = pool.GetUtf8("over"u8, nonAscii: false);
        pool.GetUtf8("v1"u8, nonAscii: false);
        var b = pool.GetUtf8("over"u8, nonAscii: false);
        Assert.Equal("over", a);
        Assert.Equal("over", b);
        Assert.NotSame(a, b);
        Assert.Same(pool.GetUtf8("v5"u8, nonAscii: false), pool.GetUtf8("v5"u8, nonAscii: false));
    }

    [Fact]
    public void Invalid_utf8_is_null_and_not_kept()
    {
        var pool = new StringPool();
        Assert.Null(pool.GetUtf8([0x61, 0xC3, 0x28], nonAscii: true));
        Assert.Null(pool.GetUtf8([0x61, 0xC3, 0x28], nonAscii: true));
        Assert.Equal("aé", pool.GetUtf8([0x61, 0xC3, 0xA9], nonAscii: true));
    }
}
