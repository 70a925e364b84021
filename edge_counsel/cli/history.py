"""What `edge-counsel history list|show|export` prints and writes.

The functions return lines or write one file; the CLI prints them. All of it is
``services.history.History``'s, which the window's history page uses too; see its invariants
(only ``export`` writes plaintext, to exactly the file named; an unknown id raises
ConversationNotFoundError before anything is written).
"""

from __future__ import annotations

from pathlib import Path

from ..services.history import EXPORT_FORMATS, EXPORT_WARNING, History
from ..store.database import Store

__all__ = ["EXPORT_WARNING", "EXPORT_FORMATS", "list_lines", "show_lines", "export"]


def list_lines(store: Store) -> list[str]:
    """One line per conversation, newest first: id, date, message count, title."""
    return History(store).lines()


def show_lines(store: Store, conv_id: int) -> list[str]:
    """``role: content`` for each message, oldest first (a message may span several lines)."""
    return History(store).transcript_lines(conv_id)


def export(store: Store, conv_id: int, out: Path, fmt: str | None = None) -> Path:
    """Write one conversation to ``out`` as Markdown or JSON (``fmt``, else the suffix)."""
    return History(store).export(conv_id, out, fmt)
