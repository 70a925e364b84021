"""The chat transcript: one bubble per message, a reply streamed into the last one, and notes.

Invariants:
- Every message is a header (who, "(AI)" for the app's own words, the time) and a body in the
  document's own font: the AI's words are the same size as the person's, live or reloaded.
  Only the header's tag and time are smaller.
- The colours come from the palette (the person's bubble tinted with the highlight colour, the
  AI's with the text colour), and follow it when it changes: a dark theme reads as well as a
  light one. No foreground colour is ever set, so text keeps the palette's.
- Text goes in as text, never as HTML: nothing a person or a model writes is interpreted.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QEvent
from PySide6.QtGui import QColor, QFont, QPalette, QTextBlockFormat, QTextCharFormat, QTextCursor, QTextFormat
from PySide6.QtWidgets import QTextBrowser

from .appearance import mixed

__all__ = ["Transcript", "AI_TAG", "time_label"]

AI_TAG = "(AI)"
_BUBBLES = ("user", "assistant")
_ROLE = QTextFormat.UserProperty + 1  # which bubble a block belongs to: "user", "assistant", "note"
_SIDE = 60  # the indent on the other side of a bubble, in pixels


def time_label(when: dt.datetime, today: dt.date | None = None) -> str:
    """"14:05" for a message of today, "2025-06-01 14:05" for an older one (local time)."""
    local = when.astimezone() if when.tzinfo else when
    return local.strftime("%H:%M" if local.date() == (today or dt.date.today()) else "%Y-%m-%d %H:%M")


class Transcript(QTextBrowser):
    """The messages of one conversation as bubbles; the chat panel decides what goes in."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("transcript")
        self.setOpenExternalLinks(False)
        self._reply_start = 0  # where the reply's bubble begins
        self._body_start: int | None = None  # where the reply being (or last) streamed begins
        self._reply_end: int | None = None  # and where it ended, once it has

    # -- messages ------------------------------------------------------------------------------

    def add_message(self, role: str, text: str, when: dt.datetime | None = None) -> tuple[int, int]:
        """A whole message (``when``: the time it was written, shown in its header if given);
        returns its span, for ``remove``."""
        start = self._open_message(role, when)
        self._cursor().insertText(text, QTextCharFormat())
        self._scroll_to_end()
        return start, self._end()

    def begin_reply(self, when: dt.datetime | None = None) -> None:
        """An empty AI bubble that ``stream`` fills."""
        self._reply_start = self._open_message("assistant", when)
        self._body_start, self._reply_end = self._end(), None
        self._scroll_to_end()

    def stream(self, text: str) -> None:
        self._cursor().insertText(text, QTextCharFormat())
        self._scroll_to_end()

    def replace_reply(self, text: str) -> None:
        """Everything streamed so far for the reply becomes ``text`` (the guard's replacement)."""
        self.remove(self._body_start, self._end())
        self.stream(text)

    def end_reply(self) -> tuple[int, int]:
        """The reply is complete; returns its span, for ``remove``."""
        self._reply_end = self._end()
        return self._reply_start, self._reply_end

    def reply_text(self) -> str:
        """The text of the reply being (or last) streamed, as shown."""
        if self._body_start is None:
            return ""
        cursor = self._cursor()
        cursor.setPosition(self._body_start)
        cursor.setPosition(self._reply_end if self._reply_end is not None else self._end(), QTextCursor.KeepAnchor)
        return cursor.selectedText().replace("\u2029", "\n")

    def add_note(self, text: str) -> None:
        """A line from the app between the bubbles (stopped, withheld, not saved, ...)."""
        cursor = self._cursor()
        self._new_block(cursor, "note", QTextBlockFormat())
        italic = QTextCharFormat()
        italic.setFontItalic(True)
        cursor.insertText(text, italic)
        self._scroll_to_end()

    def remove(self, start: int, end: int) -> None:
        cursor = self._cursor()
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.KeepAnchor)
        cursor.removeSelectedText()
        if self.document().isEmpty():  # the first bubble went: the empty block keeps no bubble
            cursor.setBlockFormat(QTextBlockFormat())

    def clear(self) -> None:
        super().clear()
        self._body_start = self._reply_end = None

    # -- building blocks -----------------------------------------------------------------------

    def _open_message(self, role: str, when: dt.datetime | None) -> int:
        """The header block of a new bubble and an empty body block after it; returns the
        position the bubble starts at (before the block break that opens it)."""
        cursor = self._cursor()
        start = self._new_block(cursor, role, self._bubble(role, top=8, bottom=0))
        bold = QTextCharFormat()
        bold.setFontWeight(QFont.Bold)
        cursor.insertText(self.tr("You") if role == "user" else "Edge Counsel", bold)
        small = QTextCharFormat()
        small.setProperty(QTextFormat.FontSizeAdjustment, -1)
        tag = f" {AI_TAG}" if role == "assistant" else ""
        stamp = f"  ·  {time_label(when)}" if when is not None else ""
        if tag or stamp:
            cursor.insertText(tag + stamp, small)
        cursor.insertBlock(self._bubble(role, top=0, bottom=2), QTextCharFormat())
        return start

    def _new_block(self, cursor: QTextCursor, role: str, block: QTextBlockFormat) -> int:
        block.setProperty(_ROLE, role)
        start = cursor.position()
        if self.document().isEmpty():
            cursor.setBlockFormat(block)
            cursor.setBlockCharFormat(QTextCharFormat())
        else:
            cursor.insertBlock(block, QTextCharFormat())
        return start

    def _bubble(self, role: str, top: int, bottom: int) -> QTextBlockFormat:
        block = QTextBlockFormat()
        block.setProperty(_ROLE, role)
        block.setBackground(self._colour(role))
        block.setTopMargin(top)
        block.setBottomMargin(bottom)
        block.setLeftMargin(_SIDE if role == "user" else 4)
        block.setRightMargin(4 if role == "user" else _SIDE)
        return block

    def _colour(self, role: str) -> QColor:
        palette = self.palette()
        base = palette.color(QPalette.Base)
        tint, share = ((palette.color(QPalette.Highlight), 0.18) if role == "user"
                       else (palette.color(QPalette.Text), 0.07))
        return mixed(base, tint, share)

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        super().changeEvent(event)
        if event.type() == QEvent.PaletteChange:
            self._recolour()

    def _recolour(self) -> None:
        """Give every bubble the new palette's colours (a theme change)."""
        block = self.document().begin()
        while block.isValid():
            role = block.blockFormat().property(_ROLE)
            if role in _BUBBLES:
                cursor = QTextCursor(block)
                fmt = block.blockFormat()
                fmt.setBackground(self._colour(role))
                cursor.setBlockFormat(fmt)
            block = block.next()

    def _cursor(self) -> QTextCursor:
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.End)
        return cursor

    def _end(self) -> int:
        return self._cursor().position()

    def _scroll_to_end(self) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())
