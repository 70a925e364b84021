"""The journal page: dated entries (newest first), an editor, search, and a model reflection.

Everything stored goes through ``services.journal.Journal``, whose rules this page follows: every
save comes back with the crisis detector's assessment (an escalated entry is still saved, then
``crisis_hook(assessment)`` opens the crisis flow), and ``Journal.reflection_task`` refuses a crisis
entry, so it is never sent to the model. Invariants: the journal is used on the UI thread only; the
reflection's model half runs in the inference worker through ``model_task`` and holds only texts.
A reflection is shown as the AI's reading of the entry, never as a diagnosis.
"""

from __future__ import annotations

import html
from typing import Any, Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ..errors import CrisisEntryError, EdgeCounselError, JournalEntryNotFoundError
from ..services.journal import Journal, SavedEntry, first_line, local_time
from ..services.reflection import Reflection

__all__ = ["JournalPage"]

ModelTask = Callable[[Callable[[Any], Any], Callable[[Any], None], Callable[[str], None]], None]

_HEADINGS = {"en": ("Themes", "Tone", "A reflection written by the AI — not a diagnosis."),
             "zh": ("主题", "情绪基调", "以上由 AI 生成，仅供参考，不是诊断。")}


def reflection_html(reflection: Reflection) -> str:
    """The reflection as shown under the editor, with its headings in its own language; a theme
    or tone the checks left out is not shown, and "could not reflect" is said as just that."""
    if not reflection.reflected:
        return f"<p><i>{html.escape(reflection.observation)}</i></p>"
    themes, tone, note = _HEADINGS.get(reflection.lang, _HEADINGS["en"])
    sep = "、" if reflection.lang == "zh" else ", "
    lines = ([f"<b>{themes}:</b> {html.escape(sep.join(reflection.themes))}"] if reflection.themes else []) \
        + ([f"<b>{tone}:</b> {html.escape(reflection.tone)}"] if reflection.tone else [])
    head = f"<p>{'<br>'.join(lines)}</p>" if lines else ""
    return head + f"<p>{html.escape(reflection.observation)}</p><p style='color:#777'><small>{note}</small></p>"


class JournalPage(QWidget):
    """Write, edit, search, delete and reflect on journal entries."""

    entry_saved = Signal(object, object)  # the saved JournalEntry, its risk.RiskAssessment
    reflection_ready = Signal(object)  # reflection.Reflection

    def __init__(self, services=None, *, model_task: ModelTask | None = None,
                 crisis_hook: Callable[[Any], None] | None = None, parent=None) -> None:
        super().__init__(parent)
        self.journal: Journal | None = None
        self.model_task = model_task
        self.crisis_hook = crisis_hook
        self.current_id: int | None = None
        self._build()
        self.set_services(services)

    # -- layout --------------------------------------------------------------------------------

    def _build(self) -> None:
        self.search_box = QLineEdit(placeholderText=self.tr("Search your journal…"), clearButtonEnabled=True)
        self.search_box.textChanged.connect(self.reload)
        self.entry_list = QListWidget()
        self.entry_list.currentItemChanged.connect(self._on_current_changed)
        self.editor = QPlainTextEdit(placeholderText=self.tr("Write whatever is on your mind…"))
        self.status = QLabel()
        self.reflection_view = QLabel(textFormat=Qt.RichText, wordWrap=True)
        self.reflection_view.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.recent_box = QCheckBox(self.tr("Include recent weeks"))
        QShortcut(QKeySequence.Save, self, activated=self.save)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.addWidget(self.search_box)
        left_layout.addWidget(self.entry_list, 1)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self._editor_pane())
        splitter.setStretchFactor(1, 2)
        QVBoxLayout(self).addWidget(splitter)

    def _editor_pane(self) -> QWidget:
        self.new_button = QPushButton(self.tr("New"), clicked=self.new_entry)
        self.save_button = QPushButton(self.tr("Save"), clicked=self.save)
        self.delete_button = QPushButton(self.tr("Delete"), clicked=self.delete)
        self.reflect_button = QPushButton(self.tr("Reflect"), clicked=self.reflect)
        buttons = QHBoxLayout()
        for widget in (self.new_button, self.save_button, self.delete_button, self.reflect_button, self.recent_box):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        pane = QWidget()
        layout = QVBoxLayout(pane)
        layout.addWidget(self.editor, 3)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(self.reflection_view, 1)
        return pane

    # -- the journal ---------------------------------------------------------------------------

    def set_services(self, services) -> None:
        """Use ``services.journal`` (None while locked: the page empties itself)."""
        self.journal = services.journal if services is not None else None
        self.current_id = None
        self.editor.clear()
        self.reflection_view.clear()
        self.reload()

    def _journal_call(self, fn: Callable[[], Any]) -> Any:
        """Run a journal call; a user-facing error shows in the status line and gives None."""
        try:
            return fn()
        except EdgeCounselError as error:
            self.status.setText(str(error))
            return None

    def reload(self) -> None:
        """Refill the list (filtered by the search box), keeping the current entry selected."""
        self.entry_list.blockSignals(True)
        self.entry_list.clear()
        for entry in self._entries():
            item = QListWidgetItem(f"{local_time(entry.created_at)}\n{first_line(entry.text, 48)}")
            item.setData(Qt.UserRole, entry.id)
            self.entry_list.addItem(item)
            if entry.id == self.current_id:
                self.entry_list.setCurrentItem(item)
        self.entry_list.blockSignals(False)

    def _select(self, entry_id: int) -> None:
        self.entry_list.blockSignals(True)
        for row, shown in enumerate(self.entry_ids()):
            if shown == entry_id:
                self.entry_list.setCurrentRow(row)
        self.entry_list.blockSignals(False)

    def _entries(self) -> list:
        if self.journal is None:
            return []
        query = self.search_box.text().strip()
        fetch = (lambda: self.journal.search(query)) if query else self.journal.entries
        return self._journal_call(fetch) or []

    def entry_ids(self) -> list[int]:
        """The ids shown in the list, top to bottom."""
        return [self.entry_list.item(i).data(Qt.UserRole) for i in range(self.entry_list.count())]

    # -- actions -------------------------------------------------------------------------------

    def new_entry(self) -> None:
        self._save_if_modified()
        self.current_id = None
        self.entry_list.clearSelection()
        self.entry_list.setCurrentItem(None)
        self.editor.clear()
        self.reflection_view.clear()
        self.status.clear()
        self.editor.setFocus()

    def open_entry(self, entry_id: int) -> None:
        entry = self._journal_call(lambda: self.journal.get(entry_id))
        if entry is None:
            return
        self.current_id = entry.id
        self.editor.setPlainText(entry.text)
        self.editor.document().setModified(False)
        stored = self._journal_call(lambda: self.journal.get_reflection(entry.id))
        self.reflection_view.setText(reflection_html(stored) if stored else "")
        self.status.clear()

    def _on_current_changed(self, item: QListWidgetItem | None, _previous) -> None:
        entry_id = item.data(Qt.UserRole) if item is not None else None
        if entry_id is not None and entry_id != self.current_id:
            self._save_if_modified()  # this reloads the list, so ``item`` is gone afterwards
            self.open_entry(entry_id)
            self._select(entry_id)

    def _save_if_modified(self) -> None:
        if self.editor.document().isModified() and self.editor.toPlainText().strip():
            self.save()

    def save(self):
        """Save the editor's text as a new entry or over the open one; returns the entry or None."""
        text = self.editor.toPlainText().strip()
        if self.journal is None:
            return None
        if not text:
            self.status.setText(self.tr("Write something first."))
            return None
        saved = self._journal_call(lambda: self.journal.save(text, self.current_id))
        if saved is None:
            return None
        entry = saved.entry
        self.current_id = entry.id
        self.editor.document().setModified(False)
        self.reload()
        self.status.setText(self.tr("Saved {time}").format(time=local_time(entry.updated_at)))
        self._after_save(saved)
        return entry

    def _after_save(self, saved: SavedEntry) -> None:
        if saved.crisis and self.crisis_hook is not None:
            self.crisis_hook(saved.assessment)
        self.entry_saved.emit(saved.entry, saved.assessment)

    def delete(self) -> None:
        if self.current_id is None or self.journal is None:
            return
        answer = QMessageBox.question(self, self.tr("Delete entry?"),
                                      self.tr("Delete this entry and its reflection for good?"))
        if answer != QMessageBox.Yes:
            return
        try:
            self.journal.delete(self.current_id)
        except JournalEntryNotFoundError:
            pass  # already gone: the list below catches up
        except EdgeCounselError as error:
            self.status.setText(str(error))
            return
        self.current_id = None
        self.editor.clear()
        self.editor.document().setModified(False)
        self.reflection_view.clear()
        self.reload()
        self.status.setText(self.tr("Deleted."))

    # -- reflection ----------------------------------------------------------------------------

    def reflect(self) -> None:
        """Save if needed, then ask the model (in its worker) for a reflection on the entry."""
        if self.model_task is None or self.journal is None:
            self.status.setText(self.tr("Reflection needs the model."))
            return
        just_saved = self.editor.document().isModified() or self.current_id is None
        entry = self._entry_to_reflect()
        if entry is None:
            return
        task = self._reflection_task(entry, notify=not just_saved)
        if task is None:
            return
        self.reflect_button.setEnabled(False)
        self.status.setText(self.tr("Reflecting…"))
        self.model_task(task, lambda result: self._on_reflected(entry.id, result), self._on_reflect_failed)

    def _reflection_task(self, entry, notify: bool):
        """The model's half of the reflection, or None: a crisis entry gets the crisis flow,
        never a model's reading (as in the chat)."""
        try:
            return self.journal.reflection_task(entry, self.recent_box.isChecked())
        except CrisisEntryError as refused:
            if notify and self.crisis_hook is not None:  # a save just now has opened it already
                self.crisis_hook(refused.assessment)
            self.status.setText(self.tr("There is no AI reflection for this entry: what you wrote matters too "
                                        "much for that. Please look at the help that has opened."))
        except EdgeCounselError as error:
            self.status.setText(str(error))
        return None

    def _entry_to_reflect(self):
        """The open entry as saved; unsaved text is saved first, so the reflection matches it."""
        if self.editor.document().isModified() or self.current_id is None:
            return self.save()
        return self._journal_call(lambda: self.journal.get(self.current_id))

    def _on_reflected(self, entry_id: int, reflection: Reflection) -> None:
        self.reflect_button.setEnabled(True)
        self.status.clear()
        if self.journal is None:
            return
        try:
            self.journal.save_reflection(entry_id, reflection)
        except JournalEntryNotFoundError:
            return  # deleted while the model was thinking
        except EdgeCounselError as error:
            self.status.setText(str(error))
        if entry_id == self.current_id:
            self.reflection_view.setText(reflection_html(reflection))
        self.reflection_ready.emit(reflection)

    def _on_reflect_failed(self, message: str) -> None:
        self.reflect_button.setEnabled(True)
        self.status.setText(message)
