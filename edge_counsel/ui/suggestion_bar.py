"""The suggestion bar above the chat: one exercise suggestion, why it was made, and three choices.

What to suggest, and the person's choices ("Not now" dismissals, "Turn off suggestions"), belong
to ``services.suggestions.Suggestions``; this module only shows them.
Invariants: never looks on a crisis turn (``on_chat_reply`` checks; ``suggestions.suggest`` also
vetoes crisis words); the suggestions service is used on the UI thread only.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from ..errors import EdgeCounselError
from ..services.suggestions import Suggestion, Suggestions

__all__ = ["SuggestionBar"]

_BUTTONS = {"try": ("Try it", "试试看"), "later": ("Not now", "以后再说"),
            "off": ("Turn off suggestions", "关闭建议")}


class SuggestionBar(QFrame):
    """Shows one Suggestion; hidden otherwise."""

    try_requested = Signal(object)  # Suggestion
    turned_off = Signal()

    def __init__(self, services=None, *, on_try: Callable[[Suggestion], None] | None = None, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("suggestionBar")
        self.setStyleSheet("#suggestionBar { border: 1px solid #90caf9; border-radius: 8px; background: #f1f8ff; }")
        self.suggestions: Suggestions | None = services.suggestions if services is not None else None
        self.suggestion: Suggestion | None = None
        self.dismissed: set[str] = set()  # this session's "Not now"s, even when the store refuses a write
        self.chat_context: Callable[[], tuple[str | None, str]] = lambda: (None, "en")
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

    def set_services(self, services) -> None:
        """Use ``services.suggestions`` (None while locked: nothing is suggested)."""
        self.suggestions = services.suggestions if services is not None else None
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
            found = self.suggestions.find(last_chat, lang, self.dismissed) if self.suggestions is not None else None
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
        self._write(lambda: self.suggestions.dismiss(rule_id))
        self.clear()

    def turn_off(self) -> None:
        self._write(lambda: self.suggestions.set_enabled(False))
        self.clear()
        self.turned_off.emit()

    def _write(self, fn: Callable[[], None]) -> None:
        if self.suggestions is None:
            return
        try:
            fn()
        except EdgeCounselError:
            pass  # the in-memory state still holds for this session
