namespace MarketingDsl.Web.Localization;

/// <summary>
/// The UI's own words in English and Simplified Chinese. The language comes from `?lang=` (then
/// remembered in a cookie) or that cookie; English otherwise. Compiler messages are the
/// compiler's, in English, with the marketers' Chinese labels as written.
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
        ["role"] = ("Role", "角色"),
    };

    public UiText(string language) => Language = language == Chinese ? Chinese : English;

    public string Language { get; }
    public bool IsChinese => Language == Chinese;
    public string Other => IsChinese ? English : Chinese;

    public string this[string key] => Texts.TryGetValue(key, out var t) ? (IsChinese ? t.Zh : t.En) : key;

    /// <summary>The texts the editor script needs, for the current language.</summary>
    public IReadOnlyDictionary<string, string> ForScript() =>
        Texts.Where(t => t.Key.StartsWith("editor.", StringComparison.Ordinal)).ToDictionary(t => t.Key, t => IsChinese ? t.Value.Zh : t.Value.En);

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
