using MarketingDsl.Core.Diagnostics;

namespace MarketingDsl.Core.Targets;

/// <summary>
/// MD8015–MD8017: a run of the in-process engine that cannot be planned under its memory limit
/// (<c>mdsl simulate --memory-limit</c>), said before the long import starts rather than by the
/// operating system ending the process or a disk filling up hours in.
/// </summary>
[DiagnosticCatalogue("targets")]
public static class MemoryLimitErrors
{
    private static readonly DiagnosticDescriptor s_tooManyPartitions = new("MD8015", DiagnosticSeverity.Error,
        "Memory limit too small for the data");
    public static DiagnosticMessage TooManyPartitions(string data, string inputSize, string limit, long partitions, int maxPartitions,
        string smallestLimit) => new(s_tooManyPartitions,
        $"'{data}' holds {inputSize} of input: under a memory limit of {limit} its import would need {partitions:N0} partitions of " +
            $"users, more than the {maxPartitions} a run can keep spill files open for, so each partition would exceed its share of the limit.",
        $"'{data}' 的输入数据为 {inputSize}：在 {limit} 的内存限制下，导入需要 {partitions:N0} 个用户分区，超过一次运行可同时打开溢写文件的 " +
            $"{maxPartitions} 个分区，每个分区都会超出其应占的内存份额。",
        $"raise --memory-limit to at least {smallestLimit}");

    private static readonly DiagnosticDescriptor s_usersOverLimit = new("MD8016", DiagnosticSeverity.Error,
        "Memory limit too small for the users");
    public static DiagnosticMessage UsersOverLimit(string data, long users, string kept, string limit, string smallestLimit) =>
        new(s_usersOverLimit,
            $"'{data}' has {users:N0} users: what a partitioned run keeps for every user (ids, profiles, the inputs and scores of " +
                $"population ranks and models) takes about {kept}, which leaves no room for a partition under a memory limit of {limit}.",
            $"'{data}' 有 {users:N0} 个用户：分区运行为每个用户保留的数据（ID、档案、总体排名与模型的输入和得分）约占 {kept}，" +
                $"在 {limit} 的内存限制下已没有容纳一个分区的空间。",
            $"raise --memory-limit to at least {smallestLimit}");

    private static readonly DiagnosticDescriptor s_spillDiskFull = new("MD8017", DiagnosticSeverity.Error,
        "Not enough disk for the spill files");
    public static DiagnosticMessage SpillDiskFull(string data, string directory, string needed, string free) => new(s_spillDiskFull,
        $"the spill files of '{data}' under the memory limit need about {needed} in '{directory}', which has {free} free.",
        $"'{data}' 在内存限制下的溢写文件约需 {needed}，而 '{directory}' 只有 {free} 可用空间。",
        "free disk space there, point TMPDIR at a larger disk, or raise --memory-limit so that the data fits in memory");

    // MD8050 (Import snapshot too large for the memory limit) retired: such a snapshot is read in partitions of users.
}
