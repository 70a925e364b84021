"""Rule-based exercise suggestions: each rule fires on its trigger, not on neutral data, and
respects dismissal and the crisis veto."""

from __future__ import annotations

import json
import re
import string
from datetime import datetime, timedelta

import pytest

from edge_counsel.services.exercises import ContentError, load_exercises
from edge_counsel.services.mood import MoodCheckin
from edge_counsel.services.suggestions import (
    RULES_FILE,
    SuggestionContext,
    load_rules,
    parse_rules,
    suggest,
    trigger_names,
)

NOW = datetime(2024, 3, 1, 20, 0)  # a Friday evening; the window crosses into February
CJK = re.compile(r"[\u4e00-\u9fff]")


def days_ago(n: int, hour: int = 12) -> datetime:
    return (NOW - timedelta(days=n)).replace(hour=hour)


def checkins(*specs: tuple[int, int, tuple[str, ...]]) -> list[MoodCheckin]:
    """(days ago, score, tags) triples."""
    return [MoodCheckin(score, tags, "", days_ago(n)) for n, score, tags in specs]


NEUTRAL = SuggestionContext(
    checkins=checkins((0, 4, ("calm",)), (1, 3, ("happy",)), (2, 4, ("grateful",)), (3, 3, ()), (4, 4, ("hopeful",))),
    journal=[(days_ago(1), "Had lunch with Mei and finished my chemistry homework."),
             (days_ago(0), "今天和同学一起打了篮球，晚上看了会儿书。")],
    last_chat="I think the weekend plan sounds good.",
    now=NOW,
)


# ---------------------------------------------------------------- the rules file


def test_rules_point_at_real_exercises_and_known_triggers():
    rules = load_rules()
    exercises = load_exercises()
    assert [r.id for r in rules.rules][:3] == ["panic_words", "panic_words_breathing", "self_critical_words"]
    for rule in rules.rules:
        assert rule.exercise in exercises and rule.trigger in trigger_names()
        if "pattern" in rule.preset:
            exercises[rule.exercise].pattern(rule.preset["pattern"])


def test_every_reason_formats_in_both_languages():
    fields = {"quote": "q", "tags": "t", "days": 3, "window": 7, "max": 2}
    for rule in load_rules().rules:
        for text in list(rule.reason.values()) + [rule.basis]:
            assert not CJK.search(text.en) and CJK.search(text.zh)
            for value in (text.en, text.zh):
                names = {name for _, name, _, _ in string.Formatter().parse(value) if name}
                assert names <= set(fields), (rule.id, names)
                assert "{" not in value.format(**fields)


def test_a_rule_with_an_unknown_trigger_is_rejected():
    raw = json.loads(RULES_FILE.read_text(encoding="utf-8"))
    raw["rules"][0]["trigger"] = "moon_phase"
    with pytest.raises(ContentError, match="moon_phase"):
        parse_rules(raw)


# ---------------------------------------------------------------- nothing to suggest


def test_neutral_data_suggests_nothing():
    assert suggest(NEUTRAL) is None
    assert suggest(NEUTRAL, "zh") is None
    assert suggest(SuggestionContext(now=NOW)) is None


# ---------------------------------------------------------------- each rule on its trigger


def test_anxious_tags_on_three_days_suggest_box_breathing():
    context = SuggestionContext(checkins=checkins((0, 3, ("anxious",)), (1, 3, ("anxious", "tired")),
                                                  (3, 3, ("stressed",))), now=NOW)
    found = suggest(context)
    assert (found.rule_id, found.exercise_id, found.preset) == ("anxious_days", "breathing", {"pattern": "box"})
    assert found.reason.startswith("You tagged “anxious” or “stressed” on 3 of the last 7 days")
    assert "box breathing" in found.reason and found.basis == "Based on paced (slow) breathing practice."
    zh = suggest(context, "zh")
    assert "过去 7 天里，你有 3 天标记了“焦虑”或“压力大”" in zh.reason and "方块呼吸" in zh.reason


def test_anxious_on_two_days_or_long_ago_is_not_enough():
    two_days = checkins((0, 3, ("anxious",)), (0, 3, ("anxious",)), (1, 3, ("stressed",)))
    long_ago = checkins((7, 3, ("anxious",)), (8, 3, ("anxious",)), (9, 3, ("anxious",)))
    for data in (two_days, long_ago):
        assert suggest(SuggestionContext(checkins=data, now=NOW)) is None


def test_low_mood_suggests_values_then_thought_record_when_dismissed():
    context = SuggestionContext(checkins=checkins((0, 2, ()), (2, 1, ("sad",)), (5, 2, ()), (6, 5, ())), now=NOW)
    first = suggest(context)
    assert (first.rule_id, first.exercise_id) == ("low_mood_values", "values")
    assert first.reason.startswith("Your mood was 2 or lower on 3 of the last 7 days")
    second = suggest(context, dismissed={"low_mood_values"})
    assert (second.rule_id, second.exercise_id) == ("low_mood_thought_record", "thought_record")
    assert suggest(context, dismissed={"low_mood_values", "low_mood_thought_record"}) is None


def test_low_mood_counts_each_day_once_by_its_average():
    # Day 0 averages 3 (1 and 5): only two low days remain.
    context = SuggestionContext(checkins=checkins((0, 1, ()), (0, 5, ()), (1, 2, ()), (2, 2, ())), now=NOW)
    assert suggest(context) is None


@pytest.mark.parametrize("text,quote", [
    ("Ugh. I'm so stupid, I forgot the form again.", "I'm so stupid"),
    ("I’m so stupid", "I’m so stupid"),  # a typographic apostrophe
    ("Why do I always fail at this", "Why do I always fail at this"),
])
def test_self_critical_chat_suggests_a_thought_record(text, quote):
    found = suggest(SuggestionContext(last_chat=text, now=NOW))
    assert (found.rule_id, found.exercise_id) == ("self_critical_words", "thought_record")
    assert found.reason.startswith(f"You said “{quote}” just now.")


@pytest.mark.parametrize("text,quote", [("我总是把事情搞砸，好烦。", "我总是把事情搞砸"), ("唉，我真没用", "我真没用")])
def test_self_critical_chinese_in_the_journal(text, quote):
    found = suggest(SuggestionContext(journal=[(days_ago(1), text)], now=NOW), "zh")
    assert found.rule_id == "self_critical_words"
    assert found.reason.startswith(f"你在日记里写到“{quote}”")
    assert found.basis == "参考认知行为疗法（CBT）中的思维记录。"


def test_journal_accepts_the_stores_iso_strings():
    stamp = days_ago(0).astimezone().isoformat()
    found = suggest(SuggestionContext(journal=[(days_ago(2), "fine day"), (stamp, "I'm useless at maths")], now=NOW))
    assert found.rule_id == "self_critical_words" and "“I'm useless at maths”" in found.reason


def test_old_journal_entries_are_not_read():
    assert suggest(SuggestionContext(journal=[(days_ago(5), "我真没用")], now=NOW)) is None


@pytest.mark.parametrize("text", ["I can't breathe, everything is too much", "I think I'm having a PANIC attack",
                                  "心慌得厉害", "喘不过气来"])
def test_panic_words_suggest_grounding_then_478(text):
    context = SuggestionContext(last_chat=text, now=NOW)
    found = suggest(context)
    assert (found.rule_id, found.exercise_id) == ("panic_words", "grounding")
    fallback = suggest(context, dismissed={"panic_words"})
    assert (fallback.rule_id, fallback.exercise_id, fallback.preset) == \
        ("panic_words_breathing", "breathing", {"pattern": "4-7-8"})
    assert suggest(context, dismissed={"panic_words", "panic_words_breathing"}) is None


def test_panic_outranks_self_criticism():
    found = suggest(SuggestionContext(last_chat="I'm so stupid and now I'm panicking", now=NOW))
    assert found.rule_id == "panic_words"


def test_english_phrases_match_whole_words_only():
    assert suggest(SuggestionContext(last_chat="We read about Hispanic history and it was great.", now=NOW)) is None


def test_tired_tags_suggest_muscle_relaxation():
    context = SuggestionContext(checkins=checkins((0, 3, ("tired",)), (2, 3, ("tired",))), now=NOW)
    found = suggest(context)
    assert (found.rule_id, found.exercise_id) == ("tired_days", "muscle_relaxation")
    assert "“tired” on 2 of the last 3 days" in found.reason
    assert "“疲惫”" in suggest(context, "zh").reason
    assert suggest(context, dismissed={"tired_days"}) is None


def test_tense_words_suggest_muscle_relaxation():
    found = suggest(SuggestionContext(journal=[(days_ago(0), "My shoulders are tight and I can’t relax.")], now=NOW))
    assert (found.rule_id, found.exercise_id) == ("tense_words", "muscle_relaxation")
    assert found.reason.startswith("You wrote “My shoulders are tight and I can’t relax” in your journal.")


def test_dismissing_one_rule_lets_the_next_one_speak():
    context = SuggestionContext(checkins=checkins((0, 3, ("anxious", "tired")), (1, 3, ("anxious", "tired")),
                                                  (2, 3, ("anxious",))), now=NOW)
    assert suggest(context).rule_id == "anxious_days"
    assert suggest(context, dismissed={"anxious_days"}).rule_id == "tired_days"


# ---------------------------------------------------------------- the crisis veto


@pytest.mark.parametrize("chat,journal,note", [
    ("I'm panicking and I want to die", None, ""),
    ("", "我真没用，不想活了", ""),
    ("", None, "thinking about suicide"),
])
def test_crisis_words_veto_every_suggestion(chat, journal, note):
    data = checkins((0, 1, ("anxious",)), (1, 1, ("anxious",)), (2, 1, ("anxious",)))
    data.append(MoodCheckin(1, ("sad",), note, days_ago(0)))
    context = SuggestionContext(checkins=data, journal=[(days_ago(0), journal)] if journal else [],
                                last_chat=chat, now=NOW)
    assert suggest(context) is None
