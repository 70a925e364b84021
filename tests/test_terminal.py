"""The terminal front end: the graded response as printed, and a withheld clause never printed."""

from __future__ import annotations

import io

from edge_counsel.engine.llama import GenerationParams
from edge_counsel.safety.hotlines import HotlineDirectory
from edge_counsel.services.conversation import Conversation
from edge_counsel.cli.terminal import _turn

GREEDY = GenerationParams(max_tokens=32, temperature=0.0, seed=5)


def _printed(session: Conversation, line: str, region: str = "US") -> str:
    out = io.StringIO()
    _turn(session, line, HotlineDirectory.load(), region, out)
    return out.getvalue()


def test_a_harmful_clause_is_never_printed(scripted_engine):
    chunks = ["I hear you. ", "Honestly, people ", "will be better ", "off without you", ", if you ask me."]
    session = Conversation(scripted_engine(chunks), params=GREEDY)
    text = _printed(session, "I had a rough day at work")
    assert "better off without you" not in text and "withheld" in text
    assert session.turns[-1].meta["source"] == "guard"


def test_a_safe_reply_is_printed_whole(scripted_engine):
    chunks = ["That sounds ", "like a long day, ", "and you handled ", "a lot. What helped?"]
    session = Conversation(scripted_engine(chunks), params=GREEDY)
    assert _printed(session, "I had a rough day at work").strip() == "".join(chunks)


def test_a_check_prints_the_question_and_a_help_hint(scripted_engine):
    session = Conversation(scripted_engine(["I'm here with you."]), params=GREEDY)
    text = _printed(session, "everyone would be better off without me")
    assert "go to sleep and not wake up?" in text and "988" in text and "/help" in text


def test_help_prints_the_lines_for_the_language_when_no_region_is_known():
    session = Conversation(None)
    session.lang = "zh"
    text = _printed(session, "/help", region="INTL")
    assert "12356" in text and "2389 2222" in text and "1925" in text and "--region" in text
