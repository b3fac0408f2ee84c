namespace MarketingDsl.Web.Localization;

/// <summary>
/// The UI's own words in English and Simplified Chinese. The language comes from `?lang=` (then
/// remembered in a cookie) or that cookie; English otherwise. Compiler messages come from the
/// diagnostic catalogues, which say each one in both languages (<see cref="LanguageOf"/>).
/// </summary>
public sealed class UiText
{
    public const string CookieName = "mdsl-lang";
    public const string English = "en";
    public const string Chinese = "zh-CN";

    private static readonly Dictionary<string, (string En, string Zh)> Texts = new(StringComparer.Ordinal)
    {
        ["app.title"] = ("MarketingDsl editor", "MarketingDsl 编辑器"),
        ["nav.editor"] = ("Editor", "编辑器"),
        ["nav.history"] = ("History", "历史版本"),
        ["nav.simulation"] = ("Simulation", "模拟"),
        ["nav.audience"] = ("Audience diff", "人群对比"),
        ["nav.journeys"] = ("Journeys", "旅程"),
        ["nav.later"] = ("coming in a later release", "后续版本提供"),
        ["nav.signout"] = ("Sign out", "退出"),
        ["nav.language"] = ("中文", "English"),
        ["login.title"] = ("Sign in", "登录"),
        ["login.user"] = ("User name", "用户名"),
        ["login.password"] = ("Password", "密码"),
        ["login.submit"] = ("Sign in", "登录"),
        ["login.failed"] = ("Unknown user name or wrong password.", "用户名或密码错误。"),
        ["login.locked"] = ("Too many failed sign-ins for this account: it is locked for {0} s. Try again later.",
            "该账号登录失败次数过多，已锁定 {0} 秒，请稍后再试。"),
        ["login.hint"] = ("Accounts are created with `mdsl user add NAME --role admin`.", "账号通过 `mdsl user add NAME --role admin` 创建。"),
        ["denied.title"] = ("Access denied", "无权访问"),
        ["denied.text"] = ("Your role does not allow this.", "您的角色无权执行此操作。"),
        ["editor.files"] = ("Files", "文件"),
        ["editor.new"] = ("New file", "新建文件"),
        ["editor.newprompt"] = ("Path of the new file (e.g. tags/new.mdsl)", "新文件路径（例如 tags/new.mdsl）"),
        ["editor.save"] = ("Save", "保存"),
        ["editor.format"] = ("Format", "格式化"),
        ["editor.problems"] = ("Problems", "问题"),
        ["editor.noproblems"] = ("No problems in this file.", "此文件没有问题。"),
        ["editor.saved"] = ("Saved (formatted) as version", "已保存（已格式化），版本"),
        ["editor.savedraw"] = ("Saved as written (syntax errors prevent formatting), version", "已按原文保存（有语法错误，无法格式化），版本"),
        ["editor.readonly"] = ("Read only: your role cannot save.", "只读：您的角色不能保存。"),
        ["editor.unsaved"] = ("unsaved changes", "未保存的更改"),
        ["editor.checking"] = ("checking…", "检查中…"),
        ["editor.open"] = ("Open a file on the left.", "请在左侧打开一个文件。"),
        ["editor.tests"] = ("Tests", "测试"),
        ["editor.runtests"] = ("▶ Run tests", "▶ 运行测试"),
        ["editor.testshint"] = ("Runs every test block of the workspace, unsaved changes included.", "运行工作区中的全部 test 块（包括未保存的更改）。"),
        ["editor.testsrunning"] = ("running tests…", "正在运行测试…"),
        ["editor.testspassed"] = ("passed", "通过"),
        ["editor.testsfailed"] = ("failed", "失败"),
        ["editor.testsnone"] = ("The workspace has no test blocks.", "工作区中没有 test 块。"),
        ["editor.testerrors"] = ("error(s): fix them before running tests", "个错误：请先修复，再运行测试"),
        ["editor.expect"] = ("expect", "期望"),
        ["editor.but"] = ("but", "实际"),
        ["editor.journeys"] = ("Journeys", "旅程"),
        ["editor.journeysnone"] = ("The workspace has no journeys.", "工作区中没有旅程。"),
        ["editor.journeyserrors"] = ("error(s) in the workspace: the views show what could be checked.", "个错误：视图仅显示已通过检查的部分。"),
        ["editor.trigger"] = ("Trigger", "触发"),
        ["editor.audience"] = ("Audience", "受众"),
        ["editor.everyone"] = ("everyone", "所有用户"),
        ["editor.reentry"] = ("Re-entry", "重复进入"),
        ["editor.goal"] = ("Goal", "目标"),
        ["editor.nogoal"] = ("none", "无"),
        ["editor.holdout"] = ("Holdout", "对照组"),
        ["editor.then"] = ("then", "是"),
        ["editor.else"] = ("else", "否"),
        ["editor.end"] = ("end", "结束"),
        ["history.title"] = ("Saved versions", "已保存的版本"),
        ["history.all"] = ("All files", "全部文件"),
        ["history.path"] = ("File", "文件"),
        ["history.author"] = ("Author", "作者"),
        ["history.time"] = ("Saved (UTC)", "保存时间（UTC）"),
        ["history.version"] = ("Version", "版本"),
        ["history.diff"] = ("Changes against the previous version", "与上一版本的差异"),
        ["history.first"] = ("First saved version of this file.", "此文件的首个保存版本。"),
        ["history.none"] = ("Nothing saved yet.", "尚无保存记录。"),
        ["history.show"] = ("show", "查看"),
        ["sim.title"] = ("Simulation of the working copy", "工作副本模拟"),
        ["sim.intro"] = ("Evaluates the saved files of the workspace on a data folder as of an instant, with the same engine as `mdsl simulate`.", "使用与 `mdsl simulate` 相同的引擎，在某个数据目录上按指定时间点计算工作区中已保存的文件。"),
        ["sim.folder"] = ("Data folder", "数据目录"),
        ["sim.asof"] = ("As of (UTC, ISO-8601)", "截至时间（UTC，ISO-8601）"),
        ["sim.asof.latest"] = ("empty = latest event", "留空 = 最新事件时间"),
        ["sim.run"] = ("Run simulation", "运行模拟"),
        ["sim.readonly"] = ("Viewers can open stored results; running needs the editor role.", "查看者可以打开已保存的结果；运行模拟需要编辑者角色。"),
        ["sim.noroot"] = ("The data root does not exist:", "数据根目录不存在："),
        ["sim.nofolders"] = ("No data folders (with a profiles file) in the data root:", "数据根目录中没有（含 profiles 文件的）数据目录："),
        ["sim.queued"] = ("queued", "排队中"),
        ["sim.running"] = ("running", "运行中"),
        ["sim.st.queued"] = ("queued", "排队中"),
        ["sim.st.running"] = ("running", "运行中"),
        ["sim.st.done"] = ("done", "完成"),
        ["sim.st.failed"] = ("failed", "失败"),
        ["sim.st.interrupted"] = ("interrupted", "已中断"),
        ["sim.loading"] = ("loading data", "加载数据"),
        ["sim.evaluating"] = ("evaluating", "计算中"),
        ["sim.summarising"] = ("summarising", "汇总中"),
        ["sim.runs"] = ("Stored results", "已保存的结果"),
        ["sim.noruns"] = ("No simulation has been run yet.", "尚未运行过模拟。"),
        ["sim.status"] = ("Status", "状态"),
        ["sim.users"] = ("Users", "用户数"),
        ["sim.started"] = ("Started (UTC)", "开始时间（UTC）"),
        ["sim.open"] = ("open", "打开"),
        ["sim.result"] = ("Result", "结果"),
        ["sim.quality"] = ("Data quality", "数据质量"),
        ["sim.segments"] = ("Segments", "人群"),
        ["sim.segmentations"] = ("Segmentations", "分群"),
        ["sim.tags"] = ("Tag distributions", "标签分布"),
        ["sim.empty"] = ("empty", "空值"),
        ["sim.other"] = ("other values", "其他值"),
        ["sim.sample"] = ("Sample of matching users", "匹配用户示例"),
        ["sim.sample.of"] = ("users shown of", "位用户，共"),
        ["sim.cache"] = ("data set reused from memory", "数据集来自内存缓存"),
        ["sim.load"] = ("load", "加载"),
        ["sim.evaluate"] = ("evaluate", "计算"),
        ["sim.summarise"] = ("summarise", "汇总"),
        ["sim.buffers"] = ("with unsaved buffers:", "包含未保存的缓冲区："),
        ["sim.failed"] = ("The run failed:", "运行失败："),
        ["sim.q.profile_rows"] = ("profile rows read", "读取的用户档案行"),
        ["sim.q.users"] = ("users (after identity merges)", "用户（身份合并后）"),
        ["sim.q.event_rows"] = ("event rows read", "读取的事件行"),
        ["sim.q.rejected_rows"] = ("rejected rows", "被拒绝的行"),
        ["sim.q.duplicates_dropped"] = ("duplicates dropped", "去除的重复事件"),
        ["sim.q.orphan_events"] = ("orphan events (no such user)", "孤立事件（无对应用户）"),
        ["sim.q.unknown_type_events"] = ("events of an unknown type", "未知类型的事件"),
        ["sim.q.identity_merges"] = ("identity merges", "身份合并"),
        ["sim.q.events_after_as_of"] = ("events after the as-of instant", "截至时间之后的事件"),
        ["diff.title"] = ("Audience diff", "人群对比"),
        ["diff.intro"] = ("Who enters and leaves each segment and group when the rules change: the working copy against a saved version, or two Git revisions, on the same data as of the same instant.", "规则变化时哪些用户进入或离开各人群和分组：在相同数据和相同时间点上，对比工作副本与某个已保存版本，或两个 Git 版本。"),
        ["diff.mode.version"] = ("Working copy vs a saved version", "工作副本 vs 已保存版本"),
        ["diff.mode.git"] = ("Git revisions", "Git 版本"),
        ["diff.version"] = ("Saved version", "已保存版本"),
        ["diff.from"] = ("From revision", "起始版本"),
        ["diff.to"] = ("To revision (empty = working copy)", "目标版本（留空 = 工作副本）"),
        ["diff.nogit"] = ("The workspace folder is not in a Git repository.", "工作区目录不在 Git 仓库中。"),
        ["diff.noversions"] = ("Nothing saved yet.", "尚无保存记录。"),
        ["diff.compare"] = ("Compare", "对比"),
        ["diff.running"] = ("comparing…", "对比中…"),
        ["diff.name"] = ("Name", "名称"),
        ["diff.before"] = ("Before", "之前"),
        ["diff.after"] = ("After", "之后"),
        ["diff.added"] = ("Added", "新增"),
        ["diff.removed"] = ("Removed", "移除"),
        ["diff.addedids"] = ("Added (sample)", "新增（示例）"),
        ["diff.removedids"] = ("Removed (sample)", "移除（示例）"),
        ["diff.tags"] = ("Tags", "标签"),
        ["diff.users"] = ("users", "位用户"),
        ["diff.changed"] = ("Users whose value changed", "值发生变化的用户数"),
        ["diff.only.after"] = ("new", "新增"),
        ["diff.only.before"] = ("deleted", "已删除"),
        ["diff.readonly"] = ("Comparing runs the engine and needs the editor role.", "对比需要运行引擎，需要编辑者角色。"),
        ["nav.publications"] = ("Publications", "发布记录"),
        ["editor.publish"] = ("Publish…", "发布…"),
        ["editor.publishtab"] = ("Publish", "发布"),
        ["editor.publishhint"] = ("Publishing installs the saved workspace in the live runtime of this process; first a preview shows what it would do.", "发布会把已保存的工作区安装到本进程的实时运行时；发布前会先预览其影响。"),
        ["editor.publishnoruntime"] = ("No live runtime in this process (mdsl web); use mdsl serve to publish.", "本进程中没有实时运行时（mdsl web）；请使用 mdsl serve 发布。"),
        ["editor.publishunsaved"] = ("Save your changes first: publishing installs the saved files only. Unsaved:", "请先保存：发布只安装已保存的文件。未保存："),
        ["editor.publishpreviewing"] = ("compiling the saved workspace…", "正在编译已保存的工作区…"),
        ["editor.publisherrors"] = ("Not published: the saved workspace has errors.", "未发布：已保存的工作区有错误。"),
        ["editor.publishpreview"] = ("Preview: what publishing would do now", "预览：现在发布将产生的影响"),
        ["editor.publishfiles"] = ("saved files, content hash", "个已保存文件，内容哈希"),
        ["editor.publishjourneys"] = ("journeys with a trigger", "个带触发条件的旅程"),
        ["editor.publishadded"] = ("Added", "新增"),
        ["editor.publishremoved"] = ("Removed", "移除"),
        ["editor.publishchanged"] = ("Waits or sends changed", "等待或发送步骤有变化"),
        ["editor.publishcontinued"] = ("users in flight continue", "位进行中的用户继续"),
        ["editor.publishended"] = ("in-flight states end", "个进行中的状态将结束"),
        ["editor.publishendedwere"] = ("in-flight states ended", "个进行中的状态已结束"),
        ["editor.publishjourney"] = ("Journey", "旅程"),
        ["editor.publishreason"] = ("Reason", "原因"),
        ["editor.publishcount"] = ("Count", "数量"),
        ["editor.publishnone"] = ("none", "无"),
        ["editor.publishconfirm"] = ("Confirm: publish to the live runtime", "确认：发布到实时运行时"),
        ["editor.publishing"] = ("publishing…", "发布中…"),
        ["editor.published"] = ("Published as publication", "已发布，发布记录"),
        ["editor.publishfailed"] = ("Not published:", "未发布："),
        ["pub.title"] = ("Publications to the live runtime", "发布到实时运行时的记录"),
        ["pub.none"] = ("Nothing published yet.", "尚无发布记录。"),
        ["pub.noruntime"] = ("No live runtime in this process (mdsl web): publishing needs mdsl serve.", "本进程中没有实时运行时（mdsl web）：发布需要 mdsl serve。"),
        ["pub.id"] = ("Publication", "发布"),
        ["pub.author"] = ("Publisher", "发布者"),
        ["pub.time"] = ("Published (UTC)", "发布时间（UTC）"),
        ["pub.hash"] = ("Workspace hash (SHA-256)", "工作区哈希（SHA-256）"),
        ["pub.journeys"] = ("Journeys", "旅程"),
        ["pub.changes"] = ("Added / removed / steps changed", "新增 / 移除 / 步骤变化"),
        ["pub.continued"] = ("Continued", "继续"),
        ["pub.ended"] = ("Ended (journey, reason)", "结束（旅程，原因）"),
        ["pub.result"] = ("Result", "结果"),
        ["pub.installed"] = ("published", "已发布"),
        ["role"] = ("Role", "角色"),
    };

    public UiText(string language) => Language = language == Chinese ? Chinese : English;

    public string Language { get; }
    public bool IsChinese => Language == Chinese;
    public string Other => IsChinese ? English : Chinese;

    public string this[string key] => Texts.TryGetValue(key, out var t) ? (IsChinese ? t.Zh : t.En) : key;

    /// <summary>The texts the editor script needs, for the current language.</summary>
    public IReadOnlyDictionary<string, string> ForScript() => ForScript("editor.");

    /// <summary>The texts whose keys start with the prefix, for a page's script.</summary>
    public IReadOnlyDictionary<string, string> ForScript(string prefix) =>
        Texts.Where(t => t.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(t => t.Key, t => IsChinese ? t.Value.Zh : t.Value.En);

    /// <summary>The UI language of a request (the cookie set by a page's `?lang=`), for API answers such as editor markers.</summary>
    public static string LanguageOf(HttpContext context) => context.Request.Cookies[CookieName] == Chinese ? Chinese : English;

    /// <summary>Reads `?lang=` (remembering it in a cookie) or the cookie.</summary>
    public static UiText For(HttpContext context)
    {
        var query = context.Request.Query["lang"].ToString();
        if (query is English or Chinese)
        {
            context.Response.Cookies.Append(CookieName, query, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Lax, MaxAge = TimeSpan.FromDays(365), IsEssential = true });
            return new UiText(query);
        }
        return new UiText(context.Request.Cookies[CookieName] ?? English);
    }
}
