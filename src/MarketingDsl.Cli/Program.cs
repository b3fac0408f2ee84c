using MarketingDsl.Cli;

// mdsl: exit 0 = success (warnings allowed), 1 = problems in the workspace or failed tests,
// 2 = usage or IO problems.
return await CommandLine.RunAsync(args, Console.Out, Console.Error);
