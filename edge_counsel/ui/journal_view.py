"""The journal page: dated entries (newest first), an editor, search, and a model reflection.

Invariants: the store is used on the UI thread only; the reflection runs in the inference worker
through ``model_task`` and gets only the entry's text (never the store). Every save runs the crisis
detector on the entry; an escalated entry is still saved, then ``crisis_hook(assessment)`` opens
the crisis flow, and such an entry is never sent to the model for a reflection. A reflection is shown as the AI's reading of the entry, never as a diagnosis.
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

from ..errors import EdgeCounselError, JournalEntryNotFoundError
from ..cli.journal import first_line, local_time
from ..services.reflection import Reflection, recent_context, reflect
from ..safety.risk import default_detector

__all__ = ["JournalPage"]

ModelTask = Callable[[Callable[[Any], Any], Callable[[Any], None], Callable[[str], None]], None]

_HEADINGS = {"en": ("Themes", "Tone", "A reflection written by the AI — not a diagnosis."),
             "zh": ("主题", "情绪基调", "以上由 AI 生成，仅供参考，不是诊断。")}
_NO_REFLECTION = ("There is no AI reflection for this entry: what you wrote matters too much for that. "
                  "Please look at the help that has opened. / 这篇日记不做 AI 回顾：你写下的内容很重要，"
                  "请看看已经打开的求助信息。")


def reflection_html(reflection: Reflection) -> str:
    """The reflection as shown under the editor, with its headings in its own language."""
    themes, tone, note = _HEADINGS.get(reflection.lang, _HEADINGS["en"])
    sep = "、" if reflection.lang == "zh" else ", "
    return (f"<p><b>{themes}:</b> {html.escape(sep.join(reflection.themes))}<br>"
            f"<b>{tone}:</b> {html.escape(reflection.tone)}</p>"
            f"<p>{html.escape(reflection.observation)}</p><p style='color:#777'><small>{note}</small></p>")


class JournalPage(QWidget):
    """Write, edit, search, delete and reflect on journal entries."""

    entry_saved = Signal(object, object)  # store.JournalEntry, risk.RiskAssessment
    reflection_ready = Signal(object)  # reflection.Reflection

    def __init__(self, store=None, *, model_task: ModelTask | None = None,
                 crisis_hook: Callable[[Any], None] | None = None, detector=None, parent=None) -> None:
        super().__init__(parent)
        self.store = store
        self.model_task = model_task
        self.crisis_hook = crisis_hook
        self.detector = detector or default_detector()
        self.current_id: int | None = None
        self._build()
        self.set_store(store)

    # -- layout --------------------------------------------------------------------------------

    def _build(self) -> None:
        self.search_box = QLineEdit(placeholderText="Search your journal… / 搜索日记…", clearButtonEnabled=True)
        self.search_box.textChanged.connect(self.reload)
        self.entry_list = QListWidget()
        self.entry_list.currentItemChanged.connect(self._on_current_changed)
        self.editor = QPlainTextEdit(placeholderText="Write whatever is on your mind… / 写下你想写的…")
        self.status = QLabel()
        self.reflection_view = QLabel(textFormat=Qt.RichText, wordWrap=True)
        self.reflection_view.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.recent_box = QCheckBox("Include recent weeks / 参考最近几周的日记")
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
        self.new_button = QPushButton("New / 新建", clicked=self.new_entry)
        self.save_button = QPushButton("Save / 保存", clicked=self.save)
        self.delete_button = QPushButton("Delete / 删除", clicked=self.delete)
        self.reflect_button = QPushButton("Reflect / AI 回顾", clicked=self.reflect)
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

    # -- the store -----------------------------------------------------------------------------

    def set_store(self, store) -> None:
        """Use ``store`` (None while locked: the page empties itself)."""
        self.store = store
        self.current_id = None
        self.editor.clear()
        self.reflection_view.clear()
        self.reload()

    def _store_call(self, fn: Callable[[], Any]) -> Any:
        """Run a store call; a user-facing error shows in the status line and gives None."""
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
        if self.store is None:
            return []
        query = self.search_box.text().strip()
        fetch = (lambda: self.store.search_journal(query)) if query else self.store.list_journal_entries
        return self._store_call(fetch) or []

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
        entry = self._store_call(lambda: self.store.get_journal_entry(entry_id))
        if entry is None:
            return
        self.current_id = entry.id
        self.editor.setPlainText(entry.text)
        self.editor.document().setModified(False)
        stored = self._store_call(lambda: self.store.get_reflection(entry.id))
        self.reflection_view.setText(reflection_html(Reflection.from_dict(stored)) if stored else "")
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
        if self.store is None:
            return None
        if not text:
            self.status.setText("Write something first. / 请先写点什么。")
            return None
        entry = self._store_call(lambda: self._write(text))
        if entry is None:
            return None
        self.current_id = entry.id
        self.editor.document().setModified(False)
        self.reload()
        self.status.setText(f"Saved {local_time(entry.updated_at)} / 已保存")
        self._check_risk(entry)
        return entry

    def _write(self, text: str):
        if self.current_id is None:
            return self.store.add_journal_entry(text)
        return self.store.update_journal_entry(self.current_id, text)

    def _check_risk(self, entry) -> None:
        assessment = self.detector.assess([entry.text])
        if assessment.at_least("moderate") and self.crisis_hook is not None:
            self.crisis_hook(assessment)
        self.entry_saved.emit(entry, assessment)

    def delete(self) -> None:
        if self.current_id is None or self.store is None:
            return
        answer = QMessageBox.question(self, "Delete entry? / 删除日记？",
                                      "Delete this entry and its reflection for good? / "
                                      "永久删除这篇日记及其回顾？")
        if answer != QMessageBox.Yes:
            return
        try:
            self.store.delete_journal_entry(self.current_id)
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
        self.status.setText("Deleted. / 已删除。")

    # -- reflection ----------------------------------------------------------------------------

    def reflect(self) -> None:
        """Save if needed, then ask the model (in its worker) for a reflection on the entry."""
        if self.model_task is None or self.store is None:
            self.status.setText("Reflection needs the model. / 需要加载模型。")
            return
        just_saved = self.editor.document().isModified() or self.current_id is None
        entry = self._entry_to_reflect()
        if entry is None or self._risky(entry, notify=not just_saved):
            return
        recent = self._recent_texts(entry) if self.recent_box.isChecked() else []
        text = entry.text
        self.reflect_button.setEnabled(False)
        self.status.setText("Reflecting… / 正在回顾…")
        self.model_task(lambda engine: reflect(engine, text, recent=recent),
                        lambda result: self._on_reflected(entry.id, result), self._on_reflect_failed)

    def _risky(self, entry, notify: bool) -> bool:
        """A crisis entry gets the crisis flow, never a model's reading (as in the chat)."""
        assessment = self.detector.assess([entry.text])
        if not assessment.at_least("moderate"):
            return False
        if notify and self.crisis_hook is not None:  # a save just now has opened it already
            self.crisis_hook(assessment)
        self.status.setText(_NO_REFLECTION)
        return True

    def _entry_to_reflect(self):
        """The open entry as saved; unsaved text is saved first, so the reflection matches it."""
        if self.editor.document().isModified() or self.current_id is None:
            return self.save()
        return self._store_call(lambda: self.store.get_journal_entry(self.current_id))

    def _recent_texts(self, entry) -> list[str]:
        entries = self._store_call(self.store.list_journal_entries) or []
        return recent_context(entries, entry)

    def _on_reflected(self, entry_id: int, reflection: Reflection) -> None:
        self.reflect_button.setEnabled(True)
        self.status.clear()
        if self.store is None:
            return
        try:
            self.store.save_reflection(entry_id, reflection.to_dict())
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
