using MarketingDsl.Core;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;
using MarketingDsl.Engine.Lowering;

namespace MarketingDsl.Engine.Tests.Evaluation;

/// <summary>
/// A data set read with only the plan's columns (an import snapshot) holds null for the other fields: the evaluation
/// context makes an all-null stand-in only for a field the plan's code reads, never one as long as its table for the rest.
/// </summary>
public sealed class EvalContextColumnsTests
{
    [Fact]
    public void Only_fields_the_plan_reads_get_a_stand_in_when_the_data_lacks_them()
    {
        var compilation = Compilation.Create(("main.mdsl", """
            schema {
              profile { user_id: string key }
              event view { sku: string, category: string, seconds: int }
            }
            tag a_views = count(view, where: category == "a")
            """));
        Assert.False(compilation.HasErrors);
        var schema = compilation.Model.Schema;
        var view = schema.Events.Single();
        var data = InMemoryData.Build(schema, [["u1"]], [(view, ["u1", new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc), "s", "a", 3L])]);
        var table = data.Events[0]!;
        // As a snapshot read with the plan's columns leaves them: every field missing, `category` included.
        var bare = new EventTable(view, table.UserStart, table.Ts, table.Line, new Column?[view.Fields.Length]);
        var lacking = new DataSet(schema, data.UserIds, data.Profiles, [bare], data.Report, data.MaxTimestampTicks, []);
        var plan = PlanCompiler.Compile(compilation.Model);
        int Ordinal(string field) => view.OrdinalOf(field);

        var context = new EvalContext(compilation.Model, lacking, DateTime.UtcNow, ClrTypes.NewArray, plan.Columns);
        Assert.NotNull(context.Events[0].Fields[Ordinal("category")]);
        Assert.Null(context.Events[0].Fields[Ordinal("sku")]);
        Assert.Null(context.Events[0].Fields[Ordinal("seconds")]);

        var everyField = new EvalContext(compilation.Model, lacking, DateTime.UtcNow, ClrTypes.NewArray);
        Assert.All(everyField.Events[0].Fields.Skip(2), Assert.NotNull);
        Assert.Equal(0L, CompiledEngine.Evaluate(plan, lacking, DateTime.UtcNow).Columns[0].Get(0));
    }
}
