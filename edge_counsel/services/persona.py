"""Counselor personas: the system prompt sent with every turn, and two task instructions.

The texts live in ``data/personas.json``: one shared core per language (identity, AI disclosure,
reply style, safety) with the chosen approach's focus slotted in. Languages are "en" and "zh";
any other language falls back to "en". Invariants: no network, no model, no disk writes; the JSON
is read once per process.
"""

from __future__ import annotations

import json
from functools import lru_cache
from ..paths import PACKAGE_DATA

__all__ = [
    "APPROACHES",
    "DEFAULT_APPROACH",
    "LANGUAGES",
    "system_prompt",
    "approach_label",
    "summary_instruction",
    "reflection_instruction",
    "examples",
]

_DATA = PACKAGE_DATA / "personas.json"

APPROACHES: tuple[str, ...] = ("person_centred", "cbt", "rebt")
DEFAULT_APPROACH = "person_centred"
LANGUAGES: tuple[str, ...] = ("en", "zh")


@lru_cache(maxsize=1)
@lru_cache(maxsize=1)
def _data() -> dict:
    return json.loads(_DATA.read_text(encoding="utf-8"))


def _lang(lang: str) -> str:
    return lang if lang in LANGUAGES else "en"


def _approach(approach: str) -> dict:
    if approach not in APPROACHES:
        raise ValueError(f"unknown counselling approach {approach!r}; known: {', '.join(APPROACHES)}")
    return _data()["approaches"][approach]


def system_prompt(approach: str = DEFAULT_APPROACH, lang: str = "en") -> str:
    """The system prompt for ``approach`` in ``lang``; raises ValueError for an unknown approach."""
    focus = _approach(approach)["focus"][_lang(lang)]
    return _data()["core"][_lang(lang)].replace("{approach}", focus)


def approach_label(approach: str, lang: str) -> str:
    """The approach's name for the UI menu, e.g. "Person-centred" / "以人为中心"."""
    return _approach(approach)["label"][_lang(lang)]


def summary_instruction(lang: str) -> str:
    """Instruction to condense older turns of a long conversation into 3-5 sentences."""
    return _data()["summary"][_lang(lang)]


def reflection_instruction(lang: str) -> str:
    """Instruction to reflect on a journal entry as JSON {"themes", "tone", "observation"}."""
    return _data()["reflection"][_lang(lang)]


def examples(lang: str) -> list[dict]:
    """Worked exchanges that show the model the length and tone wanted (never shown to the user)."""
    return [dict(m) for m in _data().get("examples", {}).get(_lang(lang), [])]
