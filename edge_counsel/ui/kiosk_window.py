"""The counseling-room kiosk: one anonymous visitor at a time, full screen, admin behind a PIN.

Invariants:
- A visitor's words live only in memory: each visit is a fresh ``Conversation`` with no recorder,
  nothing is written to disk, and ending a visit ("I'm done" or the idle timeout) destroys the
  chat widgets and the conversation, asks the engine to forget its KV cache (on the worker thread,
  after any reply still streaming), clears the crisis detector's cache and clears the clipboard.
- Worker output that belongs to an ended visit is dropped: the chat host routes output only to the
  conversation that asked for it.
- There is no way out without the admin PIN: ``closeEvent`` is ignored unless "Exit kiosk" was
  chosen on the admin page, quit/switch shortcuts are swallowed by an application-wide event
  filter, and there are no file dialogs, exports or history.
- The admin page times out like a visit, back to the welcome screen.
- The alert command gets only a level, a reason and the kiosk's name (see ``kiosk.run_alert``);
  the daily counts are integers.
"""

from __future__ import annotations

import datetime as dt
import sys
import time

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QClipboard, QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QMainWindow, QPushButton, QStackedWidget, QVBoxLayout, QWidget

from ..engine.llama import GenerationParams
from ..errors import EdgeCounselError, KioskLockedError, KioskPinError
from ..safety import crisis_replies
from ..safety.hotlines import HotlineDirectory, language_for_region
from ..safety.risk import default_detector
from ..services import kiosk
from ..services.conversation import Conversation
from ..services.kiosk import KioskConfig, KioskState, PinGuard
from ..services.kiosk_visit import SCREENS, VisitCycle
from ..services.office_hours import parse_hours
from .chat_host import ChatHost
from .chat_view import ChatPanel
from .crisis_panel import CrisisPanel
from .kiosk_pages import AdminPage, PinPage, SetupPage, VisitPage, WelcomePage, label

__all__ = ["KioskWindow", "KioskCrisisPanel", "KeyGuard"]

_APPROACH = "person_centred"  # every visit starts with the default approach
# The counselor note for: within the listed hours, outside them, and no hours that can be read.
_COUNSELOR_NOTES = {True: "kiosk_counselor", False: "kiosk_counselor_away", None: "kiosk_counselor_room"}


class KioskCrisisPanel(CrisisPanel):
    """The crisis panel without a safety-plan section: the kiosk keeps nothing of a visitor's."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.show_plan = False
        self.show_choose_region = False


class KeyGuard(QObject):
    """Application-wide filter: swallows quit/switch shortcuts and reports user activity."""

    _ACTIVITY = (QEvent.KeyPress, QEvent.MouseButtonPress, QEvent.Wheel, QEvent.TouchBegin,
                 QEvent.InputMethod)
    _KEYS = (QEvent.KeyPress, QEvent.KeyRelease, QEvent.ShortcutOverride)

    def __init__(self, on_activity) -> None:
        super().__init__()
        self.on_activity = on_activity
        self.swallowed = 0

    def eventFilter(self, _obj, event) -> bool:  # noqa: N802 - Qt naming
        kind = event.type()
        if kind in self._ACTIVITY:
            self.on_activity()
        if kind in self._KEYS and is_blocked_key(event.key(), event.modifiers()):
            # An accepted ShortcutOverride stops Qt from firing a shortcut bound to the key.
            event.accept()
            self.swallowed += kind != QEvent.KeyRelease
            return True
        return False


def is_blocked_key(key: int, modifiers) -> bool:
    """Escape, Alt+F4 (any Alt+F-key), Ctrl+Q, Ctrl+W, Alt+Tab, the Super keys, Ctrl+Alt+Del/Backspace."""
    alt, ctrl = bool(modifiers & Qt.AltModifier), bool(modifiers & Qt.ControlModifier)
    if key in (Qt.Key_Escape, Qt.Key_Meta, Qt.Key_Super_L, Qt.Key_Super_R, Qt.Key_Close):
        return True
    if alt and (Qt.Key_F1 <= key <= Qt.Key_F35 or key in (Qt.Key_Tab, Qt.Key_Backtab)):
        return True
    if ctrl and key in (Qt.Key_Q, Qt.Key_W):
        return True
    return ctrl and alt and key in (Qt.Key_Delete, Qt.Key_Backspace)


# --- the window ---------------------------------------------------------------------------------

class KioskWindow(QMainWindow):
    model_ready = Signal(str)
    visit_started = Signal()
    visit_ended = Signal(str)  # "done" | "idle"
    alert_finished = Signal(str, object)  # reason, kiosk.AlertResult (emitted from a thread)

    PAGES = SCREENS

    def __init__(self, config: KioskConfig, config_path, state: KioskState, *,
                 directory: HotlineDirectory | None = None, clock=time.monotonic, now=dt.datetime.now,
                 parent=None) -> None:
        super().__init__(parent)
        self.config, self.config_path, self.state = config, config_path, state
        self.cycle = VisitCycle(config, state, clock=clock, now=now)
        self.pin = self.cycle.pin
        self.alert_threads: list = []
        self.directory = directory or _load_directory(config.hotline_override)
        self.region = self.directory.region_in_use(config.region)
        self.detector = default_detector()
        self.chat: ChatPanel | None = None
        self._exit_authorised = self._enforce = False
        self.setWindowTitle("Edge Counsel")
        self.setWindowFlags(Qt.Window | Qt.FramelessWindowHint | Qt.WindowStaysOnTopHint)
        self.host = ChatHost(self)
        self._build_ui()
        self._wire()
        self._new_chat()
        self._start_guards()
        self.show_home()

    # -- construction --------------------------------------------------------------------------

    def _build_ui(self) -> None:
        self.pages = {"setup": SetupPage(), "welcome": WelcomePage(), "visit": VisitPage(),
                      "pin": PinPage(), "admin": AdminPage(self.directory.regions())}
        self.stack = QStackedWidget()
        for name in self.PAGES:
            self.stack.addWidget(self.pages[name])
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addLayout(self._top_bar())
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.pages["welcome"].set_config(self.config)

    def _top_bar(self) -> QHBoxLayout:
        self.counselor_button = QPushButton(self.tr("Talk to a counselor"), clicked=self.talk_to_counselor)
        self.counselor_button.setStyleSheet("font-size:14pt; background:#b71c1c; color:white; padding:8px;"
                                            " border:1px solid #7f0000; border-radius:4px;")
        self.done_button = QPushButton(self.tr("I'm done"), clicked=lambda: self.end_visit("done"))
        self.done_button.setStyleSheet("font-size:14pt; padding:8px;")
        self.staff_button = QPushButton("⚙ " + self.tr("Staff"), clicked=self.open_admin, flat=True)
        self.staff_button.setStyleSheet("font-size:9pt;")
        self.status = label()
        row = QHBoxLayout()
        row.addWidget(label(self.tr("Edge Counsel — an AI support kiosk, not a counselor"),
                            "font-size:12pt; font-weight:bold;"), 1)
        row.addWidget(self.status)
        for widget in (self.counselor_button, self.done_button, self.staff_button):
            row.addWidget(widget)
        return row

    def _wire(self) -> None:
        h, p = self.host, self.pages
        h.progress.connect(self._on_progress)
        h.loaded.connect(self._on_loaded)
        h.load_failed.connect(self._on_load_failed)
        self.alert_finished.connect(self._on_alert_finished, Qt.QueuedConnection)
        p["welcome"].start.connect(self.start_visit)
        p["visit"].still_here.connect(self.mark_activity)
        p["setup"].chosen.connect(self._on_first_pin)
        p["pin"].submitted.connect(self.try_pin)
        p["pin"].cancelled.connect(self.show_home)
        p["admin"].save_requested.connect(self.apply_admin)
        p["admin"].back_requested.connect(self.show_home)
        p["admin"].exit_requested.connect(self.exit_kiosk)
        p["admin"].test_alert_requested.connect(lambda: self._alert("test", "test", force=True))

    def _start_guards(self) -> None:
        self.guard = KeyGuard(self.mark_activity)
        QGuiApplication.instance().installEventFilter(self.guard)
        self.idle_timer = QTimer(self, interval=250, timeout=self.tick)
        self.idle_timer.start()

    def _new_chat(self) -> None:
        """A fresh conversation that records nothing, in fresh chat and crisis panels."""
        old = self.chat
        self.conversation = Conversation(approach=_APPROACH, params=GenerationParams(max_tokens=self.config.max_tokens),
                                         detector=self.detector, recorder=None, has_safety_plan=False)
        # Until the visitor writes, the kiosk speaks its region's language (Chinese in China).
        self.conversation.lang = language_for_region(self.region)
        self.conversation.region = self.region
        self.crisis_panel = KioskCrisisPanel(self.directory, self.region)
        self.crisis_panel.counselor = dict(self.config.counselor) or None
        self.crisis_panel.counselor_on_duty = self.cycle.counselor_on_duty
        self.chat = ChatPanel(self.conversation, self.crisis_panel)
        self.chat.transcript.setOpenLinks(False)
        self.chat.new_button.hide()  # "I'm done" ends a visit
        self.host.attach(self.chat)
        self.chat.reply_finished.connect(lambda _reply: self.mark_activity())  # idle counts from the reply's end
        self.chat.crisis_detected.connect(self._on_crisis)
        box = self.chat.approach_box
        box.setCurrentIndex(max(0, box.findData(_APPROACH)))
        box.currentIndexChanged.connect(self._on_approach)
        self.crisis_panel.marked_safe.connect(self.chat.record_safe)
        self.crisis_panel.marked_safe.connect(lambda: self._note(crisis_replies.message("glad_safe", self.chat.lang)))
        self.crisis_panel.keep_talking.connect(lambda: self._note(crisis_replies.message("still_here", self.chat.lang)))
        self.pages["visit"].holder.addWidget(self.chat)
        if old is not None:
            old.hide()
            self.pages["visit"].holder.removeWidget(old)
            old.deleteLater()

    def _on_approach(self, index: int) -> None:
        self.conversation.approach = self.chat.approach_box.itemData(index)

    # -- screens -------------------------------------------------------------------------------

    def enter_fullscreen(self) -> None:
        """Cover the primary screen; also without a window manager (geometry first)."""
        self._enforce = True
        screen = QGuiApplication.primaryScreen()
        if screen is not None:
            self.setGeometry(screen.geometry())
        self.showFullScreen()
        self.raise_()
        self.activateWindow()

    def page(self) -> str:
        return self.PAGES[self.stack.currentIndex()]

    def _show(self, name: str) -> None:
        self.stack.setCurrentWidget(self.pages[name])
        self.counselor_button.setVisible(name in ("welcome", "visit"))
        self.done_button.setVisible(name == "visit")
        self.staff_button.setVisible(name == "welcome")
        self.pages["visit"].banner.hide()

    def show_home(self) -> None:
        """The welcome screen, or the set-up screen while no PIN is configured."""
        self.pages["setup"].clear()
        self._show(self.cycle.go_home())

    @property
    def in_visit(self) -> bool:
        return self.cycle.in_visit

    # -- a visit -------------------------------------------------------------------------------

    def start_visit(self) -> None:
        if not self.cycle.start_visit():
            return
        self._show("visit")
        self.mark_activity()
        self.chat.input.setFocus()
        self.visit_started.emit()

    def end_visit(self, reason: str = "done") -> None:
        """Wipe everything of this visitor and show the welcome screen for the next one."""
        self.host.forget()
        self._new_chat()
        self.conversation.clear_caches()  # the detector and the guard cache scans keyed by text
        self.host.warm(self.conversation)  # the persona again, for the next visitor's first reply
        _clear_clipboard()
        was_visit = self.cycle.end_visit()
        self.show_home()
        if was_visit:
            self.visit_ended.emit(reason)

        self.conversation.clear_caches()  # the detector and the guard cache scans keyed by text
    def talk_to_counselor(self) -> None:
        """Always available: the counselor on duty and the hotlines, and the alert (if set up)."""
        self.start_visit()
        self.crisis_panel.show_for(self.chat.lang, None)
        self.cycle.count_once("counselor_requests")
        self._alert("request", "visitor_request")
        self._counselor_note()

    def _on_crisis(self, assessment) -> None:
        self.cycle.count_once("escalations")
        self._alert(assessment.level, "crisis_detected")
        self._counselor_note()

    def _counselor_note(self) -> None:
        """Where the counselor is, once a visit; "in the room right now" only within their hours,
        and outside them nothing about whether they are in."""
        c = self.config.counselor
        if not (c.get("name") and c.get("room")) or not self.cycle.note_once("counselor"):
            return
        key = _COUNSELOR_NOTES[self.cycle.counselor_on_duty()]
        self._note(crisis_replies.message(key, self.chat.lang, name=c["name"], room=c["room"],
                                          hours=c.get("hours", "")))

    def _note(self, text: str) -> None:
        self.chat.show_note(text)

    # -- idle ----------------------------------------------------------------------------------

    def mark_activity(self) -> None:
        self.cycle.activity()
        if self.pages["visit"].banner.isVisible():
            self.pages["visit"].banner.hide()

    def tick(self) -> None:
        """Every 250 ms: the countdown, the idle wipe, and the PIN lockout message."""
        if self.page() == "pin":
            self._show_lock_state()
        tick = self.cycle.tick(busy=self.chat.busy)
        if tick.action == "end_visit":
            self.end_visit("idle")
        elif tick.action == "home":
            self.show_home()
        elif tick.action == "countdown":
            self.pages["visit"].show_countdown(tick.seconds)
        else:
            self.pages["visit"].banner.hide()

    # -- admin ---------------------------------------------------------------------------------

    def open_admin(self) -> None:
        screen = self.cycle.open_staff()
        if screen is None:
            return
        self._show(screen)
        if screen == "pin":
            self.pages["pin"].message.clear()
            self._show_lock_state()
            self.pages["pin"].pin.setFocus()

    def _show_lock_state(self) -> None:
        page, left = self.pages["pin"], self.pin.seconds_locked()
        if left:
            page.message.setText(self._locked_text(left))
        elif not page.unlock_button.isEnabled():  # a lockout just ended
            page.message.clear()
        page.unlock_button.setEnabled(not left)
        page.pin.setEnabled(not left)

    def try_pin(self, text: str) -> bool:
        page = self.pages["pin"]
        try:
            ok = self.cycle.try_pin(text)
        except KioskLockedError:
            page.message.setText(self._locked_text(self.pin.seconds_locked()))
            return False
        if not ok:
            n, locked = self.pin.attempts_left(), self.pin.seconds_locked()
            page.message.setText(self._locked_text(locked) if locked else
                                 self.tr("Wrong PIN. {n} more tries before a lockout.").format(n=n))
            self._show_lock_state()
            return False
        self._open_admin_page()
        return True

    def _locked_text(self, seconds: int) -> str:
        minutes, secs = divmod(seconds, 60)
        return self.tr("Too many wrong PINs. Try again in {time}.").format(time=f"{minutes}:{secs:02d}")

    def _error_text(self, error: EdgeCounselError) -> str:
        """An error in the interface language where the window knows it (the PIN rules)."""
        if isinstance(error, KioskPinError):
            return {"digits": self.tr("The PIN must be digits only (0-9)."),
                    "short": self.tr("The PIN needs at least {digits} digits.").format(digits=kiosk.MIN_PIN_DIGITS),
                    "repeated": self.tr("Choose a PIN that is not one digit repeated."),
                    "differ": self.tr("The two PINs differ; type the same PIN twice.")}[error.reason]
        return str(error)

    def _open_admin_page(self) -> None:
        self.cycle.open_admin()
        self.pages["admin"].populate(self.config, self.state)
        self._show("admin")

    def _on_first_pin(self, pin: str, repeat: str) -> None:
        try:
            self.pin.set_pin(pin, repeat)
            kiosk.save_config(self.config, self.config_path)
        except EdgeCounselError as exc:
            self.config.pin_hash = None
            self.pages["setup"].message.setText(self._error_text(exc))
            return
        self.pages["setup"].clear()
        self._open_admin_page()

    def apply_admin(self) -> bool:
        """Validate the form, save the config and apply it (reloading the model if it changed)."""
        page = self.pages["admin"]
        try:
            config = page.to_config(self.config)
            directory = HotlineDirectory.load(config.hotline_override)
            if page.new_pin.text() or page.new_pin2.text():
                PinGuard(config, self.state).set_pin(page.new_pin.text(), page.new_pin2.text())
            kiosk.save_config(config, self.config_path)
        except EdgeCounselError as exc:
            page.message.setText(self.tr("Not saved: {error}").format(error=self._error_text(exc)))
            return False
        reload = (config.model, config.n_ctx) != (self.config.model, self.config.n_ctx)
        self._use_config(config, directory)
        if reload:
            self.load_model(config.model)
        page.populate(config, self.state)
        hours = config.counselor.get("hours")
        notes = [self.tr("Saved.")]
        if reload:
            notes.append(self.tr("Loading the model…"))
        if hours and parse_hours(hours) is None:
            notes.append(self.tr("The counselor's hours could not be read, so visitors are never told the "
                                 "counselor is in now; write them like Mon-Fri 08:00-16:00."))
        page.message.setText(" ".join(notes))
        return True

    def _use_config(self, config: KioskConfig, directory: HotlineDirectory) -> None:
        self.config = config
        self.cycle.use_config(config)
        self.directory, self.region = directory, directory.region_in_use(config.region)
        self.pages["welcome"].set_config(config)
        self._new_chat()

    def exit_kiosk(self) -> None:
        """The only way out: from the admin page (or the smoke test's quit-when-ready)."""
        self._exit_authorised = True
        self.close()

    # -- alerts --------------------------------------------------------------------------------

    def _alert(self, level: str, reason: str, force: bool = False) -> None:
        if not self.config.alerts_enabled:
            if force:
                self.pages["admin"].message.setText(self.tr("No alert command is set."))
            return
        if force or self.cycle.should_alert(level, reason):
            done = lambda result: self.alert_finished.emit(reason, result)  # noqa: E731
            self.alert_threads.append(kiosk.start_alert(self.config, level, reason, done))

    def _on_alert_finished(self, reason: str, result) -> None:
        if not result.ok:
            print(f"edge-counsel: kiosk alert ({reason}) failed: {result.detail}", file=sys.stderr, flush=True)
            if reason != "test":
                self.state.increment("alerts_failed")
        if reason == "test":
            outcome = self.tr("Test alert: sent ({detail})") if result.ok else self.tr("Test alert: FAILED ({detail})")
            self.pages["admin"].message.setText(outcome.format(detail=result.detail))

    # -- model ---------------------------------------------------------------------------------

    def load_model(self, ref: str | None = None) -> None:
        self.status.setText(self.tr("Getting ready…"))
        self.host.load_model(ref, self.config.n_ctx, warm=self.conversation)

    def _on_progress(self, value: float) -> None:
        self.status.setText(self.tr("Getting ready… {percent}%").format(percent=int(value * 100)))

    def _on_loaded(self, name: str) -> None:
        self.status.setText("")
        print(f"edge-counsel: ready ({name})", file=sys.stderr, flush=True)
        self.model_ready.emit(name)

    def _on_load_failed(self, message: str) -> None:
        self.status.setText(self.tr("Model not loaded"))
        print(f"edge-counsel: the kiosk's model could not be loaded: {message}", file=sys.stderr, flush=True)

    # -- staying put ---------------------------------------------------------------------------

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        super().changeEvent(event)
        if (event.type() == QEvent.WindowStateChange and self._enforce and not self._exit_authorised
                and not self.windowState() & Qt.WindowFullScreen):
            QTimer.singleShot(0, self.enter_fullscreen)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        if not self._exit_authorised:
            event.ignore()
            return
        self.idle_timer.stop()
        QGuiApplication.instance().removeEventFilter(self.guard)
        self.end_visit("done")
        self.host.shutdown()
        super().closeEvent(event)


def _load_directory(override) -> HotlineDirectory:
    """The school's hotline file if it reads; else the packaged directory (and a note on stderr)."""
    try:
        return HotlineDirectory.load(override)
    except EdgeCounselError as exc:
        print(f"edge-counsel: {exc} Using the packaged hotlines.", file=sys.stderr, flush=True)
        return HotlineDirectory.load()


def _clear_clipboard() -> None:
    clipboard = QGuiApplication.clipboard()
    clipboard.clear(QClipboard.Clipboard)
    if clipboard.supportsSelection():
        clipboard.clear(QClipboard.Selection)
