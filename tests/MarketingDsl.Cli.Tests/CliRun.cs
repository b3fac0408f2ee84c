namespace MarketingDsl.Cli.Tests;

/// <summary>Runs `mdsl ARGS…` in process, capturing its exit code and output; and a scratch folder per test class.</summary>
public abstract class CliRun : IDisposable
{
    protected readonly string Dir = Path.Combine(Path.GetTempPath(), "mdsl-cli-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(Dir)) Directory.Delete(Dir, recursive: true);
        GC.SuppressFinalize(this);
    }

    protected static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = CommandLine.RunAsync(args, stdout, stderr).GetAwaiter().GetResult();
        return (exit, stdout.ToString(), stderr.ToString());
    }
}
