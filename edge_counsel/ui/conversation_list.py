"""The list of saved conversations beside the chat: newest first, the open one highlighted.

Everything it shows comes through ``services.history.History``; with no history (locked) it is
empty. It only asks: "New conversation" and a click on a conversation are signals, and the window
opens the conversation the same way History's Continue does. The kiosk has no such list: one
visitor's conversations are never shown to the next.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from ..services.history import History, local_day

__all__ = ["ConversationList"]

WIDTH_CHARS = 32  # the list's width: a title is shortened to fit it, so the window never widens
_DAY = Qt.UserRole + 1


class ConversationList(QWidget):
    new_requested = Signal()
    open_requested = Signal(int)  # conversation id

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.history: History | None = None
        self.open_id: int | None = None  # the conversation in the chat
        self.new_button = QPushButton(self.tr("New conversation"), clicked=lambda: self.new_requested.emit())
        self.list = QListWidget(objectName="conversationList", uniformItemSizes=True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.list.itemClicked.connect(self._clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.new_button)
        layout.addWidget(self.list, 1)
        self.setMinimumWidth(self.new_button.sizeHint().width())

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt naming
        hint = super().sizeHint()
        width = self.fontMetrics().averageCharWidth() * WIDTH_CHARS
        return QSize(max(width, self.minimumWidth()), hint.height())

    def set_history(self, history: History | None) -> None:
        """Show ``history``'s conversations (None while locked: the list empties)."""
        self.history = history
        self.refresh()

    def refresh(self, open_id: int | None = None) -> None:
        """List the conversations again, with ``open_id`` (the one in the chat) highlighted."""
        self.list.clear()
        self.open_id = open_id
        for conv in self.history.conversations() if self.history is not None else ():
            item = QListWidgetItem()
            item.setData(Qt.UserRole, conv.id)
            item.setData(_DAY, local_day(conv.updated_at))
            item.setToolTip(conv.title)
            self._fit_title(item)
            self.list.addItem(item)
            if conv.id == open_id:
                self.list.setCurrentItem(item)

    def _fit_title(self, item: QListWidgetItem) -> None:
        """The title, shortened to the list's width, over the date, with room for both lines.
        (Qt's own eliding, and its height for a Chinese line, drop the date.)"""
        metrics = self.list.fontMetrics()
        width = self.list.viewport().width() - 2 * metrics.averageCharWidth()
        title = metrics.elidedText(item.toolTip() or self.tr("(untitled)"), Qt.ElideRight, width)
        item.setText(f"{title}\n{item.data(_DAY)}")
        item.setSizeHint(QSize(width, 2 * metrics.lineSpacing() + metrics.height() // 2))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        super().resizeEvent(event)
        for item in map(self.list.item, range(self.list.count())):
            self._fit_title(item)

    def _clicked(self, item: QListWidgetItem) -> None:
        if item.data(Qt.UserRole) != self.open_id:
            self.open_requested.emit(item.data(Qt.UserRole))
