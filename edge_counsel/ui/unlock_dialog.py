"""Unlock (or, on first run, create) the encrypted store.

A wrong passphrase keeps the dialog open with a clear message and leaves the file untouched. A
damaged database is never overwritten: the user is told its path and offered to move it aside.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
)

from ..errors import (
    EdgeCounselError,
    KeychainError,
    StoreCorruptError,
    WrongPassphraseError,
)
from ..services.unlock import change_passphrase, has_store, move_damaged_aside, unlock
from ..store.database import Store

__all__ = ["UnlockDialog", "ask_passphrase", "change_passphrase_dialog"]

_LOST = ("If you forget this passphrase, your conversations, journal and mood history cannot be "
         "recovered — not by us, not by anyone. / 如果忘记密码，数据将无法恢复。")


class UnlockDialog(QDialog):
    """Ask for the passphrase; ``store`` holds the open Store once accepted."""

    def __init__(self, home: Path, parent=None) -> None:
        super().__init__(parent)
        self.home = Path(home)
        self.creating = not has_store(self.home)
        self.store: Store | None = None
        self.setWindowTitle("Edge Counsel — " + ("Create a passphrase / 设置密码" if self.creating
                                                  else "Unlock / 解锁"))
        self.passphrase = QLineEdit(echoMode=QLineEdit.Password, objectName="passphrase")
        self.confirm = QLineEdit(echoMode=QLineEdit.Password, objectName="confirm")
        self.remember = QCheckBox("Remember on this computer (OS keychain) / 在本机记住")
        self.error = QLabel(objectName="error", wordWrap=True, styleSheet="color:#b71c1c")
        self._layout()

    def _layout(self) -> None:
        form = QFormLayout()
        form.addRow("Passphrase / 密码", self.passphrase)
        if self.creating:
            form.addRow("Again / 再输一次", self.confirm)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.try_accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        intro = ("Everything you write is encrypted on this computer with this passphrase. / "
                 "你写下的一切都用这个密码加密保存在本机。")
        layout.addWidget(QLabel(intro, wordWrap=True))
        if self.creating:
            layout.addWidget(QLabel(_LOST, wordWrap=True, styleSheet="font-weight:bold"))
        layout.addLayout(form)
        layout.addWidget(self.remember)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def try_accept(self) -> bool:
        """Validate and open the store; on success the dialog is accepted."""
        try:
            self.store = self._create() if self.creating else self._unlock()
        except WrongPassphraseError as exc:
            self.error.setText(str(exc))
            self.passphrase.selectAll()
            return False
        except StoreCorruptError as exc:
            self._offer_move_aside(exc)
            return False
        except (EdgeCounselError, ValueError) as exc:
            self.error.setText(str(exc))
            return False
        self.accept()
        return True

    def _create(self) -> Store:
        if self.passphrase.text() != self.confirm.text():
            raise ValueError("The two passphrases differ. / 两次输入的密码不一致。")
        return self._unlock()

    def _unlock(self) -> Store:
        return unlock(self.home, self.passphrase.text(), create=self.creating,
                      remember=True if self.remember.isChecked() else None,
                      on_keychain_error=self._keychain_failed)

    def _keychain_failed(self, exc: KeychainError) -> None:
        QMessageBox.information(self, "Keychain / 钥匙串", str(exc))

    def _offer_move_aside(self, exc: StoreCorruptError) -> None:
        path = getattr(exc, "path", "the store")
        answer = QMessageBox.question(
            self, "The database is damaged / 数据库已损坏",
            f"{exc}\n\nMove {path} aside (it is kept, renamed) and start a new, empty store?",
            QMessageBox.Yes | QMessageBox.No, QMessageBox.No)
        if answer == QMessageBox.Yes:
            moved = move_damaged_aside(self.home, exc)
            self.error.setText(f"Moved to {moved}. Unlock again to start a new store.")


def ask_passphrase(home: Path, parent=None) -> Store | None:
    """Ask for the passphrase and unlock; None if the user cancels."""
    dialog = UnlockDialog(home, parent)
    return dialog.store if dialog.exec() == QDialog.Accepted else None


def change_passphrase_dialog(home: Path, parent=None) -> bool:
    """Re-wrap the data key under a new passphrase. True if it was changed."""
    dialog = QDialog(parent)
    dialog.setWindowTitle("Change passphrase / 修改密码")
    old, new, again = (QLineEdit(echoMode=QLineEdit.Password) for _ in range(3))
    error = QLabel(wordWrap=True, styleSheet="color:#b71c1c")
    form = QFormLayout(dialog)
    form.addRow("Current / 当前密码", old)
    form.addRow("New / 新密码", new)
    form.addRow("Again / 再输一次", again)
    form.addRow(QLabel(_LOST, wordWrap=True))
    form.addRow(error)
    buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
    form.addRow(buttons)
    buttons.rejected.connect(dialog.reject)

    def attempt() -> None:
        if new.text() != again.text():
            error.setText("The new passphrases differ. / 两次输入的新密码不一致。")
            return
        try:
            change_passphrase(home, old.text(), new.text())
        except (EdgeCounselError, ValueError) as exc:
            error.setText(str(exc))
            return
        dialog.accept()

    buttons.accepted.connect(attempt)
    return dialog.exec() == QDialog.Accepted
