using System.Net;
using System.Text.RegularExpressions;

namespace MarketingDsl.Cli.Tests;

/// <summary>Signs in to the editor of a running `mdsl serve` through its login form, as a browser does.</summary>
internal static partial class EditorSignIn
{
    /// <summary>A client signed in as <paramref name="name"/> (cookies kept, redirects not followed).</summary>
    public static async Task<HttpClient> Client(Uri url, string name, string password)
    {
        var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = url };
        var form = FormToken().Match(await http.GetStringAsync("/Account/Login")).Groups[1].Value;
        var response = await http.PostAsync("/Account/Login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["name"] = name, ["password"] = password, ["__RequestVerificationToken"] = form,
        }));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return http;
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex FormToken();
}
