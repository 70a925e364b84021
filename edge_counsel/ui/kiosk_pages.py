"""The kiosk's screens as widgets: welcome, the visit frame, PIN set-up, the PIN prompt, admin.

Views only: each page shows what it is given and emits what the person chose; the window
(``kiosk_window.py``) and the visit cycle (``services/kiosk_visit.py``) decide what happens.
"""

from __future__ import annotations

import shlex
from dataclasses import asdict

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIntValidator
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..engine import manifest as mf
from ..errors import EdgeCounselError
from ..services import kiosk
from ..services.kiosk import KioskConfig, KioskState
from .appearance import warning_red

__all__ = ["WelcomePage", "VisitPage", "SetupPage", "PinPage", "AdminPage", "label", "BIG"]

BIG = "font-size:16pt;"
_FOOTER = ("AI, not a person. Nothing is saved: what you write is erased when you finish. / "
           "人工智能，不是真人。不会保存任何内容：结束后你写的一切都会被清除。")


def label(text: str = "", style: str = "", **kwargs) -> QLabel:
    label = QLabel(text, wordWrap=True, **kwargs)
    if style:
        label.setStyleSheet(style)
    return label


def _pin_edit(placeholder: str) -> QLineEdit:
    edit = QLineEdit(placeholderText=placeholder, echoMode=QLineEdit.Password)
    edit.setValidator(QIntValidator(0, 2_000_000_000, edit))  # digits only
    edit.setMaxLength(9)
    edit.setStyleSheet(BIG)
    return edit


class WelcomePage(QWidget):
    """The AI disclosure in English and Chinese, the school counselor and their hours, and Start."""

    start = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.en, self.zh = label(style="font-size:13pt;"), label(style="font-size:13pt;")
        self.counselor = label(style="font-size:14pt; font-weight:bold;")
        self.start_button = QPushButton("Start / 开始", clicked=lambda: self.start.emit())
        self.start_button.setStyleSheet("font-size:20pt; padding:12px 48px;")
        texts = QHBoxLayout()
        texts.addWidget(self.en, 1, Qt.AlignTop)
        texts.addWidget(self.zh, 1, Qt.AlignTop)
        layout = QVBoxLayout(self)
        layout.addWidget(label("Welcome / 欢迎", "font-size:24pt; font-weight:bold;"))
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
        self.counselor.setText(f"School counselor / 学校心理老师: {c.get('name', '')}  {where}"
                               if c.get("name") else "")


class VisitPage(QWidget):
    """The idle countdown banner above the chat; the chat panel itself is swapped per visit."""

    still_here = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.banner = QFrame(objectName="idleBanner")
        # A warning's own colours in any theme: dark text on amber.
        self.banner.setStyleSheet("#idleBanner { background:#fff3cd; border:2px solid #e0a800; }"
                                  " #idleBanner QLabel { color:#3d2e00; }")
        self.countdown = label(style="font-size:14pt;")
        self.still_button = QPushButton("I'm still here / 我还在", clicked=lambda: self.still_here.emit())
        self.still_button.setStyleSheet(BIG)
        row = QHBoxLayout(self.banner)
        row.addWidget(self.countdown, 1)
        row.addWidget(self.still_button)
        self.banner.hide()
        self.holder = QVBoxLayout()
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addLayout(self.holder, 1)
        self.footer = label(_FOOTER, "font-size:10pt;")
        layout.addWidget(self.footer)

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
        self.message = label(style=f"color:{warning_red(self.palette())};")
        save = QPushButton("Save PIN / 保存", clicked=self._submit)
        self.repeat.returnPressed.connect(self._submit)
        layout = QVBoxLayout(self)
        layout.addWidget(label("Set up this kiosk (staff only) / 设置本终端（仅限工作人员）",
                                "font-size:20pt; font-weight:bold;"))
        layout.addWidget(label(f"Choose an admin PIN of at least {kiosk.MIN_PIN_DIGITS} digits. It "
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
        self.message = label(style=f"color:{warning_red(self.palette())}; font-size:13pt;")
        self.unlock_button = QPushButton("Unlock / 解锁", clicked=self._submit)
        row = QHBoxLayout()
        row.addWidget(self.unlock_button)
        row.addWidget(QPushButton("Cancel / 取消", clicked=lambda: self.cancelled.emit()))
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(label("Staff only / 仅限工作人员", "font-size:20pt; font-weight:bold;"))
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
        self.counts = label(textFormat=Qt.RichText)
        self.message = label(style="font-size:12pt;")
        layout = QVBoxLayout(self)
        layout.addWidget(label("Kiosk settings / 终端设置", "font-size:20pt; font-weight:bold;"))
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
        self.exit_button.setStyleSheet(f"color:{warning_red(self.palette())};")
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


