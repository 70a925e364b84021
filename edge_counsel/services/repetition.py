"""Keeps a streamed reply from repeating what the counselor has already said.

Small models fall into loops across turns: the same question ("What usually helps you when you
feel this way?") at the end of every reply, or a sentence copied from the worked examples. A
``RepeatFilter`` sits between the model's stream and the screen. It lets text through as it comes,
except a sentence that starts like one said before: that one is held until it either turns out
different (and is released) or ends as a near-duplicate (and is dropped, never shown). If a reply
would be nothing but repeats, it is kept whole: a repeat is better than silence.

Invariants: pure text processing; no model, no Qt, no I/O.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import Iterable

from ..safety.guard import reply_sentences

__all__ = ["RepeatFilter", "similar"]

_SENTENCE_END = re.compile(r"[.!?。！？\n]+[\"'”’)）]*\s*")
_NOT_WORD = re.compile(r"[\W_]+")
_MIN_CHARS = 6  # shorter sentences ("Yes.", "嗯。") may repeat
_SIMILAR = 0.8


def _key(text: str) -> str:
    return _NOT_WORD.sub("", text.lower())


def similar(a: str, b: str) -> bool:
    """Near-duplicates once punctuation, spacing and case are set aside."""
    return _close(_key(a), _key(b))


def _close(key: str, other: str) -> bool:
    return SequenceMatcher(None, key, other).ratio() >= _SIMILAR


class RepeatFilter:
    """Feed it the reply's chunks; it returns what may be shown now."""

    def __init__(self, earlier: Iterable[str]):
        self._said = [k for text in earlier for s in reply_sentences(text) if len(k := _key(s)) >= _MIN_CHARS]
        self._pending = ""  # of the current sentence, what is not yet shown
        self._open = ""  # of the current sentence, what is already shown: the rest streams on
        self._dropped: list[str] = []
        self._shown = False
        self._space = True  # what was shown last ends with a space (or nothing was shown yet)

    def feed(self, chunk: str) -> str:
        self._pending += chunk
        out = []
        while match := _SENTENCE_END.search(self._pending):
            sentence, self._pending = self._pending[:match.end()], self._pending[match.end():]
            if self._open or not self._repeats(sentence):
                out.append(sentence)
                self._remember(self._open + sentence)
            else:
                self._dropped.append(sentence)
            self._open = ""
        if self._pending.strip() and (self._open or not self._may_repeat(self._pending)):
            out.append(self._pending)
            self._open += self._pending
            self._pending = ""
        return self._show("".join(out))

    def _show(self, text: str) -> str:
        if self._dropped and self._space:  # one space between the sentences around a dropped one
            text = text.lstrip(" ")
        if text:
            self._space = text[-1].isspace()
            self._shown = self._shown or bool(text.strip())
        return text

    def finish(self) -> str:
        """The rest of the reply, once the model has stopped."""
        tail, self._pending = self._pending, ""
        if tail and not self._open and self._repeats(tail):
            self._dropped.append(tail)
            tail = ""
        if not self._shown and not tail.strip():
            return "".join(self._dropped)  # nothing new at all: keep the repeat
        return self._show(tail)

    def _repeats(self, sentence: str) -> bool:
        key = _key(sentence)
        return len(key) >= _MIN_CHARS and any(_close(key, said) for said in self._said)

    def _may_repeat(self, partial: str) -> bool:
        """Whether an unfinished sentence starts like one said before."""
        key = _key(partial)
        return any(_close(key, said[:len(key)]) for said in self._said)

    def _remember(self, sentence: str) -> None:
        if len(key := _key(sentence)) >= _MIN_CHARS:
            self._said.append(key)
