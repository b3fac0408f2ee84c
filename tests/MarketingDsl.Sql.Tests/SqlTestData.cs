using System.Collections.Immutable;
using MarketingDsl.Core;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Engine.Simulation;
using MarketingDsl.Sql.Execution;
using MarketingDsl.Testing;

namespace MarketingDsl.Sql.Tests;

/// <summary>Runs one workspace on one data set through the in-process engine and a SQL result; compares the written values.</summary>
internal static class SqlTestData
{
    public static DataSet Load(Compilation compilation, string dataDir) =>
        SimulationRunner.LoadData(compilation.Model.Schema, dataDir, rejectsPath: null);

    /// <summary>The first difference between the engine's written values and the SQL's, for every output the SQL computes; null when equal.</summary>
    public static string? FirstDifference(Compilation compilation, SqlCompilation sql, DataSet data, DateTime asOf,
        ImmutableArray<ResultColumn> sqlColumns)
    {
        var engine = CompiledEngine.Evaluate(CompiledEngine.PlanFor(compilation), data, asOf);
        for (var i = 0; i < sql.Outputs.Length; i++)
        {
            var expected = engine.Column(sql.Outputs[i].Name);
            for (var user = 0; user < data.UserCount; user++)
            {
                var (e, a) = (ValueFormatter.Format(expected.Get(user)), ValueFormatter.Format(sqlColumns[i].Get(user)));
                if (e != a) return $"{sql.Outputs[i].Name} of user {data.UserIds[user]} as of {asOf:O}: engine '{e}', SQL '{a}'";
            }
        }
        return null;
    }

    public static string Example(string name) => RepoRoot.Combine("examples", name);

    /// <summary>An example (examples/NAME) or a case of this project (Cases/NAME).</summary>
    public static string Workspace(string name) =>
        Directory.Exists(Example(name)) ? Example(name) : RepoRoot.Combine("tests", "MarketingDsl.Sql.Tests", "Cases", name);
}
