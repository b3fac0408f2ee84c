using MarketingDsl.Cli;

namespace MarketingDsl.Cli.Tests;

public sealed class FormatCommandTests : IDisposable
{
    private const string Messy = "tag a=1\ntag   b = a+1\n";
    private const string Canonical = "tag a = 1\ntag b = a + 1\n";
    private const string Broken = "tag c = (1 +\n";

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mdsl-fmt-" + Guid.NewGuid().ToString("N"));

    public FormatCommandTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private string Write(string relative, string text)
    {
        var path = Path.Combine(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    private static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = CommandLine.RunAsync(args, stdout, stderr).GetAwaiter().GetResult();
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void Check_lists_files_that_would_change_writes_nothing_and_exits_1()
    {
        var messy = Write("sub/messy.mdsl", Messy);
        var clean = Write("clean.mdsl", Canonical);
        var (exit, output, _) = Run("fmt", _dir, "--check");
        Assert.Equal(CommandLine.Problems, exit);
        Assert.Contains("sub/messy.mdsl", output);
        Assert.DoesNotContain("clean.mdsl", output);
        Assert.Equal(Messy, File.ReadAllText(messy));
        Assert.Equal(Canonical, File.ReadAllText(clean));
    }

    [Fact]
    public void Check_on_a_formatted_workspace_exits_0()
    {
        Write("clean.mdsl", Canonical);
        var (exit, output, _) = Run("fmt", _dir, "--check");
        Assert.Equal(CommandLine.Ok, exit);
        Assert.DoesNotContain("clean.mdsl", output);
    }

    [Fact]
    public void Fmt_rewrites_changed_files_in_place_and_lists_them()
    {
        var messy = Write("sub/messy.mdsl", Messy);
        Write("clean.mdsl", Canonical);
        var (exit, output, _) = Run("fmt", _dir);
        Assert.Equal(CommandLine.Ok, exit);
        Assert.Contains("sub/messy.mdsl", output);
        Assert.DoesNotContain("clean.mdsl", output);
        Assert.Equal(Canonical, File.ReadAllText(messy));
        Assert.Equal(CommandLine.Ok, Run("fmt", _dir, "--check").Exit);
    }

    [Fact]
    public void Fmt_accepts_a_single_file()
    {
        var messy = Write("one.mdsl", Messy);
        Assert.Equal(CommandLine.Ok, Run("fmt", messy).Exit);
        Assert.Equal(Canonical, File.ReadAllText(messy));
    }

    [Fact]
    public void File_with_syntax_errors_is_reported_and_left_untouched_exit_1()
    {
        var broken = Write("broken.mdsl", Broken);
        var messy = Write("messy.mdsl", Messy);
        var (exit, output, _) = Run("fmt", _dir);
        Assert.Equal(CommandLine.Problems, exit);
        Assert.Contains("broken.mdsl:", output);
        Assert.Contains("error MD", output);
        Assert.Equal(Broken, File.ReadAllText(broken));
        Assert.Equal(Canonical, File.ReadAllText(messy));

        Assert.Equal(CommandLine.Problems, Run("fmt", _dir, "--check").Exit);
    }

    [Fact]
    public void Usage_mistakes_exit_2()
    {
        Assert.Equal(CommandLine.Usage, Run("fmt").Exit);
        Assert.Equal(CommandLine.Usage, Run("fmt", _dir, "--frobnicate").Exit);
        Assert.Equal(CommandLine.Usage, Run("fmt", Path.Combine(_dir, "missing")).Exit);
    }

    [Fact]
    public void Help_mentions_fmt() => Assert.Contains("mdsl fmt WORKSPACE [--check]", CommandLine.Help);
}
