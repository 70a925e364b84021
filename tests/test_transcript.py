"""The chat transcript on its own, offscreen: copying one message, and the AI's markdown shown
formatted while nothing anyone writes is read as HTML, opened or loaded."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QContextMenuEvent, QFont, QGuiApplication, QTextCursor, QTextFormat
from PySide6.QtWidgets import QApplication

from edge_counsel.ui.transcript import Transcript

MARKDOWN = "**Breathe** slowly\n\n- one\n- two"
HOSTILE = "<b>x</b><img src=file:///etc/passwd> [link](http://example.com) ![pic](file:///etc/passwd)"


@pytest.fixture
def transcript(qtbot):
    widget = Transcript()
    qtbot.addWidget(widget)
    widget.resize(500, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def point_in(transcript: Transcript, text: str) -> QPoint:
    """A point (viewport coordinates) in the middle of the first character of ``text``."""
    position = transcript.toPlainText().index(text)
    cursor = QTextCursor(transcript.document())
    cursor.setPosition(position)
    return transcript.cursorRect(cursor).center() + QPoint(2, 0)


def copy_message_action(menu):
    return next((a for a in menu.actions() if a.text() == "Copy message"), None)


def fragments(transcript: Transcript):
    """(text, char format) of every fragment of the document, in order."""
    block = transcript.document().begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            yield it.fragment().text(), it.fragment().charFormat()
            it += 1
        block = block.next()


def blocks(transcript: Transcript):
    block = transcript.document().begin()
    while block.isValid():
        yield block
        block = block.next()


# -- copying one message -----------------------------------------------------------------------

def test_copy_message_puts_exactly_that_messages_text_on_the_clipboard(transcript):
    transcript.add_message("user", "I can't sleep.\nAgain.")
    transcript.add_message("assistant", "That sounds tiring.\nWhat keeps you up?")
    QGuiApplication.clipboard().setText("before")
    menu = transcript.menu_at(point_in(transcript, "What keeps"))
    texts = [a.text() for a in menu.actions() if not a.isSeparator()]
    assert any("Copy" in t and t != "Copy message" for t in texts) and any("Select All" in t for t in texts)
    copy_message_action(menu).trigger()
    assert QGuiApplication.clipboard().text() == "That sounds tiring.\nWhat keeps you up?"
    copy_message_action(transcript.menu_at(point_in(transcript, "Again"))).trigger()
    assert QGuiApplication.clipboard().text() == "I can't sleep.\nAgain."


def test_copy_message_through_the_right_click_menu(transcript, qtbot):
    transcript.add_message("user", "First.")
    transcript.add_message("assistant", MARKDOWN)
    QGuiApplication.clipboard().setText("before")
    seen = []

    def choose():
        menu = QApplication.activePopupWidget()
        seen.append(menu)
        if menu is not None:
            copy_message_action(menu).trigger()
            menu.close()

    QTimer.singleShot(50, choose)
    pos = point_in(transcript, "slowly")
    event = QContextMenuEvent(QContextMenuEvent.Mouse, pos, transcript.viewport().mapToGlobal(pos))
    QApplication.sendEvent(transcript.viewport(), event)
    assert seen and seen[0] is not None
    assert QGuiApplication.clipboard().text() == MARKDOWN  # the message as written, not as shown


def test_no_copy_message_on_a_note_or_below_the_messages(transcript):
    transcript.add_message("user", "Hello.")
    transcript.add_note("(stopped)")
    assert copy_message_action(transcript.menu_at(point_in(transcript, "stopped"))) is None
    assert copy_message_action(transcript.menu_at(QPoint(250, 590))) is None


def test_a_reply_can_be_copied_while_it_streams_and_after(transcript):
    transcript.add_message("user", "Hello.")
    transcript.begin_reply()
    transcript.stream("*Take* your")
    copy_message_action(transcript.menu_at(point_in(transcript, "your"))).trigger()
    assert QGuiApplication.clipboard().text() == "*Take* your"  # streaming: plain, as shown
    transcript.stream(" time.")
    transcript.end_reply()
    copy_message_action(transcript.menu_at(point_in(transcript, "your"))).trigger()
    assert QGuiApplication.clipboard().text() == "*Take* your time."


# -- markdown, for the AI's words only -----------------------------------------------------------

def test_the_ais_markdown_is_shown_formatted(transcript):
    transcript.add_message("assistant", MARKDOWN)
    bold = [text for text, fmt in fragments(transcript) if fmt.fontWeight() == QFont.Bold]
    assert "Breathe" in bold
    items = [b.text() for b in blocks(transcript) if b.textList() is not None]
    assert items == ["one", "two"]
    assert "*" not in transcript.toPlainText() and "- one" not in transcript.toPlainText()


def test_the_persons_words_stay_exactly_as_typed(transcript):
    transcript.add_message("user", MARKDOWN)
    assert transcript.toPlainText() == "You\n" + MARKDOWN
    assert all(b.textList() is None for b in blocks(transcript))
    assert [text for text, fmt in fragments(transcript) if fmt.fontWeight() == QFont.Bold] == ["You"]


def test_a_streamed_reply_is_plain_until_it_ends_and_reply_text_is_as_written(transcript):
    transcript.add_message("user", "Hello.")
    transcript.begin_reply()
    for chunk in ("**Breathe**", " slowly\n\n", "- one\n- two"):
        transcript.stream(chunk)
    assert transcript.toPlainText().endswith(MARKDOWN)  # while it streams: plain text
    start, end = transcript.end_reply()
    assert "*" not in transcript.toPlainText()
    assert transcript.reply_text() == MARKDOWN
    transcript.remove(start, end)  # the span still covers the whole (rendered) reply
    assert transcript.toPlainText() == "You\nHello."


def test_html_a_model_writes_is_never_interpreted_and_nothing_opens_or_loads(transcript, qtbot):
    transcript.add_message("assistant", HOSTILE)
    shown = transcript.toPlainText()
    assert "<b>x</b>" in shown and "<img src=file:///etc/passwd>" in shown  # literal text
    formats = [fmt for _, fmt in fragments(transcript)]
    assert not any(fmt.isImageFormat() for fmt in formats)
    assert not any(fmt.isAnchor() or fmt.anchorHref() for fmt in formats)
    assert [text for text, fmt in fragments(transcript) if fmt.fontWeight() == QFont.Bold] == ["Edge Counsel"]
    assert transcript.loadResource(2, "file:///etc/passwd") is None  # 2: QTextDocument.ImageResource
    clicked = []
    transcript.anchorClicked.connect(clicked.append)
    link = point_in(transcript, "link")
    assert transcript.anchorAt(link) == ""
    qtbot.mouseClick(transcript.viewport(), Qt.LeftButton, pos=link)
    assert clicked == [] and transcript.source().isEmpty()


def test_rendered_replies_keep_the_bubble_and_the_body_size(transcript):
    transcript.add_message("user", "Plain words.")
    transcript.add_message("assistant", "# A heading\n\nSome `code` and *this*.\n\n1. first")
    bubble = [b for b in blocks(transcript)][2:]  # the AI's header and body
    colour = bubble[0].blockFormat().background().color()
    assert all(b.blockFormat().background().color() == colour for b in bubble)
    assert all(b.blockFormat().property(QTextFormat.UserProperty + 1) == "assistant" for b in bubble)
    assert all(b.blockFormat().headingLevel() == 0 for b in bubble)
    body = [fmt for text, fmt in fragments(transcript) if text in ("A heading", "Some ", "code", "this", "first")]
    assert len(body) == 5
    for fmt in body:  # no size of their own (a heading is bold, not larger), no colour
        assert fmt.property(QTextFormat.FontSizeAdjustment) is None and fmt.fontPointSize() == 0
        assert not fmt.hasProperty(QTextFormat.ForegroundBrush)


def test_keyboard_context_menu_is_for_the_message_at_the_caret(transcript, qtbot):
    transcript.add_message("user", "First.")
    transcript.add_message("assistant", "Second.")
    cursor = QTextCursor(transcript.document())
    cursor.setPosition(transcript.toPlainText().index("Second"))
    transcript.setTextCursor(cursor)
    QGuiApplication.clipboard().setText("before")

    def choose():
        menu = QApplication.activePopupWidget()
        if menu is not None:
            copy_message_action(menu).trigger()
            menu.close()

    QTimer.singleShot(50, choose)
    origin = QPoint(0, 0)
    event = QContextMenuEvent(QContextMenuEvent.Keyboard, origin, transcript.mapToGlobal(origin))
    QApplication.sendEvent(transcript.viewport(), event)
    assert QGuiApplication.clipboard().text() == "Second."
