"""The chat panel: a streaming transcript, the message box, and Send / Stop / Regenerate / New.

A view of one ``Conversation`` (the service owns the turns, the safety dialogue and the record).
The service's ``submit`` runs on the UI thread before the worker is asked for anything: the safety
dialogue takes well under a millisecond and needs no model, so the crisis panel opens at high or
imminent risk even when no model is loaded or the model is busy. The panel's "Get help now" stays
one click away at every level.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeyEvent, QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..errors import InputTooLongError
from ..services import persona
from ..services.conversation import MAX_INPUT_CHARS, Conversation, Reply
from .appearance import warning_red
from .crisis_panel import CrisisPanel
from .transcript import Transcript
from .translation import interface_language

__all__ = ["ChatPanel", "MessageBox"]

_HELP_STYLE_CHECK = "color:white; background:#c62828; font-weight:bold; padding:4px 10px;"


def help_style(palette: QPalette, checking: bool = False) -> str:
    """"Get help now" in red, lit up during a safety check; a lighter red on a dark theme."""
    if checking:
        return _HELP_STYLE_CHECK
    return f"color:{warning_red(palette)}; font-weight:bold;"


class MessageBox(QPlainTextEdit):
    """The input box: Enter sends, Shift+Enter starts a new line."""

    submitted = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt naming
        if event.key() in (Qt.Key_Return, Qt.Key_Enter) and not event.modifiers() & Qt.ShiftModifier:
            self.submitted.emit()
            return
        super().keyPressEvent(event)


class ChatPanel(QWidget):
    """Shows a ``Conversation`` and asks the chat host for answers; never blocks on the model."""

    answer_requested = Signal(object)  # the conversation whose latest user turn needs an answer
    stop_requested = Signal()
    new_conversation_requested = Signal()
    crisis_detected = Signal(object)  # RiskAssessment
    reply_finished = Signal(object)  # conversation.Reply, once the UI has shown and committed it

    def __init__(self, conversation: Conversation, crisis_panel: CrisisPanel, parent=None) -> None:
        super().__init__(parent)
        self.conversation = conversation
        self.crisis_panel = crisis_panel
        self.safety_plan_provider = lambda: None
        self.busy = False
        self.warming = False  # the model is evaluating this conversation's start ahead of time
        self.model_ready = False
        self._build()
        self.set_busy(False)

    @property
    def lang(self) -> str:
        return self.conversation.lang

    @lang.setter
    def lang(self, lang: str) -> None:  # the language the crisis panel speaks (a journal entry's)
        self.conversation.lang = lang

    # -- layout --------------------------------------------------------------------------------

    def _build(self) -> None:
        self.transcript = Transcript()
        self.input = MessageBox(placeholderText=self.tr("Write here…"))
        self.input.setObjectName("messageBox")
        self.input.setFixedHeight(84)
        self.input.submitted.connect(self.submit)
        self.send_button = QPushButton(self.tr("Send"), clicked=self.submit)
        self.stop_button = QPushButton(self.tr("Stop"), clicked=self.stop)
        self.regen_button = QPushButton(self.tr("Regenerate"), clicked=self.regenerate)
        self.new_button = QPushButton(self.tr("New conversation"), clicked=lambda: self.new_conversation())
        self.help_button = QPushButton(self.tr("Get help now"), clicked=self.show_help)
        self.help_button.setObjectName("helpButton")
        self.help_button.setStyleSheet(help_style(self.palette()))
        self.approach_box = QComboBox()
        for approach in persona.APPROACHES:
            self.approach_box.addItem(persona.approach_label(approach, interface_language()), approach)
        self._writing, self._preparing = self.tr("Writing…"), self.tr("Getting ready…")
        self.status = QLabel(objectName="chatStatus")
        self.status.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        self._fit_status()
        self.progress = QProgressBar(maximum=100, textVisible=True)
        self.progress.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.crisis_panel)
        layout.addWidget(self.transcript, 1)
        layout.addWidget(self.input)
        layout.addLayout(self._button_row())
        layout.addLayout(self._approach_row())
        layout.addWidget(self.progress)

    def _button_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        for widget in (self.send_button, self.stop_button, self.regen_button, self.new_button, self.help_button):
            row.addWidget(widget)
        row.addStretch(1)
        return row

    def _approach_row(self) -> QHBoxLayout:
        """The approach and the model's status, on their own row so the window can stay narrow."""
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("Approach:")))
        row.addWidget(self.approach_box)
        row.addStretch(1)
        row.addWidget(self.status)
        return row

    # -- actions -------------------------------------------------------------------------------

    def submit(self) -> None:
        text = self.input.toPlainText().strip()
        if not text or self.busy:
            return
        try:
            submission = self.conversation.submit(text)
        except InputTooLongError:
            self.show_note(self.tr("That message is {count:,} characters; the limit is {limit:,}. It is "
                                   "still in the box: send it in parts.").format(count=len(text),
                                                                                 limit=MAX_INPUT_CHARS))
            return
        self.input.clear()
        self.transcript.add_message("user", text, _now())
        self._note_unsaved(submission.save_error)
        if submission.assessment.escalate:
            self.open_crisis_panel(submission.assessment)
        elif submission.needs_model and not self.model_ready:
            self.show_note(self.tr("The model is not loaded yet, so I can't answer."))
            return
        self._begin_reply()
        self.answer_requested.emit(self.conversation)

    @property
    def user_texts(self) -> list[str]:
        return [t.content for t in self.conversation.turns if t.role == "user"]

    def show_help(self) -> None:
        """The hotlines and the safety plan, one click away whatever the detector says."""
        self.crisis_panel.show_for(self.lang, self.safety_plan_provider())

    def record_safe(self) -> None:
        """The panel's "I'm safe right now", kept by the conversation as a screening answer."""
        self._note_unsaved(self.conversation.record_safe())

    def open_crisis_panel(self, assessment) -> None:
        self.crisis_panel.show_for(self.lang, self.safety_plan_provider())
        self.crisis_detected.emit(assessment)

    def stop(self) -> None:
        self.stop_requested.emit()

    def regenerate(self) -> None:
        """Answer the last message again: the last reply is taken back, or, when the last message
        has no reply (a lock stopped it), it is answered now."""
        if self.busy or not self.user_texts:
            return
        if not self._awaits_reply():
            if self._last_reply_range is None:
                return
            self.transcript.remove(*self._last_reply_range)
            self.conversation.retract()
        self._begin_reply()
        self.answer_requested.emit(self.conversation)

    def _awaits_reply(self) -> bool:
        """The last turn is the user's own message, with no reply kept for it."""
        turns = self.conversation.turns
        return bool(turns) and turns[-1].role == "user" and turns[-1].meta.get("source") != "safe_button"

    def new_conversation(self, *, announce: bool = True) -> None:
        """An empty conversation; ``announce`` False when the caller fills it at once (Continue)."""
        if self.busy:
            self.stop()
        self.transcript.clear()
        self.conversation.new()
        self._last_reply_range = None
        self.set_busy(False)
        self.crisis_panel.hide()
        if announce:
            self.new_conversation_requested.emit()

    def _note_unsaved(self, error: str | None) -> None:
        if error:
            self.show_note(self.tr("Not saved: {error}").format(error=error))

    # -- worker events -------------------------------------------------------------------------

    def on_delta(self, text: str) -> None:
        self.transcript.stream(text)

    def on_replaced(self, text: str) -> None:
        self.transcript.replace_reply(text)

    def on_done(self, reply: Reply) -> None:
        self._last_reply_range = self.transcript.end_reply()
        self.set_busy(False)
        self._note_unsaved(self.conversation.commit(reply))
        if reply.cancelled:
            self.show_note(self.tr("(stopped)"))
        if reply.source == "guard":
            self._note_withheld()
        assessment = reply.assessment
        checking = bool(reply.safety_check) or (assessment is not None and assessment.at_least("moderate"))
        self._checking = checking
        self.help_button.setStyleSheet(help_style(self.palette(), checking))
        self.reply_finished.emit(reply)

    def on_failed(self, message: str) -> None:
        self.set_busy(False)
        self.show_note(message)
        self.reply_finished.emit(None)

    def set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.send_button.setEnabled(not busy)
        self.stop_button.setEnabled(busy)
        self.regen_button.setEnabled(not busy and bool(self.user_texts))
        self._show_status()

    def set_warming(self, warming: bool) -> None:
        """The model is getting this conversation ready (the chat host warms it up)."""
        self.warming = warming
        self._show_status()

    def _show_status(self) -> None:
        self.status.setText(self._writing if self.busy else self._preparing if self.warming else "")

    def _fit_status(self) -> None:
        """As wide as its longest text from the start: "Writing…" appearing never widens the window."""
        metrics = self.status.fontMetrics()
        self.status.setFixedWidth(max(metrics.horizontalAdvance(t) for t in (self._writing, self._preparing)) + 8)

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        super().changeEvent(event)
        if event.type() == QEvent.FontChange:
            self._fit_status()
        elif event.type() == QEvent.PaletteChange and hasattr(self, "help_button"):
            self.help_button.setStyleSheet(help_style(self.palette(), self._checking))

    def show_note(self, text: str) -> None:
        self.transcript.add_note(text)

    def _note_withheld(self) -> None:
        self.show_note(self.tr("(A reply was withheld by the safety check and replaced with this one.)"))

    def show_conversation(self) -> None:
        """Show the conversation's turns (a saved one being continued) as they were shown live:
        the same bubbles, with their times; a reply the guard withheld is marked as it was."""
        self.transcript.clear()
        self._last_reply_range = None
        for turn in self.conversation.turns:
            span = self.transcript.add_message(turn.role, turn.content, _turn_time(turn))
            self._last_reply_range = span if turn.role == "assistant" else None
            if turn.meta.get("source") == "guard":
                self._note_withheld()
        if self._awaits_reply():
            self.show_note(self.tr("(Your last message has no reply yet: press Regenerate to have it answered.)"))
        self.set_busy(False)

    # -- the transcript ------------------------------------------------------------------------

    _last_reply_range: tuple[int, int] | None = None
    _checking = False  # the help button is lit for a safety check

    def _begin_reply(self) -> None:
        self.set_busy(True)
        self.transcript.begin_reply(_now())

    def reply_text(self) -> str:
        """The text of the reply being (or last) streamed, as shown."""
        return self.transcript.reply_text()


def _now() -> dt.datetime:
    return dt.datetime.now().astimezone()


def _turn_time(turn) -> dt.datetime | None:
    """When a reloaded turn was written (the store's time, in ``meta["at"]``), if known."""
    try:
        return dt.datetime.fromisoformat(turn.meta["at"])
    except (KeyError, TypeError, ValueError):
        return None
