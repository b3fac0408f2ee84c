using MarketingDsl.Core.Semantics;
using MarketingDsl.Engine.Data;
using MarketingDsl.Engine.Evaluation;

namespace MarketingDsl.Engine.Simulation;

/// <summary>
/// The <see cref="SimulationSummary"/> of a run whose results come a partition at a time, in user
/// order (<see cref="PartitionedEvaluation"/>): every output is counted as its partition arrives
/// (<see cref="OutputStatistics"/>, the rules of the run in memory), and the numbers of int and
/// decimal outputs go to a file each, read back one output at a time at the end for the median and
/// p90. Nothing is kept per user in memory but one output's numbers while they are ranked.
/// </summary>
internal sealed class StreamedSummary : IDisposable
{
    private readonly OutputStatistics[] _outputs;
    private readonly NumberFile?[] _numbers;

    /// <param name="directory">Where the number files go (deleted with the summary).</param>
    public StreamedSummary(SemanticModel model, string directory)
    {
        _outputs = [.. model.Outputs.Select(OutputStatistics.Start)];
        _numbers = [.. model.Outputs.Select((o, i) => o.Type.Kind is TypeKind.Int or TypeKind.Decimal && !o.Type.IsList
            ? new NumberFile(Path.Combine(directory, $"numbers-{i}.bin")) : null)];
    }

    /// <summary>Counts the users of the next partition (after those of the partitions before it).</summary>
    public void Add(EvaluationResult partition)
    {
        var users = partition.Data.UserCount;
        Parallel.For(0, _outputs.Length, i => _outputs[i].Add(partition.Columns[i], users, _numbers[i]));
    }

    public SimulationSummary Finish(SemanticModel model, DataSet users, DateTime asOfUtc, long eventsAfterAsOf, FunctionFailureLog failures)
    {
        for (var i = 0; i < _outputs.Length; i++)
        {
            var numbers = _numbers[i];
            _outputs[i].Finish(count => numbers!.ReadAll(count));
            numbers?.Dispose();
        }
        return SimulationSummary.Of(model, users, asOfUtc, eventsAfterAsOf, _outputs, failures);
    }

    public void Dispose()
    {
        foreach (var numbers in _numbers) numbers?.Dispose();
    }
}

/// <summary>Numbers appended to a file in order and read back all at once; deleted when disposed.</summary>
internal sealed class NumberFile(string path) : IDisposable
{
    private FileStream? _stream = new(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
    private BinaryWriter? _writer;
    private long _count;

    public void Add(decimal value)
    {
        (_writer ??= new BinaryWriter(_stream!)).Write(value);
        _count++;
    }

    /// <summary>The <paramref name="count"/> numbers added (as many as were added), in order.</summary>
    public decimal[] ReadAll(int count)
    {
        if (count != _count) throw new InvalidOperationException($"{_count} numbers written, {count} asked for");
        _writer?.Flush();
        _stream!.Position = 0;
        var numbers = new decimal[count];
        using var reader = new BinaryReader(_stream, System.Text.Encoding.UTF8, leaveOpen: true);
        for (var i = 0; i < count; i++) numbers[i] = reader.ReadDecimal();
        return numbers;
    }

    public void Dispose()
    {
        _writer?.Dispose();
        _stream?.Dispose();
        _stream = null;
        _writer = null;
    }
}
