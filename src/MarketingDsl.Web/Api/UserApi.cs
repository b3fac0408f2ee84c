using MarketingDsl.Engine.Data;
using MarketingDsl.Web.DataAware;
using MarketingDsl.Web.Simulations;
using MarketingDsl.Web.Storage;

namespace MarketingDsl.Web.Api;

/// <summary>One user of a data folder, seen by the working copy (the page's unsaved buffers in place), as of an instant (empty: the latest
/// event).</summary>
public sealed record UserPageRequest(string? Id, string? Folder, string? AsOf, List<BufferText>? Buffers);

/// <summary>
/// The user page's API: `POST /api/user-page` answers one user's profile, tag values with their
/// definitions, segments, groups, journeys and recent events (<see cref="UserPages"/>). It shows
/// member data and runs the engine, so it needs the editor role (as a simulation does); the live
/// runtime's journey states need publisher or admin, as the runtime's own member-data reads do.
/// </summary>
public static class UserApi
{
    public const int MaxIdLength = 256;

    public static void MapUserApi(this WebApplication app)
    {
        app.MapPost("/api/user-page", async (UserPageRequest request, WorkspaceFolder workspace, EditorDataSets sets, UserPages pages,
            ModelTraining.ModelRegistryAccess models, Publishing.Publisher publisher, HttpContext ctx) =>
        {
            if (string.IsNullOrWhiteSpace(request.Id) || request.Id.Length > MaxIdLength)
                return Results.BadRequest(new { error = $"Give the user's id (at most {MaxIdLength} characters)." });
            Core.Compilation compilation;
            EditorData data;
            DateTime? asOf;
            try
            {
                asOf = AsOfInstant.Parse(request.AsOf);
                compilation = WorkspaceSources.Compile(WorkspaceSources.WorkingCopy(workspace, request.Buffers, out _), "The working copy");
                data = await sets.LoadAsync(FolderOf(request.Folder), compilation.Model.Schema);
            }
            catch (Exception ex) when (ex is UnsafePathException or FormatException or DataImportException)
            {
                return Results.BadRequest(new { error = ex.Message });
            }
            catch (CompileFailedException ex)
            {
                return Results.UnprocessableEntity(new { error = ex.Message, diagnostics = ex.Diagnostics });
            }
            var user = data.Data.IndexOfUser(request.Id);
            if (user < 0) return Results.NotFound(new { error = $"There is no user '{request.Id}' in the data set '{data.Name}'." });
            var scorer = models.ScorerFor(compilation);
            var result = await pages.EvaluateAsync(compilation, data, asOf ?? data.AsOfUtc, scorer);
            var seesLive = ctx.User.IsInRole(Roles.Publisher) || ctx.User.IsInRole(Roles.Admin);
            var live = seesLive ? publisher.Runtime?.UserView(request.Id, UserPages.RecentEvents) : null;
            var page = UserPages.Build(compilation, data, result, user, live, scorer);
            return Results.Ok(new
            {
                user = page,
                live = publisher.Runtime is null ? "none" : seesLive ? (live is null ? "unknown" : "found") : "denied",
            });
        }).RequireAuthorization(Policies.Edit).WithMetadata(EditorApiEndpoint.Instance).AddEndpointFilter(EditorApi.RequireAntiforgery);
    }

    private static string FolderOf(string? folder) =>
        string.IsNullOrWhiteSpace(folder) ? throw new UnsafePathException("Choose a data folder.") : folder;
}
