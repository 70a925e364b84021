"""The journal: entries in the encrypted store, the crisis check on each, and their reflections.

``Journal`` is bound to one open Store; the window's journal page and the ``journal`` commands both
go through it. Invariants:
- Every save runs the crisis detector and returns its assessment with the entry. A crisis entry is
  still saved: what the person wrote is theirs to keep.
- An entry whose assessment is at least ``CRISIS_LEVEL`` never reaches the model. The one gate is
  ``reflection_task``, and ``reflect`` goes through it; both raise ``CrisisEntryError`` (carrying
  the assessment, so the caller can show crisis help) before anything is sent.
- The store is used on the caller's thread only. The model's half of a reflection (what
  ``reflection_task`` returns) holds texts, never the store, so it may run in the inference worker.
- No Qt here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..engine.llama import Engine
from ..errors import CrisisEntryError
from ..safety.risk import RiskAssessment, RiskDetector, default_detector
from ..store.database import JournalEntry, Store, local_time
from .reflection import Reflection, recent_context, reflect

__all__ = ["Journal", "SavedEntry", "CRISIS_LEVEL", "is_crisis", "first_line", "local_time"]

# A journal has no safety dialogue to hold a check, so "moderate" already means crisis help.
CRISIS_LEVEL = "moderate"

ReflectionTask = Callable[[Engine], Reflection]


def is_crisis(assessment: RiskAssessment) -> bool:
    """Whether a journal text with this assessment gets crisis help instead of a reflection."""
    return assessment.at_least(CRISIS_LEVEL)


@dataclass(frozen=True)
class SavedEntry:
    entry: JournalEntry
    assessment: RiskAssessment

    @property
    def crisis(self) -> bool:
        return is_crisis(self.assessment)


class Journal:
    """Write, read, search, delete and reflect on journal entries."""

    def __init__(self, store: Store, detector: RiskDetector | None = None) -> None:
        self.store = store
        self.detector = detector or default_detector()

    def save(self, text: str, entry_id: int | None = None) -> SavedEntry:
        """Save ``text`` as a new entry, or over entry ``entry_id``; the crisis check never stops
        the save."""
        if entry_id is None:
            entry = self.store.add_journal_entry(text)
        else:
            entry = self.store.update_journal_entry(entry_id, text)
        return SavedEntry(entry, self.assess(entry))

    def assess(self, entry: JournalEntry) -> RiskAssessment:
        return self.detector.assess([entry.text])

    def entries(self) -> list[JournalEntry]:
        """Newest first."""
        return self.store.list_journal_entries()

    def search(self, query: str) -> list[JournalEntry]:
        """Entries containing every term of ``query``, newest first."""
        return self.store.search_journal(query)

    def get(self, entry_id: int) -> JournalEntry:
        """JournalEntryNotFoundError for an unknown id."""
        return self.store.get_journal_entry(entry_id)

    def delete(self, entry_id: int) -> None:
        """Delete an entry and its reflection."""
        self.store.delete_journal_entry(entry_id)

    # -- reflection ----------------------------------------------------------------------------

    def reflection_task(self, entry: JournalEntry, include_recent: bool = False) -> ReflectionTask:
        """Check ``entry`` and gather its context here; return the model's half, ``task(engine)``,
        which touches only the engine. CrisisEntryError for a crisis entry: nothing is sent."""
        assessment = self.assess(entry)
        if is_crisis(assessment):
            raise CrisisEntryError(assessment)
        recent = recent_context(self.entries(), entry) if include_recent else []
        text = entry.text
        return lambda engine: reflect(engine, text, recent=recent)

    def reflect(self, entry: JournalEntry, engine: Engine, include_recent: bool = False) -> Reflection:
        """Reflect on ``entry`` with ``engine`` on this thread and save the reflection.
        CrisisEntryError for a crisis entry, as ``reflection_task``."""
        reflection = self.reflection_task(entry, include_recent)(engine)
        self.save_reflection(entry.id, reflection)
        return reflection

    def save_reflection(self, entry_id: int, reflection: Reflection) -> None:
        """JournalEntryNotFoundError when the entry was deleted meanwhile."""
        self.store.save_reflection(entry_id, reflection.to_dict())

    def get_reflection(self, entry_id: int) -> Reflection | None:
        stored = self.store.get_reflection(entry_id)
        return Reflection.from_dict(stored) if stored else None


def first_line(text: str, width: int = 60) -> str:
    """The entry's first non-empty line, cut to ``width`` characters: its title in a list."""
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line if len(line) <= width else line[:width - 1] + "…"
