"""The journal and mood commands of ``edge-counsel``: each takes an open Store and returns an exit
status, printing results to ``out`` and problems or crisis help to ``err``.

Invariants: journal text goes through ``services.journal.Journal``, exactly as in the window, so
the same crisis check runs on every save and the same gate keeps a crisis entry from the model; an
escalated entry is still saved, and the scripted crisis reply and the region's hotlines go to
``err`` (so ``out`` stays machine-readable). Nothing here prints a stored text anywhere but ``out``.
"""

from __future__ import annotations

import json
import sys
from typing import Sequence, TextIO

from ..engine.llama import Engine
from ..errors import CrisisEntryError
from ..lang import detect_language
from ..safety import crisis_replies
from ..safety.hotlines import HotlineDirectory, region_from_locale
from ..safety.risk import RiskAssessment, default_detector
from ..services.journal import Journal, first_line, is_crisis, local_time
from ..services.mood import EMOTION_TAGS, MoodLog, level, tag_label
from ..services.reflection import Reflection
from ..store.database import Store
from .terminal import format_hotlines

__all__ = ["journal_add", "journal_list", "journal_reflect", "mood_add", "mood_list", "crisis_notice",
           "EXIT_OK", "EXIT_USAGE"]

EXIT_OK, EXIT_USAGE = 0, 2


def crisis_notice(text: str, err: TextIO) -> bool:
    """Run the crisis detector on ``text`` (a check-in note); at the journal's crisis level, print
    the crisis reply and hotlines."""
    assessment = default_detector().assess([text])
    if not is_crisis(assessment):
        return False
    _crisis_help(assessment, text, err)
    return True


def _crisis_help(assessment: RiskAssessment, text: str, err: TextIO) -> None:
    lang = detect_language(text)
    err.write(crisis_replies.crisis_reply(assessment.categories, lang) + "\n")
    err.write(format_hotlines(HotlineDirectory.load(), region_from_locale(), lang) + "\n")
    err.flush()


# ---------------------------------------------------------------- journal


def journal_add(store: Store, text: str, out: TextIO, err: TextIO | None = None) -> int:
    """Save a new entry and print its id (the crisis check never stops the entry being saved)."""
    text = text.strip()
    err = err or sys.stderr
    if not text:
        err.write("The entry is empty: write something to save. / 日记是空的。\n")
        return EXIT_USAGE
    saved = Journal(store).save(text)
    out.write(f"{saved.entry.id}\n")
    if saved.crisis:
        _crisis_help(saved.assessment, text, err)
    return EXIT_OK


def journal_list(store: Store, out: TextIO) -> int:
    """One line per entry, newest first: id, local date and time, first line."""
    for entry in Journal(store).entries():
        out.write(f"{entry.id}\t{local_time(entry.created_at)}\t{first_line(entry.text)}\n")
    return EXIT_OK


def journal_reflect(store: Store, engine: Engine, entry_id: int, as_json: bool, out: TextIO,
                    recent: bool = False, err: TextIO | None = None) -> int:
    """Reflect on an entry with the model, save the reflection and print it.

    ``Journal.reflect`` refuses a crisis entry (as the chat would): crisis help goes to ``err``
    and, with ``as_json``, an empty reflection marked ``"crisis": true``."""
    journal = Journal(store)
    entry = journal.get(entry_id)
    try:
        reflection = journal.reflect(entry, engine, include_recent=recent)
    except CrisisEntryError as refused:
        _crisis_help(refused.assessment, entry.text, err or sys.stderr)
        if as_json:
            empty = {"themes": [], "tone": "", "observation": "", "lang": detect_language(entry.text), "crisis": True}
            out.write(json.dumps(empty, ensure_ascii=False) + "\n")
        return EXIT_OK
    out.write(_reflection_json(reflection) if as_json else _reflection_text(reflection))
    return EXIT_OK


def _reflection_json(reflection: Reflection) -> str:
    data = {key: value for key, value in reflection.to_dict().items() if key != "rejected"}
    return json.dumps({**data, "crisis": False}, ensure_ascii=False) + "\n"


def _reflection_text(reflection: Reflection) -> str:
    """Themes and tone (those the checks kept) and the observation, or "could not reflect"."""
    themes, tone, sep = ("主题", "基调", "、") if reflection.lang == "zh" else ("Themes", "Tone", ", ")
    lines = ([f"{themes}: {sep.join(reflection.themes)}"] if reflection.themes else []) \
        + ([f"{tone}: {reflection.tone}"] if reflection.tone else [])
    return "\n".join([*lines, reflection.observation]) + "\n"


# ---------------------------------------------------------------- mood


def _tag_ids(tags: Sequence[str]) -> tuple[list[str], list[str]]:
    """(known tag ids, unknown words); a tag may be given by id or by its Chinese label."""
    by_label = {text.zh: tag for tag, text in EMOTION_TAGS.items()}
    known, unknown = [], []
    for raw in tags:
        word = raw.strip().lower()
        tag = word if word in EMOTION_TAGS else by_label.get(raw.strip())
        (known if tag else unknown).append(tag or raw)
    return list(dict.fromkeys(known)), unknown


def _known_tags() -> str:
    return ", ".join(f"{tag} ({text.zh})" for tag, text in EMOTION_TAGS.items())


def mood_add(store: Store, score: int, tags: Sequence[str], note: str, out: TextIO,
             err: TextIO | None = None) -> int:
    """Save a check-in (score 1..5, known emotion tags) and print its id."""
    err = err or sys.stderr
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        err.write(f"A mood score is a whole number from 1 (very low) to 5 (very good), not {score!r}.\n")
        return EXIT_USAGE
    known, unknown = _tag_ids(tags)
    if unknown:
        err.write(f"Unknown emotion tag(s): {', '.join(unknown)}. Known tags: {_known_tags()}.\n")
        return EXIT_USAGE
    checkin = MoodLog(store).add(score, known, (note or "").strip())
    out.write(f"{checkin.id}\n")
    if checkin.note:
        crisis_notice(checkin.note, err)
    return EXIT_OK


def mood_list(store: Store, as_json: bool, out: TextIO) -> int:
    """All check-ins, oldest first: a JSON array, or one line each."""
    checkins = MoodLog(store).rows()
    if as_json:
        rows = [{"id": c.id, "score": c.score, "tags": list(c.tags), "note": c.note,
                 "created_at": c.created_at} for c in checkins]
        out.write(json.dumps(rows, ensure_ascii=False) + "\n")
        return EXIT_OK
    for c in checkins:
        tags = ", ".join(tag_label(t, "en") for t in c.tags)
        out.write(f"{c.id}\t{local_time(c.created_at)}\t{level(c.score).emoji} {c.score}\t{tags}\t{c.note}\n")
    return EXIT_OK
