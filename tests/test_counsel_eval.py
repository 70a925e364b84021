"""The conversation-quality benchmark's measures judge what they claim (bench/counsel_eval.py)."""

from __future__ import annotations

import importlib.util
import json

import pytest
from conftest import REPO

_spec = importlib.util.spec_from_file_location("counsel_eval", REPO / "bench" / "counsel_eval.py")
counsel_eval = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(counsel_eval)

PAINFUL = {"text": "Our dog Biscuit died on Saturday.", "valence": "painful", "facts": ["Biscuit"]}


def measure(reply, index=3, lang="en", turn=PAINFUL, earlier=(), facts=()):
    return counsel_eval.measure(reply, index, lang, turn, list(earlier), list(facts))


def test_questions_in_both_languages():
    assert counsel_eval.questions("That hurts. What do you miss most?") == ["What do you miss most?"]
    assert counsel_eval.questions("这真不容易。你愿意多说说她吗") == ["你愿意多说说她吗"]
    assert measure("I hear you. What do you miss? Who knew her?")["one_question"] is False


def test_a_question_asked_before_counts_as_repeated():
    earlier = ["That sounds hard. What usually helps you when you feel this way?"]
    row = measure("Losing her hurts. What usually helps you, when you feel this way?", earlier=earlier)
    assert row["repeated_question"] and row["repeated_sentence"]
    assert not measure("Losing her hurts. Which walk was her favourite?", earlier=earlier)["repeated_question"]


@pytest.mark.parametrize("reply, mismatch", [
    ("Congratulations on your mother's success!", True),
    ("That's great. Tell me more.", True),
    ("Fourteen years is a long life together. What was she like?", False),
])
def test_cheer_answering_pain(reply, mismatch):
    assert measure(reply)["valence_mismatch"] is mismatch
    assert measure(reply, turn={**PAINFUL, "valence": "positive"})["valence_mismatch"] is False


def test_advice_or_a_list_counts_only_in_the_first_two_replies():
    listed = "Here are some tips:\n1. Sleep\n2. Walk"
    assert measure(listed, index=0)["early_advice"] and measure("你应该早点睡。", index=1, lang="zh")["early_advice"]
    assert not measure(listed, index=2)["early_advice"]


def test_callback_and_artefacts_and_language():
    assert measure("Biscuit sounds like family.", facts=["Biscuit"])["callback"] is True
    assert "callback" not in measure("I see.")
    assert measure("```python\nprint(1)\n```")["artefacts"] and measure("**Tip**: rest")["artefacts"]
    assert measure("我明白。", lang="en")["language_right"] is False


def test_the_sets_are_well_formed():
    for path in counsel_eval.SETS.values():
        cases = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        assert {c["lang"] for c in cases} == {"zh", "en"}
        for case in cases:
            assert len(case["turns"]) >= 5
            for turn in case["turns"]:
                assert turn["valence"] in ("painful", "neutral", "positive")
                assert all(f in turn["text"] for f in turn["facts"])
