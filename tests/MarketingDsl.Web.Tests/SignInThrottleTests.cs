using System.Net;

namespace MarketingDsl.Web.Tests;

/// <summary>Password guessing against `mdsl serve`'s sign-in on a real Kestrel port: per-account lockout and a per-address limit.</summary>
public sealed class SignInThrottleTests
{
    private static async Task<HttpResponseMessage> Attempt(HttpClient client, string name, string password)
    {
        var login = await client.GetStringAsync("/Account/Login");
        var token = EditorFactory.FormToken().Match(login).Groups[1].Value;
        return await client.PostAsync("/Account/Login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["name"] = name, ["password"] = password, ["__RequestVerificationToken"] = token,
        }));
    }

    [Fact]
    public async Task After_five_failures_the_account_is_locked_and_even_the_right_password_is_refused()
    {
        await using var host = await LiveEditorHost.StartAsync(kestrel: true);
        var client = host.Anonymous();
        for (var i = 0; i < Security.SignInThrottle.FreeFailures; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await Attempt(client, "editor1", "guess-" + i)).StatusCode);
        var locked = await Attempt(client, "editor1", "password-editor1");
        Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
        Assert.Contains("locked for", await locked.Content.ReadAsStringAsync());
        Assert.NotNull(locked.Headers.RetryAfter);
        // Another account is not affected.
        Assert.Equal(HttpStatusCode.Redirect, (await Attempt(host.Anonymous(), "viewer1", "password-viewer1")).StatusCode);
    }

    [Fact]
    public async Task One_address_gets_a_limited_number_of_sign_in_posts_a_minute()
    {
        await using var host = await LiveEditorHost.StartAsync(kestrel: true);
        var client = host.Anonymous();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < Security.SignInThrottle.AttemptsPerMinute + 2; i++)
            statuses.Add((await Attempt(client, "nobody" + i, "guess")).StatusCode);
        Assert.All(statuses.Take(Security.SignInThrottle.AttemptsPerMinute), s => Assert.Equal(HttpStatusCode.Unauthorized, s));
        Assert.All(statuses.Skip(Security.SignInThrottle.AttemptsPerMinute), s => Assert.Equal(HttpStatusCode.TooManyRequests, s));
        var refused = await Attempt(client, "viewer1", "password-viewer1");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Contains("Too many sign-in attempts", await refused.Content.ReadAsStringAsync());
    }
}
