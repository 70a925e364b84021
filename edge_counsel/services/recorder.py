"""Persist a conversation into the encrypted store, one finished message at a time.

The conversation row is created lazily with the first user message, so an empty "New
conversation" leaves nothing behind. Each message is committed on its own: a crash loses at most
the reply that was streaming.
"""

from __future__ import annotations

from ..store.database import Store

__all__ = ["StoreRecorder"]

_TITLE_CHARS = 48


class StoreRecorder:
    def __init__(self, store: Store, *, approach: str = "", conversation_id: int | None = None) -> None:
        self.store = store
        self.approach = approach
        self.conversation_id = conversation_id

    def record(self, role: str, content: str, meta: dict | None = None) -> None:
        if self.conversation_id is None:
            if role != "user":
                return
            lang = (meta or {}).get("lang", "")
            title = " ".join(content.split())[:_TITLE_CHARS]
            self.conversation_id = self.store.create_conversation(title, self.approach, lang).id
        self.store.add_message(self.conversation_id, role, content, flagged=meta or None)

    def retract_last_assistant(self) -> None:
        if self.conversation_id is not None:
            self.store.delete_last_assistant(self.conversation_id)

    def messages(self, conversation_id: int) -> list[tuple[str, str, dict]]:
        """A saved conversation as (role, text, meta), oldest first; meta["at"] is when the
        message was stored (ISO 8601), so a transcript can show it."""
        return [(m.role, m.content, {**(m.flagged or {}), "at": m.created_at})
                for m in self.store.list_messages(conversation_id)]

    def restart(self, conversation_id: int | None = None) -> None:
        """Record into another (or, with None, a new) conversation from now on."""
        self.conversation_id = conversation_id
