"""Which of the app's two languages a piece of text is written in.

Counts Han characters against Latin letters. A Han character carries about as much meaning as a
short English word, so one counts as ``_HAN_WEIGHT`` letters: text whose Chinese is a fair share of
its content is "zh", a single Chinese name inside an English paragraph is not. Invariants: no
network, no model, no disk; two compiled regexes per call, only the first ``_SCAN`` characters.
"""

from __future__ import annotations

import functools
import re
from typing import Callable

__all__ = ["detect_language", "to_simplified"]

_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
_LATIN = re.compile("[A-Za-z\u00c0-\u024f]")
_HAN_WEIGHT = 12  # Chinese wins once it is roughly a quarter of the content or more
_SCAN = 2000  # enough to decide; keeps the per-message cost flat for long pastes


def detect_language(text: str, default: str = "en") -> str:
    """"zh" when the text is mostly (or meaningfully) Chinese, else "en"; ``default`` when it has
    neither Han characters nor Latin letters (empty, digits, emoji, punctuation)."""
    sample = text[:_SCAN]
    han = len(_HAN.findall(sample))
    latin = len(_LATIN.findall(sample))
    if han == 0 and latin == 0:
        return default
    return "zh" if han * _HAN_WEIGHT >= latin else "en"


@functools.lru_cache(maxsize=1)
def _t2s() -> Callable[[str], str]:
    try:
        import opencc
    except ImportError:  # pragma: no cover - a declared dependency; callers still work without it
        return lambda text: text
    return opencc.OpenCC("t2s").convert


def to_simplified(text: str) -> str:
    """Traditional Chinese folded to Simplified with OpenCC, phrase by phrase (臥軌 -> 卧轨);
    text with no Han character is returned as it is, at the cost of one regex search."""
    return _t2s()(text) if _HAN.search(text) else text
