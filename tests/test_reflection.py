"""Journal reflection: the real embedded model, the lenient parser and the extractive fallback."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from edge_counsel.lang import detect_language
from edge_counsel.services.reflection import (
    Reflection,
    extract_json_object,
    fallback_reflection,
    parse_reflection,
    recent_context,
    reflect,
)

EN_ENTRY = ("Exams are next week and I can't sleep. My parents keep asking about my grades and I feel "
            "like I'm letting everyone down.")
ZH_ENTRY = "下周就要考试了，我晚上睡不着。爸妈一直问我的成绩，我觉得自己让所有人都失望了。"


def assert_in_language(reflection: Reflection, lang: str) -> None:
    assert reflection.lang == lang
    assert reflection.themes and all(t.strip() for t in reflection.themes)
    assert reflection.tone.strip() and reflection.observation.strip()
    for text in [*reflection.themes, reflection.tone, reflection.observation]:
        assert detect_language(text, default="") == lang, text


# -- the real model ---------------------------------------------------------------------------


def test_english_entry_with_the_real_model(engine):
    reflection = reflect(engine, EN_ENTRY)
    assert_in_language(reflection, "en")
    assert reflection.source in ("model", "mixed", "fallback")


def test_chinese_entry_with_the_real_model(engine):
    reflection = reflect(engine, ZH_ENTRY)
    assert_in_language(reflection, "zh")


# -- parsing messy output ---------------------------------------------------------------------

MESSY = [
    ('Sure! Here it is:\n```json\n{"themes": ["sleep", "exams",], "tone": "worried", '
     '"observation": "You may be carrying a lot."}\n```\nHope this helps {really}.',
     (["sleep", "exams"], "worried", "You may be carrying a lot.")),
    ('{"themes": ["考试", "睡眠"], "tone": "紧张", "observation": "你似乎承受着很多', (["考试", "睡眠"], "紧张", "你似乎承受着很多")),
    ("{'themes': ['work'], 'tone': 'tired', 'observation': 'It sounds hard.'}", (["work"], "tired", "It sounds hard.")),
    ('themes: ["school"], "tone": "anxious", and then the model rambled', (["school"], "anxious", "")),
    ('{"themes": "family, school", "tone": ["sad", "tired"], "observation": "He said \\"hi\\" {"}',
     (["family", "school"], "sad, tired", 'He said "hi" {')),
]


@pytest.mark.parametrize("raw, expected", MESSY)
def test_parser_tolerates_messy_json(raw, expected):
    parsed = parse_reflection(raw)
    assert (parsed.themes, parsed.tone, parsed.observation) == expected


@pytest.mark.parametrize("raw", ["", "I cannot help with that.", '{"a": "}"}', "[1, 2, 3]"])
def test_parser_gives_none_when_nothing_is_usable(raw):
    assert parse_reflection(raw) is None


def test_extract_json_object_ignores_braces_inside_strings():
    assert extract_json_object('x {"a": "{not}", "b": [1, {"c": 2}]} trailing }') == '{"a": "{not}", "b": [1, {"c": 2}]}'


class OneAnswer:
    """Answers every prompt with one fixed text (the parse and fallback paths, no model needed)."""

    def __init__(self, text: str):
        self.text = text
        self.messages = None

    def stream_chat(self, messages, params, cancel=None):
        self.messages = messages
        yield self.text


def test_unparseable_model_output_falls_back_in_the_entry_language():
    reflection = reflect(OneAnswer("Sorry, as an AI I cannot"), ZH_ENTRY)
    assert reflection.source == "fallback"
    assert_in_language(reflection, "zh")
    assert "学业与考试" in reflection.themes


def test_fields_in_the_wrong_language_are_replaced():
    answer = '{"themes": ["exams", "家庭"], "tone": "worried", "observation": "你似乎很在意家人的期待，也有些疲惫。"}'
    reflection = reflect(OneAnswer(answer), ZH_ENTRY)
    assert reflection.themes == ["家庭"]
    assert reflection.tone == "低落" and "tone" in reflection.replaced
    assert reflection.observation.startswith("你似乎") and reflection.source == "mixed"


def test_an_observation_that_echoes_the_entry_is_replaced():
    answer = '{"themes": ["睡眠"], "tone": "紧张", "observation": "我晚上睡不着，爸妈一直问我的成绩，我觉得自己让所有人都失望了。"}'
    reflection = reflect(OneAnswer(answer), ZH_ENTRY)
    assert reflection.observation.startswith("听起来") and reflection.replaced == ("observation",)


def test_unsafe_model_words_give_the_whole_fallback():
    answer = ('{"themes": ["exams"], "tone": "tired", '
              '"observation": "You could take all your pills and it would stop."}')
    reflection = reflect(OneAnswer(answer), EN_ENTRY)
    assert reflection.source == "fallback" and "pills" not in reflection.observation


def test_prompt_carries_the_instruction_and_recent_entries():
    engine = OneAnswer("{}")
    reflect(engine, EN_ENTRY, recent=["Yesterday was calmer."])
    system, user = engine.messages
    assert "JSON" in system["content"] and "Yesterday was calmer." in user["content"]
    assert user["content"].index("Yesterday was calmer.") < user["content"].index(EN_ENTRY)
    assert user["content"].rstrip().endswith("speak to the writer as “you”.")


def test_an_observation_in_the_writers_voice_is_replaced():
    answer = '{"themes": ["sister"], "tone": "sad", "observation": "I feel sad about the fight with my sister."}'
    reflection = reflect(OneAnswer(answer), "We argued all evening. My sister never listens.")
    assert reflection.themes == ["sister"] and reflection.tone == "sad"
    assert reflection.observation.startswith("It sounds like") and reflection.replaced == ("observation",)


def test_a_cheerful_tone_for_a_distressed_entry_is_replaced():
    answer = '{"themes": ["考试"], "tone": "积极", "observation": "你似乎被考试和家人的期待压得喘不过气。"}'
    reflection = reflect(OneAnswer(answer), ZH_ENTRY)
    assert reflection.tone == "低落" and reflection.replaced == ("tone",)


# -- the extractive fallback ------------------------------------------------------------------


@pytest.mark.parametrize("text, lang, theme, tone", [
    (EN_ENTRY, "en", "school and exams", "low"),
    ("I'm not happy. Nobody talks to me at school and I feel so alone.", "en", "loneliness", "low"),
    ("Work has been stressful, my boss keeps adding deadlines and I'm worried.", "en", "work", "worried"),
    ("今天和朋友去公园，很开心，也很放松。", "zh", "朋友关系", "积极"),
    ("Went for a walk.", "en", "daily life", "reflective"),
])
def test_fallback_themes_and_tone(text, lang, theme, tone):
    reflection = fallback_reflection(text)
    assert reflection.lang == lang and reflection.themes[0] == theme and reflection.tone == tone
    assert reflection.themes[0] in reflection.observation


def test_recent_context_takes_the_weeks_before_the_entry_newest_first():
    entries = [SimpleNamespace(id=i, text=f"entry {i}", created_at=f"2025-05-{day:02d}T10:00:00+00:00")
               for i, day in ((1, 1), (2, 20), (3, 25), (4, 28), (5, 29))]
    assert recent_context(entries, entries[3]) == ["entry 3", "entry 2"]


def test_reflection_round_trips_through_a_dict():
    reflection = fallback_reflection(ZH_ENTRY)
    assert Reflection.from_dict(reflection.to_dict()) == reflection
