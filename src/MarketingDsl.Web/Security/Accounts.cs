using MarketingDsl.Web.Storage;
using Microsoft.AspNetCore.Identity;

namespace MarketingDsl.Web.Security;

/// <summary>Local accounts: PBKDF2 password hashes (Identity's PasswordHasher) kept in the LiteDB store.</summary>
public sealed class Accounts(EditorStore store, TimeProvider time)
{
    private static readonly PasswordHasher<EditorUser> Hasher = new();

    // Verifying against a fixed hash when the name is unknown keeps the timing of "no such user"
    // close to that of "wrong password".
    private static readonly string DummyHash = Hasher.HashPassword(new EditorUser(), "not a password " + Guid.NewGuid());

    public const int MinPasswordLength = 8;

    /// <summary>Adds or updates a user; returns an error message or null.</summary>
    public string? AddOrUpdate(string name, string password, string role, out bool added)
    {
        added = false;
        if (!IsValidName(name)) return "A user name is 1–64 letters, digits, '.', '_', '-' or '@'.";
        if (!Roles.IsKnown(role)) return $"Unknown role '{role}'; use {string.Join(", ", Roles.All)}.";
        if (password.Length < MinPasswordLength) return $"The password needs at least {MinPasswordLength} characters.";
        added = store.UpsertUser(name, Hasher.HashPassword(new EditorUser { Name = name }, password), role, time.GetUtcNow().UtcDateTime);
        return null;
    }

    public EditorUser? SignIn(string name, string password)
    {
        var user = IsValidName(name) ? store.FindUser(name) : null;
        if (user is null)
        {
            Hasher.VerifyHashedPassword(new EditorUser(), DummyHash, password);
            return null;
        }
        var result = Hasher.VerifyHashedPassword(user, user.PasswordHash, password);
        if (result == PasswordVerificationResult.Failed) return null;
        if (result == PasswordVerificationResult.SuccessRehashNeeded) store.UpdatePasswordHash(user, Hasher.HashPassword(user, password));
        return user;
    }

    public static bool IsValidName(string name) =>
        name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '@');
}
