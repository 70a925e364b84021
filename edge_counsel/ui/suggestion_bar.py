"""The suggestion bar above the chat: one exercise suggestion, why it was made, and three choices.

``maybe_suggest`` builds the rules' context from the store and honours the person's two settings,
both kept in the store's private settings: ``suggestions_enabled`` (False after "Turn off
suggestions"; the exercises page can turn them on again) and ``dismissed_suggestions`` (rule id ->
when "Not now" was pressed; a dismissed rule stays quiet for ``DISMISS_DAYS``).
Invariants: never called on a crisis turn (the caller checks; ``suggestions.suggest`` also vetoes
crisis words); the store is used on the UI thread only.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import AbstractSet, Callable

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from ..errors import EdgeCounselError
from ..services.mood import MoodCheckin, as_datetime
from ..services.suggestions import Suggestion, SuggestionContext, suggest

__all__ = ["SuggestionBar", "maybe_suggest", "dismissed_rules", "DISMISS_DAYS"]

ENABLED_KEY, DISMISSED_KEY = "suggestions_enabled", "dismissed_suggestions"
DISMISS_DAYS = 7
_CHECKIN_DAYS = 14  # more than any rule's window
_JOURNAL_ENTRIES = 20  # newest first; the rules read only the last few days of them
_BUTTONS = {"try": ("Try it", "试试看"), "later": ("Not now", "以后再说"),
            "off": ("Turn off suggestions", "关闭建议")}


def _now() -> datetime:
    return datetime.now().astimezone()


def dismissed_rules(store, now: datetime | None = None) -> set[str]:
    """Rule ids dismissed with "Not now" in the last DISMISS_DAYS days."""
    stored = store.get_private_setting(DISMISSED_KEY, {}) or {}
    if isinstance(stored, list):  # a bare list of ids: dismissed with no date, so for good
        return set(stored)
    since = (now or _now()) - timedelta(days=DISMISS_DAYS)
    return {rule for rule, when in stored.items() if as_datetime(when) >= since}


def dismiss(store, rule_id: str, now: datetime | None = None) -> None:
    stored = store.get_private_setting(DISMISSED_KEY, {}) or {}
    stored = dict.fromkeys(stored, (now or _now()).isoformat()) if isinstance(stored, list) else dict(stored)
    stored[rule_id] = (now or _now()).isoformat()
    store.set_private_setting(DISMISSED_KEY, stored)


def _context(store, last_chat: str | None, now: datetime) -> SuggestionContext:
    rows = store.list_checkins(since=now - timedelta(days=_CHECKIN_DAYS))
    entries = store.list_journal_entries()[:_JOURNAL_ENTRIES]
    return SuggestionContext(checkins=[MoodCheckin.from_stored(r) for r in rows],
                             journal=[(e.created_at, e.text) for e in entries],
                             last_chat=last_chat or "", now=now)


def maybe_suggest(store, last_chat: str | None, lang: str,
                  dismissed: AbstractSet[str] = frozenset()) -> Suggestion | None:
    """A suggestion from recent check-ins, journal entries and the last chat message, or None
    (the usual case; also when there is no open store or suggestions are turned off)."""
    if store is None or not store.is_open or not store.get_private_setting(ENABLED_KEY, True):
        return None
    now = _now()
    return suggest(_context(store, last_chat, now), lang, set(dismissed) | dismissed_rules(store, now))


class SuggestionBar(QFrame):
    """Shows one Suggestion; hidden otherwise."""

    try_requested = Signal(object)  # Suggestion
    turned_off = Signal()

    def __init__(self, store=None, *, on_try: Callable[[Suggestion], None] | None = None, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("suggestionBar")
        self.setStyleSheet("#suggestionBar { border: 1px solid #90caf9; border-radius: 8px; background: #f1f8ff; }")
        self.store = store
        self.suggestion: Suggestion | None = None
        self.dismissed: set[str] = set()  # this session's "Not now"s, even when the store refuses a write
        self.chat_context: Callable[[], tuple[str | None, str]] = lambda: (None, "en")
        self.allowed: Callable[[], bool] = lambda: True  # the app-wide switch (Settings)
        if on_try is not None:
            self.try_requested.connect(on_try)
        self._build()
        self.hide()

    def _build(self) -> None:
        self.reason = QLabel(wordWrap=True)
        self.basis = QLabel(wordWrap=True)
        self.basis.setStyleSheet("color: #555; font-size: 9pt;")
        self.try_button = QPushButton(clicked=self.try_it)
        self.later_button = QPushButton(clicked=self.not_now)
        self.off_button = QPushButton(flat=True, clicked=self.turn_off)
        buttons = QHBoxLayout()
        for button in (self.try_button, self.later_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.off_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.reason)
        layout.addWidget(self.basis)
        layout.addLayout(buttons)

    def set_store(self, store) -> None:
        self.store = store
        self.clear()

    def show_suggestion(self, suggestion: Suggestion, lang: str) -> None:
        self.suggestion = suggestion
        self.reason.setText(suggestion.reason)
        self.basis.setText(suggestion.basis)
        for button, key in ((self.try_button, "try"), (self.later_button, "later"), (self.off_button, "off")):
            en, zh = _BUTTONS[key]
            button.setText(zh if lang == "zh" else en)
        self.show()

    def clear(self) -> None:
        self.suggestion = None
        self.hide()

    def refresh(self, last_chat: str | None, lang: str) -> Suggestion | None:
        """Look for a suggestion now and show it (or hide the bar when there is none)."""
        try:
            found = maybe_suggest(self.store, last_chat, lang, self.dismissed) if self.allowed() else None
        except EdgeCounselError:
            found = None
        if found is None:
            self.clear()
        else:
            self.show_suggestion(found, lang)
        return found

    @Slot(object)
    def on_chat_reply(self, reply) -> None:
        """After a chat turn (``worker.done``): look again, except after a crisis reply."""
        assessment = getattr(reply, "assessment", None)
        if reply.source == "crisis" or (assessment is not None and assessment.at_least("moderate")):
            self.clear()
            return
        last_chat, lang = self.chat_context()
        self.refresh(last_chat, getattr(reply, "lang", None) or lang)

    # -- the three choices ---------------------------------------------------------------------

    def try_it(self) -> None:
        suggestion = self.suggestion
        self.clear()
        if suggestion is not None:
            self.try_requested.emit(suggestion)

    def not_now(self) -> None:
        if self.suggestion is None:
            return
        rule_id = self.suggestion.rule_id
        self.dismissed.add(rule_id)
        self._write(lambda: dismiss(self.store, rule_id))
        self.clear()

    def turn_off(self) -> None:
        self._write(lambda: self.store.set_private_setting(ENABLED_KEY, False))
        self.clear()
        self.turned_off.emit()

    def _write(self, fn: Callable[[], None]) -> None:
        if self.store is None:
            return
        try:
            fn()
        except EdgeCounselError:
            pass  # the in-memory state still holds for this session
