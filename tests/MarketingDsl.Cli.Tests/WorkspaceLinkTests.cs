namespace MarketingDsl.Cli.Tests;

/// <summary>Symbolic links in a workspace that lead outside it are refused by `check` (and by `serve` and a reload,
/// which load the workspace alike).</summary>
public sealed class WorkspaceLinkTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mdsl-link-tests", Guid.NewGuid().ToString("N"));
    private const string Schema = "schema {\n  profile { user_id: string key }\n  event login { }\n}\n";

    public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    private string NewWorkspace()
    {
        var ws = Path.Combine(_dir, "ws");
        Directory.CreateDirectory(ws);
        File.WriteAllText(Path.Combine(ws, "schema.mdsl"), Schema);
        var outside = Path.Combine(_dir, "outside");
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(outside, "secret.mdsl"), "tag secret = \"the secret text\"\n");
        return ws;
    }

    private static (int Exit, string Err) Check(string ws)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = CommandLine.RunAsync(["check", ws], stdout, stderr).GetAwaiter().GetResult();
        return (exit, stderr.ToString() + stdout);
    }

    [Fact]
    public void A_file_link_leading_outside_is_refused_naming_the_link_and_not_showing_the_file()
    {
        var ws = NewWorkspace();
        File.CreateSymbolicLink(Path.Combine(ws, "stolen.mdsl"), Path.Combine(_dir, "outside", "secret.mdsl"));
        var (exit, text) = Check(ws);
        Assert.Equal(2, exit);
        Assert.Contains("'stolen.mdsl' is a symbolic link that leads outside the workspace", text);
        Assert.DoesNotContain("the secret text", text);
    }

    [Fact]
    public void A_folder_link_leading_outside_is_refused()
    {
        var ws = NewWorkspace();
        Directory.CreateSymbolicLink(Path.Combine(ws, "more"), Path.Combine(_dir, "outside"));
        var (exit, text) = Check(ws);
        Assert.Equal(2, exit);
        Assert.Contains("'more' is a symbolic link that leads outside the workspace", text);
    }

    [Fact]
    public void A_link_inside_the_workspace_is_fine()
    {
        var ws = NewWorkspace();
        Directory.CreateDirectory(Path.Combine(ws, "lib"));
        File.WriteAllText(Path.Combine(ws, "lib", "tags.mdsl"), "tag n = count(login, within: 7d)\n");
        Directory.CreateSymbolicLink(Path.Combine(ws, "alias"), Path.Combine(ws, "lib"));
        var (exit, text) = Check(ws);
        Assert.True(exit is 0 or 1, text);
        Assert.DoesNotContain("symbolic link", text);
    }
}
