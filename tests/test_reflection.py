"""Journal reflection: the real embedded model, the lenient parser, and the checks that turn a
reflection that does not fit the entry into an honest "I could not reflect on this one"."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from edge_counsel.lang import detect_language
from edge_counsel.services.reflection import (
    Reflection,
    could_not_reflect,
    extract_json_object,
    parse_reflection,
    recent_context,
    reflect,
)

EN_ENTRY = ("Exams are next week and I can't sleep. My parents keep asking about my grades and I feel "
            "like I'm letting everyone down.")
ZH_ENTRY = "下周就要考试了，我晚上睡不着。爸妈一直问我的成绩，我觉得自己让所有人都失望了。"


def assert_in_language(reflection: Reflection, lang: str) -> None:
    """Every field shown is in ``lang``; a reflection has an observation, or says it has none."""
    assert reflection.lang == lang and reflection.observation.strip()
    if not reflection.reflected:
        assert reflection == could_not_reflect(lang) and reflection.rejected
    for text in [*reflection.themes, reflection.tone, reflection.observation]:
        if text:
            assert detect_language(text, default="") == lang, text


# -- the real model ---------------------------------------------------------------------------


def test_english_entry_with_the_real_model(engine):
    reflection = reflect(engine, EN_ENTRY)
    assert_in_language(reflection, "en")
    assert reflection.source in ("model", "partial", "none")


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


def answer(scripted_engine, themes=("考试",), tone="紧张", observation="你似乎被考试和家人的期待压得喘不过气。"):
    """A scripted engine that answers with this JSON reflection."""
    return scripted_engine([json.dumps({"themes": list(themes), "tone": tone, "observation": observation},
                                       ensure_ascii=False)])


def test_a_reflection_that_fits_is_shown_as_written(scripted_engine):
    reflection = reflect(answer(scripted_engine, themes=["考试", "家庭"]), ZH_ENTRY)
    assert (reflection.themes, reflection.tone, reflection.source) == (["考试", "家庭"], "紧张", "model")
    assert reflection.observation == "你似乎被考试和家人的期待压得喘不过气。" and reflection.rejected == ()


@pytest.mark.parametrize("raw", ["Sorry, as an AI I cannot", "", '{"themes": []}'])
def test_no_usable_answer_says_so_in_the_entry_language(scripted_engine, raw):
    reflection = reflect(scripted_engine([raw]), ZH_ENTRY)
    assert reflection == could_not_reflect("zh") and "没能" in reflection.observation
    assert not reflection.reflected and reflection.themes == [] and reflection.tone == ""


@pytest.mark.parametrize("tone", ["one or two words", "one word", "Tone: one or two words", "用一两个词概括整体情绪基调"])
def test_a_tone_that_echoes_the_instruction_is_left_out(scripted_engine, tone):
    entry, lang = (ZH_ENTRY, "zh") if not tone.isascii() else (EN_ENTRY, "en")
    observation = ("你似乎被考试压得喘不过气。" if lang == "zh"
                   else "You seem to be carrying the weight of your exams and your parents' questions.")
    reflection = reflect(answer(scripted_engine, themes=["exams"] if lang == "en" else ["考试"], tone=tone,
                                observation=observation), entry)
    assert reflection.tone == "" and reflection.source == "partial"
    assert reflection.rejected == ("tone: repeats the instruction",) and reflection.observation == observation


@pytest.mark.parametrize("observation", [
    "一两句温和、不评判的话，描述写作者可能的感受",
    "one or two gentle, non-judgemental sentences about what the writer may be feeling",
])
def test_an_observation_that_echoes_the_instruction_gives_could_not_reflect(scripted_engine, observation):
    entry = ZH_ENTRY if not observation.isascii() else EN_ENTRY
    reflection = reflect(answer(scripted_engine, observation=observation), entry)
    assert not reflection.reflected and "observation: repeats the instruction" in reflection.rejected


@pytest.mark.parametrize("themes, tone, observation, rejected", [
    (["theme1", "考试"], "N/A", "你似乎被考试压得喘不过气。", ("theme: empty or a placeholder", "tone: empty or a placeholder")),
    (["..."], "", "你似乎被考试压得喘不过气。", ("theme: empty or a placeholder", "tone: empty or a placeholder")),
    (["考试"], "紧张", "<observation>", ("observation: empty or a placeholder",)),
    (["考试"], "紧张", "", ("observation: empty or a placeholder",)),
    (["考试"], "紧张", "[一两句话]", ("observation: empty or a placeholder",)),
])
def test_empty_and_placeholder_fields_are_rejected(scripted_engine, themes, tone, observation, rejected):
    reflection = reflect(answer(scripted_engine, themes=themes, tone=tone, observation=observation), ZH_ENTRY)
    assert reflection.rejected == rejected
    assert reflection.reflected == (not observation.startswith(("<", "[")) and bool(observation))
    assert "theme1" not in reflection.themes and "..." not in reflection.themes and reflection.tone in ("", "紧张")


@pytest.mark.parametrize("entry, observation", [
    (EN_ENTRY, "You seem excited about the new puppy and the trip to the beach."),
    (ZH_ENTRY, "你似乎很享受这次去海边的旅行。"),
])
def test_an_observation_sharing_nothing_with_the_entry_gives_could_not_reflect(scripted_engine, entry, observation):
    reflection = reflect(answer(scripted_engine, themes=["x"], tone="", observation=observation), entry)
    assert not reflection.reflected and "observation: shares nothing with the entry" in reflection.rejected


def test_a_related_word_or_theme_is_enough_to_share_content(scripted_engine):
    """"家人" is not in the entry, but the entry's "爸妈" is the same theme (family)."""
    reflection = reflect(answer(scripted_engine, observation="你似乎很在意家人的期待，也有些疲惫。"), ZH_ENTRY)
    assert reflection.reflected and reflection.observation.startswith("你似乎很在意家人")


def test_fields_in_the_wrong_language_are_rejected(scripted_engine):
    reflection = reflect(answer(scripted_engine, themes=["exams", "家庭"], tone="worried"), ZH_ENTRY)
    assert reflection.themes == ["家庭"] and reflection.tone == "" and reflection.source == "partial"
    assert reflection.rejected == ("theme: wrong language", "tone: wrong language")
    english = reflect(answer(scripted_engine, observation="You seem worried about your exams and your parents."),
                      ZH_ENTRY)
    assert not english.reflected and "observation: wrong language" in english.rejected and english.lang == "zh"


def test_an_observation_that_echoes_the_entry_gives_could_not_reflect(scripted_engine):
    observation = "我晚上睡不着，爸妈一直问我的成绩，我觉得自己让所有人都失望了。"
    reflection = reflect(answer(scripted_engine, observation=observation), ZH_ENTRY)
    assert not reflection.reflected and reflection.rejected == ("observation: repeats the entry",)


@pytest.mark.parametrize("entry, observation", [
    # ("I feel sad about the fight with my sister." is withheld first, by the output guard: a model
    # that speaks of its own sister claims to be a person)
    ("We argued all evening. My sister never listens.", "All that arguing left me tired tonight."),
    ("We argued all evening. My sister never listens.", "You had a long, tiring evening, and my sister is hard to talk to."),
    (ZH_ENTRY, "你压力很大，爸妈一直问我的成绩"),
])
def test_an_observation_in_the_writers_voice_gives_could_not_reflect(scripted_engine, entry, observation):
    lang = "zh" if entry == ZH_ENTRY else "en"
    reflection = reflect(answer(scripted_engine, themes=["sister"] if lang == "en" else ["考试"],
                                tone="sad" if lang == "en" else "紧张", observation=observation), entry)
    assert not reflection.reflected and "observation: speaks as the writer" in reflection.rejected


def test_a_tone_or_observation_that_contradicts_the_entry_is_rejected(scripted_engine):
    cheerful_tone = reflect(answer(scripted_engine, tone="积极"), ZH_ENTRY)
    assert cheerful_tone.tone == "" and cheerful_tone.rejected == ("tone: contradicts the entry",)
    assert cheerful_tone.reflected
    calm = reflect(answer(scripted_engine, themes=["exams"], tone="calm",
                          observation="You seem happy and relaxed about your exams and grades."), EN_ENTRY)
    assert not calm.reflected
    assert calm.rejected == ("tone: contradicts the entry", "observation: contradicts the entry")


def test_unsafe_model_words_give_could_not_reflect(scripted_engine):
    reflection = reflect(answer(scripted_engine, themes=["exams"], tone="tired",
                                observation="You could take all your pills and it would stop."), EN_ENTRY)
    assert not reflection.reflected and "pills" not in reflection.observation
    assert reflection.rejected == ("answer: unsafe",)


def test_prompt_carries_the_instruction_and_recent_entries(scripted_engine):
    engine = scripted_engine(["{}"])
    reflect(engine, EN_ENTRY, recent=["Yesterday was calmer."])
    [[system, user]] = engine.calls
    assert "JSON" in system["content"] and "Yesterday was calmer." in user["content"]
    assert user["content"].index("Yesterday was calmer.") < user["content"].index(EN_ENTRY)
    assert user["content"].rstrip().endswith("speak to the writer as “you”.")


def test_recent_context_takes_the_weeks_before_the_entry_newest_first():
    entries = [SimpleNamespace(id=i, text=f"entry {i}", created_at=f"2025-05-{day:02d}T10:00:00+00:00")
               for i, day in ((1, 1), (2, 20), (3, 25), (4, 28), (5, 29))]
    assert recent_context(entries, entries[3]) == ["entry 3", "entry 2"]


def test_reflection_round_trips_through_a_dict(scripted_engine):
    for reflection in (could_not_reflect("zh", ("answer: unsafe",)),
                       reflect(answer(scripted_engine, tone="积极"), ZH_ENTRY)):
        assert Reflection.from_dict(reflection.to_dict()) == reflection
        assert Reflection.from_dict(reflection.to_dict()).rejected == reflection.rejected
