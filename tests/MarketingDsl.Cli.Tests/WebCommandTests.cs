using MarketingDsl.Web.Storage;

namespace MarketingDsl.Cli.Tests;

public class WebCommandTests
{
    private static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await CommandLine.RunAsync(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task User_add_creates_then_updates_an_account_with_a_hashed_password()
    {
        var db = Path.Combine(Path.GetTempPath(), "mdsl-cli-tests", Guid.NewGuid().ToString("N"), "editor.db");
        var (code, output, _) = await Run("user", "add", "alice", "--role", "admin", "--password", "a-long-password", "--db", db);
        Assert.Equal(0, code);
        Assert.Contains("added user 'alice' (admin)", output);
        (code, output, _) = await Run("user", "add", "alice", "--role", "viewer", "--password", "another-password", "--db", db);
        Assert.Equal(0, code);
        Assert.Contains("updated user 'alice' (viewer)", output);
        using var store = new EditorStore(db);
        var user = store.FindUser("alice")!;
        Assert.Equal("viewer", user.Role);
        Assert.DoesNotContain("another-password", user.PasswordHash);
    }

    [Theory]
    [InlineData("user", "add", "bob", "--role", "owner", "--password", "a-long-password")]
    [InlineData("user", "add", "bob", "--role", "editor", "--password", "short")]
    [InlineData("user", "remove", "bob")]
    [InlineData("web")]
    [InlineData("web", "/no/such/folder")]
    [InlineData("serve")]
    [InlineData("serve", "/no/such/folder")]
    [InlineData("serve", ".", "--grace", "soon")]
    [InlineData("serve", ".", "--webhook", "ftp://example.org/hook")]
    [InlineData("serve", ".", "--webhook", "sms=not a url")]
    [InlineData("serve", ".", "--webhook", "sms=http://a.example/1,sms=http://a.example/2")]
    [InlineData("serve", ".", "--webhook-attempts", "0")]
    [InlineData("serve", ".", "--webhook-timeout", "never")]
    public async Task Usage_mistakes_exit_2(params string[] args)
    {
        var db = Path.Combine(Path.GetTempPath(), "mdsl-cli-tests", Guid.NewGuid().ToString("N"), "editor.db");
        var full = args[0] == "user" && args[1] == "add" ? [.. args, "--db", db] : args;
        var (code, _, error) = await Run(full);
        Assert.Equal(2, code);
        Assert.StartsWith("mdsl:", error);
    }
}
