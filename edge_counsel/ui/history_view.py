"""Saved conversations: browse, search, continue, delete, export, and erase everything.

Everything stored goes through ``services.history.History``. Export writes an unencrypted file,
so the user is warned before choosing where it goes. Erasing all data asks twice: it cannot be
undone.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..services.history import History

__all__ = ["HistoryPage"]

ERASE_WORD = "ERASE"


class HistoryPage(QWidget):
    continue_requested = Signal(int)  # conversation id
    deleted = Signal(int)  # conversation id
    erased = Signal()

    def __init__(self, services=None, parent=None) -> None:
        super().__init__(parent)
        self.history: History | None = services.history if services is not None else None
        self.search_box = QLineEdit(placeholderText=self.tr("Search conversations and journal"),
                                    clearButtonEnabled=True)
        self.search_box.textChanged.connect(self.refresh)
        self.list = QListWidget()
        self.list.itemDoubleClicked.connect(lambda _item: self.continue_selected())
        buttons = QHBoxLayout()
        for name, label, slot in (("continue", self.tr("Continue"), self.continue_selected),
                                  ("delete", self.tr("Delete"), self.delete_selected),
                                  ("export", self.tr("Export…"), self.export_selected),
                                  ("erase", self.tr("Erase all data…"), self.erase_all)):
            buttons.addWidget(QPushButton(label, clicked=slot, objectName=name))
        layout = QVBoxLayout(self)
        layout.addWidget(self.search_box)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)

    def set_services(self, services) -> None:
        """Use ``services.history`` (None while locked: the list empties)."""
        self.history = services.history if services is not None else None
        self.refresh()

    def refresh(self) -> None:
        self.list.clear()
        if self.history is None:
            return
        query = self.search_box.text().strip()
        if query:
            for conv, snippet in self.history.search(query):
                self._add_item(f"{conv.id}  {conv.title} — …{snippet}…", conv.id)
        else:
            for conv, line in self.history.listing():
                self._add_item(line.strip(), conv.id)

    def _add_item(self, text: str, conv_id: int) -> None:
        item = QListWidgetItem(text)
        item.setData(Qt.UserRole, conv_id)
        self.list.addItem(item)

    def selected_id(self) -> int | None:
        item = self.list.currentItem()
        return item.data(Qt.UserRole) if item is not None else None

    def continue_selected(self) -> None:
        conv_id = self.selected_id()
        if conv_id is not None:
            self.continue_requested.emit(conv_id)

    def delete_selected(self) -> None:
        conv_id = self.selected_id()
        if conv_id is None:
            return
        if QMessageBox.question(self, self.tr("Delete"), self.tr("Delete this conversation for good?")) \
                == QMessageBox.Yes:
            self.history.delete(conv_id)
            self.refresh()
            self.deleted.emit(conv_id)

    def export_selected(self, path: str | None = None) -> Path | None:
        conv_id = self.selected_id()
        if conv_id is None:
            return None
        if path is None:
            # services.history.EXPORT_WARNING, which the command line prints, in the interface language
            QMessageBox.warning(self, self.tr("Export"), self.tr(
                "Warning: the exported file is NOT encrypted. Anyone who can open it can read this "
                "conversation. Keep it somewhere private, and delete it when you no longer need it."))
            path, _ = QFileDialog.getSaveFileName(self, self.tr("Export conversation"), "conversation.md",
                                                  "Markdown (*.md);;JSON (*.json)")
        return self.history.export(conv_id, Path(path)) if path else None

    def erase_all(self, confirmation: str | None = None) -> bool:
        if confirmation is None:
            confirmation, ok = QInputDialog.getText(
                self, self.tr("Erase all data"),
                self.tr("This deletes every conversation, journal entry, mood check-in, exercise and your "
                        "safety plan. It cannot be undone. Type {word} to confirm.").format(word=ERASE_WORD))
            if not ok:
                return False
        if confirmation != ERASE_WORD:
            return False
        self.history.erase_all()
        self.refresh()
        self.erased.emit()
        return True
