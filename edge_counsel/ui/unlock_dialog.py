"""Unlock (or, on first run, create) the encrypted store, and change its passphrase.

Invariants:
- Argon2id never runs on the UI thread. The dialogs hand the unlock to a pool thread
  (ui/background.py), show a busy bar with their fields and buttons disabled, and get the outcome
  back by Qt signal; the window keeps painting and answering meanwhile.
- A dialog cannot be closed while that work runs, so a store that opens late is never left open.
- A wrong passphrase keeps the dialog open with a clear message and leaves the file untouched. A
  damaged database is never overwritten: the user is told its path and offered to move it aside.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from ..errors import (
    EdgeCounselError,
    KeychainError,
    StoreCorruptError,
    WrongPassphraseError,
)
from ..services.unlock import change_passphrase, has_store, move_damaged_aside, unlock
from .appearance import warning_red
from .background import run_in_background

if TYPE_CHECKING:
    from ..store.database import Store

__all__ = ["UnlockDialog", "ChangePassphraseDialog", "ask_passphrase", "change_passphrase_dialog"]

@dataclass(frozen=True)
class _Outcome:
    """What the pool thread hands back: an open store, or the error to show."""

    store: Store | None = None
    error: EdgeCounselError | None = None
    keychain: KeychainError | None = None  # the store opened, but the key could not be remembered


def _attempt(home: Path, passphrase: str, create: bool, remember: bool | None) -> _Outcome:
    """Runs on a pool thread. Expected failures are outcomes, so the dialog can tell them apart."""
    kept: list[KeychainError] = []
    try:
        store = unlock(home, passphrase, create=create, remember=remember, on_keychain_error=kept.append)
    except EdgeCounselError as error:
        return _Outcome(error=error)
    return _Outcome(store=store, keychain=kept[0] if kept else None)


def _fit_wrapped_text(layout: QLayout) -> None:
    """Wrapped text gets a readable line length, and the dialog grows to show all of it, an error
    that appears later included (a dialog otherwise keeps its first size and squeezes the text)."""
    layout.setSizeConstraint(QLayout.SetFixedSize)
    line = layout.parentWidget().fontMetrics().averageCharWidth() * 60
    for label in layout.parentWidget().findChildren(QLabel):
        if label.wordWrap():
            label.setMinimumWidth(line)


_STEPS = 25  # one sweep of the busy bar, at 40 ms a step


class _Busy(QWidget):
    """A moving progress bar and what is happening, shown while a pool thread works."""

    def __init__(self, text: str) -> None:
        super().__init__(objectName="busy")
        self.label = QLabel(text)
        # A bar we move ourselves: Qt's endless bar (range 0..0) runs a style animation that can
        # outlive the bar and crash Qt when the dialog is deleted (seen in the tests' teardown).
        self.bar = QProgressBar(minimum=0, maximum=_STEPS, textVisible=False)
        self._timer = QTimer(self, interval=40, timeout=self._step)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar, 1)
        self.hide()

    def set_running(self, running: bool) -> None:
        """Show the moving bar, or stop it and hide."""
        self.bar.setValue(0)
        (self._timer.start if running else self._timer.stop)()
        self.setVisible(running)

    def _step(self) -> None:
        self.bar.setValue((self.bar.value() + 1) % (_STEPS + 1))


class _WorkingDialog(QDialog):
    """A dialog whose OK starts work on a pool thread; it stays open until that work is back."""

    def __init__(self, parent, pool, busy_text: str) -> None:
        super().__init__(parent)
        self.pool = pool  # None: the global QThreadPool; tests pass a synchronous one
        self.working = False
        self.busy = _Busy(busy_text)
        self.error = QLabel(objectName="error", wordWrap=True, styleSheet=f"color:{warning_red(self.palette())}")
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.buttons.accepted.connect(self.try_accept)
        self.buttons.rejected.connect(self.reject)

    def try_accept(self) -> bool:
        raise NotImplementedError

    def _lost_label(self) -> QLabel:
        return QLabel(self.tr("If you forget this passphrase, your conversations, journal and mood history "
                              "cannot be recovered — not by us, not by anyone."), wordWrap=True)

    def reject(self) -> None:
        if not self.working:  # Esc or the close button must not strand a store opening meanwhile
            super().reject()

    def _set_working(self, working: bool, inputs: list[QWidget]) -> None:
        self.working = working
        self.busy.set_running(working)
        for widget in [*inputs, self.buttons]:
            widget.setEnabled(not working)
        if working:
            self.error.clear()


class UnlockDialog(_WorkingDialog):
    """Ask for the passphrase and unlock off the UI thread; ``store`` holds the open Store once
    accepted."""

    unlocked = Signal(object)  # the open Store; the dialog is accepted right after
    unlock_failed = Signal(str)  # the message shown; the dialog stays open and usable

    def __init__(self, home: Path, parent=None, *, pool=None) -> None:
        self.home = Path(home)
        self.creating = not has_store(self.home)
        super().__init__(parent, pool, self.tr("Creating your store…") if self.creating
                         else self.tr("Unlocking…"))
        self.store: Store | None = None
        self.setWindowTitle("Edge Counsel — " + (self.tr("Create a passphrase") if self.creating
                                                  else self.tr("Unlock")))
        self.passphrase = QLineEdit(echoMode=QLineEdit.Password, objectName="passphrase")
        self.confirm = QLineEdit(echoMode=QLineEdit.Password, objectName="confirm")
        self.remember = QCheckBox(self.tr("Remember on this computer (OS keychain)"))
        self._layout()

    def _layout(self) -> None:
        form = QFormLayout()
        form.addRow(self.tr("Passphrase"), self.passphrase)
        if self.creating:
            form.addRow(self.tr("Again"), self.confirm)
        layout = QVBoxLayout(self)
        intro = self.tr("Everything you write is encrypted on this computer with this passphrase.")
        layout.addWidget(QLabel(intro, wordWrap=True))
        if self.creating:
            lost = self._lost_label()
            font = lost.font()
            font.setBold(True)  # a font, not a style sheet: the layout then knows its wrapped height
            lost.setFont(font)
            layout.addWidget(lost)
        layout.addLayout(form)
        layout.addWidget(self.remember)
        layout.addWidget(self.busy)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        _fit_wrapped_text(layout)

    def try_accept(self) -> bool:
        """Check the form and start unlocking on a pool thread; False if it could not start.

        The outcome arrives as ``unlocked`` (then the dialog is accepted) or ``unlock_failed``.
        """
        if self.working:
            return False
        if self.creating and self.passphrase.text() != self.confirm.text():
            self._show_failure(self.tr("The two passphrases differ."))
            return False
        remember = True if self.remember.isChecked() else None  # unticked: keep the earlier choice
        job = partial(_attempt, self.home, self.passphrase.text(), self.creating, remember)
        self._set_working(True, self._inputs())
        run_in_background(job, self._finished, self._crashed, pool=self.pool)
        return True

    def _inputs(self) -> list[QWidget]:
        return [self.passphrase, self.confirm, self.remember]

    def _finished(self, outcome: _Outcome) -> None:
        self._set_working(False, self._inputs())
        if outcome.error is not None:
            self._failed(outcome.error)
            return
        if outcome.keychain is not None:
            QMessageBox.information(self, self.tr("Keychain"), str(outcome.keychain))
        self.store = outcome.store
        self.unlocked.emit(self.store)
        self.accept()

    def _crashed(self, message: str) -> None:
        self._set_working(False, self._inputs())
        self._show_failure(message)

    def _failed(self, error: EdgeCounselError) -> None:
        if isinstance(error, StoreCorruptError):
            self._offer_move_aside(error)
            self.unlock_failed.emit(str(error))
            return
        self._show_failure(str(error))
        if isinstance(error, WrongPassphraseError):
            self.passphrase.setFocus()
            self.passphrase.selectAll()

    def _show_failure(self, message: str) -> None:
        self.error.setText(message)
        self.unlock_failed.emit(message)

    def _offer_move_aside(self, exc: StoreCorruptError) -> None:
        path = getattr(exc, "path", self.tr("the store"))
        answer = QMessageBox.question(
            self, self.tr("The database is damaged"),
            f"{exc}\n\n" + self.tr("Move {path} aside (it is kept, renamed) and start a new, empty store?")
            .format(path=path),
            QMessageBox.Yes | QMessageBox.No, QMessageBox.No)
        if answer == QMessageBox.Yes:
            moved = move_damaged_aside(self.home, exc)
            self.error.setText(self.tr("Moved to {path}. Unlock again to start a new store.").format(path=moved))


class ChangePassphraseDialog(_WorkingDialog):
    """Re-wrap the data key under a new passphrase, off the UI thread (Argon2id runs twice)."""

    changed = Signal()
    change_failed = Signal(str)  # the message shown; the dialog stays open and usable

    def __init__(self, home: Path, parent=None, *, pool=None) -> None:
        super().__init__(parent, pool, self.tr("Changing…"))
        self.home = Path(home)
        self.setWindowTitle(self.tr("Change passphrase"))
        self.old, self.new, self.again = (QLineEdit(echoMode=QLineEdit.Password) for _ in range(3))
        form = QFormLayout(self)
        form.addRow(self.tr("Current"), self.old)
        form.addRow(self.tr("New"), self.new)
        form.addRow(self.tr("Again"), self.again)
        form.addRow(self._lost_label())
        form.addRow(self.busy)
        form.addRow(self.error)
        form.addRow(self.buttons)
        _fit_wrapped_text(form)

    def try_accept(self) -> bool:
        """Check the form and start re-wrapping on a pool thread; False if it could not start."""
        if self.working:
            return False
        if self.new.text() != self.again.text():
            self._failed(self.tr("The new passphrases differ."))
            return False
        job = partial(change_passphrase, self.home, self.old.text(), self.new.text())
        self._set_working(True, [self.old, self.new, self.again])
        run_in_background(job, self._changed, self._failed, pool=self.pool)
        return True

    def _changed(self, _result) -> None:
        self._set_working(False, [self.old, self.new, self.again])
        self.changed.emit()
        self.accept()

    def _failed(self, message: str) -> None:
        self._set_working(False, [self.old, self.new, self.again])
        self.error.setText(message)
        self.change_failed.emit(message)


def ask_passphrase(home: Path, parent=None, *, pool=None) -> Store | None:
    """Ask for the passphrase and unlock; None if the user cancels."""
    dialog = UnlockDialog(home, parent, pool=pool)
    return dialog.store if dialog.exec() == QDialog.Accepted else None


def change_passphrase_dialog(home: Path, parent=None, *, pool=None) -> bool:
    """Re-wrap the data key under a new passphrase. True if it was changed."""
    return ChangePassphraseDialog(home, parent, pool=pool).exec() == QDialog.Accepted
