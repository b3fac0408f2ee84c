using MarketingDsl.Web.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace MarketingDsl.Web.Pages.Account;

/// <summary>
/// Sign-in with a local account (the form carries the anti-forgery token; Razor Pages validate it),
/// throttled per account and per client address (<see cref="SignInThrottle"/>).
/// </summary>
[EnableRateLimiting(SignInThrottle.Policy)]
public sealed class LoginModel(Accounts accounts, SignInThrottle throttle) : PageModel
{
    public string? ReturnUrl { get; private set; }
    public string? Name { get; private set; }
    public bool Failed { get; private set; }
    /// <summary>Whole seconds the account stays locked (0: not locked).</summary>
    public int LockedSeconds { get; private set; }

    public void OnGet(string? returnUrl) => ReturnUrl = returnUrl;

    public async Task<IActionResult> OnPostAsync(string? name, string? password, string? returnUrl)
    {
        Name = name;
        ReturnUrl = returnUrl;
        var locked = name is null ? TimeSpan.Zero : throttle.LockedFor(name);
        if (locked > TimeSpan.Zero)
        {
            // Refused before the password is checked: while locked, the right password is no signal.
            LockedSeconds = (int)Math.Ceiling(locked.TotalSeconds);
            Response.StatusCode = StatusCodes.Status429TooManyRequests;
            Response.Headers.RetryAfter = LockedSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Page();
        }
        var user = name is null || password is null || password.Length > 256 ? null : accounts.SignIn(name, password);
        if (user is null)
        {
            if (name is not null) throttle.Failed(name);
            Failed = true;
            Response.StatusCode = StatusCodes.Status401Unauthorized;
            return Page();
        }
        throttle.Succeeded(name!);
        await HttpContext.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, EditorApp.CreatePrincipal(user.Name, user.Role));
        // The language follows the user: the one they last chose, in whatever browser.
        if (user.Language is { } language) Localization.UiText.Remember(HttpContext, language);
        return LocalRedirect(Url.IsLocalUrl(returnUrl) ? returnUrl! : "/");
    }
}
