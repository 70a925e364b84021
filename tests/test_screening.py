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
