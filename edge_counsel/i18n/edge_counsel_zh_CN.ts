<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>AdminPage</name>
    <message>
        <source>Automatic (from the locale)</source>
        <translation>自动（按系统区域）</translation>
    </message>
    <message>
        <source>Follow the system</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <source> s</source>
        <translation> 秒</translation>
    </message>
    <message>
        <source>New PIN (optional)</source>
        <translation>新 PIN（可不填）</translation>
    </message>
    <message>
        <source>Repeat new PIN</source>
        <translation>再输一次新 PIN</translation>
    </message>
    <message>
        <source>Kiosk settings</source>
        <translation>终端设置</translation>
    </message>
    <message>
        <source>Kiosk name</source>
        <translation>终端名称</translation>
    </message>
    <message>
        <source>Counselor name</source>
        <translation>值班老师姓名</translation>
    </message>
    <message>
        <source>Counselor room</source>
        <translation>值班老师房间</translation>
    </message>
    <message>
        <source>Counselor phone</source>
        <translation>值班老师电话</translation>
    </message>
    <message>
        <source>Counselor hours</source>
        <translation>值班时间</translation>
    </message>
    <message>
        <source>Hotline region</source>
        <translation>热线地区</translation>
    </message>
    <message>
        <source>Hotline override file</source>
        <translation>自定义热线文件</translation>
    </message>
    <message>
        <source>Idle timeout</source>
        <translation>空闲超时</translation>
    </message>
    <message>
        <source>Language (from the next start)</source>
        <translation>界面语言（下次启动时生效）</translation>
    </message>
    <message>
        <source>Model (id or GGUF path)</source>
        <translation>模型（ID 或 GGUF 路径）</translation>
    </message>
    <message>
        <source>Alert command (argv)</source>
        <translation>通知命令（argv）</translation>
    </message>
    <message>
        <source>Change PIN</source>
        <translation>修改 PIN</translation>
    </message>
    <message>
        <source>Anonymous counts</source>
        <translation>匿名统计</translation>
    </message>
    <message>
        <source>Save and apply</source>
        <translation>保存并应用</translation>
    </message>
    <message>
        <source>Test alert</source>
        <translation>测试通知</translation>
    </message>
    <message>
        <source>Back to welcome</source>
        <translation>返回欢迎页</translation>
    </message>
    <message>
        <source>Exit kiosk</source>
        <translation>退出终端模式</translation>
    </message>
    <message>
        <source>The alert command cannot be read ({error}); check its quotes.</source>
        <translation>无法解析通知命令（{error}），请检查其中的引号。</translation>
    </message>
</context>
<context>
    <name>ChangePassphraseDialog</name>
    <message>
        <source>Changing…</source>
        <translation>正在修改…</translation>
    </message>
    <message>
        <source>Change passphrase</source>
        <translation>修改密码</translation>
    </message>
    <message>
        <source>Current</source>
        <translation>当前密码</translation>
    </message>
    <message>
        <source>New</source>
        <translation>新密码</translation>
    </message>
    <message>
        <source>Again</source>
        <translation>再输一次</translation>
    </message>
    <message>
        <source>The new passphrases differ.</source>
        <translation>两次输入的新密码不一致。</translation>
    </message>
</context>
<context>
    <name>ChatPanel</name>
    <message>
        <source>Write here…</source>
        <translation>在这里写下你想说的…</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Regenerate</source>
        <translation>重新回答</translation>
    </message>
    <message>
        <source>New conversation</source>
        <translation>新对话</translation>
    </message>
    <message>
        <source>Get help now</source>
        <translation>立即求助</translation>
    </message>
    <message>
        <source>Writing…</source>
        <translation>正在回复…</translation>
    </message>
    <message>
        <source>Getting ready…</source>
        <translation>正在准备…</translation>
    </message>
    <message>
        <source>Approach:</source>
        <translation>方式：</translation>
    </message>
    <message>
        <source>That message is {count:,} characters; the limit is {limit:,}. It is still in the box: send it in parts.</source>
        <translation>这条消息有 {count:,} 个字符，上限是 {limit:,} 个。内容仍在输入框中，请分几次发送。</translation>
    </message>
    <message>
        <source>The model is not loaded yet, so I can&apos;t answer.</source>
        <translation>模型尚未加载，所以我现在还不能回答。</translation>
    </message>
    <message>
        <source>Not saved: {error}</source>
        <translation>未保存：{error}</translation>
    </message>
    <message>
        <source>(stopped)</source>
        <translation>（已停止）</translation>
    </message>
    <message>
        <source>(A reply was withheld by the safety check and replaced with this one.)</source>
        <translation>（有一条回复未通过安全检查，已被拦下并替换为上面这段。）</translation>
    </message>
    <message>
        <source>(Your last message has no reply yet: press Regenerate to have it answered.)</source>
        <translation>（你的最后一条消息还没有回复：按“重新回答”即可得到回复。）</translation>
    </message>
</context>
<context>
    <name>ConversationList</name>
    <message>
        <source>New conversation</source>
        <translation>新对话</translation>
    </message>
    <message>
        <source>(untitled)</source>
        <translation>（无标题）</translation>
    </message>
</context>
<context>
    <name>ExercisesPage</name>
    <message>
        <source>Follow the chat</source>
        <translation>跟随聊天</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>开始</translation>
    </message>
    <message>
        <source>Suggest exercises</source>
        <translation>推荐练习</translation>
    </message>
    <message>
        <source>Choose an exercise to begin.</source>
        <translation>选择一个练习开始。</translation>
    </message>
</context>
<context>
    <name>HistoryPage</name>
    <message>
        <source>Search conversations and journal</source>
        <translation>搜索对话和日记</translation>
    </message>
    <message>
        <source>Continue</source>
        <translation>继续</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>导出…</translation>
    </message>
    <message>
        <source>Erase all data…</source>
        <translation>清除全部数据…</translation>
    </message>
    <message>
        <source>Delete this conversation for good?</source>
        <translation>永久删除这段对话？</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>导出</translation>
    </message>
    <message>
        <source>Warning: the exported file is NOT encrypted. Anyone who can open it can read this conversation. Keep it somewhere private, and delete it when you no longer need it.</source>
        <translation>警告：导出的文件没有加密。任何能打开它的人都能读到这段对话。请把它放在私密的地方，不再需要时请删除。</translation>
    </message>
    <message>
        <source>Export conversation</source>
        <translation>导出对话</translation>
    </message>
    <message>
        <source>Erase all data</source>
        <translation>清除全部数据</translation>
    </message>
    <message>
        <source>This deletes every conversation, journal entry, mood check-in, exercise and your safety plan. It cannot be undone. Type {word} to confirm.</source>
        <translation>这会删除所有对话、日记、心情记录、练习记录和你的安全计划，而且无法撤销。请输入 {word} 确认。</translation>
    </message>
</context>
<context>
    <name>InferenceWorker</name>
    <message>
        <source>The model stopped with an internal error ({name}). Try again, or start a new conversation.</source>
        <translation>模型因内部错误（{name}）停止了。请再试一次，或开始新对话。</translation>
    </message>
    <message>
        <source>The model is not loaded, so this needs to wait.</source>
        <translation>模型尚未加载，这项操作需要稍等。</translation>
    </message>
    <message>
        <source>The model task failed ({name}). Try again.</source>
        <translation>模型任务失败（{name}），请再试一次。</translation>
    </message>
</context>
<context>
    <name>JournalPage</name>
    <message>
        <source>Search your journal…</source>
        <translation>搜索日记…</translation>
    </message>
    <message>
        <source>Write whatever is on your mind…</source>
        <translation>写下你心里想的任何事…</translation>
    </message>
    <message>
        <source>Include recent weeks</source>
        <translation>参考最近几周的日记</translation>
    </message>
    <message>
        <source>New</source>
        <translation>新建</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>保存</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Reflect</source>
        <translation>AI 回顾</translation>
    </message>
    <message>
        <source>Write something first.</source>
        <translation>请先写点什么。</translation>
    </message>
    <message>
        <source>Saved {time}</source>
        <translation>已保存 {time}</translation>
    </message>
    <message>
        <source>Delete entry?</source>
        <translation>删除日记？</translation>
    </message>
    <message>
        <source>Delete this entry and its reflection for good?</source>
        <translation>永久删除这篇日记及其回顾？</translation>
    </message>
    <message>
        <source>Deleted.</source>
        <translation>已删除。</translation>
    </message>
    <message>
        <source>Reflection needs the model.</source>
        <translation>回顾需要先加载模型。</translation>
    </message>
    <message>
        <source>Reflecting…</source>
        <translation>正在回顾…</translation>
    </message>
    <message>
        <source>There is no AI reflection for this entry: what you wrote matters too much for that. Please look at the help that has opened.</source>
        <translation>这篇日记不做 AI 回顾：你写下的内容很重要，请看看已经打开的求助信息。</translation>
    </message>
</context>
<context>
    <name>KioskWindow</name>
    <message>
        <source>Talk to a counselor</source>
        <translation>找心理老师</translation>
    </message>
    <message>
        <source>I&apos;m done</source>
        <translation>我说完了</translation>
    </message>
    <message>
        <source>Staff</source>
        <translation>工作人员</translation>
    </message>
    <message>
        <source>Edge Counsel — an AI support kiosk, not a counselor</source>
        <translation>Edge Counsel — 人工智能自助终端，不是心理老师</translation>
    </message>
    <message>
        <source>Wrong PIN. {n} more tries before a lockout.</source>
        <translation>PIN 错误，锁定前还可尝试 {n} 次。</translation>
    </message>
    <message>
        <source>Too many wrong PINs. Try again in {time}.</source>
        <translation>PIN 错误次数过多，请在 {time} 后再试。</translation>
    </message>
    <message>
        <source>The PIN must be digits only (0-9).</source>
        <translation>PIN 只能是数字（0-9）。</translation>
    </message>
    <message>
        <source>The PIN needs at least {digits} digits.</source>
        <translation>PIN 至少需要 {digits} 位数字。</translation>
    </message>
    <message>
        <source>Choose a PIN that is not one digit repeated.</source>
        <translation>请不要使用同一个数字重复组成的 PIN。</translation>
    </message>
    <message>
        <source>The two PINs differ; type the same PIN twice.</source>
        <translation>两次输入的 PIN 不一致，请输入相同的 PIN。</translation>
    </message>
    <message>
        <source>Not saved: {error}</source>
        <translation>未保存：{error}</translation>
    </message>
    <message>
        <source>Saved.</source>
        <translation>已保存。</translation>
    </message>
    <message>
        <source>Loading the model…</source>
        <translation>正在加载模型…</translation>
    </message>
    <message>
        <source>The counselor&apos;s hours could not be read, so visitors are never told the counselor is in now; write them like Mon-Fri 08:00-16:00.</source>
        <translation>无法识别值班时间，因此终端不会告诉来访者老师现在就在；请写成 Mon-Fri 08:00-16:00 这样的格式。</translation>
    </message>
    <message>
        <source>No alert command is set.</source>
        <translation>未设置通知命令。</translation>
    </message>
    <message>
        <source>Test alert: sent ({detail})</source>
        <translation>测试通知：已发送（{detail}）</translation>
    </message>
    <message>
        <source>Test alert: FAILED ({detail})</source>
        <translation>测试通知：失败（{detail}）</translation>
    </message>
    <message>
        <source>Getting ready…</source>
        <translation>正在准备…</translation>
    </message>
    <message>
        <source>Getting ready… {percent}%</source>
        <translation>正在准备… {percent}%</translation>
    </message>
    <message>
        <source>Model not loaded</source>
        <translation>模型未加载</translation>
    </message>
</context>
<context>
    <name>LockablePage</name>
    <message>
        <source>Unlock to use: your journal, mood and plan are kept encrypted.</source>
        <translation>解锁后使用：你的日记、心情记录和安全计划都已加密保存。</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Chat</source>
        <translation>聊天</translation>
    </message>
    <message>
        <source>History</source>
        <translation>历史</translation>
    </message>
    <message>
        <source>Edge Counsel is an AI for self-help and support — not a person, not a therapist, not for emergencies. Everything stays on this computer.</source>
        <translation>Edge Counsel 是用于自助和支持的人工智能——不是真人，不是心理治疗师，也不能用于紧急情况。所有内容都只保存在这台电脑上。</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>正在启动…</translation>
    </message>
    <message>
        <source>Loading model… %p%</source>
        <translation>正在加载模型… %p%</translation>
    </message>
    <message>
        <source>Loading the model…</source>
        <translation>正在加载模型…</translation>
    </message>
    <message>
        <source>Model: {name} — ready</source>
        <translation>模型：{name} — 已就绪</translation>
    </message>
    <message>
        <source>No model loaded</source>
        <translation>未加载模型</translation>
    </message>
    <message>
        <source>The model could not be loaded</source>
        <translation>无法加载模型</translation>
    </message>
    <message>
        <source>The rest of the app still works: the crisis panel, hotlines and your safety plan need no model.</source>
        <translation>应用的其他部分仍可正常使用：危机面板、求助热线和你的安全计划都不需要模型。</translation>
    </message>
    <message>
        <source>Edge Counsel is locked.</source>
        <translation>Edge Counsel 已锁定。</translation>
    </message>
    <message>
        <source>Unlock…</source>
        <translation>解锁…</translation>
    </message>
    <message>
        <source>Session</source>
        <translation>会话</translation>
    </message>
    <message>
        <source>Get help now</source>
        <translation>立即求助</translation>
    </message>
    <message>
        <source>Conversations</source>
        <translation>对话列表</translation>
    </message>
    <message>
        <source>Lock</source>
        <translation>锁定</translation>
    </message>
    <message>
        <source>Change passphrase…</source>
        <translation>修改密码…</translation>
    </message>
    <message>
        <source>Settings…</source>
        <translation>设置…</translation>
    </message>
    <message>
        <source>Before you start</source>
        <translation>开始之前</translation>
    </message>
</context>
<context>
    <name>ModelsPage</name>
    <message>
        <source>from the file</source>
        <translation>文件自带</translation>
    </message>
    <message>
        <source>Use</source>
        <translation>使用</translation>
    </message>
    <message>
        <source>Import GGUF…</source>
        <translation>导入 GGUF…</translation>
    </message>
    <message>
        <source>Verify</source>
        <translation>校验</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Prompt format if the file has none</source>
        <translation>文件未自带时使用的对话格式</translation>
    </message>
    <message>
        <source>present</source>
        <translation>已安装</translation>
    </message>
    <message>
        <source>missing</source>
        <translation>未安装</translation>
    </message>
    <message>
        <source>&apos;{id}&apos; is not on this computer: import its GGUF first.</source>
        <translation>这台电脑上没有“{id}”：请先导入它的 GGUF 文件。</translation>
    </message>
    <message>
        <source>Import a GGUF model</source>
        <translation>导入 GGUF 模型</translation>
    </message>
    <message>
        <source>Checking {name}…</source>
        <translation>正在校验 {name}…</translation>
    </message>
    <message>
        <source>Imported {name} (sha256 {sha}…).</source>
        <translation>已导入 {name}（sha256 {sha}…）。</translation>
    </message>
    <message>
        <source>Verifying…</source>
        <translation>正在校验…</translation>
    </message>
    <message>
        <source>intact</source>
        <translation>完好</translation>
    </message>
    <message>
        <source>missing or damaged: import it again</source>
        <translation>缺失或损坏：请重新导入</translation>
    </message>
    <message>
        <source>Choose another model first: the active one cannot be deleted.</source>
        <translation>请先选择其他模型：正在使用的模型不能删除。</translation>
    </message>
    <message>
        <source>Delete {id}?</source>
        <translation>删除 {id}？</translation>
    </message>
</context>
<context>
    <name>MoodChart</name>
    <message>
        <source>No check-ins yet</source>
        <translation>还没有记录</translation>
    </message>
</context>
<context>
    <name>MoodPage</name>
    <message>
        <source>How are you feeling right now?</source>
        <translation>你现在感觉怎么样？</translation>
    </message>
    <message>
        <source>A short note, if you like</source>
        <translation>想写一句的话可以写在这里</translation>
    </message>
    <message>
        <source>Save check-in</source>
        <translation>保存记录</translation>
    </message>
    <message>
        <source>By week</source>
        <translation>按周</translation>
    </message>
    <message>
        <source>By month</source>
        <translation>按月</translation>
    </message>
    <message>
        <source>Your mood over time</source>
        <translation>心情趋势</translation>
    </message>
    <message>
        <source>Saved {emoji} — thank you for checking in.</source>
        <translation>已保存 {emoji} — 谢谢你记录心情。</translation>
    </message>
    <message>
        <source>Current streak: {now} day(s) · Longest: {best} day(s)</source>
        <translation>连续记录 {now} 天 · 最长 {best} 天</translation>
    </message>
</context>
<context>
    <name>Pages</name>
    <message>
        <source>Journal</source>
        <translation>日记</translation>
    </message>
    <message>
        <source>Mood</source>
        <translation>心情</translation>
    </message>
    <message>
        <source>Exercises</source>
        <translation>练习</translation>
    </message>
    <message>
        <source>Safety plan</source>
        <translation>安全计划</translation>
    </message>
</context>
<context>
    <name>PinPage</name>
    <message>
        <source>Admin PIN</source>
        <translation>管理 PIN</translation>
    </message>
    <message>
        <source>Unlock</source>
        <translation>解锁</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Staff only</source>
        <translation>仅限工作人员</translation>
    </message>
</context>
<context>
    <name>RegionBox</name>
    <message>
        <source>Not chosen: by the language I write in</source>
        <translation>未选择：按我书写的语言</translation>
    </message>
</context>
<context>
    <name>RegionDialog</name>
    <message>
        <source>Your region</source>
        <translation>你所在的地区</translation>
    </message>
    <message>
        <source>Which region&apos;s crisis lines should Edge Counsel show you if you need help? You can change this later under Settings.</source>
        <translation>需要帮助时，Edge Counsel 应该为你显示哪个地区的危机热线？之后可以在“设置”中修改。</translation>
    </message>
</context>
<context>
    <name>SafetyPlanPage</name>
    <message>
        <source>Your safety plan</source>
        <translation>你的安全计划</translation>
    </message>
    <message>
        <source>Write it in your own words, and keep each part short: a few words or lines is enough. It is shown to you when things feel hardest.</source>
        <translation>用你自己的话来写，每一部分简短就好，几个词或几行就够了。在最难熬的时候，它会出现在你面前。</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>保存</translation>
    </message>
    <message>
        <source>A person I trust</source>
        <translation>我信任的人</translation>
    </message>
    <message>
        <source>Saved. It will show in the crisis panel.</source>
        <translation>已保存，危机面板中会显示它。</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>The language changes when you restart Edge Counsel.</source>
        <translation>重新启动 Edge Counsel 后，界面语言才会改变。</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source> min</source>
        <translation> 分钟</translation>
    </message>
    <message>
        <source>never</source>
        <translation>从不</translation>
    </message>
    <message>
        <source>an institution&apos;s hotline file</source>
        <translation>机构提供的热线文件</translation>
    </message>
    <message>
        <source>system</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <source>Follow the system</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <source>Light</source>
        <translation>浅色</translation>
    </message>
    <message>
        <source>Dark</source>
        <translation>深色</translation>
    </message>
    <message>
        <source>General</source>
        <translation>常规</translation>
    </message>
    <message>
        <source>Models</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Hotline region</source>
        <translation>热线地区</translation>
    </message>
    <message>
        <source>Lock after idle</source>
        <translation>空闲自动锁定</translation>
    </message>
    <message>
        <source>Hotline file</source>
        <translation>热线文件</translation>
    </message>
    <message>
        <source>Text size</source>
        <translation>字号</translation>
    </message>
    <message>
        <source>Colours</source>
        <translation>配色</translation>
    </message>
    <message>
        <source>GPU layers</source>
        <translation>GPU 层数</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>界面语言</translation>
    </message>
    <message>
        <source> layers</source>
        <translation> 层</translation>
    </message>
    <message>
        <source>auto: all</source>
        <translation>自动：全部</translation>
    </message>
    <message>
        <source>0 runs on the CPU only. Applies the next time the model loads.</source>
        <translation>0 表示只用 CPU 运行。下次加载模型时生效。</translation>
    </message>
    <message>
        <source>Applies the next time the model loads.</source>
        <translation>下次加载模型时生效。</translation>
    </message>
    <message>
        <source>This build of llama.cpp has no GPU support: the model runs on the CPU whatever is set here.</source>
        <translation>此版本的 llama.cpp 不支持 GPU：无论这里如何设置，模型都在 CPU 上运行。</translation>
    </message>
</context>
<context>
    <name>SetupPage</name>
    <message>
        <source>New PIN</source>
        <translation>新 PIN</translation>
    </message>
    <message>
        <source>Repeat</source>
        <translation>再输一次</translation>
    </message>
    <message>
        <source>Save PIN</source>
        <translation>保存 PIN</translation>
    </message>
    <message>
        <source>Set up this kiosk (staff only)</source>
        <translation>设置本终端（仅限工作人员）</translation>
    </message>
    <message>
        <source>Choose an admin PIN of at least {digits} digits. It is needed to change settings and to leave kiosk mode.</source>
        <translation>请设置至少 {digits} 位数字的管理 PIN。修改设置和退出终端模式时都需要它。</translation>
    </message>
</context>
<context>
    <name>Transcript</name>
    <message>
        <source>Copy message</source>
        <translation>复制这条消息</translation>
    </message>
    <message>
        <source>You</source>
        <translation>你</translation>
    </message>
</context>
<context>
    <name>UnlockDialog</name>
    <message>
        <source>Creating your store…</source>
        <translation>正在创建加密存储…</translation>
    </message>
    <message>
        <source>Unlocking…</source>
        <translation>正在解锁…</translation>
    </message>
    <message>
        <source>Create a passphrase</source>
        <translation>设置密码</translation>
    </message>
    <message>
        <source>Unlock</source>
        <translation>解锁</translation>
    </message>
    <message>
        <source>Remember on this computer (OS keychain)</source>
        <translation>在本机记住（系统钥匙串）</translation>
    </message>
    <message>
        <source>Passphrase</source>
        <translation>密码</translation>
    </message>
    <message>
        <source>Again</source>
        <translation>再输一次</translation>
    </message>
    <message>
        <source>Everything you write is encrypted on this computer with this passphrase.</source>
        <translation>你写下的一切都会用这个密码加密，保存在这台电脑上。</translation>
    </message>
    <message>
        <source>The two passphrases differ.</source>
        <translation>两次输入的密码不一致。</translation>
    </message>
    <message>
        <source>Keychain</source>
        <translation>钥匙串</translation>
    </message>
    <message>
        <source>the store</source>
        <translation>加密存储</translation>
    </message>
    <message>
        <source>The database is damaged</source>
        <translation>数据库已损坏</translation>
    </message>
    <message>
        <source>Move {path} aside (it is kept, renamed) and start a new, empty store?</source>
        <translation>把 {path} 移到一旁（文件会改名保留），并新建一个空的存储？</translation>
    </message>
    <message>
        <source>Moved to {path}. Unlock again to start a new store.</source>
        <translation>已移到 {path}。请再次解锁以新建存储。</translation>
    </message>
</context>
<context>
    <name>VisitPage</name>
    <message>
        <source>I&apos;m still here</source>
        <translation>我还在</translation>
    </message>
    <message>
        <source>AI, not a person. Nothing is saved: what you write is erased when you finish.</source>
        <translation>人工智能，不是真人。不会保存任何内容：结束后你写的一切都会被清除。</translation>
    </message>
    <message>
        <source>Are you still there? For privacy this visit ends and is erased in {seconds} s.</source>
        <translation>你还在吗？为保护隐私，本次对话将在 {seconds} 秒后结束并清除。</translation>
    </message>
</context>
<context>
    <name>WelcomePage</name>
    <message>
        <source>Start</source>
        <translation>开始</translation>
    </message>
    <message>
        <source>Welcome</source>
        <translation>欢迎</translation>
    </message>
    <message>
        <source>School counselor: {name}</source>
        <translation>学校心理老师：{name}</translation>
    </message>
</context>
<context>
    <name>_WorkingDialog</name>
    <message>
        <source>If you forget this passphrase, your conversations, journal and mood history cannot be recovered — not by us, not by anyone.</source>
        <translation>如果忘记这个密码，你的对话、日记和心情记录都将无法恢复——我们不能，任何人也不能。</translation>
    </message>
</context>
</TS>
