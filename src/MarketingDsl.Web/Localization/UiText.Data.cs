namespace MarketingDsl.Web.Localization;

/// <summary>The words of the data-aware editor (data set, audience sizes) and of the user page, in English and 简体中文.</summary>
public sealed partial class UiText
{
    private static readonly Dictionary<string, (string En, string Zh)> DataTexts = new(StringComparer.Ordinal)
    {
        ["editor.data"] = ("Data:", "数据："),
        ["editor.data.none"] = ("none", "无"),
        ["editor.data.hint"] = ("A data set of the data root: audience sizes beside segments, groups and yes/no tags, "
                + "value completion in quotes, and warnings for values that never occur.",
            "数据根目录中的数据集：在人群、分组和是/否标签旁显示人数，在引号内补全数据中的值，并警告从未出现的值。"),
        ["editor.data.loading"] = ("loading {0}…", "正在加载 {0}…"),
        ["editor.data.asof"] = ("as of", "截至"),
        ["editor.data.users"] = ("{0} users", "{0} 位用户"),
        ["editor.data.sample"] = ("sample of {0} of {1} users", "抽样 {0} / {1} 位用户"),
        ["editor.data.of"] = ("of", "/"),
        ["editor.data.errors"] = ("sizes need a workspace without errors", "工作区有错误，无法计算人数"),
        ["editor.data.notscored"] = ("(model {0} not scored)", "（模型 {0} 未评分）"),
        ["nav.user"] = ("User", "用户"),
        ["user.title"] = ("User", "用户"),
        ["user.intro"] = ("One user of a data set as the working copy sees them: profile, every tag with its definition, "
                + "segments, groups, journeys and recent events.",
            "工作副本眼中的某个用户：档案、每个标签的值及其定义、所属人群和分组、旅程和最近事件。"),
        ["user.id"] = ("User id", "用户 ID"),
        ["user.folder"] = ("Data folder", "数据目录"),
        ["user.asof"] = ("As of (UTC, ISO-8601)", "截至时间（UTC，ISO-8601）"),
        ["user.asof.latest"] = ("empty = latest event", "留空 = 最新事件时间"),
        ["user.show"] = ("Show", "查看"),
        ["user.loading"] = ("evaluating the working copy…", "正在计算工作副本…"),
        ["user.profile"] = ("Profile", "档案"),
        ["user.field"] = ("Field", "字段"),
        ["user.value"] = ("Value", "值"),
        ["user.tags"] = ("Tags", "标签"),
        ["user.tag"] = ("Tag", "标签"),
        ["user.name"] = ("Name", "名称"),
        ["user.definition"] = ("Definition", "定义"),
        ["user.segments"] = ("Segments", "人群"),
        ["user.in"] = ("in", "属于"),
        ["user.notin"] = ("not in", "不属于"),
        ["user.groups"] = ("Segmentation groups", "分群分组"),
        ["user.journeys"] = ("Journeys", "旅程"),
        ["user.journeys.live"] = ("From the live runtime of this process (mdsl serve).", "来自本进程的实时运行时（mdsl serve）。"),
        ["user.journeys.replay"] = ("Replayed on the data set for this user alone over the {0} days before the as-of instant "
                + "(journey-wide split winners are not known here).",
            "在数据集上仅为该用户回放截至时间之前 {0} 天（无法得知整个旅程的分流胜出结果）。"),
        ["user.journeys.live.denied"] = ("The live runtime's states need the publisher role.", "查看实时运行时的状态需要发布者角色。"),
        ["user.journey"] = ("Journey", "旅程"),
        ["user.state"] = ("State", "状态"),
        ["user.entered"] = ("Entered", "进入时间"),
        ["user.step"] = ("Current step", "当前步骤"),
        ["user.waituntil"] = ("Waiting until", "等待至"),
        ["user.heldout"] = ("held out", "对照组"),
        ["user.inflight"] = ("in flight", "进行中"),
        ["user.ended"] = ("ended", "已结束"),
        ["user.nojourneys"] = ("No journey in flight for this user.", "该用户没有进行中的旅程。"),
        ["user.events"] = ("Recent events", "最近事件"),
        ["user.noevents"] = ("No events.", "没有事件。"),
        ["user.time"] = ("Time (UTC)", "时间（UTC）"),
        ["user.type"] = ("Event", "事件"),
        ["user.fields"] = ("Fields", "字段"),
        ["user.notfound"] = ("There is no such user in this data set.", "该数据集中没有此用户。"),
        ["user.true"] = ("true", "是"),
        ["user.false"] = ("false", "否"),
        ["user.empty"] = ("empty", "空"),
        ["user.readonly"] = ("The user page shows member data and runs the engine: it needs the editor role.", "用户页面显示会员数据并运行引擎：需要编辑者角色。"),
        ["user.events.count"] = ("{0} of {1} events up to the as-of instant, newest first.", "截至时间之前的 {1} 个事件中的 {0} 个，最新的在前。"),
        ["user.meta"] = ("{0} · data set {1} · as of {2}", "{0} · 数据集 {1} · 截至 {2}"),
    };

    static UiText()
    {
        foreach (var (key, text) in DataTexts) Texts.Add(key, text);
    }
}
