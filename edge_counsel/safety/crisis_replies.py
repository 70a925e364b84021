"""Scripted replies for crisis turns, shown instead of anything the model would say.

Invariants:
- The text comes only from ``data/crisis_replies.json``, written to safe-messaging guidance; no
  model output is ever mixed in.
- Every category has text in "en" and "zh"; ``crisis_reply`` always returns text, falling back to
  "default" for unknown or empty categories, so a crisis turn never goes unanswered.
- With several categories, the most severe one (``SEVERITY``, first is most severe) is answered.
- ``variant`` picks among a category's variants and wraps around, so any turn counter will do.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Sequence

from ..paths import PACKAGE_DATA

__all__ = ["SEVERITY", "crisis_reply", "most_severe", "message", "reply_categories", "message_keys"]

_FILE = PACKAGE_DATA / "crisis_replies.json"

SEVERITY = (
    "attempt_in_progress",
    "plan_method_means",
    "harm_to_others",
    "suicidal_ideation",
    "self_harm",
    "abuse",
    "disordered_eating",
    "passive_ideation",
    "warning_signs",
    "default",
)

# Other spellings a detector or an evaluation set may use for the same category.
_ALIASES = {
    "attempt": "attempt_in_progress",
    "suicide_attempt": "attempt_in_progress",
    "suicide_plan": "plan_method_means",
    "suicide_method": "plan_method_means",
    "plan": "plan_method_means",
    "means": "plan_method_means",
    "harm_others": "harm_to_others",
    "violence": "harm_to_others",
    "suicide_ideation": "suicidal_ideation",
    "suicide_history": "suicidal_ideation",
    "ideation": "suicidal_ideation",
    "warning_sign": "warning_signs",
    "eating": "disordered_eating",
    "eating_disorder": "disordered_eating",
}


@lru_cache(maxsize=1)
def _data() -> dict:
    return json.loads(_FILE.read_text(encoding="utf-8"))


def _lang(lang: str | None) -> str:
    """"zh" for any Chinese tag and for mixed Chinese/English text, else "en"."""
    tag = (lang or "").lower()
    return "zh" if tag.startswith("zh") or tag == "mixed" else "en"


def _pick(texts: dict, lang: str, variant: int) -> str:
    options = texts[_lang(lang)]
    return options[variant % len(options)]


def _canonical(category: str) -> str:
    name = category.strip().lower()
    return _ALIASES.get(name, name)


def most_severe(categories: Sequence[str]) -> str:
    """The most severe known category among ``categories``; "default" when none is known."""
    found = {_canonical(c) for c in categories}
    return next((c for c in SEVERITY if c in found), "default")


PLAN_MENTIONS = ("plan", "安全计划")  # words that point the person to their own safety plan


def crisis_reply(categories: Sequence[str], lang: str, variant: int = 0, *, with_plan: bool = True) -> str:
    """The reply for the most severe of ``categories`` in ``lang`` ("zh" or "en").

    ``with_plan=False`` (the kiosk, whose anonymous visitors have no safety plan here) keeps to the
    variants that do not mention one; every category has at least one such variant per language.
    """
    entry = _data()["replies"][most_severe(categories)]
    if not with_plan:
        entry = {lang_key: [t for t in texts if not any(w in t for w in PLAN_MENTIONS)]
                 for lang_key, texts in entry.items()}
    return _pick(entry, lang, variant)


def message(key: str, lang: str, variant: int = 0, **fmt: str) -> str:
    """One of the other scripted messages ("still_here", "glad_safe", "kiosk_counselor").

    ``fmt`` fills the placeholders, e.g. ``name`` and ``room`` for "kiosk_counselor"; a missing
    one raises ValueError rather than showing a broken sentence.
    """
    if key == "replies" or key not in message_keys():
        raise KeyError(f"No scripted message {key!r}; known: {', '.join(message_keys())}")
    text = _pick(_data()[key], lang, variant)
    try:
        return text.format(**fmt)
    except KeyError as exc:
        raise ValueError(f"Message {key!r} needs {exc.args[0]!r}, e.g. message({key!r}, lang, "
                         f"{exc.args[0]}=...)") from exc


def reply_categories() -> list[str]:
    """The categories that have replies, in the data file's order."""
    return list(_data()["replies"])


def message_keys() -> list[str]:
    """The keys ``message`` accepts."""
    return [k for k, v in _data().items() if k not in ("replies", "about") and isinstance(v, dict)]
