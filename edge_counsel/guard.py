"""The output guard: every model reply is screened before the user sees it.

A reply is unsafe when it gives self-harm or suicide methods or means, encourages harm to oneself
or others, or claims to be a human or a licensed therapist. An unsafe reply is replaced by a warm,
safe-messaging text in the user's language. Patterns live in ``data/guard.json`` (English and
Chinese), compiled once per guard; every rule runs on every reply whatever its language.

The chat session screens the accumulated reply after every streamed chunk, so a screen must cost
well under a millisecond. Each rule names anchors, and its regexes run only when an anchor occurs:
ASCII anchors are looked up in the set of the text's words, others (Chinese) as substrings, and
only when the text has a Han character. Patterns begin with a literal so the regex engine can skip
ahead; the word boundary a leading ``\\b`` would give is checked here instead. A match is waived
when an exemption (a refusal, the user's own words reported back, a feeling reflected, a
contradiction, a hedge) occurs just before it in the same sentence or clause.

Invariants: no network, no model, no disk writes; the data file is read once per guard; a guard
holds no state between calls and may be shared between threads.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = ["GuardVerdict", "OutputGuard", "default_guard", "CATEGORIES"]

_DATA = Path(__file__).resolve().parent / "data" / "guard.json"
CATEGORIES: tuple[str, ...] = ("method", "encourage", "human_claim")
_SENTENCE_END = ".!?。！？\n"
_CLAUSE_END = _SENTENCE_END + ",;:，；：、—–"
# The longest text a pattern's trailing lookahead inspects; see OutputGuard.screen(partial=...).
_LOOKAHEAD = 16
_HAN = re.compile("[\u3400-\u9fff\uf900-\ufaff]")
_WORD_ANCHOR = re.compile("[a-z0-9]+")
# Maps every byte that is not [a-z0-9] to a space, so bytes.split() yields the text's words.
_TO_WORDS = bytes(c if 97 <= c <= 122 or 48 <= c <= 57 else 32 for c in range(256))


@dataclass(frozen=True)
class GuardVerdict:
    """``safe`` is False exactly when ``reasons`` (ids of the rules that fired) is non-empty;
    ``replacement`` is then the text to show instead of the reply."""
    safe: bool
    reasons: tuple[str, ...] = ()
    replacement: str | None = None


@dataclass(frozen=True)
class _Rule:
    id: str
    category: str
    words: frozenset[bytes]   # ASCII anchors, matched as whole words
    substrings: tuple[str, ...]  # other anchors, matched as substrings of Han text
    patterns: tuple[re.Pattern, ...]
    unless: re.Pattern | None
    stops: str


_SAFE = GuardVerdict(True)


def _normalise(text: str) -> str:
    # Lower-casing keeps offsets; curly apostrophes would defeat "i'm" and "don't".
    return text.lower().replace("\u2019", "'").replace("\u2018", "'")


def _words(low: str) -> frozenset[bytes]:
    return frozenset(low.encode("ascii", "replace").translate(_TO_WORDS).split())


def _inside_word(low: str, start: int) -> bool:
    """True when a match at ``start`` would begin in the middle of an English word."""
    return start > 0 and low[start].isascii() and low[start].isalnum() \
        and low[start - 1].isascii() and low[start - 1].isalnum()


def _prefix(low: str, start: int, window: int, stops: str) -> str:
    """The text before ``start`` in the same sentence or clause, at most ``window`` characters."""
    head = low[max(0, start - window):start]
    return head[max(head.rfind(c) for c in stops) + 1:]


class OutputGuard:
    """Screens model replies against the patterns in ``data_path`` (default: the packaged ones)."""

    def __init__(self, data_path: Path | None = None):
        data = json.loads(Path(data_path or _DATA).read_text(encoding="utf-8"))
        self._window = int(data["window"])
        self._rules = tuple(self._compile(r, data["exemptions"]) for r in data["rules"])
        self._category_of = {r.id: r.category for r in self._rules}
        self._categories = data["categories"]

    @staticmethod
    def _compile(raw: dict, exemptions: dict[str, str]) -> _Rule:
        if raw["category"] not in CATEGORIES:
            raise ValueError(f"guard rule {raw['id']!r}: unknown category {raw['category']!r}")
        words = [a for a in raw["anchors"] if a.isascii()]
        if any(not _WORD_ANCHOR.fullmatch(a) for a in words):
            raise ValueError(f"guard rule {raw['id']!r}: ASCII anchors must be single words")
        unless = "|".join(f"(?:{exemptions[name]})" for name in raw["unless_before"])
        return _Rule(raw["id"], raw["category"], frozenset(a.encode() for a in words),
                     tuple(a for a in raw["anchors"] if not a.isascii()),
                     tuple(re.compile(p) for p in raw["patterns"]),
                     re.compile(unless) if unless else None,
                     _CLAUSE_END if raw["scope"] == "clause" else _SENTENCE_END)

    def screen(self, text: str, lang: str = "en", *, partial: bool = False) -> GuardVerdict:
        """Safe verdict, or the ids of the rules that fired and a replacement text in ``lang``.

        ``partial=True`` while the reply is still streaming: a match ending in the last
        ``_LOOKAHEAD`` characters may not be final ("I'm a person" before "-centred AI" arrives,
        "end it" before "with him"), so it is left for a later call; the last screen of a reply
        must be made without ``partial``."""
        low = _normalise(text)
        words = _words(low)
        han = not low.isascii() and _HAN.search(low) is not None
        horizon = len(low) - _LOOKAHEAD if partial else len(low)
        reasons = tuple(r.id for r in self._rules
                        if self._triggered(r, low, words, han) and self._fires(r, low, horizon))
        if not reasons:
            return _SAFE
        return GuardVerdict(False, reasons, self._replacement(reasons, lang))

    @staticmethod
    def _triggered(rule: _Rule, low: str, words: frozenset[bytes], han: bool) -> bool:
        if not rule.words.isdisjoint(words):
            return True
        return han and any(a in low for a in rule.substrings)

    def _fires(self, rule: _Rule, low: str, horizon: int) -> bool:
        for pattern in rule.patterns:
            match = pattern.search(low)
            while match:
                start = match.start()
                if match.end() <= horizon and not _inside_word(low, start) \
                        and not self._exempt(rule, low, start):
                    return True
                match = pattern.search(low, start + 1)
        return False

    def _exempt(self, rule: _Rule, low: str, start: int) -> bool:
        if rule.unless is None:
            return False
        return rule.unless.search(_prefix(low, start, self._window, rule.stops)) is not None

    def _replacement(self, reasons: tuple[str, ...], lang: str) -> str:
        fired = {self._category_of[r] for r in reasons}
        return self.replacement(min(fired, key=lambda c: self._categories[c]["priority"]), lang)

    def replacement(self, category: str, lang: str = "en") -> str:
        """The replacement text for ``category`` ("method", "encourage", "human_claim")."""
        texts = self._categories[category]["replacement"]
        return texts.get(lang, texts["en"])


@lru_cache(maxsize=1)
def default_guard() -> OutputGuard:
    """The guard built from the packaged patterns, compiled once per process."""
    return OutputGuard()
