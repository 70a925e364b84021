"""The chat transcript: one bubble per message, a reply streamed into the last one, and notes.

Invariants:
- Every message is a header (who, "(AI)" for the app's own words, the time) and a body in the
  document's own font: the AI's words are the same size as the person's, live or reloaded.
  Only the header's tag and time are smaller.
- The colours come from the palette (the person's bubble tinted with the highlight colour, the
  AI's with the text colour), and follow it when it changes: a dark theme reads as well as a
  light one. No foreground colour is ever set, so text keeps the palette's.
- Nothing anyone writes is ever read as HTML. The person's words are shown exactly as typed. The
  AI's finished messages (a reply once it has ended, or reloaded) are read as CommonMark with HTML
  off: emphasis, lists, headings (bold, not larger) and code are shown formatted; an HTML
  tag stays literal text, a link is shown as its text only (no link, nothing opens), an image as
  its alt text (nothing is loaded, from disk or anywhere). While a reply streams it is plain text.
- The words as written stay with each message: ``reply_text`` and "Copy message" give them back
  as they were written (markdown and all), never the rendered text. "Copy message" is in the
  context menu of every bubble (right-click, or the menu key for the message at the caret).
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QEvent, QPoint
from PySide6.QtGui import (QColor, QContextMenuEvent, QFont, QGuiApplication, QPalette, QTextBlock,
                           QTextBlockFormat, QTextCharFormat, QTextCursor, QTextDocument, QTextFormat)
from PySide6.QtWidgets import QMenu, QTextBrowser

from .appearance import mixed

__all__ = ["Transcript", "AI_TAG", "time_label"]

AI_TAG = "(AI)"
_BUBBLES = ("user", "assistant")
_ROLE = QTextFormat.UserProperty + 1  # which bubble a block belongs to: "user", "assistant", "note"
_HEADER = QTextFormat.UserProperty + 2  # set on the first block of a bubble, its header
_TEXT = QTextFormat.UserProperty + 3  # on a finished message's header: its text as written
# CommonMark with no HTML at all: a tag a model writes is text, never markup
_MARKDOWN = QTextDocument.MarkdownFeature.MarkdownNoHTML
# what a rendered message's characters must not carry: another size, a colour, a link, an underline
_CHAR_CLEARED = (QTextFormat.FontSizeAdjustment, QTextFormat.FontPointSize, QTextFormat.FontPixelSize,
                 QTextFormat.ForegroundBrush, QTextFormat.BackgroundBrush, QTextFormat.IsAnchor,
                 QTextFormat.AnchorHref, QTextFormat.AnchorName, QTextFormat.FontUnderline,
                 QTextFormat.TextUnderlineStyle, QTextFormat.TextUnderlineColor)
_SIDE = 60  # the indent on the other side of a bubble, in pixels
_LIST_INDENT = 24  # a list item's first line, per level of nesting, in pixels


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
        self.setOpenLinks(False)
        self._reply_start = 0  # where the reply's bubble begins
        self._reply_source = ""  # the reply being (or last) streamed, as written
        self._body_start: int | None = None  # where the reply being (or last) streamed begins
        self._reply_end: int | None = None  # and where it ended, once it has

    # -- messages ------------------------------------------------------------------------------

    def add_message(self, role: str, text: str, when: dt.datetime | None = None) -> tuple[int, int]:
        """A whole message (``when``: the time it was written, shown in its header if given);
        returns its span, for ``remove``."""
        start = self._open_message(role, when)
        body_start = self._end()
        if role == "assistant":
            stop = self._render_markdown(body_start, text)
        else:
            stop = self._cursor()
            stop.insertText(text, QTextCharFormat())
        self._close_bubble(body_start, stop)
        self._keep_text(body_start, text)
        self._scroll_to_end()
        return start, self._end()

    def begin_reply(self, when: dt.datetime | None = None) -> None:
        """An empty AI bubble that ``stream`` fills."""
        self._reply_start = self._open_message("assistant", when)
        self._body_start, self._reply_end = self._end(), None
        self._reply_source = ""
        self._scroll_to_end()

    def stream(self, text: str) -> None:
        self._reply_source += text
        self._cursor().insertText(text, QTextCharFormat())
        self._scroll_to_end()

    def replace_reply(self, text: str) -> None:
        """Everything streamed so far for the reply becomes ``text`` (the guard's replacement)."""
        self.remove(self._body_start, self._end())
        self._reply_source = ""
        self.stream(text)

    def end_reply(self) -> tuple[int, int]:
        """The reply is complete: its plain text is shown formatted from now on. Returns its
        span, for ``remove``."""
        if self._body_start is not None:
            # up to the body's own end: a note may have come in after it (the crisis panel's)
            self.remove(self._body_start, self._body_end(self._body_start).position())
            stop = self._render_markdown(self._body_start, self._reply_source)
            self._close_bubble(self._body_start, stop)
            self._keep_text(self._body_start, self._reply_source)
            self._reply_end = stop.position()
        else:
            self._reply_end = self._end()
        return self._reply_start, self._reply_end

    def reply_text(self) -> str:
        """The text of the reply being (or last) streamed, as the model wrote it (not as shown)."""
        return "" if self._body_start is None else self._reply_source

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
        self._reply_source = ""

    def loadResource(self, kind: int, name):  # noqa: N802 - Qt naming
        """Nothing is ever loaded for a message: no image, no style sheet, from disk or anywhere."""
        return None

    # -- copying one message -------------------------------------------------------------------

    def message_at(self, pos: QPoint) -> str | None:
        """The text, as written, of the message under ``pos`` (viewport coordinates); None off
        the bubbles (a note, the empty space)."""
        block = self.cursorForPosition(pos).block()
        if block.blockFormat().property(_ROLE) not in _BUBBLES:
            return None
        while not block.blockFormat().property(_HEADER) and block.previous().isValid():
            block = block.previous()
        written = block.blockFormat().property(_TEXT)
        return written if written is not None else self._shown_body(block)

    def menu_at(self, pos: QPoint) -> QMenu:
        """The standard Copy / Select All, and "Copy message" when ``pos`` is on a message."""
        scroll = QPoint(self.horizontalScrollBar().value(), self.verticalScrollBar().value())
        menu = self.createStandardContextMenu(pos + scroll)
        text = self.message_at(pos)
        if text is not None:
            action = menu.addAction(self.tr("Copy message"))
            action.triggered.connect(lambda: QGuiApplication.clipboard().setText(text))
        return menu

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802 - Qt naming
        # from the keyboard (the menu key, Shift+F10) the menu is for the message at the caret
        keyboard = event.reason() == QContextMenuEvent.Keyboard
        pos = self.cursorRect().center() if keyboard else event.pos()
        menu = self.menu_at(pos)
        menu.exec(self.viewport().mapToGlobal(pos) if keyboard else event.globalPos())
        menu.deleteLater()

    def _shown_body(self, header: QTextBlock) -> str:
        """The body of the bubble ``header`` opens, as shown (a reply still streaming)."""
        body_start = header.next().position()
        return "\n".join(block.text() for block in self._blocks(body_start, self._body_end(body_start)))

    # -- building blocks -----------------------------------------------------------------------

    def _open_message(self, role: str, when: dt.datetime | None) -> int:
        """The header block of a new bubble and an empty body block after it; returns the
        position the bubble starts at (before the block break that opens it)."""
        cursor = self._cursor()
        header = self._bubble(role, top=8, bottom=0)
        header.setProperty(_HEADER, True)
        start = self._new_block(cursor, role, header)
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

    def _body_end(self, body_start: int) -> QTextCursor:
        """A cursor at the end of the body that begins at ``body_start`` (its blocks: those of
        the same bubble up to the next header or note)."""
        block = self.document().findBlock(body_start)
        role = block.blockFormat().property(_ROLE)
        following = block.next()
        while following.isValid() and following.blockFormat().property(_ROLE) == role \
                and not following.blockFormat().property(_HEADER):
            block, following = following, following.next()
        end = QTextCursor(block)
        end.movePosition(QTextCursor.EndOfBlock)
        return end

    def _blocks(self, start: int, stop: QTextCursor):
        """The blocks from the one at ``start`` to the one ``stop`` is in; read one at a time, so
        the caller may insert blocks as it goes (``stop`` moves with what is inserted before it)."""
        block = self.document().findBlock(start)
        while block.isValid() and block.position() <= stop.position():
            yield block
            block = block.next()

    def _close_bubble(self, body_start: int, stop: QTextCursor) -> None:
        """Only the last line of a body keeps the bubble's bottom margin: a margin is not painted,
        so one on every line would stripe a bubble of many lines."""
        inner = QTextBlockFormat()
        inner.setBottomMargin(0)
        for block in self._blocks(body_start, stop):
            if block.position() + block.length() <= stop.position():
                QTextCursor(block).mergeBlockFormat(inner)

    def _keep_text(self, body_start: int, text: str) -> None:
        """The message's text as written, on its header (for "Copy message")."""
        header = QTextBlockFormat()
        header.setProperty(_TEXT, text)
        QTextCursor(self.document().findBlock(body_start).previous()).mergeBlockFormat(header)

    def _render_markdown(self, body_start: int, text: str) -> QTextCursor:
        """The AI's ``text`` as formatted text into the empty body at ``body_start``, in the
        bubble's formats (the module's invariants say what is read and what is not); returns a
        cursor at the body's end."""
        cursor = QTextCursor(self.document())
        cursor.setPosition(body_start)
        cursor.insertMarkdown(text, _MARKDOWN)
        stop = QTextCursor(cursor)
        self._unlink(body_start, stop)
        self._space_paragraphs(body_start, stop)
        self._indent_lists(body_start, stop)
        body = self._bubble("assistant", top=0, bottom=2)
        body.setHeadingLevel(0)
        cursor.setPosition(body_start)
        cursor.setPosition(stop.position(), QTextCursor.KeepAnchor)
        cursor.mergeBlockFormat(body)
        return stop

    def _unlink(self, start: int, stop: QTextCursor) -> None:
        """No image (its alt text instead), no link, no size or colour of its own, in the body."""
        for block in self._blocks(start, stop):
            fragments, it = [], block.begin()
            while not it.atEnd():
                fragment = it.fragment()
                fragments.append((fragment.position(), fragment.length(), fragment.charFormat()))
                it += 1
            for position, length, fmt in reversed(fragments):  # back to front: positions hold
                self._plain_fragment(position, length, fmt)

    def _plain_fragment(self, position: int, length: int, fmt: QTextCharFormat) -> None:
        cursor = QTextCursor(self.document())
        cursor.setPosition(position)
        cursor.setPosition(position + length, QTextCursor.KeepAnchor)
        if fmt.isImageFormat():
            alt = fmt.property(QTextFormat.ImageAltText)
            cursor.insertText(alt if isinstance(alt, str) else "", QTextCharFormat())
            return
        for prop in _CHAR_CLEARED:
            fmt.clearProperty(prop)
        cursor.setCharFormat(fmt)

    def _space_paragraphs(self, start: int, stop: QTextCursor) -> None:
        """An empty line between paragraphs, as a blank line shows in plain text: the bubble's
        background is not painted in a block's margins, so margins would split the bubble."""
        for block in self._blocks(start, stop):
            previous = block.previous()
            if block.position() > start and not _continues(previous, block):
                cursor = QTextCursor(previous)
                cursor.movePosition(QTextCursor.EndOfBlock)
                cursor.insertBlock(QTextBlockFormat(), QTextCharFormat())

    def _indent_lists(self, start: int, stop: QTextCursor) -> None:
        """List items indented by their first line, inside the bubble: a list's own indent is a
        margin, and would notch the bubble's background beside every item."""
        levels: dict[int, int] = {}  # a list's nesting, read before its own indent is taken off
        for block in self._blocks(start, stop):
            items = block.textList()
            if items is not None:
                if items.objectIndex() not in levels:
                    fmt = items.format()
                    levels[items.objectIndex()] = max(fmt.indent(), 1)
                    fmt.setIndent(0)
                    items.setFormat(fmt)
                level = levels[items.objectIndex()]
                indent = QTextBlockFormat()
                indent.setIndent(0)
                indent.setTextIndent(_LIST_INDENT * level)
                QTextCursor(block).mergeBlockFormat(indent)

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


def _continues(previous: QTextBlock, block: QTextBlock) -> bool:
    """``block`` goes on from ``previous`` with no empty line between: the next item of a list
    (nested or not), the next line of the same code block."""
    if block.textList() is not None and previous.textList() is not None:
        return True
    fence = QTextFormat.BlockCodeFence
    return block.blockFormat().hasProperty(fence) and previous.blockFormat().hasProperty(fence)
