"""Counselor system prompts, approach labels, and the summary and reflection instructions."""

from __future__ import annotations

import re

import pytest

from edge_counsel.services import persona
from edge_counsel.services.persona import (
    APPROACHES,
    approach_label,
    reflection_instruction,
    summary_instruction,
    system_prompt,
)

_HAN = re.compile("[\u4e00-\u9fff]")
ALL = [(a, lang) for a in APPROACHES for lang in ("en", "zh")]


def test_approaches():
    assert APPROACHES == ("person_centred", "cbt", "rebt")
    assert system_prompt() == system_prompt("person_centred", "en")


@pytest.mark.parametrize("approach, lang", ALL)
def test_prompt_is_compact(approach, lang):
    prompt = system_prompt(approach, lang)
    if lang == "en":
        assert 60 <= len(prompt.split()) <= 180
    else:
        assert 120 <= len(_HAN.findall(prompt)) <= 300


@pytest.mark.parametrize("approach", APPROACHES)
def test_english_prompt_covers_the_practice(approach):
    prompt = system_prompt(approach, "en").lower()
    for phrase in ("an ai", "not a human", "not a licensed therapist", "reflect", "one open question",
                   "2-4", "no lists", "diagnose", "medication", "choices", "reply in english",
                   "danger", "trusted person"):
        assert phrase in prompt, phrase
    assert "{approach}" not in prompt
    assert _HAN.search(prompt) is None


@pytest.mark.parametrize("approach", APPROACHES)
def test_chinese_prompt_is_in_chinese_and_covers_the_practice(approach):
    prompt = system_prompt(approach, "zh")
    for phrase in ("AI", "不是真人", "持证心理咨询师", "感受", "一个开放式问题", "2到4句", "不列清单",
                   "不做诊断", "用药", "尊重", "用中文回答", "危险", "信任的人"):
        assert phrase in prompt, phrase
    latin = len(re.findall("[A-Za-z]", prompt))
    assert len(_HAN.findall(prompt)) > 5 * latin


def test_approaches_differ():
    prompts = {system_prompt(a, "en") for a in APPROACHES} | {system_prompt(a, "zh") for a in APPROACHES}
    assert len(prompts) == 6
    assert "unconditional positive regard" in system_prompt("person_centred", "en")
    assert "thoughts" in system_prompt("cbt", "en") and "CBT" in system_prompt("cbt", "zh")
    assert "musts" in system_prompt("rebt", "en") and "必须" in system_prompt("rebt", "zh")


def test_labels():
    assert approach_label("person_centred", "en") == "Person-centred"
    assert approach_label("person_centred", "zh") == "以人为中心"
    assert "CBT" in approach_label("cbt", "en") and "CBT" in approach_label("cbt", "zh")
    assert "REBT" in approach_label("rebt", "en") and "REBT" in approach_label("rebt", "zh")


def test_unknown_approach_is_refused():
    with pytest.raises(ValueError, match="unknown counselling approach"):
        system_prompt("psychoanalysis")
    with pytest.raises(ValueError):
        approach_label("dbt", "en")


def test_unknown_language_falls_back_to_english():
    assert system_prompt("cbt", "fr") == system_prompt("cbt", "en")
    assert approach_label("rebt", "de") == approach_label("rebt", "en")
    assert summary_instruction("ja") == summary_instruction("en")
    assert reflection_instruction("") == reflection_instruction("en")


def test_summary_instruction():
    en = summary_instruction("en")
    assert "3-5 sentences" in en and "counselor's point of view" in en and "No advice" in en
    zh = summary_instruction("zh")
    assert "3到5句" in zh and "不要给建议" in zh


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_reflection_instruction_asks_for_json(lang):
    text = reflection_instruction(lang)
    for key in ('"themes"', '"tone"', '"observation"'):
        assert key in text
    assert ("JSON only" in text) if lang == "en" else ("只回复JSON" in text)


def test_persona_data_has_no_stray_languages():
    data = persona._data()
    assert set(data["core"]) == set(persona.LANGUAGES)
    for approach in APPROACHES:
        assert set(data["approaches"][approach]["label"]) == set(persona.LANGUAGES)
        assert set(data["approaches"][approach]["focus"]) == set(persona.LANGUAGES)
