"""AI disclosure: the app says it is an AI before first use and whenever it is asked.

``first_run_text`` is shown before the first conversation; ``asks_if_human`` recognises a user
asking whether they are talking to a person (English and Chinese, favouring recall); the chat
session then shows ``ai_answer`` instead of model output, so the answer never depends on the
model. Texts and patterns live in ``data/disclosure.json``. Languages are "en" and "zh"; any other
falls back to "en". Invariants: no network, no model, no disk writes; the JSON is read once.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from ..paths import PACKAGE_DATA

__all__ = ["first_run_text", "asks_if_human", "ai_answer"]

_DATA = PACKAGE_DATA / "disclosure.json"


@lru_cache(maxsize=1)
def _data() -> dict:
    return json.loads(_DATA.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _question() -> re.Pattern:
    patterns = [p for lang in ("en", "zh") for p in _data()["asks_if_human"][lang]]
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.MULTILINE)


def _text(key: str, lang: str) -> str:
    texts = _data()[key]
    return texts.get(lang, texts["en"])


def first_run_text(lang: str) -> str:
    """Shown before first use: an AI, not a human or therapist, not for emergencies, a self-help
    tool rather than therapy or diagnosis, and everything stays encrypted on this computer."""
    return _text("first_run", lang)


def ai_answer(lang: str) -> str:
    """The reply to "are you a real person?": plainly an AI, and how to reach a real person."""
    return _text("ai_answer", lang)


def asks_if_human(text: str) -> bool:
    """True when ``text`` asks whether the user is talking to a person, a bot or a therapist."""
    low = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    return _question().search(low) is not None
