using LiteDB;
using MarketingDsl.Models.Training;

namespace MarketingDsl.Models.Registry;

/// <summary>
/// The trained models of a workspace, in LiteDB at <c>WORKSPACE/.mdsl/models.db</c>: one document
/// per model name (the latest training replaces the one before), holding the ML.NET zip, the
/// report, the declaration and feature hashes, the data fingerprint and the training instants.
/// </summary>
public sealed class ModelRegistry : IDisposable
{
    private const string Collection = "models";
    private readonly LiteDatabase _db;

    /// <exception cref="IOException">The file is not a readable model registry (damaged, or another kind of file).</exception>
    public ModelRegistry(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        try
        {
            _db = new LiteDatabase(new ConnectionString { Filename = path, Connection = ConnectionType.Direct });
            _db.GetCollection<TrainedModel>(Collection).EnsureIndex(m => m.Name, unique: true);
        }
        catch (Exception ex) when (ex is not (OutOfMemoryException or IOException or UnauthorizedAccessException))
        {
            // LiteDB reports a damaged file with many exception types (a bad header date is an
            // ArgumentOutOfRangeException): every one of them is "this file is not a registry".
            _db?.Dispose();
            throw new IOException($"the model registry {path} cannot be read ({ex.Message}); delete it and run mdsl train again", ex);
        }
    }

    /// <summary>Where a workspace keeps its registry.</summary>
    public static string PathFor(string workspaceDirectory) => Path.Combine(workspaceDirectory, ".mdsl", "models.db");

    /// <summary>Opens the registry of a workspace if it exists (null otherwise: nothing trained yet).</summary>
    public static ModelRegistry? OpenExisting(string workspaceDirectory)
    {
        var path = PathFor(workspaceDirectory);
        return File.Exists(path) ? new ModelRegistry(path) : null;
    }

    public void Save(TrainedModel model)
    {
        var collection = _db.GetCollection<TrainedModel>(Collection);
        collection.DeleteMany(m => m.Name == model.Name);
        collection.Insert(model);
    }

    /// <exception cref="IOException">The registry's pages are damaged.</exception>
    public IReadOnlyList<TrainedModel> All()
    {
        try { return [.. _db.GetCollection<TrainedModel>(Collection).FindAll().OrderBy(m => m.Name, StringComparer.Ordinal)]; }
        catch (Exception ex) when (ex is not (OutOfMemoryException or IOException))
        {
            throw new IOException($"the model registry cannot be read ({ex.Message}); delete it and run mdsl train again", ex);
        }
    }

    public TrainedModel? Find(string name) => _db.GetCollection<TrainedModel>(Collection).FindOne(m => m.Name == name);

    public void Dispose() => _db.Dispose();
}
