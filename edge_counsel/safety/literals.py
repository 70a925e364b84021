"""Required literals of a regular expression: strings of which every match contains at least one.

A prefilter for the crisis detector's pattern sets. Searching a large alternation costs time in
proportion to the text whether or not it can match; a few substring tests say first whether it
can. ``required(pattern)`` reads the pattern's parse tree (the standard library's own parser) and
returns a set of needles such that a match is impossible unless one of them occurs in the text,
or None where no such set can be read off (a pattern that may match with no literal at all, or a
construct this reader does not follow). None only costs speed: the caller then always searches.

The reading is conservative: only characters the match itself consumes are used (never a
lookaround, which may look outside the match or assert an absence), a repeat counts only when it
must occur at least once, and case-insensitive patterns give no needles. Standard library only.
"""

from __future__ import annotations

import re
from re import _constants as C  # noqa: N812 - the parser's opcode names, as re itself spells them
from re import _parser
from typing import Hashable, Sequence

__all__ = ["LiteralIndex", "required"]

_REPEATS = (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT)
_MAX_NEEDLES = 256  # beyond this a needle set costs more to test than the search it would save
_MAX_PRODUCT = 8  # strings multiplied out of neighbouring parts, at most
_RARE_BYTES = 6
GRAM = 3  # a needle is filed under one of its substrings of up to three characters
_COMMON = " etaoinshrdlcumwfgypbvkjxqz"  # English letters, most frequent first (space most of all)


def required(pattern: str | re.Pattern) -> frozenset[str] | None:
    """Needles of which any match of ``pattern`` contains at least one, or None."""
    source, flags = (pattern.pattern, pattern.flags) if isinstance(pattern, re.Pattern) else (pattern, 0)
    tree = _parser.parse(source, flags)
    if tree.state.flags & re.IGNORECASE:
        return None
    return _sequence(list(tree))


def _sequence(items: list) -> frozenset[str] | None:
    """The most selective needle set of a sequence. Neighbouring parts with a small finite
    language ("kill", "(?:my|your)self", "[0o]d", a lookaround, which consumes nothing) are
    multiplied out into whole strings; any other part that must occur adds its own needles."""
    candidates, product = [], {""}
    for op, av in items:
        exact = _exact(op, av)
        if exact is not None:
            longer = {a + b for a in product for b in exact}
            if len(longer) <= _MAX_PRODUCT:
                product = longer
                continue
            candidates.append(product)
            product = exact
            continue
        candidates.append(product)
        product = {""}
        needles = _item(op, av)
        if needles is not None:
            candidates.append(needles)
    candidates.append(product)
    usable = [n for n in map(_bounded, candidates) if n is not None]
    return max(usable, key=_selectivity, default=None)


def _exact(op, av) -> set[str] | None:
    """Every string the part can consume, where that is a small finite set ("" for a zero-width
    assertion), else None."""
    if op is C.LITERAL:
        return {chr(av)}
    if op in (C.AT, C.ASSERT, C.ASSERT_NOT):
        return {""}
    if op is C.IN:
        return _char_set(av)
    if op is C.SUBPATTERN:
        _group, add_flags, _del_flags, sub = av
        return None if add_flags & re.IGNORECASE else _exact_sequence(list(sub))
    if op is C.BRANCH:
        union: set[str] = set()
        for alternative in av[1]:
            strings = _exact_sequence(list(alternative))
            if strings is None:
                return None
            union |= strings
        return union if len(union) <= _MAX_PRODUCT else None
    if op in _REPEATS and av[1] <= 1:
        strings = _exact_sequence(list(av[2]))
        return None if strings is None else strings | ({""} if av[0] == 0 else set())
    return None


def _exact_sequence(items: list) -> set[str] | None:
    product = {""}
    for op, av in items:
        exact = _exact(op, av)
        if exact is None:
            return None
        product = {a + b for a in product for b in exact}
        if len(product) > _MAX_PRODUCT:
            return None
    return product


def _item(op, av) -> frozenset[str] | None:
    """Needles of a part with no small finite language that must still occur."""
    if op is C.SUBPATTERN:
        _group, add_flags, _del_flags, sub = av
        return None if add_flags & re.IGNORECASE else _sequence(list(sub))
    if op is C.ATOMIC_GROUP:
        return _sequence(list(av))
    if op in _REPEATS:
        low, _high, sub = av
        return _sequence(list(sub)) if low >= 1 else None
    if op is C.BRANCH:
        return _branch(av[1])
    return None  # classes, any character, back-references


def _branch(alternatives: list) -> frozenset[str] | None:
    union: set[str] = set()
    for alternative in alternatives:
        needles = _sequence(list(alternative))
        if needles is None:
            return None
        union |= needles
    return _bounded(union)


def _char_set(av: list) -> set[str] | None:
    """A character class of plain characters ([0o], [杀殺]) consumes one of them."""
    chars = set()
    for op, value in av:
        if op is not C.LITERAL:
            return None
        chars.add(chr(value))
    return chars if len(chars) <= _MAX_PRODUCT else None


def _bounded(needles: set[str] | frozenset[str]) -> frozenset[str] | None:
    if not needles or "" in needles or len(needles) > _MAX_NEEDLES:
        return None
    return frozenset(_minimal(needles))


def _minimal(needles: set[str]) -> set[str]:
    """Drop needles that contain another needle: the shorter one is found wherever they are."""
    return {n for n in needles if not any(m != n and m in n for m in needles)}


def _selectivity(needles: frozenset[str]) -> tuple[int, int]:
    """Longer shortest needle first (rarer in text) up to six bytes (two Han characters, a short
    English word: rare enough), then fewer needles (cheaper to test, and a branch's union stays
    under the bound)."""
    return min(_RARE_BYTES, min(len(n.encode()) for n in needles)), -len(needles)


class LiteralIndex:
    """Which of several pattern sets can match a text, from their needles.

    Built from (label, needles) pairs (any hashable label; needles None: the set may match
    anything). Each needle is filed under one of its substrings of up to ``GRAM`` characters, the
    rarest-looking; a text's short substrings, intersected with those keys in one set operation,
    leave the few needles worth testing with ``in``."""

    def __init__(self, sets: Sequence[tuple[Hashable, frozenset[str] | None]]):
        self._always = frozenset(label for label, needles in sets if needles is None)
        self._by_key: dict[str, list[tuple[Hashable, str]]] = {}
        for label, needles in sets:
            for needle in needles or ():
                self._by_key.setdefault(_key(needle), []).append((label, needle))
        self._lengths = sorted({len(k) for k in self._by_key})

    def may_match(self, text: str) -> frozenset[Hashable]:
        """The labels whose patterns can match ``text``: a superset of those that do."""
        present = {text[i:i + k] for k in self._lengths for i in range(len(text) - k + 1)}
        found = set(self._always)
        for key in present.intersection(self._by_key):
            for label, needle in self._by_key[key]:
                if label not in found and needle in text:
                    found.add(label)
        return frozenset(found)


def _key(needle: str) -> str:
    k = min(GRAM, len(needle))
    return max((needle[i:i + k] for i in range(len(needle) - k + 1)), key=_rarity)


def _rarity(gram: str) -> int:
    """Characters outside the frequency list (Han, digits, punctuation) count as rare."""
    return sum(_COMMON.find(c) if c in _COMMON else len(_COMMON) for c in gram)
