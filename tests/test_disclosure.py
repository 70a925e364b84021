"""AI disclosure: the first-run text, recognising "are you a real person?", and the answer."""

from __future__ import annotations

import pytest

from edge_counsel.safety.disclosure import ai_answer, asks_if_human, first_run_text
from edge_counsel.safety.guard import OutputGuard

ASKS_EN = [
    "are you a real person?", "Am I talking to a bot?", "r u human", "is this an AI", "Is this an AI?",
    "Are you human?", "are you real?", "Are you a robot or a person?", "are u a bot lol",
    "Am I chatting with an AI?", "wait, am i talking to a real person right now", "Who am I talking to?",
    "Is there a real person on the other end?", "You\u2019re just a bot, aren't you?",
    "you're not real, are you?", "Can I talk to a real person?", "Are you a therapist?",
    "are you a licensed therapist", "is this automated?", "What are you?",
    "Is this a real person or a bot?", "Are you an actual human being?", "Are You A Chatbot",
    "are you ChatGPT?", "Is anyone reading this?", "are you even real", "is this a human?",
    "Are you a human or an AI?", "I need to know. Are you a person?",
]
ASKS_ZH = [
    "你是真人吗", "你是机器人吗", "你是人还是AI", "对面是真人吗", "你是不是真人？", "你是AI吗？",
    "我是在和机器人聊天吗", "这是自动回复吗", "你到底是什么？", "有真人吗", "能和真人聊聊吗", "你是人吗",
    "你是人工智能吧", "屏幕对面是人吗？", "是真人在回复吗", "你是心理咨询师吗", "你是不是机器人啊",
    "我在跟AI说话吗", "你是人类吗？", "你是真的人吗",
]
NOT_ASKING = [
    "I feel like a robot", "I feel like a robot at work, just going through the motions",
    "Are you a person who believes in second chances?", "my boss treats me like a machine",
    "Is this real? I can't believe he left me.", "are you really going to leave me too",
    "I'm talking to a bot at work about my leave", "Are you there?", "are you okay with me venting?",
    "I don't feel human anymore", "my friend asked if I'm a real person", "is it normal to feel this way",
    "Is that a person I should trust?", "I want to be a better person",
    "What are you doing to help people like me?", "are you able to help me sleep?",
    "Honestly, are you people going to help me or not",
    "我觉得自己像个机器人", "我感觉自己像个机器人一样活着", "你是我唯一能说话的对象", "我跟人说话的时候很紧张",
    "我在跟人聊天的时候总是很紧张", "对面有人在装修，好吵", "你是程序员吗", "我背后有人支持我", "你是个好人",
    "我是不是人", "你能理解我吗", "我今天和朋友聊天了", "那边有人在吵架",
]


@pytest.mark.parametrize("text", ASKS_EN + ASKS_ZH)
def test_recognises_asking_if_human(text):
    assert asks_if_human(text)


@pytest.mark.parametrize("text", NOT_ASKING)
def test_ignores_other_mentions_of_people_and_robots(text):
    assert not asks_if_human(text)


def test_first_run_text_says_what_the_app_is():
    en = first_run_text("en")
    for phrase in ("AI", "not a human", "not a therapist", "emergencies", "self-help",
                   "not therapy", "diagnose", "stays on this computer", "encrypted"):
        assert phrase in en, phrase
    zh = first_run_text("zh")
    for phrase in ("AI", "不是真人", "心理咨询师", "紧急", "自助", "不是心理治疗", "诊断", "这台电脑", "加密"):
        assert phrase in zh, phrase


def test_ai_answer_is_plain_and_points_to_a_person():
    en, zh = ai_answer("en"), ai_answer("zh")
    assert en.startswith("I'm an AI") and "not a person" in en and "licensed" in en
    assert "real person" in en and "emergency" in en
    assert zh.startswith("我是AI") and "不是真人" in zh and "持证" in zh and "紧急" in zh


def test_unknown_language_falls_back_to_english():
    assert ai_answer("fr") == ai_answer("en")
    assert first_run_text("") == first_run_text("en")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_disclosure_texts_pass_the_output_guard(lang):
    guard = OutputGuard()
    assert guard.screen(ai_answer(lang), lang).safe
    assert guard.screen(first_run_text(lang), lang).safe


def test_disclosure_returns_after_a_week_away():
    from datetime import date

    from edge_counsel.settings import Settings, needs_disclosure

    today = date(2026, 11, 21)
    assert needs_disclosure(Settings(), today)
    assert not needs_disclosure(Settings(disclosure_seen=True, last_opened="2026-11-20"), today)
    assert not needs_disclosure(Settings(disclosure_seen=True, last_opened="2026-11-15"), today)
    assert needs_disclosure(Settings(disclosure_seen=True, last_opened="2026-11-14"), today)
    assert needs_disclosure(Settings(disclosure_seen=True, last_opened="garbage"), today)
