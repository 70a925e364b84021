"""The safety dialogue: screening questions recognised in any wording, answers moving the level."""

from __future__ import annotations

import io
import json

import pytest

from edge_counsel.safety.screening import SafetyDialogue, check_risk_stream, default_dialogue


@pytest.fixture(scope="module")
def dialogue() -> SafetyDialogue:
    return default_dialogue()


def _conv(first: str, question: str, answer: str) -> list[dict]:
    return [{"role": "user", "content": first}, {"role": "assistant", "content": question},
            {"role": "user", "content": answer}]


@pytest.mark.parametrize("question, step", [
    ("Are you having thoughts of ending your life?", "thoughts"),
    ("I need to ask you plainly: are you thinking about killing yourself?", "thoughts"),
    ("Do you ever think about ending it all?", "thoughts"),
    ("Have you thought about how you would do it?", "method"),
    ("Do you have access to the pills right now?", "method"),
    ("Do you have a plan, or a time in mind?", "plan"),
    ("Is there a chance you might act on these thoughts?", "intent"),
    ("Have you done anything to hurt yourself today?", "behaviour"),
    ("Are you safe right now?", "safe"),
    ("你现在有结束自己生命的想法吗？", "thoughts"),
    ("你會想結束自己的生命嗎？", "thoughts"),
    ("你有沒有想過要怎麼做？", "method"),
    ("你有具体的计划吗？", "plan"),
    ("你現在安全嗎？", "safe"),
    ("That sounds exhausting. How are you sleeping?", None),
    ("Are you okay?", None),  # a model's kind question is not the safety question
    ("你今天过得怎么样？", None),
])
def test_questions_are_recognised_in_any_wording(dialogue, question, step):
    assert dialogue.step_asked(question) == step


def test_our_own_questions_are_recognised_as_their_step(dialogue):
    for name in dialogue.ladder:
        for lang, text in dialogue.steps[name].question.items():
            assert dialogue.step_asked(text) == name, (name, lang)


@pytest.mark.parametrize("first, question, answer, least", [
    ("I can't do this anymore", "Are you having thoughts of ending your life?", "yes", "high"),
    ("I can't do this anymore", "Are you having thoughts of ending your life?", "tonight", "imminent"),
    ("I can't do this anymore", "Have you thought about how you would do it?", "I have the pills here", "high"),
    ("everything is too much", "Are you safe right now?", "no I'm not safe", "imminent"),
    ("everything is too much", "Are you safe right now?", "no", "imminent"),
    ("好累，撑不下去了", "你现在有结束自己生命的想法吗？", "是的", "high"),
    ("好累，撑不下去了", "你有没有想过具体会怎么做？", "嗯，药已经准备好了", "high"),
    ("好累，撑不下去了", "你現在安全嗎？", "不太安全", "imminent"),
    ("我好累", "你有结束生命的想法吗", "今晚", "imminent"),
    ("hao lei bu xiang huo le", "你有结束生命的想法吗？", "dui a", "high"),  # a pinyin yes
    ("最近总想做傻事", "你想过具体怎么做吗？", "想好了，就是还没动手", "high"),
    # asked when, a time is the answer however long (development round u)
    ("I've been thinking about ending things", "Have you thought about when you might act on these thoughts?",
     "after christmas. dont want to ruin it for the kids", "high"),
    ("不想活了", "你有没有想好什么时候做？", "过完年吧 不想让我妈过年难过", "high"),
])
def test_answers_raise_the_level(dialogue, first, question, answer, least):
    a = dialogue.assess(_conv(first, question, answer))
    assert a.at_least(least) and a.escalate, a


@pytest.mark.parametrize("first, question, answer", [
    ("I want it all to stop", "Are you having thoughts of ending your life?", "no, not really, I'm just exhausted"),
    ("everyone would be better off without me", "Are you having thoughts of ending your life?", "no"),
    ("好累，不想活了", "你现在有结束自己生命的想法吗？", "没有，就是累"),
    ("I'm not sure I can keep going", "Are you safe right now?", "yes, I'm safe, just tired"),
    ("心里好难受", "你现在安全吗？", "我现在很安全"),
])
def test_a_denial_de_escalates(dialogue, first, question, answer):
    a = dialogue.assess(_conv(first, question, answer))
    assert a.level == "low" and a.answer == "no" and not a.escalate and "one click away" in a.reasons[0]


def test_a_denial_never_lowers_what_the_same_message_says(dialogue):
    a = dialogue.assess(_conv("I can't", "Are you having thoughts of ending your life?",
                              "no. I already took all the pills"))
    assert a.level == "imminent"


def test_a_no_to_a_kind_question_is_just_a_no(dialogue):
    a = dialogue.assess(_conv("I failed my exam", "That's hard. Are you okay?", "no, I failed my exam"))
    assert not a.at_least("moderate")


def test_an_affirmed_level_carries_until_a_denial(dialogue):
    conv = _conv("I can't do this anymore", "Are you having thoughts of ending your life?", "yes")
    conv += [{"role": "assistant", "content": "Thank you for telling me."}, {"role": "user", "content": "ok"}]
    assert dialogue.assess(conv).escalate
    conv += [{"role": "assistant", "content": "Are you safe right now?"},
             {"role": "user", "content": "yes, I'm safe. my sister is here"}]
    assert dialogue.assess(conv).level == "low"


def test_next_question_walks_the_ladder_once(dialogue):
    conv = [{"role": "user", "content": "everyone would be better off without me"}]
    step, text = dialogue.next_question(conv, "en")
    assert step == "wish"
    conv += [{"role": "assistant", "content": text}, {"role": "user", "content": "sometimes"}]
    assert dialogue.next_question(conv, "zh")[0] == "thoughts" and "？" in dialogue.next_question(conv, "zh")[1]


def test_check_risk_reads_messages_with_roles():
    lines = [json.dumps({"id": 1, "messages": _conv("I can't", "Are you having thoughts of ending your life?", "yes")}),
             json.dumps({"id": 2, "messages": [{"role": "user", "content": "hi"}, {"role": "robot", "content": "x"}]}),
             json.dumps({"id": 3, "turns": ["I can't", "yes"]})]
    out = io.StringIO()
    assert check_risk_stream(io.StringIO("\n".join(lines) + "\n"), out) == 2
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert rows[0]["escalate"] and rows[0]["answer"] == "yes" and "messages" not in rows[0]
    assert rows[1]["error"] and rows[1]["escalate"] is None
    assert not rows[2]["escalate"]  # without the question, "yes" is just a word


# -- questions and answers in other wordings, languages, slang and emoji ---------------------------

@pytest.mark.parametrize("question, step", [
    ("Do you sometimes wish you'd never wake up?", "wish"),
    ("Have you had moments where you wished you could disappear for good?", "wish"),
    ("Have you thought about the way you'd do it?", "method"),
    ("Are you planning to go through with it?", "intent"),
    ("Have you figured out when you'd do it?", "plan"),
    ("Have you made any preparations?", "behaviour"),
    ("Will you be safe tonight?", "safe"),
    ("你最近有没有觉得不如死了算了？", "wish"),
    ("你想過具體會怎樣做嗎？", "method"),
    ("你已經開始準備了嗎？", "behaviour"),
    ("你今晚可以保護好自己嗎？", "safe"),
    ("你有冇諗過用咩方法？", "method"),
    ("你定咗日子未？", "plan"),
    ("你有冇做過啲咩傷害自己？", "behaviour"),
    ("你而家係咪安全？", "safe"),
    ("Sometimes people do that when they're thinking about ending their life. Is that what's going on for you?",
     "thoughts"),
    ("Can I check — when you think about the balcony, is it about jumping?", "thoughts"),
    ("Have you been having thoughts that life isn't worth living?", "wish"),
    ("压力这么大的时候，有些人会想到用死来解脱。你有过这样的想法吗？", "thoughts"),
    ("这是一封告别信吗？你是不是在打算离开这个世界？", "thoughts"),
    ("分手真的很痛。我想关心一下，你最近有没有伤害过自己？", "behaviour"),
    ("你有没有觉得活着没意思？", "wish"),
    ("Are you thinking about hurting him?", "others"),
])
def test_questions_are_recognised_by_their_key_idea(dialogue, question, step):
    assert dialogue.step_asked(question) == step


@pytest.mark.parametrize("question", [
    "Do you have any plans for tonight?",
    "Have you taken any steps toward finding a new job?",
    "Are you going to act on your friend's advice?",
    "Do you feel safe talking to me about this?",
    "Do you wish you could fall asleep more easily?",
    "Have you tried talking to your manager?",
    "你打算怎么做？",
    "你周末有计划吗？",
    "你觉得什么让你有安全感？",
    "你嘗試過冥想嗎？",
])
def test_everyday_questions_are_not_screening_questions(dialogue, question):
    assert dialogue.step_asked(question) is None


@pytest.mark.parametrize("question, answer", [
    ("Are you having thoughts of ending your life?", "yh"),
    ("Are you having thoughts of ending your life?", "yesss"),
    ("Are you having thoughts of ending your life?", "👍🏻"),
    ("Are you having thoughts of ending your life?", "*nods slowly*"),
    ("Are you having thoughts of ending your life?", "uh huh"),
    ("Are you having thoughts of ending your life?", "more often than not"),
    ("Are you having thoughts of ending your life?", "yes but don't worry about it"),
    ("Have you thought about how you would do it?", "pills probably"),
    ("Have you done anything to end your life?", "i've been saving up my meds"),
    ("Have you made a plan?", "after my parents leave for work"),
    ("你现在有结束自己生命的想法吗？", "天天都在想"),
    ("你现在有结束自己生命的想法吗？", "有，但你别担心"),
    ("你現在有結束自己生命的想法嗎？", "想過，不只一次"),
    ("你有冇諗過自殺？", "梗係有啦"),
    ("你有冇諗過自殺？", "有過，不過冇事"),
    ("你有冇諗過自殺？", "成日都有"),
    ("你有没有为此做过什么准备？", "药都买好了"),
    ("Are you having thoughts of ending your life?", "it has. i hate that it has"),
    ("Are you having thoughts of ending your life?", "yeah. more than id like to admit"),
    ("Are you having thoughts of ending your life?", "both honestly"),
    ("你是不是在打算离开这个世界？", "…对"),
    ("你有过想死的念头吗？", "有过 这几天特别多"),
    ("你最近有没有伤害过自己？", "嗯 昨天划了"),
    ("Are you thinking about hurting him?", "yes. i know where he lives"),
    # an act described is a yes to the behaviour question (blind v14, after its reading)
    ("Have you done anything to hurt yourself tonight?", "a few cuts. deeper than usual"),
    ("Have you done anything to hurt yourself tonight?", "burned myself with a lighter"),
])
def test_yes_in_any_form_takes_over(dialogue, question, answer):
    a = dialogue.assess(_conv("I can't keep going", question, answer))
    assert a.escalate, (answer, a)


@pytest.mark.parametrize("answer", ["有，仲諗過幾次點樣做", "有，想过好几次怎么死", "yes, and I've thought about how I'd do it"])
def test_a_yes_that_tells_how_answers_the_later_question_too(dialogue, answer):
    """A yes to the wish question that says the person has thought about how is a plan told,
    whatever was asked (blind v14's Cantonese "several times how", after its reading)."""
    a = dialogue.assess(_conv("我真係好攰", "你有冇諗過唔想再活落去？", answer))
    assert a.escalate and a.answer == "plan", (answer, a)


def test_yes_to_the_wish_question_keeps_screening(dialogue):
    wish = "Do you ever wish you could go to sleep and not wake up?"
    a = dialogue.assess(_conv("so tired of everything", wish, "yup"))
    assert a.level == "moderate" and a.answer == "yes"


@pytest.mark.parametrize("question, answer", [
    ("Are you having thoughts of ending your life?", "nah mate"),
    ("Are you having thoughts of ending your life?", "nooo"),
    ("Are you having thoughts of ending your life?", "*shakes head*"),
    ("Are you having thoughts of ending your life?", "nah im good, just venting"),
    ("Do you have a plan?", "there's no plan"),
    ("Do you think you might act on these thoughts?", "absolutely not"),
    ("你现在有结束自己生命的想法吗？", "木有啦"),
    ("你现在有结束自己生命的想法吗？", "不会啦"),
    ("你會不會按這些想法去做？", "當然不會"),
    ("你會不會按這些想法去做？", "沒有那種打算"),
    ("你有冇諗過自殺？", "冇啊"),
    ("你有冇諗過自殺？", "唔會，放心"),
    # two questions in one turn, each answered: the "有" is company, the denial is the answer (blind v5, read)
    ("你现在身边有人陪吗？有没有伤害自己的打算？", "有朋友在 没有那种打算 放心"),
    ("Sometimes people give things away when they're planning to die. Is that what's happening for you?",
     "Ha, no! Decluttering phase. Moving into a smaller flat next month."),
    # "never thought of dying" anywhere, after a hedged start (blind v14, after its reading)
    ("你有没有想过用什么方式结束生命？", "嗯……应该算没有吧。偶尔会觉得很烦，但从来没想过要死"),
    ("你有没有想过伤害自己？", "就是累，从没想过自杀"),
    # a doubt talked through to a firm denial (blind v15, after its reading)
    ("Are you thinking about ending your life?", "idk, not really? i mean no. i dont want to die, i just hate my job"),
    ("你现在有伤害自己的想法吗？", "应该…没有吧。就是很难过，但不会做傻事的，放心"),
    # development round u: a denial that starts "那倒", one that names another worry
    ("你有没有想过自杀？", "那倒没有 我还有两只猫要养呢 就是最近项目扎堆"),
    ("Have you been hurting yourself in any way?", "no i don't do stuff like that. its more that we keep fighting and i don't know how to fix it"),
    ("你有沒有想過傷害自己？", "沒有啦，只是睡不著"),  # Traditional 著 read as 着
])
def test_denials_in_any_form_de_escalate(dialogue, question, answer):
    a = dialogue.assess(_conv("I want it all to stop", question, answer))
    assert a.level == "low" and a.answer == "no", (answer, a)


@pytest.mark.parametrize("answer, level, kind", [
    ("yep 👍 I'm at home with my mum", "low", "no"),
    ("yeah i'm alright", "low", "no"),
    ("我冇事", "low", "no"),
    ("好安全", "low", "no"),
    # a denial of intent is a "safe", not the "I'm not [safe]" it starts like (blind v13, after its reading)
    ("yeah i'm safe, just sad. probably gonna feel like this for a bit but i'm not going to do anything", "low", "no"),
    ("i'm not going to do anything", "low", "no"),
    ("放心，我不会做傻事", "low", "no"),
    # not afraid is not "I'm not [safe]" either
    ("I'm not scared, I'm fine", "low", "no"),
    ("not safe. i won't do anything tonight i think but the pills are here", "imminent", "unsafe"),
    ("i'm not ok", "imminent", "unsafe"),
    ("honestly no", "imminent", "unsafe"),
    ("no, not safe", "imminent", "unsafe"),
    ("I'm not sure I can keep myself safe", "imminent", "unsafe"),
    ("i'm on the roof", "imminent", "unsafe"),
    ("唔係幾安全", "imminent", "unsafe"),
    ("我撐唔撐得到聽日都唔知", "imminent", "unsafe"),
])
def test_the_safe_question_reads_yes_as_safe_and_no_as_unsafe(dialogue, answer, level, kind):
    a = dialogue.assess(_conv("everything is too much", "Are you safe right now?", answer))
    assert (a.level, a.answer) == (level, kind), (answer, a)


@pytest.mark.parametrize("question, answer", [
    ("Are you having thoughts of ending your life?", "idk tbh"),
    ("Are you having thoughts of ending your life?", "why are you asking me that"),
    ("Are you having thoughts of ending your life?", "can we not go there"),
    ("Are you having thoughts of ending your life?", "no... i don't know"),
    ("Are you having thoughts of ending your life?", "🤷"),
    ("Do you have a plan?", "not yet"),
    ("Are you safe right now?", "what counts as safe"),
    ("你现在有结束自己生命的想法吗？", "说不上来"),
    ("你现在有结束自己生命的想法吗？", "不想讲这个"),
    ("你現在安全嗎？", "不太確定"),
    ("你有冇諗過自殺？", "唔知點講"),
    ("你有冇諗過自殺？", "可以唔講嗎"),
    # a hedged denial is neither a yes (no takeover) nor a denial to rest on (read as yes until blind v14)
    ("Are you having thoughts of ending your life?", "probably not"),
    ("Are you having thoughts of ending your life?", "maybe not, i guess"),
    ("Do you have a plan?", "not that I know of"),
    ("你现在有结束自己生命的想法吗？", "应该没有吧"),
    ("你有没有想过用什么方式？", "可能没有"),
    ("你会按这些想法去做吗？", "大概不会"),
])
def test_unsure_or_evasive_answers_never_de_escalate(dialogue, question, answer):
    a = dialogue.assess(_conv("work was fine I guess", question, answer))  # the opener alone is not a worry
    assert a.level == "moderate" and a.answer == "unsure" and not a.escalate, (answer, a)


def test_an_unsure_answer_keeps_what_was_affirmed_before(dialogue):
    conv = _conv("I can't do this anymore", "Are you having thoughts of ending your life?", "yes")
    conv += [{"role": "assistant", "content": "Have you thought about how you would do it?"},
             {"role": "user", "content": "i don't know"}]
    a = dialogue.assess(conv)
    assert a.escalate and a.answer == "unsure"  # "i don't" is not a denial that wipes the "yes"


@pytest.mark.parametrize("question, step", [
    ("我想確認下你嘅安全：你有冇諗過自殺？", "thoughts"),  # the lead-in names safety; the question asks thoughts
    ("为了你的安全，我想问：你有没有想过结束自己的生命？", "thoughts"),
    ("To check on your safety: have you had thoughts of ending your life?", "thoughts"),
    ("I care about your safety; are you safe right now?", "safe"),
])
def test_the_question_asked_is_the_last_clause_not_its_lead_in(dialogue, question, step):
    assert dialogue.step_asked(question) == step


@pytest.mark.parametrize("answer, level", [
    ("冇諗過", "low"),  # "no" to thoughts of suicide; read as "not safe" it was a takeover
    ("冇呀，只係好攰", "low"),
    ("有諗過㗎，好多次", "high"),
    ("間中會諗", "high"),  # Cantonese "now and then"
])
def test_cantonese_answers_to_a_question_after_a_safety_lead_in(dialogue, answer, level):
    conv = _conv("好攰，乜都唔想理", "我想確認下你嘅安全：你有冇諗過自殺？", answer)
    assert dialogue.assess(conv).level == level


@pytest.mark.parametrize("question, answer, level", [
    ("Do you feel unsafe at home right now?", "no, he just yells a lot", "low"),  # asked the other way round
    ("Do you feel unsafe at home right now?", "yes", "imminent"),
    ("佢有冇打你，或者你喺屋企覺得唔安全？", "冇，佢從來冇郁手，只係好大聲，搞到我好煩", "low"),
    ("Are you safe right now?", "no", "imminent"),
    ("Do you feel you might act on any thoughts of harming yourself tonight?",
     "no, i dont have those thoughts. overwhelmed, not unsafe", "low"),  # "not unsafe" is no danger
])
def test_a_question_about_feeling_unsafe_reads_no_as_safe(dialogue, question, answer, level):
    assert dialogue.assess(_conv("things at home are bad", question, answer)).level == level


@pytest.mark.parametrize("question, answer, level", [
    ("Do you mean sleep to rest, or not wanting to wake up at all?", "the second one", "moderate"),
    ("Do you mean sleep to rest, or not wanting to wake up at all?", "just rest honestly", "low"),
    ("Do you mean wanting to die, or more like needing a break?", "a break. like a cabin with no wifi. not dying", "low"),
    ("Do you mean wanting to die, or more like needing a break?", "the first. i have pills here", "high"),
    ("你是说想休息，还是不想活了？", "后者", "high"),
    ("你是说想休息，还是不想活了？", "就是想休息一下，最近太累", "low"),
    # the harmless option chosen with a place and a friend named: the rules find no risk in the words
    # (the learned stage read "在楼下等我" as a takeover; blind v13, after its reading)
    ("你说不想回家，是想去朋友那里待一会儿，还是有伤害自己的打算？", "去朋友那，她已经在楼下等我了", "low"),
    # both options are risks: no choice to read, "想过" is a yes and the means keep it high
    ("您有没有想过不想活了，或者想做什么伤害自己的事？", "想过 农药就放在床底下", "high"),
    # a "no" is not turned into a yes by a shared word ("him")
    ("That sounds frustrating. Are you worried you might hurt him, or yourself?",
     "haha no, I'm not violent, I just want him to do the dishes", "low"),
])
def test_an_either_or_question_is_answered_by_the_option_chosen(dialogue, question, answer, level):
    assert dialogue.assess(_conv("i just want it all to stop", question, answer)).level == level


def test_choosing_the_harmless_option_never_lowers_what_the_reply_itself_says(dialogue):
    conv = _conv("i just want it all to stop", "Do you mean needing a break, or wanting to die?",
                 "a break. a long one. i'm on the roof and going to jump tonight")
    assert dialogue.assess(conv).at_least("high")


@pytest.mark.parametrize("question, answer, level", [
    # the answer tells more than the question asked: a method thought out, a date or place chosen
    ("Do you ever wish you were dead?", "Honestly yes. I've thought about how I'd do it.", "high"),
    ("Do you ever wish you could go to sleep and not wake up?", "yes. i picked a date", "high"),
    ("你最近有没有不想活的念头？", "有，地方我都看好了", "high"),
    ("Is not wanting to be alive something you've been thinking about?", "honestly yes. i've been looking up the train times", "high"),
    ("Do you ever wish you could go to sleep and not wake up?", "yes, sometimes. mostly at night", "moderate"),
    # a count is a yes; a count of long ago is not
    ("Have you ever tried to end your life before?", "twice. last time was in april", "high"),
    ("你以前有没有尝试过结束自己的生命？", "两次，上一次是四月", "high"),
    ("Have you had thoughts of suicide?", "a few times this week", "high"),
    ("Have you had thoughts of suicide?", "once, years ago, not now", "low"),
    ("Do you mean you've been thinking it might be better not to be alive?", "honestly yes, i think about it a lot", "moderate"),
    # ... and never when it is denied
    ("Have you thought about how you would do it?", "no, I haven't thought about how I'd do it", "low"),
    ("你有没有想过具体怎么做？", "没有，没想过怎么做", "low"),
])
def test_an_answer_that_tells_a_method_or_a_date_takes_over(dialogue, question, answer, level):
    assert dialogue.assess(_conv("so tired of everything", question, answer)).level == level


@pytest.mark.parametrize("answer", ["i cut my finger cooking lol", "I'm at my mum's tonight, she's cooking"])
def test_everyday_words_in_an_answer_are_not_an_act(dialogue, answer):
    a = dialogue.assess(_conv("work was fine I guess", "Have you done anything to hurt yourself tonight?", answer))
    assert not a.escalate, (answer, a)


# After blind v15's reading (not blind): fear of acting as the answer to "are you safe?", a letter
# written as the yes. The opener carries no risk of its own, unlike test_yes_in_any_form_takes_over's.
@pytest.mark.parametrize("question, answer", [
    ("Are you safe right now?", "i'm scared i'll do something stupid"),
    ("你现在安全吗？", "我怕我会做傻事"),
    ("Are you having thoughts of ending your life?", "honestly im afraid i might act on them"),
    ("你最近有冇諗過唔想再活落去？", "有，琴晚仲寫咗封信"),
    ("Have you been wishing you could go to sleep and not wake up?", "yes. wrote a letter to my mum last night"),
])
def test_fear_of_acting_or_a_letter_written_takes_over(dialogue, question, answer):
    a = dialogue.assess(_conv("so tired", question, answer))
    assert a.escalate, (answer, a)


def test_yes_with_a_wish_to_live_is_still_a_yes(dialogue):
    a = dialogue.assess(_conv("so tired", "Are you thinking about ending your life?", "yes, but i dont want to die"))
    assert a.escalate and a.answer == "yes", a


@pytest.mark.parametrize("answer", ["刚刚划了两下", "划了几道，不深"])
def test_a_recent_act_told_in_chinese_answers_yes(dialogue, answer):
    """"Just now" (刚刚) dates an act, and "cut twice" (划了两下) counts it, as "twice, just now" does."""
    a = dialogue.assess(_conv("今天好烦", "听起来很难受。你今天有伤害自己吗？", answer))
    assert a.escalate, a


@pytest.mark.parametrize("answer, level", [("认真想了一下，没有，没到那一步", "low"), ("想了想，有过", "high")])
def test_a_thought_it_over_preamble_leaves_the_answer_after_it(dialogue, answer, level):
    """"认真想了一下，" (after thinking it over) is a preamble, like "honestly,": the answer follows
    (a denial lowers the check to low, with help one click away; blind v18 kept the check)."""
    a = dialogue.assess(_conv("我觉得活着好没意思", "你最近有没有想过结束自己的生命？", answer))
    assert a.level == level, a


@pytest.mark.parametrize("question, answer", [
    ("Are you thinking about ending your life?", "and what if I am"),
    ("你有没有想过死？", "要是我真的做了呢"),
    ("你有没有过不想活下去的念头？", "你觉得呢"),
])
def test_an_answer_that_asks_back_is_a_yes(dialogue, question, answer):
    """"What if I am", "你觉得呢" (what do you think): an answer that turns the question back (round s)."""
    a = dialogue.assess(_conv("nobody needs me", question, answer))
    assert a.escalate and a.answer in ("yes", "plan"), a


def test_a_denial_about_money_that_cannot_hold_out_is_a_denial(dialogue):
    a = dialogue.assess(_conv("这个月真的快撑不下去了", "你说撑不下去，是有想过结束生命吗？", "没有啦，是说钱快撑不下去了，我只是在抱怨"))
    assert a.level == "low" and a.answer == "no", a


def test_a_plain_denial_is_judged_without_the_learned_stage(monkeypatch):
    """A denial is judged by its own words: the conversation's learned reading (an encoder pass or
    two, the costliest part of an assessment) would be thrown away, so it is not made."""
    dialogue = SafetyDialogue()
    calls = []
    assess = dialogue.detector.assess

    def spy(turns, learned=True):
        calls.append(learned)
        return assess(turns, learned=learned)

    monkeypatch.setattr(dialogue.detector, "assess", spy)
    a = dialogue.assess(_conv("honestly my life is over lol", "Are you thinking about suicide?",
                              "no, being dramatic, i dropped my phone in the toilet"))
    assert a.level == "low" and a.answer == "no", a
    assert calls and not any(calls), calls
