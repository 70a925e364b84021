"""The counseling-room kiosk: one anonymous visitor at a time, full screen, admin behind a PIN.

Invariants:
- A visitor's words live only in memory: the chat session has no recorder, nothing is written to
  disk, and ending a visit ("I'm done" or the idle timeout) destroys the chat widgets, replaces the
  worker's session (on the worker thread, after any reply still streaming), asks the engine to
  forget its KV cache, clears the crisis detector's cache and clears the clipboard.
- Worker output that belongs to an ended visit is dropped: after a wipe nothing from the worker is
  shown until its ``wiped`` signal arrives (signals from one thread arrive in order).
- There is no way out without the admin PIN: ``closeEvent`` is ignored unless "Exit kiosk" was
  chosen on the admin page, quit/switch shortcuts are swallowed by an application-wide event
  filter, and there are no file dialogs, exports or history.
- The admin page times out like a visit, back to the welcome screen.
- The alert command gets only a level, a reason and the kiosk's name (see ``kiosk.run_alert``);
  the daily counts are integers.
"""

from __future__ import annotations

import math
import shlex
import sys
import time
from dataclasses import asdict

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QClipboard, QGuiApplication, QIntValidator
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ..safety import crisis_replies
from ..services import kiosk
from ..engine import manifest as mf
from ..engine.llama import GenerationParams
from ..errors import EdgeCounselError, KioskLockedError
from ..safety.hotlines import HotlineDirectory, region_from_locale
from ..services.kiosk import AlertPolicy, KioskConfig, KioskState, PinGuard
from ..safety.risk import default_detector
from ..services.conversation import ChatSession
from .chat_view import ChatPanel
from .crisis_panel import CrisisPanel
from .workers import InferenceWorker, WorkerThread

__all__ = ["KioskWindow", "KioskWorker", "KioskCrisisPanel", "KeyGuard", "WARN_SECONDS"]

WARN_SECONDS = 30  # the idle countdown shows for this long before a visit is wiped
_APPROACH = "person_centred"  # every visit starts with the default approach
_BIG = "font-size:16pt;"
_TITLE = ("Edge Counsel — an AI support kiosk, not a counselor / "
          "Edge Counsel — 人工智能自助终端，不是心理老师")
_FOOTER = ("AI, not a person. Nothing is saved: what you write is erased when you finish. / "
           "人工智能，不是真人。不会保存任何内容：结束后你写的一切都会被清除。")


class KioskWorker(InferenceWorker):
    """The inference worker, plus a wipe that runs on its thread after any reply in flight.

    It holds no reference to the window (only ``max_tokens``), so no reference cycle keeps a
    closed window and its worker alive until some later garbage collection.
    """

    wiped = Signal()

    def __init__(self, max_tokens: int) -> None:
        self.max_tokens = max_tokens
        super().__init__(self.new_session(None))

    def new_session(self, engine) -> ChatSession:
        """A fresh, empty session that records nothing."""
        params = GenerationParams(max_tokens=self.max_tokens)
        return ChatSession(engine, approach=_APPROACH, params=params, recorder=None, has_safety_plan=False)

    @Slot()
    def wipe(self) -> None:
        engine = self.session.engine
        self.session = self.new_session(engine)
        reset = getattr(engine, "reset", None)  # forget the KV cache, where the engine can
        if reset is not None:
            reset()
        self.wiped.emit()


class KioskCrisisPanel(CrisisPanel):
    """The crisis panel without a safety-plan section: the kiosk keeps nothing of a visitor's."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.show_plan = False


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


# --- pages --------------------------------------------------------------------------------------

def _label(text: str = "", style: str = "", **kwargs) -> QLabel:
    label = QLabel(text, wordWrap=True, **kwargs)
    if style:
        label.setStyleSheet(style)
    return label


def _pin_edit(placeholder: str) -> QLineEdit:
    edit = QLineEdit(placeholderText=placeholder, echoMode=QLineEdit.Password)
    edit.setValidator(QIntValidator(0, 2_000_000_000, edit))  # digits only
    edit.setMaxLength(9)
    edit.setStyleSheet(_BIG)
    return edit


class WelcomePage(QWidget):
    """The AI disclosure in English and Chinese, the counselor on duty, and Start."""

    start = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.en, self.zh = _label(style="font-size:13pt;"), _label(style="font-size:13pt;")
        self.counselor = _label(style="font-size:14pt; font-weight:bold;")
        self.start_button = QPushButton("Start / 开始", clicked=lambda: self.start.emit())
        self.start_button.setStyleSheet("font-size:20pt; padding:12px 48px;")
        texts = QHBoxLayout()
        texts.addWidget(self.en, 1)
        texts.addWidget(self.zh, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(_label("Welcome / 欢迎", "font-size:24pt; font-weight:bold;"))
        layout.addLayout(texts)
        layout.addWidget(self.counselor)
        layout.addStretch(1)
        layout.addWidget(self.start_button, alignment=Qt.AlignCenter)
        layout.addStretch(1)

    def set_config(self, config: KioskConfig) -> None:
        self.en.setText(kiosk.welcome_text("en", config))
        self.zh.setText(kiosk.welcome_text("zh", config))
        c = config.counselor
        where = " · ".join(filter(None, [c.get("room"), c.get("phone"), c.get("hours")]))
        self.counselor.setText(f"Counselor on duty / 值班心理老师: {c.get('name', '')}  {where}"
                               if c.get("name") else "")


class VisitPage(QWidget):
    """The idle countdown banner above the chat; the chat panel itself is swapped per visit."""

    still_here = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.banner = QFrame(objectName="idleBanner")
        self.banner.setStyleSheet("#idleBanner { background:#fff3cd; border:2px solid #e0a800; }")
        self.countdown = _label(style="font-size:14pt;")
        self.still_button = QPushButton("I'm still here / 我还在", clicked=lambda: self.still_here.emit())
        self.still_button.setStyleSheet(_BIG)
        row = QHBoxLayout(self.banner)
        row.addWidget(self.countdown, 1)
        row.addWidget(self.still_button)
        self.banner.hide()
        self.holder = QVBoxLayout()
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addLayout(self.holder, 1)
        layout.addWidget(_label(_FOOTER, "color:#555; font-size:10pt;"))

    def show_countdown(self, seconds: int) -> None:
        self.countdown.setText(f"Are you still there? For privacy this visit ends and is erased in "
                               f"{seconds} s. / 你还在吗？为保护隐私，本次对话将在 {seconds} 秒后结束并清除。")
        self.banner.show()


class SetupPage(QWidget):
    """First start: the admin chooses a PIN (twice)."""

    chosen = Signal(str, str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.pin, self.repeat = _pin_edit("New PIN / 新 PIN"), _pin_edit("Repeat / 再输一次")
        self.message = _label(style="color:#b71c1c;")
        save = QPushButton("Save PIN / 保存", clicked=self._submit)
        self.repeat.returnPressed.connect(self._submit)
        layout = QVBoxLayout(self)
        layout.addWidget(_label("Set up this kiosk (staff only) / 设置本终端（仅限工作人员）",
                                "font-size:20pt; font-weight:bold;"))
        layout.addWidget(_label(f"Choose an admin PIN of at least {kiosk.MIN_PIN_DIGITS} digits. It "
                                "is needed to change settings and to leave kiosk mode. / "
                                f"请设置至少 {kiosk.MIN_PIN_DIGITS} 位数字的管理 PIN。"))
        for widget in (self.pin, self.repeat, save, self.message):
            layout.addWidget(widget)
        layout.addStretch(1)

    def _submit(self) -> None:
        self.chosen.emit(self.pin.text(), self.repeat.text())

    def clear(self) -> None:
        self.pin.clear()
        self.repeat.clear()
        self.message.clear()


class PinPage(QWidget):
    """The PIN prompt in front of the admin page."""

    submitted = Signal(str)
    cancelled = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.pin = _pin_edit("Admin PIN / 管理 PIN")
        self.pin.returnPressed.connect(self._submit)
        self.message = _label(style="color:#b71c1c; font-size:13pt;")
        self.unlock_button = QPushButton("Unlock / 解锁", clicked=self._submit)
        row = QHBoxLayout()
        row.addWidget(self.unlock_button)
        row.addWidget(QPushButton("Cancel / 取消", clicked=lambda: self.cancelled.emit()))
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(_label("Staff only / 仅限工作人员", "font-size:20pt; font-weight:bold;"))
        layout.addWidget(self.pin)
        layout.addLayout(row)
        layout.addWidget(self.message)
        layout.addStretch(2)

    def _submit(self) -> None:
        text = self.pin.text()
        self.pin.clear()
        self.submitted.emit(text)


class AdminPage(QWidget):
    """Settings, PIN change, anonymous counts and the only way out of kiosk mode."""

    save_requested = Signal()
    back_requested = Signal()
    exit_requested = Signal()
    test_alert_requested = Signal()

    def __init__(self, regions: list[str], parent=None) -> None:
        super().__init__(parent)
        self.fields = {key: QLineEdit() for key in ("kiosk_name", "hotline_override", "alert_command")}
        self.counselor = {key: QLineEdit() for key in kiosk.COUNSELOR_KEYS}
        self.region = QComboBox()
        self.region.addItem("Automatic (from the locale) / 自动", None)
        for code in regions:
            self.region.addItem(code, code)
        self.idle = QSpinBox(minimum=10, maximum=3600, suffix=" s", singleStep=30)
        self.model = QComboBox(editable=True)
        self.new_pin, self.new_pin2 = _pin_edit("New PIN (optional)"), _pin_edit("Repeat new PIN")
        self.counts = _label(textFormat=Qt.RichText)
        self.message = _label(style="font-size:12pt;")
        layout = QVBoxLayout(self)
        layout.addWidget(_label("Kiosk settings / 终端设置", "font-size:20pt; font-weight:bold;"))
        layout.addWidget(self._scroll_form(), 1)
        layout.addWidget(self.message)
        layout.addLayout(self._buttons())

    def _scroll_form(self) -> QScrollArea:
        form_widget = QWidget()
        form = QFormLayout(form_widget)
        form.addRow("Kiosk name / 终端名称", self.fields["kiosk_name"])
        for key, zh in zip(kiosk.COUNSELOR_KEYS, ("姓名", "房间", "电话", "时间")):
            form.addRow(f"Counselor {key} / 值班老师{zh}", self.counselor[key])
        form.addRow("Hotline region / 热线地区", self.region)
        form.addRow("Hotline override file / 热线文件", self.fields["hotline_override"])
        form.addRow("Idle timeout / 空闲超时", self.idle)
        form.addRow("Model (id or GGUF path) / 模型", self.model)
        form.addRow("Alert command (argv) / 通知命令", self.fields["alert_command"])
        form.addRow("Change PIN / 修改 PIN", self.new_pin)
        form.addRow("", self.new_pin2)
        form.addRow("Anonymous counts / 匿名统计", self.counts)
        scroll = QScrollArea(widgetResizable=True)
        scroll.setWidget(form_widget)
        return scroll

    def _buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(QPushButton("Save and apply / 保存", clicked=lambda: self.save_requested.emit()))
        row.addWidget(QPushButton("Test alert / 测试通知", clicked=lambda: self.test_alert_requested.emit()))
        row.addWidget(QPushButton("Back to welcome / 返回", clicked=lambda: self.back_requested.emit()))
        row.addStretch(1)
        self.exit_button = QPushButton("Exit kiosk / 退出终端模式", clicked=lambda: self.exit_requested.emit())
        self.exit_button.setStyleSheet("color:#b71c1c;")
        row.addWidget(self.exit_button)
        return row

    def populate(self, config: KioskConfig, state: KioskState) -> None:
        self.fields["kiosk_name"].setText(config.kiosk_name)
        self.fields["hotline_override"].setText(config.hotline_override or "")
        self.fields["alert_command"].setText(shlex.join(config.alert_command or []))
        for key, edit in self.counselor.items():
            edit.setText(config.counselor.get(key, ""))
        self.region.setCurrentIndex(max(0, self.region.findData(config.region)))
        self.idle.setValue(config.idle_timeout_s)
        self._fill_models(config.model)
        self.new_pin.clear()
        self.new_pin2.clear()
        self.message.clear()
        self.show_counts(state)

    def _fill_models(self, current: str | None) -> None:
        self.model.clear()
        self.model.addItem("")  # the embedded default
        try:
            self.model.addItems(sorted(mf.load_manifests()))
        except EdgeCounselError as exc:
            self.message.setText(str(exc))
        self.model.setCurrentText(current or "")

    def show_counts(self, state: KioskState) -> None:
        head = "".join(f"<th>{h}</th>" for h in ("day", *kiosk.COUNTERS))
        rows = "".join("<tr><td>" + day + "</td>" + "".join(f"<td align=right>{row[k]}</td>" for k in kiosk.COUNTERS)
                       + "</tr>" for day, row in state.daily(14))
        self.counts.setText(f"<table cellspacing=6><tr>{head}</tr>{rows}</table>" if rows else "—")

    def to_config(self, base: KioskConfig) -> KioskConfig:
        """The form as a validated config (raises KioskConfigError); the PIN is ``base``'s."""
        try:
            argv = shlex.split(self.fields["alert_command"].text())
        except ValueError as exc:
            raise kiosk.KioskConfigError(f"The alert command cannot be read ({exc}); check its quotes.") from exc
        counselor = {k: e.text().strip() for k, e in self.counselor.items() if e.text().strip()}
        return kiosk.config_from_dict({
            **asdict(base), "kiosk_name": self.fields["kiosk_name"].text().strip() or "kiosk",
            "counselor": counselor, "region": self.region.currentData(),
            "hotline_override": self.fields["hotline_override"].text().strip() or None,
            "idle_timeout_s": self.idle.value(), "model": self.model.currentText().strip() or None,
            "alert_command": argv or None})


# --- the window ---------------------------------------------------------------------------------

class KioskWindow(QMainWindow):
    request_load = Signal(object, int)
    request_wipe = Signal()
    model_ready = Signal(str)
    visit_started = Signal()
    visit_ended = Signal(str)  # "done" | "idle"
    alert_finished = Signal(str, object)  # reason, kiosk.AlertResult (emitted from a thread)

    PAGES = ("setup", "welcome", "visit", "pin", "admin")

    def __init__(self, config: KioskConfig, config_path, state: KioskState, *,
                 directory: HotlineDirectory | None = None, clock=time.monotonic, parent=None) -> None:
        super().__init__(parent)
        self.config, self.config_path, self.state = config, config_path, state
        self.pin = PinGuard(config, state)
        self.alerts = AlertPolicy()
        self.alert_threads: list = []
        self.directory = directory or _load_directory(config.hotline_override)
        self.region = config.region or region_from_locale()
        self.detector = default_detector()
        self.clock = clock
        self.chat: ChatPanel | None = None
        self._exit_authorised = self._enforce = False
        self._accept_worker, self._model_ready, self.in_visit = True, False, False
        self._visit_flags: set[str] = set()
        self._last_activity = clock()
        self.setWindowTitle("Edge Counsel")
        self.setWindowFlags(Qt.Window | Qt.FramelessWindowHint | Qt.WindowStaysOnTopHint)
        self._build_worker()
        self._build_ui()
        self._wire()
        self._new_chat()
        self._start_guards()
        self.thread.start()
        self.show_home()

    # -- construction --------------------------------------------------------------------------

    def _build_worker(self) -> None:
        self.worker = KioskWorker(self.config.max_tokens)
        self.thread = WorkerThread(self.worker, self)

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
        self.counselor_button = QPushButton("Talk to a counselor / 找心理老师", clicked=self.talk_to_counselor)
        self.counselor_button.setStyleSheet("font-size:14pt; background:#c62828; color:white; padding:8px;")
        self.done_button = QPushButton("I'm done / 我说完了", clicked=lambda: self.end_visit("done"))
        self.done_button.setStyleSheet("font-size:14pt; padding:8px;")
        self.staff_button = QPushButton("⚙ Staff", clicked=self.open_admin, flat=True)
        self.staff_button.setStyleSheet("color:#999; font-size:9pt;")
        self.status = _label(style="color:#666;")
        row = QHBoxLayout()
        row.addWidget(_label(_TITLE, "font-size:12pt; font-weight:bold;"), 1)
        row.addWidget(self.status)
        for widget in (self.counselor_button, self.done_button, self.staff_button):
            row.addWidget(widget)
        return row

    def _wire(self) -> None:
        w, p = self.worker, self.pages
        self.request_load.connect(w.load_model)
        self.request_wipe.connect(w.wipe)
        w.progress.connect(self._on_progress, Qt.QueuedConnection)
        w.loaded.connect(self._on_loaded)
        w.load_failed.connect(self._on_load_failed)
        # Bound methods, not lambdas: a lambda would run on the worker's thread.
        w.delta.connect(self._on_delta)
        w.replaced.connect(self._on_replaced)
        w.done.connect(self._on_done)
        w.failed.connect(self._on_failed)
        w.wiped.connect(self._on_wiped)
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
        """Replace the chat panel (and its crisis panel) with fresh, empty ones."""
        old = self.chat
        self.crisis_panel = KioskCrisisPanel(self.directory, self.region)
        self.crisis_panel.counselor = dict(self.config.counselor) or None
        self.chat = ChatPanel(self.detector, self.crisis_panel)
        self.chat.transcript.setOpenLinks(False)
        self.chat.new_button.hide()  # "I'm done" ends a visit
        self.chat.model_ready = self._model_ready
        self.chat.stop_callback = lambda: self.worker.cancel.cancel()
        self.chat.send_requested.connect(self.worker.send)
        self.chat.regenerate_requested.connect(self.worker.regenerate)
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
        self.worker.session.approach = self.chat.approach_box.itemData(index)

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
        self._show("welcome" if self.pin.is_set else "setup")

    # -- a visit -------------------------------------------------------------------------------

    def start_visit(self) -> None:
        if self.in_visit:
            return
        self.in_visit = True
        self._visit_flags.clear()
        self.alerts.new_visit()
        self.state.increment("visits")
        self._show("visit")
        self.mark_activity()
        self.chat.input.setFocus()
        self.visit_started.emit()

    def end_visit(self, reason: str = "done") -> None:
        """Wipe everything of this visitor and show the welcome screen for the next one."""
        self.worker.cancel.cancel()
        self._accept_worker = False  # until the worker says its session is replaced
        self.request_wipe.emit()
        self._new_chat()
        self._forget_detector()
        _clear_clipboard()
        was_visit, self.in_visit = self.in_visit, False
        self.show_home()
        if was_visit:
            self.visit_ended.emit(reason)

    def _forget_detector(self) -> None:
        # The detector caches its scans of recent messages, keyed by their text.
        self.detector.clear_cache()

    def talk_to_counselor(self) -> None:
        """Always available: the counselor on duty and the hotlines, and the alert (if set up)."""
        self.start_visit()
        self.crisis_panel.show_for(self.chat.lang, None)
        self._count_once("counselor_requests")
        self._alert("request", "visitor_request")
        self._counselor_note()

    def _on_crisis(self, assessment) -> None:
        self._count_once("escalations")
        self._alert(assessment.level, "crisis_detected")
        self._counselor_note()

    def _count_once(self, counter: str) -> None:
        if counter not in self._visit_flags:
            self._visit_flags.add(counter)
            self.state.increment(counter)

    def _counselor_note(self) -> None:
        c = self.config.counselor
        if c.get("name") and c.get("room"):
            self._note(crisis_replies.message("kiosk_counselor", self.chat.lang, name=c["name"], room=c["room"]))

    def _note(self, text: str) -> None:
        self.chat.show_note(text)

    # -- worker output -------------------------------------------------------------------------

    def _forward(self, slot: str, value) -> None:
        if self._accept_worker:
            getattr(self.chat, slot)(value)

    def _on_delta(self, text: str) -> None:
        self._forward("on_delta", text)

    def _on_replaced(self, text: str) -> None:
        self._forward("on_replaced", text)

    def _on_failed(self, message: str) -> None:
        self._forward("on_failed", message)

    def _on_done(self, reply) -> None:
        self._forward("on_done", reply)
        self.mark_activity()  # the idle time counts from the end of the reply

    def _on_wiped(self) -> None:
        self._accept_worker = True

    # -- idle ----------------------------------------------------------------------------------

    def mark_activity(self) -> None:
        self._last_activity = self.clock()
        if self.pages["visit"].banner.isVisible():
            self.pages["visit"].banner.hide()

    def idle_seconds_left(self) -> float:
        return self.config.idle_timeout_s - (self.clock() - self._last_activity)

    def tick(self) -> None:
        """Every 250 ms: the countdown, the idle wipe, and the PIN lockout message."""
        page = self.page()
        if page == "pin":
            self._show_lock_state()
        if page not in ("visit", "pin", "admin"):
            return
        if self.chat.busy:
            self.mark_activity()
        left = self.idle_seconds_left()
        if left <= 0 and page == "visit":
            self.end_visit("idle")
        elif left <= 0:
            self.show_home()
        elif page == "visit" and left <= WARN_SECONDS:
            self.pages["visit"].show_countdown(math.ceil(left))
        else:
            self.pages["visit"].banner.hide()

    # -- admin ---------------------------------------------------------------------------------

    def open_admin(self) -> None:
        if self.in_visit:
            return
        if not self.pin.is_set:
            self._show("setup")
            return
        self.pages["pin"].message.clear()
        self._show("pin")
        self._show_lock_state()
        self.mark_activity()
        self.pages["pin"].pin.setFocus()

    def _show_lock_state(self) -> None:
        page, left = self.pages["pin"], self.pin.seconds_locked()
        if left:
            page.message.setText(kiosk.locked_message(left))
        elif not page.unlock_button.isEnabled():  # a lockout just ended
            page.message.clear()
        page.unlock_button.setEnabled(not left)
        page.pin.setEnabled(not left)

    def try_pin(self, text: str) -> bool:
        page = self.pages["pin"]
        try:
            ok = self.pin.verify(text)
        except KioskLockedError as exc:
            page.message.setText(str(exc))
            return False
        if not ok:
            n, locked = self.pin.attempts_left(), self.pin.seconds_locked()
            page.message.setText(kiosk.locked_message(locked) if locked else
                                 f"Wrong PIN. {n} more tries before a lockout. / PIN 错误，还可尝试 {n} 次。")
            self._show_lock_state()
            return False
        self._open_admin_page()
        return True

    def _open_admin_page(self) -> None:
        self.pages["admin"].populate(self.config, self.state)
        self._show("admin")
        self.mark_activity()

    def _on_first_pin(self, pin: str, repeat: str) -> None:
        try:
            self.pin.set_pin(pin, repeat)
            kiosk.save_config(self.config, self.config_path)
        except EdgeCounselError as exc:
            self.config.pin_hash = None
            self.pages["setup"].message.setText(str(exc))
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
            page.message.setText(f"Not saved: {exc}")
            return False
        reload = (config.model, config.n_ctx) != (self.config.model, self.config.n_ctx)
        self._use_config(config, directory)
        if reload:
            self.load_model(config.model)
        page.populate(config, self.state)
        page.message.setText("Saved. / 已保存。" + (" Loading the model… / 正在加载模型…" if reload else ""))
        return True

    def _use_config(self, config: KioskConfig, directory: HotlineDirectory) -> None:
        self.config = self.pin.config = config
        self.worker.max_tokens = config.max_tokens  # from the next visit on
        self.directory, self.region = directory, config.region or region_from_locale()
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
                self.pages["admin"].message.setText("No alert command is set. / 未设置通知命令。")
            return
        if force or self.alerts.should_alert(reason, level):
            done = lambda result: self.alert_finished.emit(reason, result)  # noqa: E731
            self.alert_threads.append(kiosk.start_alert(self.config, level, reason, done))

    def _on_alert_finished(self, reason: str, result) -> None:
        if not result.ok:
            print(f"edge-counsel: kiosk alert ({reason}) failed: {result.detail}", file=sys.stderr, flush=True)
            if reason != "test":
                self.state.increment("alerts_failed")
        if reason == "test":
            self.pages["admin"].message.setText(f"Test alert: {'sent' if result.ok else 'FAILED'} ({result.detail})")

    # -- model ---------------------------------------------------------------------------------

    def load_model(self, ref: str | None = None) -> None:
        self._model_ready = self.chat.model_ready = False
        self.status.setText("Getting ready… / 准备中…")
        self.request_load.emit(ref, self.config.n_ctx)

    def _on_progress(self, value: float) -> None:
        self.status.setText(f"Getting ready… {int(value * 100)}% / 准备中…")

    def _on_loaded(self, name: str) -> None:
        self._model_ready = self.chat.model_ready = True
        self.status.setText("")
        print(f"edge-counsel: ready ({name})", file=sys.stderr, flush=True)
        self.model_ready.emit(name)

    def _on_load_failed(self, message: str) -> None:
        self.status.setText("Model not loaded / 模型未加载")
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
        self.worker.cancel.cancel()
        self.thread.quit()
        # Never terminate(): a thread killed inside llama.cpp crashes the process on the way out.
        # The cancel token stops a reply or the warm-up within one batch, so this wait is short.
        self.thread.wait()
        if self.worker.session.engine is not None:
            self.worker.session.engine.close()
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
