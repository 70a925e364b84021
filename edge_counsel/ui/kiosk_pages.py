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
from ..settings import INTERFACE_LANGUAGES
from .appearance import warning_red
from .translation import interface_language

__all__ = ["WelcomePage", "VisitPage", "SetupPage", "PinPage", "AdminPage", "label", "BIG"]

BIG = "font-size:16pt;"


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
    """The AI disclosure in the kiosk's language, the school counselor and their hours, and Start."""

    start = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.text = label(style="font-size:13pt;")
        self.counselor = label(style="font-size:14pt; font-weight:bold;")
        self.start_button = QPushButton(self.tr("Start"), clicked=lambda: self.start.emit())
        self.start_button.setStyleSheet("font-size:20pt; padding:12px 48px;")
        layout = QVBoxLayout(self)
        layout.addWidget(label(self.tr("Welcome"), "font-size:24pt; font-weight:bold;"))
        layout.addWidget(self.text)
        layout.addWidget(self.counselor)
        layout.addStretch(1)
        layout.addWidget(self.start_button, alignment=Qt.AlignCenter)
        layout.addStretch(1)

    def set_config(self, config: KioskConfig) -> None:
        self.text.setText(kiosk.welcome_text(interface_language(), config))
        c = config.counselor
        where = " · ".join(filter(None, [c.get("room"), c.get("phone"), c.get("hours")]))
        self.counselor.setText(self.tr("School counselor: {name}").format(name=c["name"]) + f"  {where}"
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
        self.still_button = QPushButton(self.tr("I'm still here"), clicked=lambda: self.still_here.emit())
        self.still_button.setStyleSheet(BIG)
        row = QHBoxLayout(self.banner)
        row.addWidget(self.countdown, 1)
        row.addWidget(self.still_button)
        self.banner.hide()
        self.holder = QVBoxLayout()
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addLayout(self.holder, 1)
        self.footer = label(self.tr("AI, not a person. Nothing is saved: what you write is erased when you "
                                    "finish."), "font-size:10pt;")
        layout.addWidget(self.footer)

    def show_countdown(self, seconds: int) -> None:
        self.countdown.setText(self.tr("Are you still there? For privacy this visit ends and is erased in "
                                       "{seconds} s.").format(seconds=seconds))
        self.banner.show()


class SetupPage(QWidget):
    """First start: the admin chooses a PIN (twice)."""

    chosen = Signal(str, str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.pin, self.repeat = _pin_edit(self.tr("New PIN")), _pin_edit(self.tr("Repeat"))
        self.message = label(style=f"color:{warning_red(self.palette())};")
        save = QPushButton(self.tr("Save PIN"), clicked=self._submit)
        self.repeat.returnPressed.connect(self._submit)
        layout = QVBoxLayout(self)
        layout.addWidget(label(self.tr("Set up this kiosk (staff only)"), "font-size:20pt; font-weight:bold;"))
        layout.addWidget(label(self.tr("Choose an admin PIN of at least {digits} digits. It is needed to change "
                                       "settings and to leave kiosk mode.").format(digits=kiosk.MIN_PIN_DIGITS)))
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
        self.pin = _pin_edit(self.tr("Admin PIN"))
        self.pin.returnPressed.connect(self._submit)
        self.message = label(style=f"color:{warning_red(self.palette())}; font-size:13pt;")
        self.unlock_button = QPushButton(self.tr("Unlock"), clicked=self._submit)
        row = QHBoxLayout()
        row.addWidget(self.unlock_button)
        row.addWidget(QPushButton(self.tr("Cancel"), clicked=lambda: self.cancelled.emit()))
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(label(self.tr("Staff only"), "font-size:20pt; font-weight:bold;"))
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
        self.region.addItem(self.tr("Automatic (from the locale)"), None)
        for code in regions:
            self.region.addItem(code, code)
        self.language = QComboBox()
        for choice, text in zip(INTERFACE_LANGUAGES, (self.tr("Follow the system"), "English", "中文")):
            self.language.addItem(text, choice)
        self.idle = QSpinBox(minimum=10, maximum=3600, suffix=self.tr(" s"), singleStep=30)
        self.model = QComboBox(editable=True)
        self.new_pin, self.new_pin2 = _pin_edit(self.tr("New PIN (optional)")), _pin_edit(self.tr("Repeat new PIN"))
        self.counts = label(textFormat=Qt.RichText)
        self.message = label(style="font-size:12pt;")
        layout = QVBoxLayout(self)
        layout.addWidget(label(self.tr("Kiosk settings"), "font-size:20pt; font-weight:bold;"))
        layout.addWidget(self._scroll_form(), 1)
        layout.addWidget(self.message)
        layout.addLayout(self._buttons())

    def _scroll_form(self) -> QScrollArea:
        form_widget = QWidget()
        form = QFormLayout(form_widget)
        form.addRow(self.tr("Kiosk name"), self.fields["kiosk_name"])
        counselor_labels = (self.tr("Counselor name"), self.tr("Counselor room"), self.tr("Counselor phone"),
                            self.tr("Counselor hours"))
        for key, text in zip(kiosk.COUNSELOR_KEYS, counselor_labels):
            form.addRow(text, self.counselor[key])
        form.addRow(self.tr("Hotline region"), self.region)
        form.addRow(self.tr("Hotline override file"), self.fields["hotline_override"])
        form.addRow(self.tr("Idle timeout"), self.idle)
        form.addRow(self.tr("Language (from the next start)"), self.language)
        form.addRow(self.tr("Model (id or GGUF path)"), self.model)
        form.addRow(self.tr("Alert command (argv)"), self.fields["alert_command"])
        form.addRow(self.tr("Change PIN"), self.new_pin)
        form.addRow("", self.new_pin2)
        form.addRow(self.tr("Anonymous counts"), self.counts)
        scroll = QScrollArea(widgetResizable=True)
        scroll.setWidget(form_widget)
        return scroll

    def _buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(QPushButton(self.tr("Save and apply"), clicked=lambda: self.save_requested.emit()))
        row.addWidget(QPushButton(self.tr("Test alert"), clicked=lambda: self.test_alert_requested.emit()))
        row.addWidget(QPushButton(self.tr("Back to welcome"), clicked=lambda: self.back_requested.emit()))
        row.addStretch(1)
        self.exit_button = QPushButton(self.tr("Exit kiosk"), clicked=lambda: self.exit_requested.emit())
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
        self.language.setCurrentIndex(max(0, self.language.findData(config.interface_language)))
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
            raise kiosk.KioskConfigError(self.tr("The alert command cannot be read ({error}); check its quotes.")
                                         .format(error=exc)) from exc
        counselor = {k: e.text().strip() for k, e in self.counselor.items() if e.text().strip()}
        return kiosk.config_from_dict({
            **asdict(base), "kiosk_name": self.fields["kiosk_name"].text().strip() or "kiosk",
            "counselor": counselor, "region": self.region.currentData(),
            "hotline_override": self.fields["hotline_override"].text().strip() or None,
            "idle_timeout_s": self.idle.value(), "model": self.model.currentText().strip() or None,
            "alert_command": argv or None, "interface_language": self.language.currentData()})


