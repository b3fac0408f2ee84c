using System.Net;
using System.Security.Cryptography;
using System.Text;
using MarketingDsl.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace MarketingDsl.Runtime;

public sealed partial class LiveOptions
{
    /// <summary>
    /// Host names (besides IP literals and `localhost`) that requests may name in their Host and
    /// Origin headers: the names this server is reached by. Any other name is refused (DNS rebinding).
    /// </summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = [];

    /// <summary>
    /// Roles of a signed-in user (the host's authentication, e.g. the web editor's cookie) that may
    /// read member data (outbox, journey ends, identity merges, a user's tags) without the admin
    /// token; none: the token only.
    /// </summary>
    public IReadOnlyList<string> MemberDataRoles { get; init; } = [];
}

/// <summary>One reload of the workspace through the admin API: who, when, what was compiled, and what happened.</summary>
/// <param name="Result">`published`, or why not (`refused: …`).</param>
/// <param name="EndInFlight">The journeys whose users in flight the reload ended by choice (`?end=`).</param>
public sealed record ReloadRecord(string Who, DateTime AtUtc, Workspace Workspace, string Result, ReloadReport? Report, ReloadPreview? Preview,
    IReadOnlyList<string>? EndInFlight = null);

/// <summary>Where reloads are recorded (the web editor's Publications page, when `mdsl serve` hosts it).</summary>
public interface IReloadJournal
{
    void Record(ReloadRecord record);
}

/// <summary>
/// The request checks of the live API (LANGUAGE.md §15.7, README "Security of mdsl serve"):
/// admin calls need the bearer token, always, and so do reads of member data (or a signed-in user
/// in a member-data role) (no address is trusted: a web page in a local browser
/// posts from loopback too); POST bodies must be declared JSON, which a cross-site form or a
/// `no-cors` fetch cannot do without a CORS preflight; Host must be an IP literal, `localhost` or an
/// allowed name (a rebound DNS name is refused); an Origin, when sent, must name this server.
/// </summary>
public static class RuntimeSecurity
{
    /// <summary>Who the journal names for a reload authorised by the token.</summary>
    public const string TokenAuthor = "api token";

    /// <summary>Refuses a request by its Host or Origin, or a POST whose body is not declared JSON.</summary>
    public static IResult? Refused(HttpContext http, LiveOptions options)
    {
        var request = http.Request;
        if (!HostAllowed(request.Host.Host, options))
        {
            var error = $"the Host '{request.Host.Host}' is not a name of this server (allowed: IP addresses, localhost{Names(options)})";
            return Results.Json(new { error }, statusCode: StatusCodes.Status421MisdirectedRequest);
        }
        if (request.Headers.Origin.ToString() is { Length: > 0 } origin && !OriginAllowed(origin, request, options))
            return Results.Json(new { error = $"requests from the origin '{origin}' are not accepted" }, statusCode: StatusCodes.Status403Forbidden);
        if (HttpMethods.IsPost(request.Method) && !IsJson(request.ContentType))
            return Results.Json(new { error = $"POST bodies must be 'Content-Type: application/json', not '{request.ContentType}'" },
                statusCode: StatusCodes.Status415UnsupportedMediaType);
        return null;
    }

    /// <summary>Null when the request carries the admin token, else the 401 or 403 answer.</summary>
    public static IResult? AdminDenied(HttpContext http, LiveOptions options)
    {
        if (options.AdminToken is not { Length: > 0 } token)
        {
            const string error = "admin calls are disabled: start mdsl serve with the environment variable MDSL_ADMIN_TOKEN"
                + " or --admin-token-file PATH";
            return Results.Json(new { error }, statusCode: StatusCodes.Status403Forbidden);
        }
        var header = http.Request.Headers.Authorization.ToString();
        var given = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..] : "";
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(token)))
            ? null
            : Results.Json(new { error = "this admin call needs 'Authorization: Bearer TOKEN' (the admin token of mdsl serve)" },
                statusCode: StatusCodes.Status401Unauthorized);
    }

    /// <summary>
    /// Null when the request may read member data: the admin token, or a signed-in user in one of
    /// <see cref="LiveOptions.MemberDataRoles"/>; else the 401 or 403 answer. Member ids, their
    /// sends and tags are personal data: no address is trusted, as for admin calls.
    /// </summary>
    public static IResult? MemberDataDenied(HttpContext http, LiveOptions options)
    {
        var user = http.User;
        if (user.Identity?.IsAuthenticated == true && options.MemberDataRoles.Any(user.IsInRole)) return null;
        if (options.AdminToken is not { Length: > 0 } && http.Request.Headers.Authorization.Count == 0)
            return Results.Json(new { error = "member data needs the admin token (start mdsl serve with MDSL_ADMIN_TOKEN or --admin-token-file PATH)"
                + (options.MemberDataRoles.Count == 0 ? "" : $" or signing in to the editor as {string.Join(" or ", options.MemberDataRoles)}") },
                statusCode: StatusCodes.Status403Forbidden);
        return AdminDenied(http, options);
    }

    public static bool IsJson(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var media) && media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase);

    public static bool HostAllowed(string host, LiveOptions options)
    {
        if (host.Length == 0) return false;
        var bare = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        // DNS rebinding needs a name the attacker's DNS answers; an address literal is never one.
        if (IPAddress.TryParse(bare, out _)) return true;
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return options.AllowedHosts.Any(a => a.Equals(host, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Same origin only: the editor's own pages; a page of another origin (another port included) is refused.</summary>
    private static bool OriginAllowed(string origin, HttpRequest request, LiveOptions options)
    {
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri)) return false;
        var port = request.Host.Port ?? (request.IsHttps ? 443 : 80);
        return uri.Host.Trim('[', ']').Equals(request.Host.Host.Trim('[', ']'), StringComparison.OrdinalIgnoreCase) && uri.Port == port
            && HostAllowed(request.Host.Host, options);
    }

    private static string Names(LiveOptions options) => options.AllowedHosts.Count == 0 ? "" : ", " + string.Join(", ", options.AllowedHosts);
}
