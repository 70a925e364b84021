"""The main window: the chat, the crisis panel, and the model's state.

The window opens at once; the model loads in the inference worker afterwards with a progress bar,
and a missing or damaged model gets a clear dialog while the window stays usable (the crisis
panel, hotlines and safety plan need no model).
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from .. import paths
from ..engine.llama import GenerationParams
from ..safety import crisis_replies, disclosure
from ..safety.hotlines import HotlineDirectory
from ..services.conversation import Conversation
from ..services.recorder import StoreRecorder
from ..services.bundle import Services
from ..settings import Settings, save_settings
from .appearance import Appearance
from .chat_host import ChatHost
from .chat_view import ChatPanel, help_style
from .conversation_list import ConversationList
from .crisis_panel import CrisisPanel
from .history_view import HistoryPage
from .region_dialog import RegionDialog
from .translation import interface_language
from .unlock_dialog import UnlockDialog, change_passphrase_dialog

__all__ = ["MainWindow"]

# Dialogs that show nothing of the user's and must be answered, not dismissed by the lock.
_OPEN_THROUGH_LOCK = {"disclosureDialog", "regionDialog"}


class MainWindow(QMainWindow):
    model_ready = Signal(str)
    locked = Signal()
    unlocked = Signal()

    def __init__(self, settings: Settings, *, store=None, directory: HotlineDirectory | None = None,
                 parent=None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.store = store
        self.home = paths.data_dir()
        self.services = Services.for_store(store) if store is not None else None
        self.services_listeners: list = []  # callables(Services | None): pages that follow lock/unlock
        self.directory = directory or HotlineDirectory.load(settings.hotline_override)
        self.region = self.directory.region_in_use(settings.region)
        self.model_error_dialog: QMessageBox | None = None
        self.resume_after_unlock: int | None = None  # the conversation open at the lock: its id only
        self.appearance = Appearance(QApplication.instance())
        self.appearance.apply(settings.text_size, settings.theme)
        self.setWindowTitle("Edge Counsel")
        self.resize(980, 720)
        self._build_session()
        self._build_ui()
        self._wire()
        self._build_lock()
        from .pages import (
            install_pages,  # the journal, mood, exercises and safety-plan tabs
        )

        self.pages = install_pages(self)
        self.tabs.tabBar().moveTab(self.tabs.indexOf(self.history), self.tabs.count() - 1)

    # -- construction --------------------------------------------------------------------------

    def _build_session(self) -> None:
        params = GenerationParams(max_tokens=self.settings.max_tokens)
        recorder = StoreRecorder(self.store, approach=self.settings.approach) if self.store is not None else None
        self.conversation = Conversation(approach=self.settings.approach, params=params, recorder=recorder,
                                         temperature=self.settings.temperature)
        self.conversation.region = self.region
        self.host = ChatHost(self)

    @property
    def worker(self):
        """The inference worker (its ``done`` signal tells pages that a reply finished)."""
        return self.host.worker

    def _build_ui(self) -> None:
        self.crisis_panel = CrisisPanel(self.directory, self.region)
        self.chat = ChatPanel(self.conversation, self.crisis_panel)
        self.chat.safety_plan_provider = self.safety_plan
        self.host.attach(self.chat)
        self.conversations = ConversationList()
        self.chat_tab = QSplitter(objectName="chatTab")
        self.chat_tab.addWidget(self.conversations)
        self.chat_tab.addWidget(self.chat)
        self.chat_tab.setCollapsible(1, False)
        self.chat_tab.setStretchFactor(1, 1)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.chat_tab, self.tr("Chat"))
        self.history = HistoryPage(self.services)
        self.tabs.addTab(self.history, self.tr("History"))
        self.history.refresh()
        self.conversations.set_history(self.services.history if self.services is not None else None)
        footer = QLabel(self.tr("Edge Counsel is an AI for self-help and support — not a person, not a "
                                "therapist, not for emergencies. Everything stays on this computer."),
                        wordWrap=True)
        footer.setObjectName("disclosureFooter")
        footer.setForegroundRole(QPalette.PlaceholderText)  # quiet, and readable in a dark theme too
        main = QWidget()
        layout = QVBoxLayout(main)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(footer)
        self.stack = QStackedWidget()
        self.stack.addWidget(main)
        self.setCentralWidget(self.stack)
        self.statusBar().showMessage(self.tr("Starting…"))

    def _wire(self) -> None:
        h, c = self.host, self.chat
        h.progress.connect(self._on_progress)
        h.loaded.connect(self._on_loaded)
        h.load_failed.connect(self._on_load_failed)
        c.approach_box.currentIndexChanged.connect(self._on_approach)
        self.crisis_panel.marked_safe.connect(c.record_safe)
        self.crisis_panel.marked_safe.connect(lambda: c.show_note(crisis_replies.message("glad_safe", c.lang)))
        self.crisis_panel.keep_talking.connect(lambda: c.show_note(crisis_replies.message("still_here", c.lang)))
        c.new_conversation_requested.connect(self._warm_unless_locked)
        self.history.continue_requested.connect(self.continue_conversation)
        self.history.erased.connect(self.chat.new_conversation)
        self.conversations.new_requested.connect(lambda: c.new_conversation())
        self.conversations.open_requested.connect(self.continue_conversation)
        for changed in (c.new_conversation_requested, c.reply_finished, self.history.deleted, self.history.erased):
            changed.connect(self._refresh_conversations)
        self.tabs.currentChanged.connect(lambda _i: self.history.refresh())
        index = c.approach_box.findData(self.settings.approach)
        c.approach_box.setCurrentIndex(max(0, index))

    # -- model ---------------------------------------------------------------------------------

    def load_model(self, ref: str | None = None) -> None:
        self.chat.progress.setValue(0)
        self.chat.progress.setFormat(self.tr("Loading model… %p%"))
        self.chat.progress.show()
        self.statusBar().showMessage(self.tr("Loading the model…"))
        self.host.load_model(ref, self.settings.n_ctx, warm=self.conversation)

    def _on_progress(self, value: float) -> None:
        self.chat.progress.setValue(int(value * 100))

    def _on_loaded(self, name: str) -> None:
        self.chat.progress.hide()
        self.statusBar().showMessage(self.tr("Model: {name} — ready").format(name=name))
        self.chat.input.setFocus()
        print(f"edge-counsel: ready ({name})", file=sys.stderr, flush=True)
        self.model_ready.emit(name)

    def _on_load_failed(self, message: str) -> None:
        self.chat.progress.hide()
        self.statusBar().showMessage(self.tr("No model loaded"))
        self.chat.show_note(message)
        box = QMessageBox(QMessageBox.Warning, self.tr("The model could not be loaded"), message,
                          QMessageBox.Ok, self)
        box.setInformativeText(self.tr("The rest of the app still works: the crisis panel, hotlines and "
                                       "your safety plan need no model."))
        self.model_error_dialog = box
        box.open()

    # -- pages and model tasks -----------------------------------------------------------------

    def add_page(self, widget: QWidget, title: str) -> None:
        """Add a tab (journal, mood, exercises, ...) after the chat."""
        self.tabs.addTab(widget, title)

    def model_task(self, fn, on_done, on_failed) -> None:
        """Run ``fn(engine)`` in the inference worker; the callbacks run on the UI thread."""
        self.host.model_task(fn, on_done, on_failed)

    # -- conversation --------------------------------------------------------------------------

    def _on_approach(self, index: int) -> None:
        approach = self.chat.approach_box.itemData(index)
        self.conversation.approach = self.settings.approach = approach
        save_settings(self.settings)
        self._warm_unless_locked()  # the persona prompt changed with the approach

    def _warm_unless_locked(self) -> None:
        """Get the model ready for the conversation now on screen, in the background."""
        if self.stack.currentWidget() is not self.lock_screen:
            self.host.warm(self.conversation)

    def continue_conversation(self, conv_id: int) -> None:
        """Show a saved conversation and carry on in it."""
        if self._resume(conv_id):
            self.tabs.setCurrentWidget(self.chat_tab)

    def _refresh_conversations(self, *_args) -> None:
        self.conversations.refresh(self.conversation.recorder.conversation_id
                                   if self.conversation.recorder is not None else None)

    def _resume(self, conv_id: int) -> bool:
        """Reload a saved conversation from the store into the chat; False if there is none."""
        recorder = self.conversation.recorder
        if recorder is None or not recorder.messages(conv_id):
            return False
        self.chat.new_conversation(announce=False)  # no warm-up for the empty one in between
        self.conversation.resume(conv_id)
        self.chat.show_conversation()
        self._refresh_conversations()
        self.host.warm(self.conversation)  # its turns are not in the model's cache: evaluate them now
        return True

    # -- lock ----------------------------------------------------------------------------------

    def _build_lock(self) -> None:
        self.lock_screen = locked = QWidget()
        locked.setObjectName("lockScreen")
        layout = QVBoxLayout(locked)
        layout.addStretch(1)
        layout.addWidget(QLabel(self.tr("Edge Counsel is locked."), alignment=Qt.AlignCenter))
        self.unlock_button = QPushButton(self.tr("Unlock…"), clicked=self.ask_unlock)
        layout.addWidget(self.unlock_button, alignment=Qt.AlignCenter)
        layout.addStretch(1)
        self.stack.addWidget(locked)
        bar = self.addToolBar(self.tr("Session"))
        bar.setObjectName("sessionToolbar")
        self.help_action = QAction(self.tr("Get help now"), self, triggered=self.show_help)
        bar.addAction(self.help_action)
        self._style_help_action()
        self.list_action = QAction(self.tr("Conversations"), self, checkable=True, checked=True,
                                   toggled=self.conversations.setVisible)
        bar.addAction(self.list_action)
        self.lock_action = QAction(self.tr("Lock"), self, triggered=self.lock)
        bar.addAction(self.lock_action)
        bar.addAction(QAction(self.tr("Change passphrase…"), self,
                              triggered=lambda: change_passphrase_dialog(self.home, self)))
        bar.addAction(QAction(self.tr("Settings…"), self, triggered=self.open_settings))
        self.idle_timer = QTimer(self, singleShot=True, timeout=self.lock)
        self._activity = _ActivityFilter(self.reset_idle_timer)
        QApplication.instance().installEventFilter(self._activity)
        self.reset_idle_timer()

    def show_help(self) -> None:
        """The hotlines and the safety plan, whenever the user asks: no detector involved."""
        self.tabs.setCurrentWidget(self.chat_tab)
        self.crisis_panel.show_for(self.chat.lang, self.safety_plan())

    def open_settings(self) -> None:
        from .settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.settings, self.directory, self)
        dialog.models.activate_requested.connect(self.load_model)
        if dialog.exec():
            self.apply_settings()

    def _style_help_action(self) -> None:
        button = self.findChild(QToolBar, "sessionToolbar").widgetForAction(self.help_action)
        button.setStyleSheet(help_style(button.palette()))

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        super().changeEvent(event)
        if event.type() == QEvent.PaletteChange and hasattr(self, "help_action"):
            self._style_help_action()

    def apply_settings(self) -> None:
        """Take region, hotline file, auto-lock, text size and colours from the (saved) settings."""
        self.appearance.apply(self.settings.text_size, self.settings.theme)
        self.directory = HotlineDirectory.load(self.settings.hotline_override)
        self.region = self.directory.region_in_use(self.settings.region)
        self.crisis_panel.directory, self.crisis_panel.region = self.directory, self.region
        self.conversation.region = self.region
        self.reset_idle_timer()

    def reset_idle_timer(self) -> None:
        minutes = self.settings.auto_lock_minutes
        if minutes and self.store is not None:
            self.idle_timer.start(int(minutes * 60_000))

    def lock(self) -> None:
        """Close the store and hide everything, the same whether asked for or after idle time.

        Conversation text leaves memory with the widgets: only the open conversation's id is kept,
        and unlocking reloads it from the encrypted store. Dialogs open over the window (Settings,
        a question, an export) are closed first, so nothing of the session stays on screen."""
        if self.store is None:
            return
        self._close_dialogs()
        self.host.forget()  # the engine's KV cache holds the conversation too
        self.resume_after_unlock = self.conversation.recorder.conversation_id if self.conversation.turns else None
        self.stack.setCurrentWidget(self.lock_screen)
        self.chat.new_conversation()
        self.conversation.clear_caches()
        self.chat.input.clear()
        self.crisis_panel.hide()
        self.set_store(None)
        self.lock_action.setEnabled(False)
        self.unlock_button.setFocus()
        self.locked.emit()

    def _close_dialogs(self) -> None:
        for dialog in self.findChildren(QDialog):
            if dialog.isVisible() and dialog.objectName() not in _OPEN_THROUGH_LOCK:
                dialog.reject()

    def ask_unlock(self) -> bool:
        dialog = UnlockDialog(self.home, self)
        if dialog.exec() and dialog.store is not None:
            self.unlock_with(dialog.store)
            return True
        return False

    def unlock_with(self, store) -> None:
        """Open the window over ``store`` again, with the conversation that was open at the lock."""
        self.set_store(store)
        self.stack.setCurrentIndex(0)
        self.lock_action.setEnabled(True)
        conv_id, self.resume_after_unlock = self.resume_after_unlock, None
        if conv_id is None or not self._resume(conv_id):
            self.host.warm(self.conversation)  # the lock emptied the model's cache
        self.reset_idle_timer()
        self.unlocked.emit()

    def set_store(self, store) -> None:
        if self.store is not None and store is not self.store:
            self.store.close()
        self.store = store
        self.conversation.recorder = (StoreRecorder(store, approach=self.conversation.approach)
                                      if store is not None else None)
        self.services = Services.for_store(store) if store is not None else None
        self.history.set_services(self.services)
        self.conversations.set_history(self.services.history if self.services is not None else None)
        for listener in self.services_listeners:
            listener(self.services)

    def safety_plan(self) -> dict | None:
        return self.services.safety_plan.get() if self.services is not None else None

    def start_dialogs(self, disclosure_due: bool) -> None:
        """What a start may need to ask, one after the other: the AI disclosure, then the region."""
        ask_region = not self.settings.region_asked and self.settings.region is None
        if disclosure_due:
            box = self.show_disclosure()
            if ask_region:
                box.finished.connect(lambda *_: self.ask_region())
        elif ask_region:
            self.ask_region()

    def ask_region(self) -> RegionDialog:
        """Ask which region's hotlines to show (the locale's is preselected); saved when chosen."""
        dialog = RegionDialog(self.directory, self.settings.region, self)
        dialog.accepted.connect(lambda: self._region_chosen(dialog.box.region()))
        dialog.open()
        return dialog

    def _region_chosen(self, region: str | None) -> None:
        self.settings.region, self.settings.region_asked = region, True
        save_settings(self.settings)
        self.apply_settings()

    def show_disclosure(self) -> QMessageBox:
        box = QMessageBox(QMessageBox.Information, self.tr("Before you start"),
                          disclosure.first_run_text(interface_language()), QMessageBox.Ok, self)
        box.setObjectName("disclosureDialog")
        box.finished.connect(self._disclosure_seen)
        box.open()
        return box

    def _disclosure_seen(self, *_args) -> None:
        self.settings.disclosure_seen = True
        save_settings(self.settings)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        QApplication.instance().removeEventFilter(self._activity)
        self.idle_timer.stop()
        self.host.shutdown()
        if self.store is not None:
            self.store.close()
            self.store = None
        super().closeEvent(event)


class _ActivityFilter(QObject):
    """Any key or mouse press counts as activity for auto-lock."""

    _EVENTS = (QEvent.KeyPress, QEvent.MouseButtonPress, QEvent.Wheel)

    def __init__(self, on_activity) -> None:
        super().__init__()
        self.on_activity = on_activity

    def eventFilter(self, _obj, event) -> bool:  # noqa: N802 - Qt naming
        if event.type() in self._EVENTS:
            self.on_activity()
        return False
