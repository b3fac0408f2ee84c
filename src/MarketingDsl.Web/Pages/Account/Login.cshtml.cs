using MarketingDsl.Web.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace MarketingDsl.Web.Pages.Account;

/// <summary>Sign-in with a local account (the form carries the anti-forgery token; Razor Pages validate it).</summary>
public sealed class LoginModel(Accounts accounts) : PageModel
{
    public string? ReturnUrl { get; private set; }
    public string? Name { get; private set; }
    public bool Failed { get; private set; }

    public void OnGet(string? returnUrl) => ReturnUrl = returnUrl;

    public async Task<IActionResult> OnPostAsync(string? name, string? password, string? returnUrl)
    {
        Name = name;
        ReturnUrl = returnUrl;
        var user = name is null || password is null || password.Length > 256 ? null : accounts.SignIn(name, password);
        if (user is null)
        {
            Failed = true;
            Response.StatusCode = StatusCodes.Status401Unauthorized;
            return Page();
        }
        await HttpContext.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, EditorApp.CreatePrincipal(user.Name, user.Role));
        return LocalRedirect(Url.IsLocalUrl(returnUrl) ? returnUrl! : "/");
    }
}
