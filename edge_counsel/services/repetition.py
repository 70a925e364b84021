"""Keeps a streamed reply from repeating what the counselor has already said.

Small models fall into loops across turns: the same question ("What usually helps you when you
feel this way?") at the end of every reply, a sentence copied from the worked examples, or an old
sentence behind a new opening ("你还是稳了，可能是因为你担心自己被其他学科所影响？" after
"她还是挂了，可能是因为……"). A ``RepeatFilter`` sits between the model's stream and the screen.
It works clause by clause (a clause ends at a comma, colon or semicolon, or with its sentence):
text streams through as it comes, except a clause that starts like one said before, or a sentence
that starts like an earlier sentence; that text is held until it either turns out different (and
is released) or ends as a near-duplicate (and is dropped, never shown). When the dropped clause
ended its sentence, the sentence ends where the last shown clause did. If a reply would be nothing
but repeats, it is kept whole: a repeat is better than silence.

Invariants: pure text processing; no model, no Qt, no I/O.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import Iterable

from ..safety.guard import reply_sentences

__all__ = ["RepeatFilter", "similar"]

_UNIT_END = re.compile(r"[.!?。！？\n,，;；:：]+[\"'”’)）]*\s*")
_SENTENCE_MARK = re.compile(r"[.!?。！？\n]")
_CLAUSE = re.compile(r"[^,，;；:：]+[,，;；:：]*")
_MARK = re.compile(r"[,，;；:：.!?。！？\n]*[\"'”’)）]*\s*$")
_QUESTION = re.compile(r"[?？]")
_WIDE = re.compile(r"[，；：。！？]")
_NOT_WORD = re.compile(r"[\W_]+")
_MIN_CHARS = 6  # shorter clauses ("Yes.", "嗯。", "I see,") may repeat
_MIN_QUESTION_CHARS = 4  # but not a short question ("你希望什么？")
_SIMILAR = 0.8
_MAY_BE_SIMILAR = 0.6  # a start this close is held until the clause shows what it is


def _key(text: str) -> str:
    return _NOT_WORD.sub("", text.lower())


def similar(a: str, b: str) -> bool:
    """Near-duplicates once punctuation, spacing and case are set aside."""
    return _close(_key(a), _key(b))


def _close(key: str, other: str) -> bool:
    return SequenceMatcher(None, key, other).ratio() >= _SIMILAR


def _near(key: str, other: str) -> bool:
    return SequenceMatcher(None, key, other).ratio() >= _MAY_BE_SIMILAR


def _clauses(sentence: str) -> list[str]:
    return [m.group() for m in _CLAUSE.finditer(sentence) if m.group().strip()]


def _split_mark(text: str) -> tuple[str, str]:
    """(text, its trailing clause mark and space) when it ends with a clause mark, else (text, "")."""
    mark = _MARK.search(text).group()
    if mark.strip() and not _SENTENCE_MARK.search(mark):
        return text[:len(text) - len(mark)], mark
    return text, ""


def _trailing_space(text: str) -> str:
    return text[len(text.rstrip()):]


class RepeatFilter:
    """Feed it the reply's chunks; it returns what may be shown now."""

    def __init__(self, earlier: Iterable[str]):
        units = [u for text in earlier for sentence in reply_sentences(text) for u in [sentence, *_clauses(sentence)]]
        self._said = list(dict.fromkeys(k for u in units if (k := _key(u))))
        self._pending = ""  # of the current clause, what has come but is not judged yet
        self._open = ""  # of the current clause, what is already shown: the rest streams on
        self._held = ""  # the start of a sentence that reads like an old one, not shown yet
        self._sentence = ""  # of the current sentence, what is shown
        self._separator = ""  # the mark after the last shown clause, held until the next one comes
        self._dropped: list[str] = []
        self._shown = False
        self._space = True  # what was shown last ends with a space (or nothing was shown yet)

    def feed(self, chunk: str) -> str:
        self._pending += chunk
        out = []
        while match := _UNIT_END.search(self._pending):
            unit, self._pending = self._pending[:match.end()], self._pending[match.end():]
            out.append(self._unit(unit, ends_sentence=bool(_SENTENCE_MARK.search(match.group()))))
        if self._pending.strip() and (self._open or not self._may_repeat(self._pending)
                                      and not self._may_repeat(self._held + self._pending)):
            text, self._held, self._pending = self._held + self._pending, "", ""
            out.append(self._release(text, partial=True))
        return "".join(out)

    def finish(self) -> str:
        """The rest of the reply, once the model has stopped."""
        tail, self._pending = self._pending, ""
        out = self._unit(tail, ends_sentence=True) if tail.strip() or self._held else ""
        out += self._separator.rstrip()
        self._separator = ""
        if not self._shown and not out.strip():
            return "".join(self._dropped)  # nothing new at all: keep the repeat
        return out

    def said_before(self, sentence: str) -> bool:
        """Whether ``sentence``, however short, nearly repeats one said before (or earlier in this
        reply): a closing question must be new ("你希望什么？" twice is a loop)."""
        key = _key(sentence)
        return bool(key) and any(_close(key, said) for said in self._said)

    def _unit(self, unit: str, ends_sentence: bool) -> str:
        """A finished clause (or the end of a sentence): shown, held with its sentence, or dropped."""
        if self._open:  # its start is on screen already: the rest follows
            out = self._release(unit)
        elif not self._sentence and ends_sentence and self._repeats(self._held + unit):
            out, self._held = self._drop(self._held + unit, ends_sentence), ""  # a whole old sentence
        elif self._repeats(unit):
            held, self._held = self._held, ""
            out = (self._release(held) if held else "") + self._drop(unit, ends_sentence)
        elif not self._sentence and not ends_sentence and self._may_repeat(self._held + unit):
            self._held += unit  # the sentence so far still reads like an old one: hold on
            return ""
        else:
            text, self._held = self._held + unit, ""
            out = self._release(text)
        if ends_sentence:
            self._remember(self._sentence)
            self._sentence = ""
        return out

    def _release(self, text: str, partial: bool = False) -> str:
        """Show ``text``: the mark held before it, then the text less a trailing clause mark (held
        in turn, so that a dropped last clause can end the sentence instead)."""
        body, mark = (text, "") if partial else _split_mark(text)
        out, self._separator = self._separator + body, mark
        if self._dropped and self._space:  # one space between the sentences around a dropped one
            out = out.lstrip(" ")
        if out:
            self._space = out[-1].isspace()
        if partial:
            self._open += text
        else:
            self._remember(_clauses(self._open + text)[-1] if (self._open + text).strip() else "")
            self._open = ""
        self._sentence += text
        self._shown = self._shown or bool(out.strip())
        return out

    def _drop(self, text: str, ends_sentence: bool) -> str:
        self._dropped.append(text)
        if ends_sentence and self._sentence and self._separator:  # end where the last shown clause did
            end = "。" if _WIDE.search(self._separator) else "."
            out, self._separator = end + _trailing_space(text), ""
            self._space = out[-1].isspace()
            return out
        return ""

    def _repeats(self, text: str) -> bool:
        key = _key(text)
        shortest = _MIN_QUESTION_CHARS if _QUESTION.search(text) else _MIN_CHARS
        return len(key) >= shortest and any(_close(key, said) for said in self._said)

    def _may_repeat(self, partial: str) -> bool:
        """Whether an unfinished clause or sentence starts like one said before."""
        key = _key(partial)
        return bool(key) and any(_near(key, said[:len(key)]) for said in self._said)

    def _remember(self, text: str) -> None:
        if (key := _key(text)) and key not in self._said:
            self._said.append(key)
