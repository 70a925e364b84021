"""What `edge-counsel history list|show|export` prints and writes.

The functions return lines or write one file; the CLI prints them. Invariants:
- Nothing in this module writes plaintext user content to disk except ``export``, which writes
  exactly the file the user named, atomically and with mode 0600. The caller shows
  ``EXPORT_WARNING`` before exporting.
- An unknown conversation id raises ConversationNotFoundError before anything is written.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from ..errors import ExportFormatError
from ..store.database import Conversation, Message, Store, atomic_write

__all__ = ["EXPORT_WARNING", "EXPORT_FORMATS", "list_lines", "show_lines", "export"]

EXPORT_WARNING = (
    "Warning: the exported file is NOT encrypted. Anyone who can open it can read this "
    "conversation. Keep it somewhere private, and delete it when you no longer need it."
)
EXPORT_FORMATS = {"md": "markdown", "markdown": "markdown", "json": "json"}
_SPEAKERS = {"user": "You", "assistant": "Edge Counsel", "system": "System"}


def _local(stamp: str) -> str:
    """An ISO UTC timestamp as local 'YYYY-MM-DD HH:MM'."""
    return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")


def _title(conv: Conversation) -> str:
    return conv.title or "(untitled)"


def list_lines(store: Store) -> list[str]:
    """One line per conversation, newest first: id, date, message count, title."""
    lines = []
    for conv in store.list_conversations():
        count = f"{conv.message_count} message{'' if conv.message_count == 1 else 's'}"
        lines.append(f"{conv.id:>4}  {_local(conv.updated_at)}  {count:>12}  {_title(conv)}")
    return lines


def show_lines(store: Store, conv_id: int) -> list[str]:
    """``role: content`` for each message, oldest first (a message may span several lines)."""
    store.get_conversation(conv_id)  # ConversationNotFoundError for an unknown id
    return [f"{m.role}: {m.content}" for m in store.list_messages(conv_id)]


def _format_for(out: Path, fmt: str | None) -> str:
    name = (fmt or out.suffix.lstrip(".")).lower()
    if name not in EXPORT_FORMATS:
        raise ExportFormatError(
            f"Cannot export as {name or 'an unnamed format'!r}: use --format md or --format json, "
            "or a file name ending in .md or .json."
        )
    return EXPORT_FORMATS[name]


def _as_markdown(conv: Conversation, messages: list[Message]) -> str:
    parts = [f"# {_title(conv)}", "", f"_Started {_local(conv.created_at)}._", ""]
    for m in messages:
        parts += [f"**{_SPEAKERS.get(m.role, m.role)}** ({_local(m.created_at)}):", "", m.content, ""]
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


def export(store: Store, conv_id: int, out: Path, fmt: str | None = None) -> Path:
    """Write one conversation to ``out`` as Markdown or JSON (``fmt``, else the suffix)."""
    out = Path(out)
    kind = _format_for(out, fmt)
    conv = store.get_conversation(conv_id)
    messages = store.list_messages(conv_id)
    text = _as_markdown(conv, messages) if kind == "markdown" else _as_json(conv, messages)
    atomic_write(out, text.encode("utf-8"), mode=0o600)
    return out
