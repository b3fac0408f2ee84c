using MarketingDsl.Web;

// Run with `mdsl web WORKSPACE`, or `dotnet run --project src/MarketingDsl.Web -- --Editor:Workspace=DIR`.
var app = EditorApp.Build(args);
app.Run();

/// <summary>The entry point, public for WebApplicationFactory in the tests.</summary>
public partial class Program;
