"""detect_language: "zh" for mostly or meaningfully Chinese text, else "en"."""

from __future__ import annotations

import pytest

from edge_counsel.lang import detect_language


@pytest.mark.parametrize("text, expected", [
    ("I can't sleep and I keep worrying about work.", "en"),
    ("我最近总是睡不着，很焦虑。", "zh"),
    ("我今天 very sad", "zh"),
    ("I feel 很难过 today", "zh"),
    ("My boss 老板 keeps yelling at me", "zh"),
    ("最近压力很大, deadline 太多了, 还有 KPI", "zh"),
    ("好", "zh"),
    ("ok 好", "zh"),
    ("The character 爱 means love, my teacher said, and I keep thinking about it.", "en"),
    ("I went to 北京 yesterday and felt lonely all week long.", "en"),
    ("Je me sens très seul ce soir.", "en"),
    ("我覺得好累，不想上班。", "zh"),  # traditional characters
    ("https://example.com 这个网站让我很焦虑", "zh"),
])
def test_detects_language(text, expected):
    assert detect_language(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "123 456", "😢😢", "?!...", "\n"])
def test_text_without_letters_gives_the_default(text):
    assert detect_language(text) == "en"
    assert detect_language(text, default="zh") == "zh"


def test_default_does_not_override_clear_text():
    assert detect_language("hello there", default="zh") == "en"
    assert detect_language("你好", default="en") == "zh"


def test_a_long_message_is_decided_by_its_opening():
    """Only the first 2,000 characters are read, so a long paste costs no more than a short one
    (bench/lang_latency.py times a 4,300-character message; the speed is its to report)."""
    text = "I keep thinking about what she said to me. " * 100
    assert detect_language(text) == "en"
    assert detect_language(text + "我真的很难过，不知道该怎么办。" * 200) == "en"
    assert detect_language("我真的很难过，不知道该怎么办。" * 200 + text) == "zh"
