using System.Security.Cryptography;
using System.Text;

namespace MarketingDsl.Journeys.Tests;

/// <summary>An independent spelling of LANGUAGE.md §15.6 for the tests.</summary>
internal static class Hashing
{
    public static ulong Raw(string user, string journey, string split)
    {
        var h = SHA256.HashData(Encoding.UTF8.GetBytes(user + "\u001F" + journey + "\u001F" + split));
        ulong v = 0;
        for (var i = 0; i < 8; i++) v = (v << 8) | h[i];
        return v;
    }

    public static decimal Bucket(string user, string journey, string split) => Raw(user, journey, split) / 18446744073709551616m;
}
