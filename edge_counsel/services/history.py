"""Saved conversations: list, search, read, delete, export, and erase everything.

``History`` is bound to one open Store and used on the caller's thread; the window's history page
and the ``history`` commands both go through it. Invariants:
- Nothing here writes plaintext user content to disk except ``export``, which writes exactly the
  file the caller named, atomically and with mode 0600. The caller shows ``EXPORT_WARNING`` first.
- An unknown conversation id raises ConversationNotFoundError before anything is written.
- ``erase_all`` deletes every conversation, journal entry, check-in, exercise record, the safety
  plan and the private settings, and cannot be undone: the caller confirms first.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from ..atomic import atomic_write
from ..errors import ExportFormatError
from ..store.database import day_of, local_time

if TYPE_CHECKING:
    from ..store.database import Conversation, Message, Store

__all__ = ["History", "EXPORT_WARNING", "EXPORT_FORMATS", "local_day"]

EXPORT_WARNING = (
    "Warning: the exported file is NOT encrypted. Anyone who can open it can read this "
    "conversation. Keep it somewhere private, and delete it when you no longer need it."
)
EXPORT_FORMATS = {"md": "markdown", "markdown": "markdown", "json": "json"}
_SPEAKERS = {"user": "You", "assistant": "Edge Counsel", "system": "System"}


class History:
    """The saved conversations of one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def conversations(self) -> list[Conversation]:
        """Newest first."""
        return self.store.list_conversations()

    def listing(self) -> list[tuple[Conversation, str]]:
        """Each conversation, newest first, with its line: id, date, message count, title."""
        return [(conv, _line(conv)) for conv in self.conversations()]

    def lines(self) -> list[str]:
        return [line for _, line in self.listing()]

    def search(self, query: str) -> list[tuple[Conversation, str]]:
        """Conversations with a message containing every term of ``query``, each once, newest
        match first, with a snippet of that message."""
        found: dict[int, tuple[Conversation, str]] = {}
        for hit in self.store.search(query):
            if hit.kind == "message" and hit.conversation_id not in found:
                found[hit.conversation_id] = (self.get(hit.conversation_id), hit.snippet)
        return list(found.values())

    def get(self, conv_id: int) -> Conversation:
        """ConversationNotFoundError for an unknown id."""
        return self.store.get_conversation(conv_id)

    def messages(self, conv_id: int) -> list[Message]:
        """Oldest first."""
        return self.store.list_messages(conv_id)

    def transcript_lines(self, conv_id: int) -> list[str]:
        """``role: content`` for each message, oldest first (a message may span several lines)."""
        self.get(conv_id)  # ConversationNotFoundError for an unknown id
        return [f"{m.role}: {m.content}" for m in self.messages(conv_id)]

    def delete(self, conv_id: int) -> None:
        self.store.delete_conversation(conv_id)

    def erase_all(self) -> None:
        """Delete all user content, for good."""
        self.store.erase_all()

    def export(self, conv_id: int, out: Path, fmt: str | None = None) -> Path:
        """Write one conversation to ``out`` as Markdown or JSON (``fmt``, else the suffix)."""
        out = Path(out)
        kind = _format_for(out, fmt)
        conv = self.get(conv_id)
        messages = self.messages(conv_id)
        text = _as_markdown(conv, messages) if kind == "markdown" else _as_json(conv, messages)
        atomic_write(out, text.encode("utf-8"), mode=0o600)
        return out


def local_day(stamp: str) -> str:
    """A stored UTC time as this computer's local date, 'YYYY-MM-DD'."""
    return day_of(stamp).isoformat()


def _title(conv: Conversation) -> str:
    return conv.title or "(untitled)"


def _line(conv: Conversation) -> str:
    count = f"{conv.message_count} message{'' if conv.message_count == 1 else 's'}"
    return f"{conv.id:>4}  {local_time(conv.updated_at)}  {count:>12}  {_title(conv)}"


def _format_for(out: Path, fmt: str | None) -> str:
    name = (fmt or out.suffix.lstrip(".")).lower()
    if name not in EXPORT_FORMATS:
        raise ExportFormatError(
            f"Cannot export as {name or 'an unnamed format'!r}: use --format md or --format json, "
            "or a file name ending in .md or .json."
        )
    return EXPORT_FORMATS[name]


def _as_markdown(conv: Conversation, messages: list[Message]) -> str:
    parts = [f"# {_title(conv)}", "", f"_Started {local_time(conv.created_at)}._", ""]
    for m in messages:
        parts += [f"**{_SPEAKERS.get(m.role, m.role)}** ({local_time(m.created_at)}):", "", m.content, ""]
    return "\n".join(parts)


def _as_json(conv: Conversation, messages: list[Message]) -> str:
    record = {
        "id": conv.id,
        "title": conv.title,
        "approach": conv.approach,
        "lang": conv.lang,
        "created_at": conv.created_at,
        "updated_at": conv.updated_at,
        "messages": [
            {"role": m.role, "content": m.content, "created_at": m.created_at, "flagged": m.flagged}
            for m in messages
        ],
    }
    return json.dumps(record, ensure_ascii=False, indent=2) + "\n"
