namespace MarketingDsl.Cli;

/// <summary>Commands that run the engine: simulate, test, generate-data.</summary>
public static class EngineCommands
{
    public static Task<int>? TryRun(string command, Options options, TextWriter stdout, TextWriter stderr) => command switch
    {
        "test" => Task.FromResult(TestCommand.Run(options, stdout, stderr)),
        _ => null,
    };
}
